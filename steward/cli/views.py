"""``steward accounts``, ``steward account ID`` and ``steward tasks``."""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import asdict
from enum import StrEnum

import typer
from rich.table import Table

from steward.accounts.listing import list_accounts
from steward.accounts.tasks import open_tasks
from steward.accounts.views import AccountDetail, account_detail
from steward.cli.common import console, handles_errors, open_workspace
from steward.cli.renewals import flagged
from steward.reports.spreadsheet import safe_cell


class Sort(StrEnum):
    score = "score"
    name = "name"
    renewal = "renewal"
    arr = "arr"


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@handles_errors
def accounts(
    band: str = typer.Option(
        None, help="healthy, neutral, at_risk or insufficient_data."
    ),
    tier: str = typer.Option(None, help="Onboarding tier, e.g. 'Tier 1'."),
    csm: str = typer.Option(None, help="CSM email or name."),
    stage: str = typer.Option(None, help="Lifecycle stage, e.g. onboarding."),
    renewal_within: int = typer.Option(None, help="Contract ends within N days."),
    search: str = typer.Option(None, help="Part of the account name."),
    sort: Sort = typer.Option(Sort.score, help="Sort key (score: riskiest first)."),
    desc: bool = typer.Option(False, "--desc", help="Sort descending."),
    limit: int = typer.Option(50, min=1, help="How many rows."),
    offset: int = typer.Option(0, min=0, help="Skip this many rows (paging)."),
    output: Format = typer.Option(Format.table, "--format", help="table, csv or json."),
) -> None:
    """List accounts with their latest health score.

    Example: steward accounts --band at_risk --renewal-within 90
    """
    workspace = open_workspace()
    flags = {"band": "--band", "stage": "--stage"}
    with workspace.store.session() as session, flagged(flags):
        rows = list_accounts(
            session,
            band=band,
            tier=tier,
            csm=csm,
            stage=stage,
            renewal_within_days=renewal_within,
            search=search,
            sort=sort.value,
            descending=desc,
            limit=limit,
            offset=offset,
        )
    if output is Format.json:
        print(json.dumps([asdict(row) for row in rows], default=str, indent=2))
        return
    if output is Format.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(
            [
                "external_id",
                "name",
                "band",
                "score",
                "tier",
                "coverage",
                "csm",
                "stage",
                "arr",
                "renewal_on",
            ]
        )
        for row in rows:
            writer.writerow([safe_cell(value) for value in asdict(row).values()])
        return
    table = Table(title=f"Accounts ({len(rows)} shown)")
    for column in (
        "ID",
        "Name",
        "Band",
        "Score",
        "Tier",
        "CSM",
        "Stage",
        "ARR",
        "Renews",
    ):
        table.add_column(
            column, justify="right" if column in ("Score", "ARR") else "left"
        )
    for row in rows:
        table.add_row(
            row.external_id,
            row.name,
            _band(row.band),
            "" if row.score is None else f"{row.score:.0f}",
            row.tier or "",
            row.csm or "",
            row.stage,
            "" if row.arr is None else f"{row.arr:,.0f}",
            str(row.renewal_on or ""),
        )
    console.print(table)


def _band(band: str | None) -> str:
    colours = {"healthy": "green", "neutral": "yellow", "at_risk": "red"}
    if band is None:
        return ""
    label = band.replace("_", " ")
    return f"[{colours[band]}]{label}[/]" if band in colours else label


@handles_errors
def account(
    account_id: str = typer.Argument(..., help="The account's external id."),
) -> None:
    """Show one account: score, why, milestones, open tasks, contracts.

    Example: steward account A-2e4581
    """
    workspace = open_workspace()
    with workspace.store.session() as session:
        detail = account_detail(session, account_id)
        _print_detail(detail)


def _print_detail(detail: AccountDetail) -> None:
    account = detail.account
    console.print(f"[bold]{account.name}[/] ({account.external_id})")
    console.print(
        f"Tier {account.tier or '-'} · {account.coverage or '-'} · stage "
        f"{account.lifecycle_stage} · CSM {detail.csm or 'unassigned'} · ARR "
        f"{detail.arr or 0:,.0f} · renews {detail.renewal_on or '-'}"
    )
    score = detail.score
    if score is None:
        console.print("No health score yet: run `steward run`.")
    else:
        shown = "insufficient data" if score.score is None else f"{score.score:.0f}"
        change = ""
        if (
            detail.previous
            and detail.previous.score is not None
            and score.score is not None
        ):
            delta = score.score - detail.previous.score
            change = f" ({delta:+.0f} since {detail.previous.as_of})"
        console.print(f"Health on {score.as_of}: {shown} {_band(score.band)}{change}")
        table = Table(title="Why: each factor's points (50 is a typical account)")
        for column in ("Factor", "Value", "Points", "Since last week"):
            table.add_column(column, justify="left" if column == "Factor" else "right")
        for line in detail.factors:
            value = "no data" if line.missing else _value(line.value)
            change = "" if line.change is None else f"{line.change:+.1f}"
            table.add_row(line.label, value, f"{line.points:+.1f}", change)
        console.print(table)

    if detail.milestones:
        table = Table(title="Milestones")
        for column in (
            "Journey",
            "Milestone",
            "Due",
            "Reached",
            "Status",
            "Days to value",
        ):
            table.add_column(column)
        for state in detail.milestones:
            table.add_row(
                state.journey,
                state.milestone,
                str(state.due_on),
                str(state.achieved_on or ""),
                state.status.replace("_", " "),
                "" if state.days_to_value is None else str(state.days_to_value),
            )
        console.print(table)
    _print_tasks(detail.tasks, title="Open tasks")


def _value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return "" if value is None else str(value)


@handles_errors
def tasks(
    mine: str = typer.Option(None, "--for", help="Only tasks assigned to this email."),
    account_id: str = typer.Option(
        None, "--account", help="Only this account's tasks."
    ),
    all_: bool = typer.Option(False, "--all", help="Include completed tasks."),
    limit: int = typer.Option(100, min=1, help="How many rows."),
) -> None:
    """List tasks, overdue first.

    Example: steward tasks --for abigail.kent@demo.steward.example
    """
    workspace = open_workspace()
    with workspace.store.session() as session, flagged({"assignee": "--for"}):
        rows = open_tasks(
            session,
            assignee_email=mine,
            account_external_id=account_id,
            include_done=all_,
            limit=limit,
        )
        _print_tasks(rows, title=f"Tasks ({len(rows)} shown)")


def _print_tasks(rows: list, title: str) -> None:
    if not rows:
        console.print(f"{title}: none.")
        return
    table = Table(title=title)
    for column in ("#", "Due", "Priority", "Task", "For", "Status"):
        table.add_column(column)
    for task in rows:
        who = task.assignee.email if task.assignee else f"({task.role or 'anyone'})"
        table.add_row(
            str(task.id),
            str(task.due_on or ""),
            task.priority,
            task.title,
            who,
            task.status,
        )
    console.print(table)
