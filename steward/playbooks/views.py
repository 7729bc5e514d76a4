"""What the web app and the API show of playbooks: details, runs and dry runs.

Read models over the service functions the CLI uses; nothing here knows of
HTTP. A CSM sees the runs and dry-run firings of the accounts they own; the
weekly figures of a dry run are the whole book's for everyone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.auth.permissions import book_of
from steward.errors import InputInvalid
from steward.jobs.replay import MAX_WEEKS, dry_run
from steward.playbooks import actions_model as am
from steward.playbooks.dryrun import COLUMNS, DryRun, Fired, column_counts
from steward.playbooks.model import Playbook
from steward.playbooks.service import (
    PlaybookSummary,
    check_folders,
    list_playbooks,
    named_playbook,
    playbook_runs,
)
from steward.store.automation import PlaybookRun
from steward.store.models import Account, User
from steward.workspace import Workspace

# Dry-run days are bounded so date arithmetic and holiday calendars stay sane.
EARLIEST = dt.date(1990, 1, 1)
LATEST = dt.date(2100, 12, 31)
DEFAULT_WEEKS = 13


@dataclass(frozen=True)
class RunView:
    """One logged firing: what the playbook saw and what each action did."""

    id: int
    as_of: dt.date
    playbook: str
    account: str | None
    account_name: str | None
    trigger: str
    occurrence: str
    actor: str
    inputs: dict[str, Any]
    actions: list[dict[str, Any]]


@dataclass(frozen=True)
class PlaybookDetail:
    summary: PlaybookSummary
    source: str
    conditions: dict[str, Any]
    steps: list[str]
    runs: list[RunView]


def catalogue(workspace: Workspace, session: Session) -> list[PlaybookSummary]:
    """Every playbook file, with the verdict of ``steward playbook check``.

    Problems name files from the config folder (``config/emails/...``), not
    by the server's absolute paths.
    """
    emails, flows, journeys = check_folders(workspace)
    found = list_playbooks(
        workspace.playbooks_dir,
        session,
        emails_dir=emails,
        sequences_dir=flows,
        journeys_dir=journeys,
    )
    home = f"{workspace.config_dir}{os.sep}"
    return [
        dataclasses.replace(s, problem=s.problem.replace(home, "config/"))
        if s.problem
        else s
        for s in found
    ]


def summary_of(workspace: Workspace, session: Session, name: str) -> PlaybookSummary:
    playbook, path = named_playbook(workspace.playbooks_dir, name)
    for summary in catalogue(workspace, session):
        if summary.file == path:
            return summary
    raise AssertionError(f"{path} was found but not listed")  # pragma: no cover


def playbook_detail(
    workspace: Workspace,
    session: Session,
    name: str,
    viewer: User,
    limit: int = 50,
) -> PlaybookDetail:
    """A playbook's file, what it does in words, and its recent runs."""
    playbook, path = named_playbook(workspace.playbooks_dir, name)
    summary = summary_of(workspace, session, name)
    runs = playbook_runs(session, playbook=playbook.name, limit=limit, viewer=viewer)
    return PlaybookDetail(
        summary=summary,
        source=path.read_text(encoding="utf-8"),
        conditions=playbook.conditions.model_dump(
            exclude_none=True, exclude_defaults=True
        ),
        steps=[describe_action(action) for action in playbook.actions],
        runs=[run_view(run) for run in runs],
    )


def runs_of(
    session: Session,
    viewer: User,
    *,
    playbook: str | None = None,
    account: str | None = None,
    limit: int = 100,
) -> list[RunView]:
    rows = playbook_runs(
        session,
        playbook=playbook,
        account_external_id=account,
        limit=limit,
        viewer=viewer,
    )
    return [run_view(run) for run in rows]


def run_view(run: PlaybookRun) -> RunView:
    return RunView(
        id=run.id,
        as_of=run.as_of,
        playbook=run.playbook,
        account=run.account.external_id if run.account else None,
        account_name=run.account.name if run.account else None,
        trigger=run.trigger,
        occurrence=run.occurrence_key,
        actor=run.actor,
        inputs=dict(run.inputs or {}),
        actions=list(run.actions or []),
    )


