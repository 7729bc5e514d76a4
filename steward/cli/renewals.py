"""``steward renewals`` and ``steward renewals log``."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields
from enum import StrEnum

import typer
from rich.table import Table

from steward.cli.common import console, handles_errors, open_workspace, parse_day
from steward.errors import InputInvalid
from steward.reports.spreadsheet import safe_cell

app = typer.Typer(help="Renewals coming up, the ARR expected to renew, outcomes.")


@contextmanager
def flagged(flags: dict[str, str]) -> Iterator[None]:
    """Name the flag in a refused value's message: ``Error: --reason: ...``."""
    try:
        yield
    except InputInvalid as error:
        flag = flags.get(error.field or "")
        if flag is None:
            raise
        raise InputInvalid(f"{flag}: {error}", field=error.field) from error


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class Outcome(StrEnum):
    renewed = "renewed"
    expanded = "expanded"
    contracted = "contracted"
    churned = "churned"


@app.callback(invoke_without_command=True)
@handles_errors
def renewals(
    context: typer.Context,
    within: int = typer.Option(90, min=0, help="Days ahead, e.g. 30, 60, 90 or 180."),
    csm: str = typer.Option(None, help="Only this CSM's accounts (email or name)."),
    as_of: str = typer.Option(
        None, help="Count from this day (default: the latest daily run's, or today)."
    ),
    output: Format = typer.Option(Format.table, "--format", help="table, csv or json."),
) -> None:
    """Contracts whose term ends within N days, with health and expansion readiness.

    The forecast weights each contract's ARR by 1 − its renewal risk: the
    account's churn probability calibrated on past renewals by steward fit.

    Example: steward renewals --within 60
    """
    if context.invoked_subcommand is not None:
        return
    from steward.accounts.renewals import (
        current_day,
        forecast,
        load_renewal_models,
        load_renewal_settings,
        risk_basis,
    )
    from steward.accounts.renewals import upcoming_renewals as upcoming

    workspace = open_workspace()
    settings = load_renewal_settings(workspace.renewals_path())
    models = load_renewal_models(workspace.scorecard_path().parent)
    with workspace.store.session() as session, flagged({"csm": "--csm"}):
        today = parse_day(as_of) or current_day(session)
        rows = upcoming(session, settings, today, within, csm=csm, models=models)
    windows = [days for days in settings.windows if days <= within] or [within]
    outlook = forecast(rows, windows)
    basis = risk_basis(rows, models)
    if output is Format.json:
        body = {
            "as_of": today.isoformat(),
            "renewals": [asdict(row) for row in rows],
            "forecast": [asdict(window) for window in outlook],
            "basis": basis,
        }
        print(json.dumps(body, default=str, indent=2))
        return
    if output is Format.csv:
        from steward.accounts.renewals import Renewal

        writer = csv.writer(sys.stdout)
        writer.writerow([field.name for field in fields(Renewal)])
        for row in rows:
            writer.writerow([safe_cell(value) for value in asdict(row).values()])
        return
    _print_renewals(rows, today, within)
    _print_forecast(outlook, basis)


def _print_renewals(rows: list, today: dt.date, within: int) -> None:
    table = Table(title=f"Renewals within {within} days of {today} ({len(rows)})")
    for column in (
        "Ends",
        "Days",
        "Contract",
        "Account",
        "CSM",
        "ARR",
        "Health",
        "Churn p",
        "Renewal risk",
        "Expansion",
        "Outcome",
    ):
        right = column in (
            "Days",
            "ARR",
            "Health",
            "Churn p",
            "Renewal risk",
            "Expansion",
        )
        table.add_column(column, justify="right" if right else "left")
    for row in rows:
        table.add_row(
            str(row.ends_on),
            str(row.days_left),
            row.contract,
            f"{row.name} ({row.account})",
            row.csm or "",
            _money(row.arr),
            _number(row.health),
            "" if row.churn_probability is None else f"{row.churn_probability:.0%}",
            "" if row.renewal_risk is None else f"{row.renewal_risk:.0%}",
            _number(row.expansion),
            row.outcome or "",
        )
    console.print(table)


def _print_forecast(outlook: list, basis: str) -> None:
    table = Table(title="Forecast: ARR expected to renew")
    for column in ("Within", "Contracts", "ARR", "Expected", "Not scored"):
        table.add_column(column, justify="right")
    for window in outlook:
        table.add_row(
            f"{window.days} days",
            f"{window.contracts:,}",
            _money(window.arr),
            _money(window.expected_arr),
            _money(window.unscored_arr),
        )
    console.print(table)
    console.print(
        "Decided contracts count at their new ARR; contracts without a score are "
        f"left out. {basis}",
        markup=False,
    )


@app.command("log")
@handles_errors
def log(
    contract: str = typer.Argument(..., help="The contract's external id."),
    outcome: Outcome = typer.Option(
        ..., help="renewed, expanded, contracted, churned."
    ),
    closed_on: str = typer.Option(None, help="Day it was decided (default: today)."),
    new_arr: float = typer.Option(None, help="New ARR (expanded, contracted)."),
    reason: str = typer.Option(None, help="Reason tag (config/renewals.yaml)."),
    next_term: bool = typer.Option(
        True, help="Open the next term as a contract (--no-next-term: the CRM does)."
    ),
) -> None:
    """Log a renewal's outcome with its close date, new ARR and reason tag.

    Example: steward renewals log C-1042 --outcome expanded --new-arr 60000
    """
    from steward.accounts.outcomes import log_outcome
    from steward.accounts.renewals import load_renewal_settings

    today = dt.date.today()
    closed = parse_day(closed_on, "--closed-on") or today
    workspace = open_workspace()
    settings = load_renewal_settings(workspace.renewals_path())
    flags = {
        "reason": "--reason",
        "new_arr": "--new-arr",
        "closed_on": "--closed-on",
        "outcome": "--outcome",
    }
    with workspace.store.session() as session, flagged(flags):
        logged = log_outcome(
            session,
            settings,
            contract,
            outcome.value,
            closed,
            today=today,
            new_arr=new_arr,
            reason=reason,
            next_term=next_term,
        )
    following = f"; next term {logged.next_contract}" if logged.next_contract else ""
    console.print(
        f"Contract {logged.contract}: {logged.outcome} on {logged.closed_on}, ARR "
        f"{_money(logged.arr)} → {_money(logged.new_arr)}, ends "
        f"{logged.ends_on}{following}.",
        markup=False,
    )


def _money(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"
