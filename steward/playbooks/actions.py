"""Planning a firing's actions: rendered text, due dates, keys. Pure logic.

The plan is a list of effects; :mod:`steward.jobs.effects` writes them to the
store in the daily run's transaction, and a dry run only counts them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dateutil.relativedelta import relativedelta

from steward.journeys.calendar import BusinessCalendar
from steward.notify.templates import EmailTemplates, render
from steward.playbooks import actions_model as am
from steward.playbooks.model import Playbook
from steward.playbooks.state import AccountState, ContactInfo
from steward.playbooks.triggers import Occurrence

PEOPLE = ("csm", "ae")


@dataclass(frozen=True)
class Effect:
    type: str
    index: int
    key: str
    hours: float | None


@dataclass(frozen=True)
class TaskEffect(Effect):
    kind: str
    title: str
    body: str
    assignee: str
    due_on: dt.date
    priority: str


@dataclass(frozen=True)
class EmailEffect(Effect):
    address: str
    subject: str
    text: str
    html: str | None
    unsubscribe_url: str


@dataclass(frozen=True)
class SlackEffect(Effect):
    channel: str
    text: str


@dataclass(frozen=True)
class WebhookEffect(Effect):
    endpoint: str
    body: dict[str, Any]


@dataclass(frozen=True)
class ChangeEffect(Effect):
    """A tag added or removed, a stage set, a sequence enrolled in or stopped."""

    change: str
    value: str


@dataclass(frozen=True)
class NoteEffect(Effect):
    text: str


@dataclass(frozen=True)
class Skipped(Effect):
    reason: str


@dataclass
class PlanContext:
    as_of: dt.date
    calendar: BusinessCalendar
    emails: EmailTemplates
    unsubscribe_url: Callable[[str], str]
    accounts: list[dict[str, Any]] = field(default_factory=list)


def due_date(
    due: am.Due,
    occurrence: Occurrence,
    as_of: dt.date,
    calendar: BusinessCalendar,
    multiple: int = 1,
) -> dt.date:
    """The due day of a task; calendar spans roll forward to a business day."""
    base = {"fired": as_of, "event": occurrence.event_on, "start": occurrence.start_on}
    start = base[due.from_] or as_of
    if due.business_days is not None:
        return calendar.add(start, due.business_days * multiple)
    if due.days is not None:
        return calendar.add(start + dt.timedelta(days=due.days * multiple), 0)
    return calendar.add(start + relativedelta(months=(due.months or 0) * multiple), 0)


def context_for(
    playbook: Playbook,
    state: AccountState | None,
    occurrence: Occurrence,
    trigger_kind: str,
    ctx: PlanContext,
) -> dict[str, Any]:
    """What templates can name: account, trigger, params, csm, ae, today, accounts."""
    people = {
        "csm": _person(state.csm) if state else None,
        "ae": _person(state.ae) if state else None,
    }
    return {
        "account": state.template_view() if state else None,
        "trigger": {"kind": trigger_kind, **occurrence.facts},
        "params": playbook.params,
        "playbook": {"name": playbook.name, "description": playbook.description},
        "today": ctx.as_of,
        "accounts": ctx.accounts,
        **people,
    }


def _person(person: Any) -> dict[str, str] | None:
    return None if person is None else {"name": person.name, "email": person.email}


def plan(
    playbook: Playbook,
    state: AccountState | None,
    occurrence: Occurrence,
    run_key: str,
    ctx: PlanContext,
) -> list[Effect]:
    """Every action of the playbook for one firing, in file order."""
    context = context_for(playbook, state, occurrence, playbook.trigger.kind, ctx)
    effects: list[Effect] = []
    for index, action in enumerate(playbook.actions):
        misses = occurrence.facts.get("consecutive_misses", 0)
        if action.when and misses < action.when.min_consecutive_misses:
            reason = (
                f"when: min_consecutive_misses {action.when.min_consecutive_misses} "
                f"not met ({misses})"
            )
            effects.append(Skipped(action.type, index, "", 0.0, reason))
            continue
        planner = _PLANNERS[action.type]
        effects.extend(planner(action, index, state, occurrence, run_key, context, ctx))
    return effects


def _task(
    action: am.TaskAction | am.EscalateAction,
    index: int,
    state: AccountState | None,
    occurrence: Occurrence,
    run_key: str,
    context: dict[str, Any],
    ctx: PlanContext,
) -> list[Effect]:
    escalate = isinstance(action, am.EscalateAction)
    times = 1 if escalate or action.repeat is None else action.repeat.times
    effects: list[Effect] = []
    for k in range(1, times + 1):
        view = {**context, "repeat": {"index": k, "times": times}}
        key = f"playbook:{run_key}:{index}" + (f":{k}" if times > 1 else "")
        if action.journey_alert and state is not None:
            alert = "escalation" if escalate else "missed"
            facts = occurrence.facts
            key = (
                f"journey:{facts['journey']}:{state.id}:"
                f"{occurrence.start_on.isoformat()}:{alert}:{facts['milestone']}"
            )
        effects.append(
            TaskEffect(
                type=action.type,
                index=index,
                key=key,
                hours=action.hours,
                kind="escalation" if escalate else action.kind,
                title=render(action.title, view),
                body=render(action.body, view),
                assignee="manager" if escalate else action.assignee,
                due_on=due_date(action.due, occurrence, ctx.as_of, ctx.calendar, k),
                priority=action.priority,
            )
        )
    return effects


def _email(
    action: am.EmailAction,
    index: int,
    state: AccountState | None,
    occurrence: Occurrence,
    run_key: str,
    context: dict[str, Any],
    ctx: PlanContext,
) -> list[Effect]:
    template = ctx.emails.get(action.template)
    recipients = _recipients(action.to, state)
    if not recipients:
        reason = f"no recipient: no {' or '.join(action.to)} with an email address"
        return [Skipped(action.type, index, "", action.hours, reason)]
    effects: list[Effect] = []
    for address, contact in recipients:
        unsubscribe = ctx.unsubscribe_url(address)
        view = {**context, "contact": contact, "unsubscribe_url": unsubscribe}
        effects.append(
            EmailEffect(
                type="email",
                index=index,
                key=f"{run_key}:{index}:{address.casefold()}",
                hours=action.hours,
                address=address,
                subject=render(template.subject, view),
                text=render(template.text, view),
                html=render(template.html, view, html=True) if template.html else None,
                unsubscribe_url=unsubscribe,
            )
        )
    return effects


def _recipients(
    wanted: list[str], state: AccountState | None
) -> list[tuple[str, dict[str, Any]]]:
    """(address, contact view) per recipient, each address once, in order."""
    found: dict[str, dict[str, Any]] = {}
    for entry in wanted:
        if "@" in entry:
            found.setdefault(entry.casefold(), _contact_view(None, entry, None))
        elif entry in PEOPLE and state is not None:
            person = state.csm if entry == "csm" else state.ae
            if person is not None:
                view = _contact_view(person.name, person.email, entry)
                found.setdefault(person.email.casefold(), view)
        elif state is not None:
            for contact in state.contacts:
                if (contact.role or "").casefold() == entry.casefold():
                    found.setdefault(contact.email.casefold(), _view(contact))
    return [(view["email"], view) for view in found.values()]


def _view(contact: ContactInfo) -> dict[str, Any]:
    return {
        "name": contact.name,
        "first_name": contact.first_name,
        "email": contact.email,
        "role": contact.role,
        "title": contact.title,
    }


def _contact_view(name: str | None, email: str, role: str | None) -> dict[str, Any]:
    return _view(ContactInfo(name=name, email=email, role=role, title=None))


def _slack(action, index, state, occurrence, run_key, context, ctx) -> list[Effect]:
    text = render(action.text, context)
    key = f"{run_key}:{index}"
    return [SlackEffect("slack", index, key, action.hours, action.channel, text)]


def _webhook(action, index, state, occurrence, run_key, context, ctx) -> list[Effect]:
    body = {
        "event": action.event,
        "playbook": context["playbook"]["name"],
        "occurrence": run_key,
        "as_of": ctx.as_of.isoformat(),
        "account": state.inputs() if state else None,
        "trigger": context["trigger"],
    }
    key = f"{run_key}:{index}"
    return [WebhookEffect("webhook", index, key, action.hours, action.endpoint, body)]


def _tag(action, index, state, occurrence, run_key, context, ctx) -> list[Effect]:
    change, tag = ("add", action.add) if action.add else ("remove", action.remove)
    return [ChangeEffect("tag", index, "", action.hours, change, tag)]


def _stage(action, index, state, occurrence, run_key, context, ctx) -> list[Effect]:
    return [ChangeEffect("stage", index, "", action.hours, "set", action.to)]


def _sequence(action, index, state, occurrence, run_key, context, ctx) -> list[Effect]:
    change = "enrol" if action.enrol else "stop"
    name = action.enrol or action.stop
    key = f"{run_key}:{index}"
    return [ChangeEffect("sequence", index, key, action.hours, change, name)]


def _timeline(action, index, state, occurrence, run_key, context, ctx) -> list[Effect]:
    text = render(action.text, context)
    return [NoteEffect("timeline", index, "", action.hours, text)]


_PLANNERS: dict[str, Callable[..., list[Effect]]] = {
    "task": _task,
    "escalate": _task,
    "email": _email,
    "slack": _slack,
    "webhook": _webhook,
    "tag": _tag,
    "stage": _stage,
    "sequence": _sequence,
    "timeline": _timeline,
}
