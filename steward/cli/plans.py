"""``steward plan ...`` (mutual success plans) and ``steward qbr ACCOUNT``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer
from rich.table import Table

from steward.cli.common import console, handles_errors, open_workspace, parse_day

app = typer.Typer(help="Mutual success plans and their customer links.")
ACTOR = typer.Option("cli", "--by", help="Who is making the change (kept with it).")


@app.command("create")
@handles_errors
def create(
    account: str = typer.Argument(..., help="The account's external id."),
    title: str = typer.Option(..., help="The plan's name."),
    kickoff: str = typer.Option(None, help="Kickoff day (YYYY-MM-DD); default today."),
    from_file: Path = typer.Option(
        None, "--from", help="A JSON file of goals, milestones, responsibilities."
    ),
    by: str = ACTOR,
) -> None:
    """Create a success plan at onboarding kickoff, optionally from a JSON file.

    Example: steward plan create A-2e4581 --title "FY26 plan" --from plan.json
    """
    from steward.accounts.success_plans import create_plan, parse_content

    content = None
    if from_file is not None:
        content = parse_content(_read_json(from_file))
    day = parse_day(kickoff, "--kickoff") or dt.datetime.now(dt.UTC).date()
    workspace = open_workspace()
    with workspace.store.session() as session:
        plan = create_plan(
            session, account, title=title, kickoff_on=day, actor=by, content=content
        )
        console.print(f"Plan {plan.id} created on {account} (version 1)", markup=False)


@app.command("show")
@handles_errors
def show(
    plan_id: int = typer.Argument(..., help="The plan's id."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show a plan: goals with their KPIs (live values where linked), milestones,
    responsibilities.

    Example: steward plan show 3
    """
    from steward.accounts.success_plans import content_of, get_plan, kpi_values

    workspace = open_workspace()
    with workspace.store.session() as session:
        plan = get_plan(session, plan_id)
        content = content_of(plan)
        values = kpi_values(session, plan, dt.date.max)
        if json_output:
            body = {
                "id": plan.id,
                "account": plan.account.external_id,
                "title": plan.title,
                "version": plan.version,
                "content": content.model_dump(mode="json"),
            }
            print(json.dumps(body, indent=2))
            return
        console.print(
            f"{plan.title} · {plan.account.external_id} · version {plan.version} "
            f"· {plan.status}",
            markup=False,
        )
        table = Table(title="Goals and KPIs")
        for column in ("Goal", "KPI", "Baseline", "Current", "Target", "From", "Id"):
            table.add_column(column)
        for goal in content.goals:
            table.add_row(goal.title, "", "", "", "", "", goal.id)
            for kpi in goal.kpis:
                value = values[kpi.id]
                table.add_row(
                    "",
                    kpi.name,
                    _n(kpi.baseline),
                    _n(value.current),
                    _n(kpi.target),
                    value.source,
                    kpi.id,
                )
        console.print(table)
        for item in content.milestones:
            done = f"reached {item.done_on}" if item.done_on else "open"
            console.print(
                f"Milestone {item.title}: due {item.due_on}, {done} [{item.id}]",
                markup=False,
            )
        for item in content.responsibilities:
            state = "done" if item.done else f"due {item.due_on or '—'}"
            console.print(
                f"{item.party}: {item.owner} — {item.task} ({state}) [{item.id}]",
                markup=False,
            )


@app.command("change")
@handles_errors
def change(
    plan_id: int = typer.Argument(..., help="The plan's id."),
    change_json: str = typer.Argument(
        ...,
        metavar="CHANGE",
        help='One change as JSON, e.g. \'{"op": "add_goal", ...}\'',
    ),
    by: str = ACTOR,
) -> None:
    """Change a plan; the change is kept as a new version with who made it.

    Changes: add_goal, add_kpi, update_kpi, add_milestone, complete_milestone,
    add_responsibility, complete_responsibility, remove (docs/success-plans-and-qbr.md).

    Example: steward plan change 3 '{"op": "add_goal", "title": "Cut close time"}'
    """
    from steward.accounts.success_plans import change_plan, get_plan, parse_change

    parsed = parse_change(_parse_json(change_json, "CHANGE"))
    workspace = open_workspace()
    with workspace.store.session() as session:
        plan = change_plan(session, get_plan(session, plan_id), parsed, by)
        console.print(f"Plan {plan.id} is at version {plan.version}", markup=False)


