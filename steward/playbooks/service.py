"""Read models and small writes for playbooks, shared by the CLI, web and API."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steward.errors import AccountNotFound, PlaybookInvalid, StewardError
from steward.playbooks.model import Playbook, load_playbook, playbook_paths
from steward.playbooks.triggers_model import Trigger
from steward.store.automation import Incident, PlaybookRun
from steward.store.models import Account, AuditEntry


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


def list_playbooks(folder: Path, session: Session) -> list[PlaybookSummary]:
    """Every playbook file of the folder, valid or not, with its run counts."""
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
        try:
            playbook: Playbook | None = load_playbook(path)
            problem = None
        except PlaybookInvalid as error:
            playbook, problem = None, str(error)
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
            )
        )
    return summaries


def playbook_runs(
    session: Session,
    *,
    playbook: str | None = None,
    account_external_id: str | None = None,
    limit: int = 100,
) -> list[PlaybookRun]:
    """Logged runs, newest first."""
    query = select(PlaybookRun).outerjoin(PlaybookRun.account)
    if playbook:
        query = query.where(PlaybookRun.playbook == playbook)
    if account_external_id:
        query = query.where(Account.external_id == account_external_id)
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
