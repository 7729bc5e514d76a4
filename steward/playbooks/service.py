"""Read models and small writes for playbooks, shared by the CLI, web and API."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steward.auth.permissions import book_of
from steward.errors import (
    AccountNotFound,
    PlaybookInvalid,
    PlaybookNotFound,
    StewardError,
)
from steward.playbooks.model import BUILT_IN, Playbook, load_playbook, playbook_paths
from steward.playbooks.triggers_model import Trigger
from steward.store.automation import Incident, PlaybookRun
from steward.store.models import Account, AuditEntry, User

if TYPE_CHECKING:
    from steward.workspace import Workspace

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


@dataclass(frozen=True)
class PlaybookSummary:
    name: str
    file: Path
    description: str
    enabled: bool
    trigger: str
    actions: tuple[str, ...]
    problem: str | None
    runs: int
    last_fired: dt.date | None
    # "built-in" (as shipped), "built-in, edited" or "team" (the team's own).
    origin: str = "team"


def describe_trigger(trigger: Trigger) -> str:
    """The trigger in a few words, for lists."""
    kind = trigger.kind
    if kind == "milestone_overdue":
        which = ", ".join(trigger.milestones or []) or "any milestone"
        journey = trigger.journey or "any journey"
        return (
            f"{which} of {journey} more than {trigger.more_than_business_days} "
            "business days late"
        )
    if kind == "score_crosses":
        side = (
            f"below {trigger.below:g}"
            if trigger.below is not None
            else f"to {trigger.at_least:g} or more"
        )
        return f"{trigger.score} score crosses {side}"
    if kind == "band_changes":
        to = "/".join(trigger.to or []) or "any band"
        return f"health band changes to {to}"
    if kind == "renewal_within":
        return f"renewal within {trigger.days} days"
    if kind == "nps_detractor":
        return f"NPS answer of {trigger.at_most} or less"
    if kind == "incident":
        return f"incident recorded ({', '.join(trigger.kinds or ['any kind'])})"
    if kind == "tag":
        change = "added" if trigger.added else "removed"
        return f"tag {trigger.added or trigger.removed} {change}"
    if kind == "schedule":
        when = "every day" if trigger.every == "day" else f"every {trigger.weekday}"
        return f"{when}, per {trigger.per}"
    if kind == "onboarding_day":
        return f"day {trigger.day} after the account's start"
    return f"{trigger.band} for {trigger.months} months" + (
        f" since the {trigger.counting_from_tag} tag"
        if trigger.counting_from_tag
        else ""
    )


def check_folders(workspace: Workspace) -> tuple[Path, Path, Path]:
    """The email, sequence and journey folders a check reads.

    Emails and sequences fall back to the built-in ones when the team has no
    folder; journeys do not, because the daily run reads only the team's.
    """
    from steward.notify import sequences, templates

    emails, flows = workspace.emails_dir, workspace.sequences_dir
    return (
        emails if emails.is_dir() else templates.BUILT_IN,
        flows if flows.is_dir() else sequences.BUILT_IN,
        workspace.journeys_dir,
    )


def origin_of(path: Path) -> str:
    """Whether a playbook file is a built-in one as shipped, edited, or the team's."""
    shipped = BUILT_IN / path.name
    if not shipped.is_file():
        return "team"
    same = shipped.read_bytes() == Path(path).read_bytes()
    return "built-in" if same else "built-in, edited"