@app.command("history")
@handles_errors
def history(plan_id: int = typer.Argument(..., help="The plan's id.")) -> None:
    """Every version of a plan: when, who, what changed.

    Example: steward plan history 3
    """
    from steward.accounts.success_plans import get_plan, plan_versions

    workspace = open_workspace()
    with workspace.store.session() as session:
        table = Table(title=f"Plan {plan_id}")
        for column in ("Version", "When (UTC)", "Who", "What"):
            table.add_column(column)
        for version in plan_versions(session, get_plan(session, plan_id)):
            when = f"{version.changed_at:%Y-%m-%d %H:%M}"
            table.add_row(
                str(version.version), when, version.changed_by, version.summary
            )
        console.print(table)


@app.command("link")
@handles_errors
def link(
    plan_id: int = typer.Argument(..., help="The plan's id."),
    label: str = typer.Option(..., help="Who the link is for, e.g. 'Dana, COO'."),
    days: int = typer.Option(30, help="Days until it expires (1-90)."),
    by: str = ACTOR,
) -> None:
    """Make a customer link to the plan; the address is shown once.

    Example: steward plan link 3 --label "Dana, COO" --days 30
    """
    from steward.accounts.plan_links import create_link

    workspace = open_workspace()
    with workspace.store.session() as session:
        made, secret = create_link(session, plan_id, label=label, days=days, actor=by)
        expires = made.expires_at
    base = workspace.settings.public_url.rstrip("/")
    console.print(f"{base}/p/{secret}", markup=False, soft_wrap=True)
    console.print(f"Link {made.id}, expires {expires:%Y-%m-%d %H:%M} UTC", markup=False)


@app.command("revoke")
@handles_errors
def revoke(
    link_id: int = typer.Argument(..., help="The link's id."), by: str = ACTOR
) -> None:
    """Stop a customer link working at once.

    Example: steward plan revoke 7
    """
    from steward.accounts.plan_links import revoke_link

    workspace = open_workspace()
    with workspace.store.session() as session:
        revoke_link(session, link_id, actor=by)
    console.print(f"Link {link_id} revoked", markup=False)


@handles_errors
def qbr(
    account: str = typer.Argument(..., help="The account's external id."),
    svr: bool = typer.Option(
        False, "--svr", help="Strategic Value Review: add ROI and the peer benchmark."
    ),
    out: Path = typer.Option(Path("."), "--out", help="Folder for the files."),
    as_of: str = typer.Option(None, "--as-of", help="Review day; default today."),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also render a PDF."),
    record: bool = typer.Option(
        False, "--record", help="Log this day as the review held with the customer."
    ),
) -> None:
    """Make the QBR deck (PowerPoint and PDF) for an account.

    The first slide sets each goal of the account's success plan beside its
    result since the last review held (see --record).

    Example: steward qbr A-2e4581 --svr --out decks/
    """
    from steward.reports.review import make_review

    day = parse_day(as_of) or dt.datetime.now(dt.UTC).date()
    workspace = open_workspace()
    files = make_review(
        workspace,
        account,
        as_of=day,
        out_dir=out,
        strategic=svr,
        pdf=pdf,
        record_held=record,
    )
    console.print(str(files.pptx), markup=False, soft_wrap=True)
    if files.pdf is not None:
        console.print(str(files.pdf), markup=False, soft_wrap=True)


def _read_json(path: Path) -> object:
    from steward.errors import InputInvalid

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputInvalid(f"{path}: not a readable JSON file: {error}") from None


def _parse_json(text: str, what: str) -> object:
    from steward.errors import InputInvalid

    try:
        return json.loads(text)
    except ValueError as error:
        raise InputInvalid(f"{what}: not JSON: {error}") from None


def _n(value: float | None) -> str:
    return "" if value is None else f"{value:,.4g}"
