"""The engine: which playbooks fire on a day, and what each firing plans. Pure.

Takes the day's account states and the occurrence keys already fired;
returns firings with their planned effects. Writing them is the daily run's
job (:mod:`steward.jobs.playbooks`); a dry run only counts them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from steward.journeys.calendar import calendar_for
from steward.notify.templates import EmailTemplates
from steward.playbooks.actions import Effect, PlanContext, plan
from steward.playbooks.conditions import failed_condition
from steward.playbooks.model import Playbook
from steward.playbooks.state import AccountState
from steward.playbooks.triggers import Occurrence, occurrences, schedule_due


@dataclass(frozen=True)
class Firing:
    playbook: Playbook
    key: str
    state: AccountState | None
    occurrence: Occurrence
    effects: list[Effect]
    # Portfolio firings: the accounts the conditions picked.
    accounts: tuple[str, ...] = ()


# Given candidate occurrence keys, the ones that have fired before.
Known = Callable[[Sequence[str]], set[str]]


@dataclass
class Tools:
    """What planning needs besides the states: templates and unsubscribe links."""

    emails: EmailTemplates
    unsubscribe_url: Callable[[str], str]


def evaluate(
    playbook: Playbook,
    states: Iterable[AccountState],
    as_of: dt.date,
    known: Known,
    tools: Tools,
) -> list[Firing]:
    """The playbook's new firings on ``as_of``: trigger first, then conditions.

    ``known`` is asked once, with every candidate key, which have fired before.
    """
    trigger = playbook.trigger
    if trigger.kind == "schedule" and trigger.per == "portfolio":
        return _portfolio(playbook, states, as_of, known, tools)
    if trigger.kind == "schedule" and schedule_due(trigger, as_of) is None:
        return []
    candidates = []
    for state in states:
        calendar = calendar_for(state.country)
        found = occurrences(trigger, state, as_of, calendar)
        if not found:
            continue
        if failed_condition(playbook.conditions, state, as_of) is not None:
            continue
        for occurrence in found:
            key = f"{playbook.name}:{state.id}:{occurrence.key}"
            candidates.append((key, state, occurrence, calendar))
    seen = known([key for key, *_ in candidates]) if candidates else set()
    firings = []
    for key, state, occurrence, calendar in candidates:
        if key in seen:
            continue
        context = PlanContext(as_of, calendar, tools.emails, tools.unsubscribe_url)
        effects = plan(playbook, state, occurrence, key, context)
        firings.append(Firing(playbook, key, state, occurrence, effects))
    return firings


def _portfolio(
    playbook: Playbook,
    states: Iterable[AccountState],
    as_of: dt.date,
    known: Known,
    tools: Tools,
) -> list[Firing]:
    due = schedule_due(playbook.trigger, as_of)  # type: ignore[arg-type]
    if due is None:
        return []
    key = f"{playbook.name}:portfolio:{due}"
    if known([key]):
        return []
    chosen = [
        state
        for state in states
        if failed_condition(playbook.conditions, state, as_of) is None
    ]
    if not chosen:
        return []
    chosen.sort(key=lambda state: state.name.casefold())
    occurrence = Occurrence(
        key=due, event_on=as_of, facts={"every": playbook.trigger.every}
    )
    context = PlanContext(
        as_of,
        calendar_for(None),
        tools.emails,
        tools.unsubscribe_url,
        accounts=[state.template_view() for state in chosen],
    )
    effects = plan(playbook, None, occurrence, key, context)
    ids = tuple(state.external_id for state in chosen)
    return [Firing(playbook, key, None, occurrence, effects, ids)]