def describe_action(action: Any) -> str:
    """An action in a few words, for the detail page."""
    when = (
        f" (from {action.when.min_consecutive_misses} misses in a row)"
        if action.when
        else ""
    )
    if isinstance(action, am.TaskAction):
        repeat = f", {action.repeat.times} times" if action.repeat else ""
        return f"task for the {action.assignee}{repeat}: {action.title}{when}"
    if isinstance(action, am.EscalateAction):
        return f"escalate to the CS manager: {action.title}{when}"
    if isinstance(action, am.EmailAction):
        return f"email {action.template} to {', '.join(action.to)}{when}"
    if isinstance(action, am.SlackAction):
        return f"Slack to {action.channel}: {action.text}{when}"
    if isinstance(action, am.WebhookAction):
        return f"webhook {action.event} to {action.endpoint}{when}"
    if isinstance(action, am.TagAction):
        change = f"add {action.add}" if action.add else f"remove {action.remove}"
        return f"tag: {change}{when}"
    if isinstance(action, am.StageAction):
        return f"lifecycle stage to {action.to}{when}"
    if isinstance(action, am.SequenceAction):
        change = f"enrol in {action.enrol}" if action.enrol else f"stop {action.stop}"
        return f"email sequence: {change}{when}"
    return f"timeline: {action.text}{when}"


def dry_run_window(
    start: dt.date | None, end: dt.date | None, latest: dt.date
) -> tuple[dt.date, dt.date]:
    """The days a dry run covers: as asked, else the 13 weeks up to ``latest``."""
    end = end or latest
    start = start or end - dt.timedelta(weeks=DEFAULT_WEEKS) + dt.timedelta(days=1)
    for value, field in ((start, "from"), (end, "to")):
        if not EARLIEST <= value <= LATEST:
            raise InputInvalid(
                f"{field}: {value} is outside {EARLIEST} to {LATEST}", field=field
            )
    return start, end


@dataclass(frozen=True)
class DryRunView:
    playbook: str
    start: dt.date
    end: dt.date
    weeks: list[dict[str, Any]]
    totals: dict[str, Any]
    notes: list[str]
    firings: list[Fired]
    hidden_firings: int


def replay_playbook(
    workspace: Workspace,
    session: Session,
    name: str,
    start: dt.date,
    end: dt.date,
    viewer: User,
) -> DryRunView:
    """Dry-run ``name`` over the stored history; firings limited to what the
    viewer may see, the weekly figures for the whole book."""
    playbook: Playbook = named_playbook(workspace.playbooks_dir, name)[0]
    if (end - start).days // 7 + 1 > MAX_WEEKS:
        raise InputInvalid(
            f"{start} to {end} is more than {MAX_WEEKS} weeks; shorten the range",
            field="to",
        )
    result = dry_run(workspace, playbook, start, end)
    visible = _visible_firings(session, result, viewer)
    return DryRunView(
        playbook=result.playbook,
        start=start,
        end=end,
        weeks=[week_row(week) for week in result.weeks],
        totals=_totals(result),
        notes=result.notes,
        firings=visible,
        hidden_firings=len(result.firings) - len(visible),
    )


def week_row(week: Any) -> dict[str, Any]:
    return {
        "week_ending": week.ending,
        "fired": week.fired,
        "accounts": week.accounts,
        **column_counts(week),
        "csm_hours": week.hours,
    }


def _totals(result: DryRun) -> dict[str, Any]:
    counts = result.totals()
    return {
        "fired": result.total_fired,
        **{column: sum(counts[k] for k in kinds) for column, kinds in COLUMNS.items()},
        "csm_hours": result.total_hours,
    }


def _visible_firings(session: Session, result: DryRun, viewer: User) -> list[Fired]:
    csm = book_of(viewer)
    if csm is None:
        return list(result.firings)
    mine = set(
        session.scalars(select(Account.external_id).where(Account.csm_id == csm))
    )
    return [fired for fired in result.firings if fired.account in mine]
