"""``steward voice ...``: the voice-of-the-customer report, quiet accounts, export."""

from __future__ import annotations

import datetime as dt
import sys
from enum import StrEnum

import typer
from rich.table import Table

from steward.cli.common import console, handles_errors, open_workspace, parse_day

app = typer.Typer(help="Voice of the customer: what customers tell you, by category.")


class Format(StrEnum):
    table = "table"
    csv = "csv"


def _month(value: str | None) -> dt.date:
    if value is None:
        return dt.datetime.now(dt.UTC).date().replace(day=1)
    try:
        return dt.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a month; write it as YYYY-MM, e.g. 2026-06",
            param_hint="--month",
        ) from None


MONTH = typer.Option(None, "--month", help="The month (YYYY-MM); default this one.")


@app.command("report")
@handles_errors
def report(
    month: str = MONTH,
    output: Format = typer.Option(Format.table, "--format", help="table or csv."),
) -> None:
    """The monthly report: notes, accounts and ARR by category, trend, quotes.

    CSV cells that a spreadsheet would run as formulas are quoted.

    Example: steward voice report --month 2026-06 --format csv > voice.csv
    """
    from steward.reports.voice import load_voice_config, report_csv
    from steward.reports.voice_service import voice_report

    workspace = open_workspace()
    config = load_voice_config(workspace.voice_path())
    with workspace.store.session() as session:
        result = voice_report(session, _month(month), config)
    if output is Format.csv:
        sys.stdout.writelines(report_csv(result))
        return
    table = Table(title=f"Voice of the customer, {result.month:%B %Y}")
    for column in ("Category", "Notes", "Last month", "Accounts", "ARR affected"):
        table.add_column(column, justify="left" if column == "Category" else "right")
    table.add_column("Trend (oldest first)")
    for row in result.rows:
        trend = " ".join(str(count) for _, count in row.trend)
        table.add_row(
            row.label,
            str(row.notes),
            str(row.previous),
            str(row.accounts),
            f"{row.arr:,.0f}",
            trend,
        )
    console.print(table)
    for row in result.rows:
        for quote in row.quotes:
            console.print(
                f"{row.label} — {quote.account_name}, {quote.on}: “{quote.text}”",
                markup=False,
                highlight=False,
            )


@app.command("quiet")
@handles_errors
def quiet(
    today: str = typer.Option(None, "--as-of", help="The day; default today."),
    limit: int = typer.Option(100, min=1, help="How many accounts."),
) -> None:
    """Accounts with no customer-voice note this quarter, largest ARR first.

    Example: steward voice quiet
    """
    from steward.reports.voice import load_voice_config
    from steward.reports.voice_service import quarter_start, quiet_accounts

    day = parse_day(today) or dt.datetime.now(dt.UTC).date()
    workspace = open_workspace()
    config = load_voice_config(workspace.voice_path())
    with workspace.store.session() as session:
        rows = quiet_accounts(session, day, config)
    table = Table(
        title=f"No customer-voice note since {quarter_start(day)}: {len(rows)}"
    )
    for column in ("Account", "Name", "CSM", "ARR", "Last voice note"):
        table.add_column(column)
    for row in rows[:limit]:
        table.add_row(
            row.key,
            row.name,
            row.csm or "",
            f"{row.arr or 0:,.0f}",
            str(row.last_voice_on or "never"),
        )
    console.print(table)


@app.command("send")
@handles_errors
def send(
    month: str = MONTH,
    webhook: str = typer.Option(
        None, help="STEWARD_WEBHOOKS endpoint; default `webhook` of voice.yaml."
    ),
    deliver: bool = typer.Option(True, "--deliver/--no-deliver", help="Send now."),
) -> None:
    """Send the monthly report to the product team's webhook (signed, once a month).

    Example: steward voice send --month 2026-06 --webhook product
    """
    from steward.reports.voice import load_voice_config
    from steward.reports.voice_service import send_report, voice_report

    workspace = open_workspace()
    config = load_voice_config(workspace.voice_path())
    endpoint = webhook or config.webhook
    with workspace.store.session() as session:
        result = voice_report(session, _month(month), config)
        queued = send_report(session, result, endpoint, "cli")
    if not queued:
        console.print(
            f"The {result.month:%Y-%m} report was already queued for {endpoint}; "
            "`steward outbox list` shows it",
            markup=False,
        )
    if deliver:
        from steward.cli.outbox import deliver_now

        deliver_now(workspace)
