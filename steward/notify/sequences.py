"""Email sequences: timed steps to an account's contacts, until a reason to stop.

A sequence file (``config/sequences/NAME.yaml``) names who receives it (contact
roles), its steps (an email template and the days to wait before it), a goal
that ends it early, and whether a reply ends it. Unsubscribed addresses are
never written to. Accounts are enrolled by a playbook's ``sequence`` action.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steward.config_file import read_mapping
from steward.errors import PlaybookInvalid
from steward.ingest.targets import CONTACT_ROLES
from steward.notify.outbox import enqueue
from steward.notify.templates import EmailTemplates, render
from steward.playbooks.state import AccountState
from steward.playbooks.triggers_model import Band
from steward.store.automation import EmailEvent, OutboxMessage, SequenceEnrolment

BUILT_IN = Path(__file__).with_name("sequences")


class Goal(BaseModel):
    """Reached when a metric gets to a value, a milestone is reached, or the
    health score is back in one of the bands named."""

    model_config = ConfigDict(extra="forbid")

    metric: str | None = None
    at_least: float | None = None
    milestone: str | None = None
    band: list[Band] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_goal(self) -> Goal:
        by_metric = self.metric is not None and self.at_least is not None
        given = [by_metric, self.milestone is not None, self.band is not None]
        if sum(given) != 1:
            raise ValueError("give metric with at_least, or milestone, or band")
        return self


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")

    wait_days: int = Field(ge=0, description="after enrolment or the previous step")
    template: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


class Sequence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    description: str = ""
    to: list[str] = Field(min_length=1)
    coverage: list[str] | None = None
    stop_on_reply: bool = True
    goal: Goal | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    steps: list[Step] = Field(min_length=1)

    @field_validator("to")
    @classmethod
    def _contact_roles(cls, value: list[str]) -> list[str]:
        for role in value:
            if role.casefold() not in CONTACT_ROLES:
                raise ValueError(
                    f"unknown contact role {role!r}; a sequence goes to "
                    f"{', '.join(CONTACT_ROLES)}"
                )
        return value


def load_sequence(path: Path) -> Sequence:
    raw = read_mapping(path, PlaybookInvalid, "sequence file", Sequence)
    try:
        return Sequence.model_validate(raw)
    except ValidationError as error:
        from steward.playbooks.model import describe

        raise PlaybookInvalid(f"{path}: {describe(error)}") from error


def load_sequences(folder: Path) -> dict[str, Sequence]:
    sequences = {}
    for path in sorted(Path(folder).glob("*.yaml")):
        sequence = load_sequence(path)
        sequences[sequence.name] = sequence
    return sequences


def goal_reached(goal: Goal | None, state: AccountState) -> str | None:
    """Why the goal counts as reached, or None."""
    if goal is None:
        return None
    if goal.band is not None:
        if state.band in goal.band:
            return f"goal reached: health band {state.band}"
        return None
    if goal.metric is not None:
        value = state.metrics.get(goal.metric)
        if value is not None and value >= (goal.at_least or 0):
            return f"goal reached: {goal.metric} {value:g} >= {goal.at_least:g}"
        return None
    for fact in state.milestones:
        if fact.key == goal.milestone and fact.achieved_on is not None:
            return f"goal reached: {fact.title} on {fact.achieved_on}"
    return None


def enrol(
    session: Session,
    sequence: Sequence,
    state: AccountState,
    as_of: dt.date,
    key: str,
    actor: str,
) -> str:
    """Enrol the account unless it is enrolled already; returns what happened."""
    allowed = {item.casefold() for item in sequence.coverage or []}
    if allowed and (state.coverage or "").casefold() not in allowed:
        return (
            f"skipped: coverage {state.coverage or '(none)'} is not one of "
            f"{', '.join(sequence.coverage or [])}"
        )
    active = session.scalar(
        select(SequenceEnrolment.id).where(
            SequenceEnrolment.account_id == state.id,
            SequenceEnrolment.sequence == sequence.name,
            SequenceEnrolment.status == "active",
        )
    )
    if active is not None:
        return f"already enrolled (enrolment {active})"
    enrolment = SequenceEnrolment(
        occurrence_key=key,
        account_id=state.id,
        sequence=sequence.name,
        status="active",
        enrolled_on=as_of,
        next_step=0,
        next_due_on=as_of + dt.timedelta(days=sequence.steps[0].wait_days),
        enrolled_by=actor,
    )
    session.add(enrolment)
    session.flush()
    return f"enrolled (enrolment {enrolment.id})"


def stop(session: Session, account_id: int, name: str, as_of: dt.date, why: str) -> str:
    rows = session.scalars(
        select(SequenceEnrolment).where(
            SequenceEnrolment.account_id == account_id,
            SequenceEnrolment.sequence == name,
            SequenceEnrolment.status == "active",
        )
    ).all()
    for row in rows:
        _end(row, "stopped", as_of, why)
    return f"stopped {len(rows)} enrolment(s)" if rows else "not enrolled"


def _end(row: SequenceEnrolment, status: str, as_of: dt.date, why: str) -> None:
    row.status = status
    row.stopped_on = as_of
    row.stop_reason = why[:200]
    row.next_due_on = None


@dataclass
class SequenceReport:
    emails: int = 0
    completed: int = 0
    stopped: int = 0
    notes: list[str] = field(default_factory=list)


def advance(
    session: Session,
    sequences: Mapping[str, Sequence],
    states: Mapping[int, AccountState],
    as_of: dt.date,
    emails: EmailTemplates,
    unsubscribe_url: Callable[[str], str],
) -> SequenceReport:
    """Stop what should stop, then send every step due on ``as_of``."""
    report = SequenceReport()
    active = session.scalars(
        select(SequenceEnrolment)
        .where(SequenceEnrolment.status == "active")
        .order_by(SequenceEnrolment.id)
    ).all()
    replies = _replies(session, [row.id for row in active])
    blocked = _unsubscribed(session)
    for row in active:
        sequence = sequences.get(row.sequence)
        state = states.get(row.account_id)
        if sequence is None or state is None:
            # A deleted sequence file, or an account no longer live: wait.
            continue
        why = _why_stop(sequence, state, row, replies)
        if why is not None:
            status = "completed" if why.startswith("goal") else "stopped"
            _end(row, status, as_of, why)
            setattr(report, status, getattr(report, status) + 1)
            continue
        if row.next_due_on is None or row.next_due_on > as_of:
            continue
        sent = _send_step(
            session, sequence, state, row, blocked, emails, unsubscribe_url
        )
        if sent is None:
            _end(row, "stopped", as_of, "no recipient left (none, or unsubscribed)")
            report.stopped += 1
            continue
        report.emails += sent
        row.next_step += 1
        if row.next_step >= len(sequence.steps):
            _end(row, "completed", as_of, "all steps sent")
            report.completed += 1
        else:
            wait = sequence.steps[row.next_step].wait_days
            row.next_due_on = as_of + dt.timedelta(days=wait)
    return report


def _why_stop(
    sequence: Sequence,
    state: AccountState,
    row: SequenceEnrolment,
    replies: Mapping[int, tuple[str, dt.date]],
) -> str | None:
    reached = goal_reached(sequence.goal, state)
    if reached is not None:
        return reached
    if sequence.stop_on_reply and row.id in replies:
        address, day = replies[row.id]
        return f"reply from {address} on {day.isoformat()}"
    return None


def _send_step(
    session: Session,
    sequence: Sequence,
    state: AccountState,
    row: SequenceEnrolment,
    blocked: set[str],
    emails: EmailTemplates,
    unsubscribe_url: Callable[[str], str],
) -> int | None:
    """Queue the step's emails; None when nobody may receive them."""
    wanted = {role.casefold() for role in sequence.to}
    contacts = [
        contact
        for contact in state.contacts
        if (contact.role or "").casefold() in wanted
        and contact.email.casefold() not in blocked
    ]
    if not contacts:
        return None
    step = sequence.steps[row.next_step]
    template = emails.get(step.template)
    for contact in contacts:
        link = unsubscribe_url(contact.email)
        context = {
            "account": state.template_view(),
            "contact": {
                "name": contact.name,
                "first_name": contact.first_name,
                "email": contact.email,
                "role": contact.role,
                "title": contact.title,
            },
            "csm": None
            if state.csm is None
            else {"name": state.csm.name, "email": state.csm.email},
            "params": sequence.params,
            "step": {"number": row.next_step + 1, "of": len(sequence.steps)},
            "unsubscribe_url": link,
            "trigger": {},
            "today": row.next_due_on,
        }
        enqueue(
            session,
            key=f"sequence:{row.id}:{row.next_step}:{contact.email.casefold()}",
            channel="email",
            target=contact.email,
            subject=render(template.subject, context),
            payload={
                "text": render(template.text, context),
                "html": render(template.html, context, html=True)
                if template.html
                else None,
                "unsubscribe_url": link,
            },
            account_id=state.id,
            enrolment_id=row.id,
        )
    return len(contacts)


def _replies(session: Session, enrolments: list[int]) -> dict[int, tuple[str, dt.date]]:
    """Per enrolment, the first reply from an address it wrote to."""
    if not enrolments:
        return {}
    rows = session.execute(
        select(
            OutboxMessage.enrolment_id,
            EmailEvent.address,
            EmailEvent.occurred_on,
            SequenceEnrolment.enrolled_on,
        )
        .join(EmailEvent, EmailEvent.address == func.lower(OutboxMessage.target))
        .join(SequenceEnrolment, SequenceEnrolment.id == OutboxMessage.enrolment_id)
        .where(
            OutboxMessage.enrolment_id.in_(enrolments),
            EmailEvent.kind == "reply",
        )
        .order_by(EmailEvent.occurred_on)
    ).all()
    found: dict[int, tuple[str, dt.date]] = {}
    for enrolment_id, address, day, enrolled_on in rows:
        if day >= enrolled_on:
            found.setdefault(enrolment_id, (address, day))
    return found


def _unsubscribed(session: Session) -> set[str]:
    return set(
        session.scalars(
            select(EmailEvent.address).where(EmailEvent.kind == "unsubscribe")
        )
    )
