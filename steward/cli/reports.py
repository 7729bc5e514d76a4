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
from steward.cli.renewals import flagged

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
    from steward.accounts.renewals import current_day
    from steward.reports.service import retention_report

    workspace = open_workspace()
    with workspace.store.session() as session:
        first, last = _period(session, start, end)
        table = retention_report(
            session, first, last, by=_group(by), today=current_day(session)
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

    Each cohort is followed up to --to. The table shows one row per cohort and
    the share retained in each month since signing; --format csv or json gives
    every figure (accounts, retained, ARR share).

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
    with workspace.store.session() as session, flagged({"by": "--by"}):
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
    from steward.reports.tables import WIDE, shown

    title = f"{table.title}, {table.start} to {table.end}"
    if table.name == "cohorts" and table.rows:
        _print_cohorts(table, title)
    elif len(table.columns) > WIDE:
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
    names, lines = table.transposed()
    grid.add_column("")
    for name in names:
        grid.add_column(name, justify="right")
    for column, values in lines:
        grid.add_row(column.label, *[shown(value, column.kind) for value in values])
    console.print(grid)


def _print_cohorts(table: ReportTable, title: str) -> None:
    """One row per cohort, one column per month since signing: the curves.

    Past month 3 only every third month is shown, so two years fit a
    terminal; the CSV and JSON have every month.
    """
    months = sorted({row["month"] for row in table.rows})
    shown = [m for m in months if m <= 3 or m % 3 == 0]
    grouped = table.by is not None
    note = "" if shown == months else " (months 0-3, then every third)"
    grid = Table(title=f"{title}: % of accounts retained{note}", padding=(0, 1))
    if grouped:
        grid.add_column("Group", no_wrap=True)
    grid.add_column("Signed", no_wrap=True)
    grid.add_column("Accounts", justify="right")
    for month in shown:
        grid.add_column(f"M{month}", justify="right", no_wrap=True)
    curves: dict[tuple, dict[int, float]] = {}
    sizes: dict[tuple, int] = {}
    for row in table.rows:
        key = (row["group"], row["cohort"])
        curves.setdefault(key, {})[row["month"]] = row["share"]
        sizes[key] = row["accounts"]
    for key, points in curves.items():
        cells = [f"{points[m] * 100:.0f}" if m in points else "" for m in shown]
        grid.add_row(*(key if grouped else key[1:]), f"{sizes[key]:,}", *cells)
    console.print(grid)
