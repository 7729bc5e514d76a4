"""``steward report``: retention, cohorts, time to value, NPS and CSM effort."""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import StrEnum
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from steward.cli.common import console, handles_errors, open_workspace, parse_day

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from steward.reports.tables import ReportTable

app = typer.Typer(help="Revenue, retention and onboarding reports for any period.")


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class By(StrEnum):
    segment = "segment"
    tier = "tier"
    coverage = "coverage"
    csm = "csm"
    industry = "industry"


class Basis(StrEnum):
    auto = "auto"
    contracts = "contracts"
    activity = "activity"


FROM = typer.Option(
    None, "--from", help="First day, YYYY-MM-DD (default: a year back)."
)
TO = typer.Option(None, "--to", help="Last day, YYYY-MM-DD (default: today).")
BY = typer.Option(None, "--by", help="Group by segment, tier, coverage, csm, industry.")
FORMAT = typer.Option(Format.table, "--format", help="table, csv or json.")
# Reports with more columns than this print one column per group instead.
WIDE = 10


def _period(
    session: Session, start: str | None, end: str | None
) -> tuple[dt.date, dt.date]:
    """--from and --to; by default the year up to the latest daily run (or today)."""
    from dateutil.relativedelta import relativedelta

    from steward.accounts.renewals import current_day

    last = parse_day(end, "--to") or current_day(session)
    year_back = last - relativedelta(years=1) + dt.timedelta(days=1)
    return parse_day(start, "--from") or year_back, last


def _group(by: By | None) -> str | None:
    return by.value if by is not None else None


@app.command()
@handles_errors
def retention(
    start: str = FROM, end: str = TO, by: By = BY, output: Format = FORMAT
) -> None:
    """GRR, NRR, logo and revenue churn, 90-day churn of new customers, expansion deals.

    Example: steward report retention --from 2024-01-01 --to 2024-12-31 --by tier
    """
    from steward.reports.service import retention_report

    workspace = open_workspace()
    with workspace.store.session() as session:
        first, last = _period(session, start, end)
        table = retention_report(
            session, first, last, by=_group(by), today=dt.date.today()
        )
    _emit(table, output)


@app.command()
@handles_errors
def cohorts(
    start: str = FROM,
    end: str = TO,
    by: By = BY,
    basis: Basis = typer.Option(
        Basis.auto, help="contracts, activity, or auto (contracts when any have ARR)."
    ),
    output: Format = FORMAT,
) -> None:
    """Retention curves of the accounts that signed from --from to --to, by month.

    Example: steward report cohorts --from 1997-01-01 --to 1998-06-30
    """
    from steward.reports.service import cohort_report

    workspace = open_workspace()
    with workspace.store.session() as session:
        first, last = _period(session, start, end)
        table = cohort_report(
            session, workspace, first, last, by=_group(by), basis=basis.value
        )
    _emit(table, output)


@app.command()
@handles_errors
def ttv(start: str = FROM, end: str = TO, by: By = BY, output: Format = FORMAT) -> None:
    """Time to value: days from the start to each onboarding milestone.

    Example: steward report ttv --from 2024-01-01 --by coverage
    """
    from steward.reports.service import ttv_report

    workspace = open_workspace()
    with workspace.store.session() as session:
        first, last = _period(session, start, end)
        table = ttv_report(session, first, last, by=_group(by))
    _emit(table, output)


@app.command()
@handles_errors
def nps(start: str = FROM, end: str = TO, by: By = BY, output: Format = FORMAT) -> None:
    """NPS per month: promoters, passives, detractors and the score.

    Example: steward report nps --from 2024-01-01 --to 2024-06-30 --by segment
    """
    from steward.reports.service import nps_report

    workspace = open_workspace()
    with workspace.store.session() as session:
        first, last = _period(session, start, end)
        table = nps_report(session, first, last, by=_group(by))
    _emit(table, output)


@app.command()
@handles_errors
def effort(
    start: str = FROM,
    end: str = TO,
    by: str = typer.Option("tier", "--by", help="tier, coverage or csm."),
    output: Format = FORMAT,
) -> None:
    """CSM hours logged against the coverage plan, by tier (or coverage, CSM).

    Example: steward report effort --from 2024-10-01 --to 2024-12-31
    """
    from steward.accounts.coverage import load_coverage_rules
    from steward.reports.service import effort_table

    workspace = open_workspace()
    rules = load_coverage_rules(workspace.coverage_path())
    with workspace.store.session() as session:
        first, last = _period(session, start, end)
        table = effort_table(session, rules, first, last, by=by)
    _emit(table, output)


def _emit(table: ReportTable, output: Format) -> None:
    if output is Format.json:
        print(json.dumps(table.as_json(), default=str, indent=2))
        return
    if output is Format.csv:
        for line in table.csv_lines():
            sys.stdout.write(line)
        return
    from steward.reports.tables import shown

    title = f"{table.title}, {table.start} to {table.end}"
    if len(table.columns) > WIDE:
        _print_transposed(table, title)
    else:
        grid = Table(title=title)
        for column in table.columns:
            right = column.kind != "text"
            grid.add_column(column.label, justify="right" if right else "left")
        for row in table.rows:
            grid.add_row(*[shown(row.get(c.key), c.kind) for c in table.columns])
        console.print(grid)
    for note in table.notes:
        console.print(note, markup=False)
    if not table.rows:
        console.print("Nothing in this period.", markup=False)


def _print_transposed(table: ReportTable, title: str) -> None:
    """One column per group, one row per figure: wide reports fit a terminal."""
    from steward.reports.tables import shown

    grid = Table(title=title)
    first, *figures = table.columns
    grid.add_column("")
    for row in table.rows:
        grid.add_column(str(row.get(first.key)), justify="right")
    for column in figures:
        grid.add_row(
            column.label,
            *[shown(row.get(column.key), column.kind) for row in table.rows],
        )
    console.print(grid)
