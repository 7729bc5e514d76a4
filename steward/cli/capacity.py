"""``steward capacity`` and ``steward effort log``."""

from __future__ import annotations

import datetime as dt

import typer
from rich.table import Table

from steward.cli.common import console, handles_errors, open_workspace, parse_day
from steward.cli.renewals import flagged

effort_app = typer.Typer(help="CSM effort: hours spent per account.")
ACTOR = "cli"
SHOWN = 25


@handles_errors
def capacity(
    assign: bool = typer.Option(
        False, "--assign", help="Apply the proposed moves (each goes in the audit log)."
    ),
    as_of: str = typer.Option(
        None, help="ARR of contracts running this day (default: the latest run's)."
    ),
    all_: bool = typer.Option(False, "--all", help="List every account, not 25."),
) -> None:
    """Load per CSM against capacity, the moves that fit everyone, who fits nowhere.

    Accounts stay with their CSM while there is room; the rest go, largest ARR
    first, to the CSM with the most hours left (docs/coverage-and-renewals.md).

    Example: steward capacity --assign
    """
    from steward.accounts.coverage import load_coverage_rules
    from steward.accounts.renewals import current_day
    from steward.accounts.workload import apply_assignment, capacity_view

    workspace = open_workspace()
    rules = load_coverage_rules(workspace.coverage_path())
    with workspace.store.session() as session:
        today = parse_day(as_of) or current_day(session)
        if assign:
            view = apply_assignment(session, rules, today, ACTOR)
        else:
            view = capacity_view(session, rules, today)
    shown = None if all_ else SHOWN
    _print_loads(view)
    _print_moves(view, applied=assign, limit=shown)
    _print_unplaced(view, limit=shown)
    for note in view.notes:
        console.print(note, markup=False)


def _print_loads(view) -> None:  # noqa: ANN001 - a CapacityView
    table = Table(title="Load per CSM (hours a month)")
    for column in ("CSM", "Accounts", "Load", "Capacity", "Used", "After moves"):
        table.add_column(column, justify="left" if column == "CSM" else "right")
    for load in view.loads:
        used = f"{load.hours / load.capacity:.0%}" if load.capacity else "no capacity"
        style = "red" if load.over else ""
        table.add_row(
            load.name,
            f"{load.accounts:,}",
            f"{load.hours:,.1f}",
            f"{load.capacity:,.1f}",
            f"[{style}]{used}[/]" if style else used,
            f"{load.proposed_hours:,.1f} ({load.proposed_accounts:,})",
        )
    console.print(table)


def _print_moves(view, applied: bool, limit: int | None) -> None:  # noqa: ANN001
    if not view.moves:
        console.print("Every account that needs a CSM fits where it is.")
        return
    verb = "Moved" if applied else "Would move (run with --assign to apply)"
    table = Table(title=f"{verb}: {len(view.moves)} accounts")
    for column in ("Account", "Hours", "From", "To"):
        table.add_column(column)
    for move in view.moves[:limit]:
        table.add_row(
            f"{move.name} ({move.account})",
            f"{move.hours:g}",
            move.from_csm or "nobody",
            move.to_csm,
        )
    console.print(table)
    _more(len(view.moves), limit)


def _print_unplaced(view, limit: int | None) -> None:  # noqa: ANN001
    if not view.unplaced:
        return
    table = Table(title=f"No CSM can take: {len(view.unplaced)} accounts")
    for column in ("Account", "Coverage", "Hours", "ARR", "CSM now"):
        table.add_column(column)
    for need in view.unplaced[:limit]:
        table.add_row(
            f"{need.name} ({need.account})",
            need.coverage or "",
            f"{need.hours:g}",
            "" if need.arr is None else f"{need.arr:,.0f}",
            need.csm or "nobody",
        )
    console.print(table)
    _more(len(view.unplaced), limit)


def _more(count: int, limit: int | None) -> None:
    if limit is not None and count > limit:
        console.print(f"... and {count - limit:,} more (--all lists them).")


@effort_app.command("log")
@handles_errors
def log(
    account: str = typer.Argument(..., help="The account's external id."),
    hours: float = typer.Option(..., help="Hours spent, e.g. 1.5."),
    on: str = typer.Option(None, help="Day worked, YYYY-MM-DD (default: today)."),
    csm: str = typer.Option(
        None, help="Whose hours (email; default: the account's CSM)."
    ),
    activity: str = typer.Option(None, help="e.g. call, meeting, qbr, prep."),
    note: str = typer.Option(None, help="A few words on what was done."),
) -> None:
    """Log hours a CSM spent on an account.

    Example: steward effort log A-2e4581 --hours 1.5 --activity call
    """
    from steward.accounts.workload import log_effort

    today = dt.date.today()
    worked_on = parse_day(on, "--on") or today
    workspace = open_workspace()
    flags = {"hours": "--hours", "worked_on": "--on"}
    with workspace.store.session() as session, flagged(flags):
        effort = log_effort(
            session,
            ACTOR,
            account,
            hours,
            worked_on,
            today=today,
            csm_email=csm,
            activity=activity,
            note=note,
            source="cli",
        )
        who = effort.user.email if effort.user else "no CSM"
    console.print(
        f"Logged {hours:g} h on {account} for {who} on {worked_on}.", markup=False
    )
