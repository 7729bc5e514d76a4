"""``steward playbook ...`` and ``steward incident``: automation from the terminal."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from steward.cli.common import (
    console,
    errors,
    handles_errors,
    open_workspace,
    parse_day,
)

if TYPE_CHECKING:
    from steward.playbooks.dryrun import DryRun

app = typer.Typer(
    help="Playbooks: check, list, dry-run and run them; see what they did.",
    no_args_is_help=True,
)


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command()
def check(
    files: list[Path] = typer.Argument(
        None, help="Playbook files; default: every file in config/playbooks."
    ),
) -> None:
    """Validate playbook files: fields, rules, templates, sequences and journeys.

    Every template is rendered for a made-up account on which the trigger
    fires, so a misspelt name is caught here. Exit status 1 if any file fails.

    Example: steward playbook check config/playbooks/onboarding-rescue.yaml
    """
    from steward.errors import PlaybookInvalid
    from steward.playbooks.check import check_playbook
    from steward.playbooks.model import playbook_paths
    from steward.playbooks.service import check_folders
    from steward.workspace import Workspace

    workspace = Workspace()
    paths = list(files or playbook_paths(workspace.playbooks_dir))
    if not paths:
        raise typer.BadParameter(
            f"no playbook files given and none in {workspace.playbooks_dir}",
            param_hint="FILES",
        )
    emails, flows, journeys = check_folders(workspace)
    failed = 0
    for path in paths:
        try:
            playbook = check_playbook(path, emails, flows, journeys)
        except PlaybookInvalid as error:
            failed += 1
            errors.print(
                f"Error: {error}", markup=False, highlight=False, soft_wrap=True
            )
            continue
        console.print(
            f"ok: {path} ({playbook.name})",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if failed:
        raise typer.Exit(1)


@app.command("list")
@handles_errors
def list_() -> None:
    """List the playbooks in config/playbooks, with their runs and check verdict.

    Example: steward playbook list
    """
    from steward.playbooks.service import check_folders, list_playbooks

    workspace = open_workspace()
    emails, flows, journeys = check_folders(workspace)
    with workspace.store.session() as session:
        rows = list_playbooks(
            workspace.playbooks_dir,
            session,
            emails_dir=emails,
            sequences_dir=flows,
            journeys_dir=journeys,
        )
    table = Table(title=f"Playbooks in {workspace.playbooks_dir}")
    for column in ("Name", "On", "Trigger", "Actions", "Runs", "Last fired"):
        table.add_column(column, justify="right" if column == "Runs" else "left")
    for row in rows:
        table.add_row(
            row.name,
            "yes" if row.enabled else "no",
            f"[red]invalid[/]: {escape(row.problem)}" if row.problem else row.trigger,
            ", ".join(row.actions),
            f"{row.runs:,}",
            str(row.last_fired or ""),
        )
    console.print(table)


@app.command("dry-run")
@handles_errors
def dry_run(
    name: str = typer.Argument(..., help="Playbook name, or a playbook file."),
    start: str = typer.Option(..., "--from", help="First day (YYYY-MM-DD)."),
    end: str = typer.Option(..., "--to", help="Last day (YYYY-MM-DD)."),
    detail: bool = typer.Option(False, "--detail", help="List every firing."),
    output: Format = typer.Option(Format.table, "--format", help="table, csv, json."),
) -> None:
    """Replay history: what the playbook would have fired, per week, and the hours.

    Nothing is written. CSM hours per action type are in config/automation.yaml.

    Example: steward playbook dry-run expansion --from 2024-01-01 --to 2024-12-31
    """
    from steward.jobs.replay import dry_run as replay

    first, last = parse_day(start, "--from"), parse_day(end, "--to")
    assert first is not None and last is not None
    workspace = open_workspace()
    result = replay(workspace, name, first, last)
    print_dry_run(result, detail=detail, output=output)


def print_dry_run(result: DryRun, *, detail: bool, output: Format) -> None:
    from steward.playbooks.dryrun import COLUMNS, column_counts

    if output is Format.json:
        data = {
            "playbook": result.playbook,
            "weeks": [
                {
                    "week_ending": week.ending.isoformat(),
                    "fired": week.fired,
                    "accounts": week.accounts,
                    **column_counts(week),
                    "csm_hours": week.hours,
                }
                for week in result.weeks
            ],
            "total_fired": result.total_fired,
            "total_csm_hours": result.total_hours,
            "firings": [asdict(f) for f in result.firings] if detail else [],
            "notes": result.notes,
        }
        print(json.dumps(data, indent=2, default=str))
        return
    if output is Format.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["week_ending", "fired", "accounts", *COLUMNS, "csm_hours"])
        for week in result.weeks:
            counts = column_counts(week)
            writer.writerow(
                [week.ending, week.fired, week.accounts, *counts.values(), week.hours]
            )
        return
    table = Table(title=f"Dry run of {result.playbook}")
    headers = ("Week ending", "Fired", "Accounts", *[c.capitalize() for c in COLUMNS])
    for column in (*headers, "CSM hours"):
        table.add_column(column, justify="left" if column == "Week ending" else "right")
    for week in result.weeks:
        counts = column_counts(week)
        table.add_row(
            str(week.ending),
            str(week.fired),
            str(week.accounts),
            *[str(value) for value in counts.values()],
            f"{week.hours:g}",
        )
    totals = result.totals()
    table.add_row(
        "Total",
        str(result.total_fired),
        "",
        *[str(sum(totals[k] for k in kinds)) for kinds in COLUMNS.values()],
        f"{result.total_hours:g}",
        style="bold",
    )
    console.print(table)
    if detail:
        for fired in result.firings:
            facts = ", ".join(f"{k}={v}" for k, v in fired.facts.items())
            console.print(
                f"{fired.day} {fired.account} {fired.name}: {facts}",
                markup=False,
                highlight=False,
            )
    for note in result.notes:
        console.print(f"Note: {note}", markup=False, highlight=False)


@app.command()
@handles_errors
def run(
    names: list[str] = typer.Argument(None, help="Playbook names; default: all."),
    as_of: str = typer.Option(None, "--as-of", help="Day (YYYY-MM-DD); default today."),
    deliver: bool = typer.Option(
        True, "--deliver/--no-deliver", help="Deliver the outbox afterwards."
    ),
) -> None:
    """Run playbooks for a day now, outside the daily run, and deliver.

    Each occurrence fires once: what fires here does not fire again in the
    daily run, and running it twice changes nothing.

    Example: steward playbook run incident-recovery --as-of 2025-01-09
    """
    from steward.jobs.manual import run_playbooks

    day = parse_day(as_of) or dt.datetime.now(dt.UTC).date()
    workspace = open_workspace()
    if names:
        from steward.jobs.replay import find_playbook

        for name in names:
            find_playbook(workspace, name)
    with console.status(f"Running playbooks for {day}"):
        outcome = run_playbooks(workspace, day, only=set(names) if names else None)
    table = Table(title=f"Playbooks on {day}", show_header=False)
    table.add_column("what")
    table.add_column("", justify="right")
    for name, count in sorted(outcome.fired.items()):
        table.add_row(f"{name} fired", f"{count:,}")
    table.add_row("Tasks raised", f"{outcome.tasks:,}")
    table.add_row("Messages queued", f"{outcome.messages:,}")
    console.print(table)
    for note in outcome.notes:
        console.print(f"Note: {note}", markup=False, highlight=False)
    if deliver:
        from steward.cli.outbox import deliver_now

        deliver_now(workspace)


@app.command()
@handles_errors
def runs(
    playbook: str = typer.Option(None, help="Only this playbook's runs."),
    account_id: str = typer.Option(None, "--account", help="Only this account's."),
    limit: int = typer.Option(50, min=1, help="How many rows."),
    output: Format = typer.Option(Format.table, "--format", help="table or json."),
) -> None:
    """What playbooks did: each run with its trigger, account and actions.

    Example: steward playbook runs --playbook incident-recovery
    """
    from steward.playbooks.service import playbook_runs

    workspace = open_workspace()
    with workspace.store.session() as session:
        rows = playbook_runs(
            session, playbook=playbook, account_external_id=account_id, limit=limit
        )
        found = [
            {
                "id": run.id,
                "as_of": run.as_of.isoformat(),
                "playbook": run.playbook,
                "account": run.account.external_id if run.account else None,
                "occurrence": run.occurrence_key,
                "inputs": run.inputs,
                "actions": run.actions,
            }
            for run in rows
        ]
    if output is Format.json:
        print(json.dumps(found, indent=2, default=str))
        return
    table = Table(title=f"Playbook runs ({len(found)} shown)")
    for column in ("#", "Day", "Playbook", "Account", "What it did"):
        table.add_column(column)
    for run in found:
        did = "; ".join(
            f"{action['type']}: {action.get('result', '')}" for action in run["actions"]
        )
        table.add_row(
            str(run["id"]), run["as_of"], run["playbook"], run["account"] or "", did
        )
    console.print(table)


@handles_errors
def incident(
    account_id: str = typer.Argument(..., help="The account's external id."),
    kind: str = typer.Option(
        "outage", help="outage, executive_complaint, or your own word."
    ),
    on: str = typer.Option(None, "--on", help="Day it happened; default today."),
    summary: str = typer.Option(None, help="What happened, in a sentence."),
    severity: str = typer.Option(None, help="Your severity scale, e.g. sev1."),
    incident_id: str = typer.Option(
        None, "--id", help="Your incident id; recording it again changes nothing."
    ),
) -> None:
    """Record an incident on an account; the next run starts the recovery playbook.

    Example: steward incident A-2e4581 --kind outage --on 2025-01-09 --summary "3h down"
    """
    from steward.playbooks.service import record_incident

    day = parse_day(on, "--on") or dt.datetime.now(dt.UTC).date()
    workspace = open_workspace()
    with workspace.store.session() as session:
        recorded = record_incident(
            session,
            account_external_id=account_id,
            kind=kind,
            occurred_on=day,
            actor="cli",
            summary=summary,
            severity=severity,
            external_id=incident_id,
        )
        console.print(
            f"Incident {recorded.external_id} ({recorded.kind}, "
            f"{recorded.occurred_on}) recorded on {account_id}",
            markup=False,
            highlight=False,
        )