def list_playbooks(
    folder: Path,
    session: Session,
    *,
    emails_dir: Path | None = None,
    sequences_dir: Path | None = None,
    journeys_dir: Path | None = None,
) -> list[PlaybookSummary]:
    """Every playbook file of the folder, valid or not, with its run counts.

    With the email, sequence and journey folders, validity is that of
    ``steward playbook check`` (templates rendered, sequences and journeys
    found); without, that of the file alone.
    """
    from steward.playbooks.check import check_playbook

    counts = {
        name: (runs, last)
        for name, runs, last in session.execute(
            select(
                PlaybookRun.playbook,
                func.count(PlaybookRun.id),
                func.max(PlaybookRun.as_of),
            ).group_by(PlaybookRun.playbook)
        ).all()
    }
    summaries = []
    for path in playbook_paths(folder):
        playbook: Playbook | None = None
        problem = None
        try:
            playbook = load_playbook(path)
            if emails_dir and sequences_dir and journeys_dir:
                check_playbook(path, emails_dir, sequences_dir, journeys_dir)
        except PlaybookInvalid as error:
            problem = str(error)
        name = playbook.name if playbook else path.stem
        runs, last = counts.get(name, (0, None))
        summaries.append(
            PlaybookSummary(
                name=name,
                file=path,
                description=playbook.description.strip() if playbook else "",
                enabled=bool(playbook and playbook.enabled),
                trigger=describe_trigger(playbook.trigger) if playbook else "",
                actions=tuple(a.type for a in playbook.actions) if playbook else (),
                problem=problem,
                runs=runs,
                last_fired=last,
                origin=origin_of(path),
            )
        )
    return summaries


def named_playbook(
    folder: Path, name: str, shown: str = "config/playbooks"
) -> tuple[Playbook, Path]:
    """The playbook called ``name`` in the config folder; never a path elsewhere.

    A broken file in the folder is passed over unless it is the one asked for.
    ``shown`` is how the error names the folder.
    """
    known = []
    for path in playbook_paths(folder) if NAME.match(name) else []:
        try:
            playbook = load_playbook(path)
        except PlaybookInvalid:
            if path.stem == name:
                raise
            known.append(path.stem)
            continue
        if playbook.name == name:
            return playbook, path
        known.append(playbook.name)
    raise PlaybookNotFound(
        f"no playbook named {name!r} in {shown}; known: "
        f"{', '.join(known) or 'none (run steward init)'}"
    )


def playbook_runs(
    session: Session,
    *,
    playbook: str | None = None,
    account_external_id: str | None = None,
    limit: int = 100,
    viewer: User | None = None,
) -> list[PlaybookRun]:
    """Logged runs, newest first; a CSM viewer sees the runs on their book."""
    query = select(PlaybookRun).outerjoin(PlaybookRun.account)
    if playbook:
        query = query.where(PlaybookRun.playbook == playbook)
    if account_external_id:
        query = query.where(Account.external_id == account_external_id)
    csm = book_of(viewer) if viewer is not None else None
    if csm is not None:
        query = query.where(Account.csm_id == csm)
    query = query.order_by(PlaybookRun.as_of.desc(), PlaybookRun.id.desc()).limit(limit)
    return list(session.scalars(query))


def record_incident(
    session: Session,
    *,
    account_external_id: str,
    kind: str,
    occurred_on: dt.date,
    actor: str,
    summary: str | None = None,
    severity: str | None = None,
    external_id: str | None = None,
) -> Incident:
    """Record an incident; the next daily run starts the recovery playbook.

    With an ``external_id`` already recorded, the incident is returned as it
    is (recording the same incident twice changes nothing).
    """
    account = session.scalar(
        select(Account).where(Account.external_id == account_external_id)
    )
    if account is None:
        raise AccountNotFound(
            f"no account with id {account_external_id!r}; `steward accounts` lists them"
        )
    kind = "_".join(kind.strip().casefold().split())
    if not kind:
        raise StewardError(
            "an incident needs a kind, e.g. outage or executive_complaint"
        )
    if external_id:
        known = session.scalar(
            select(Incident).where(Incident.external_id == external_id)
        )
        if known is not None:
            return known
    incident = Incident(
        external_id=external_id or f"INC-{uuid.uuid4().hex[:10]}",
        account_id=account.id,
        kind=kind,
        severity=severity,
        occurred_on=occurred_on,
        summary=summary,
        recorded_by=actor,
    )
    session.add(incident)
    session.flush()
    session.add(
        AuditEntry(
            actor=actor,
            action="incident.recorded",
            entity="account",
            entity_id=account.external_id,
            detail={"incident": incident.external_id, "kind": kind},
        )
    )
    return incident
