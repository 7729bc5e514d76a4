"""Trigger detection: which occurrences a trigger sees on a day. Pure logic.

An occurrence has a key naming the thing that happened (this miss, this
incident, this contract end, this week), so a playbook acts on it once
however many days it stays true and however often a day is run again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from dateutil.relativedelta import relativedelta

from steward.journeys.calendar import BusinessCalendar
from steward.playbooks import triggers_model as tm
from steward.playbooks.state import AccountState, MilestoneFact


@dataclass(frozen=True)
class Occurrence:
    key: str
    # The day the thing happened (the incident, the miss, the crossing).
    event_on: dt.date
    start_on: dt.date | None = None
    facts: dict[str, Any] = field(default_factory=dict)


def occurrences(
    trigger: tm.Trigger,
    state: AccountState,
    as_of: dt.date,
    calendar: BusinessCalendar,
) -> list[Occurrence]:
    """The trigger's occurrences for one account on ``as_of``."""
    detect = _DETECTORS[trigger.kind]
    return detect(trigger, state, as_of, calendar)


def schedule_due(trigger: tm.Schedule, as_of: dt.date) -> str | None:
    """The key of a schedule's occurrence on ``as_of``, or None on other days."""
    if trigger.every == "day":
        return f"day:{as_of.isoformat()}"
    if as_of.weekday() != tm.WEEKDAYS.index(trigger.weekday or ""):
        return None
    year, week, _ = as_of.isocalendar()
    return f"week:{year}-W{week:02d}"


def _milestone_overdue(
    trigger: tm.MilestoneOverdue,
    state: AccountState,
    as_of: dt.date,
    calendar: BusinessCalendar,
) -> list[Occurrence]:
    found = []
    limit = trigger.more_than_business_days
    journeys = sorted({fact.journey for fact in state.milestones})
    for journey in journeys:
        if trigger.journey is not None and journey != trigger.journey:
            continue
        facts = sorted(
            (fact for fact in state.milestones if fact.journey == journey),
            key=lambda fact: fact.position,
        )
        run = 0
        for fact in facts:
            # Reached late or not at all, by more than the limit: a miss.
            missed = fact.status != "not_measured" and (
                fact.overdue_business_days > limit
            )
            run = run + 1 if missed else 0
            if not missed or fact.achieved_on is not None:
                continue
            if trigger.milestones and fact.key not in trigger.milestones:
                continue
            late_since = calendar.add(fact.due_on, limit + 1)
            if not 0 <= (as_of - late_since).days <= trigger.within_days:
                continue
            found.append(_miss(fact, late_since, run))
    return found


def _miss(fact: MilestoneFact, late_since: dt.date, run: int) -> Occurrence:
    return Occurrence(
        key=f"{fact.journey}:{fact.started_on.isoformat()}:{fact.key}",
        event_on=late_since,
        start_on=fact.started_on,
        facts={
            "journey": fact.journey,
            "milestone": fact.key,
            "title": fact.title,
            "due_on": fact.due_on.isoformat(),
            "late_since": late_since.isoformat(),
            "overdue_business_days": fact.overdue_business_days,
            "consecutive_misses": run,
        },
    )


def _score_crosses(
    trigger: tm.ScoreCrosses, state: AccountState, as_of: dt.date, _: Any
) -> list[Occurrence]:
    if trigger.score == "health":
        before, now = state.previous_health, state.health
    else:
        before, now = state.previous_expansion, state.expansion
    if before is None or now is None:
        return []
    if trigger.below is not None:
        crossed = before >= trigger.below > now
        threshold = trigger.below
    else:
        threshold = trigger.at_least or 0.0
        crossed = before < threshold <= now
    if not crossed:
        return []
    return [
        Occurrence(
            key=f"{trigger.score}:{as_of.isoformat()}",
            event_on=as_of,
            facts={
                "score": trigger.score,
                "threshold": threshold,
                "before": round(before, 2),
                "now": round(now, 2),
            },
        )
    ]


def _band_changes(
    trigger: tm.BandChanges, state: AccountState, as_of: dt.date, _: Any
) -> list[Occurrence]:
    before, now = state.previous_band, state.band
    if before is None or now is None or before == now:
        return []
    if trigger.to and now not in trigger.to:
        return []
    if trigger.from_ and before not in trigger.from_:
        return []
    return [
        Occurrence(
            key=f"band:{as_of.isoformat()}",
            event_on=as_of,
            facts={"from": before, "to": now},
        )
    ]


def _renewal_within(
    trigger: tm.RenewalWithin, state: AccountState, as_of: dt.date, _: Any
) -> list[Occurrence]:
    if state.renewal_on is None:
        return []
    days = (state.renewal_on - as_of).days
    if not 0 <= days <= trigger.days:
        return []
    return [
        Occurrence(
            key=f"renewal:{state.renewal_on.isoformat()}",
            event_on=as_of,
            facts={"renewal_on": state.renewal_on.isoformat(), "days_left": days},
        )
    ]


def _fresh(on: dt.date, as_of: dt.date, within_days: int) -> bool:
    return 0 <= (as_of - on).days <= within_days


def _nps_detractor(
    trigger: tm.NpsDetractor, state: AccountState, as_of: dt.date, _: Any
) -> list[Occurrence]:
    return [
        Occurrence(
            key=f"nps:{answer.id}",
            event_on=answer.on,
            facts={"nps": answer.value, "answered_on": answer.on.isoformat()},
        )
        for answer in state.nps
        if answer.value is not None
        and answer.value <= trigger.at_most
        and _fresh(answer.on, as_of, trigger.within_days)
    ]


def _incident(
    trigger: tm.IncidentRecorded, state: AccountState, as_of: dt.date, _: Any
) -> list[Occurrence]:
    kinds = {kind.casefold() for kind in trigger.kinds or []}
    return [
        Occurrence(
            key=f"incident:{incident.id}",
            event_on=incident.on,
            facts={
                "incident": incident.id,
                "incident_kind": incident.kind,
                "summary": incident.value,
                "occurred_on": incident.on.isoformat(),
            },
        )
        for incident in state.incidents
        if (not kinds or incident.kind.casefold() in kinds)
        and _fresh(incident.on, as_of, trigger.within_days)
    ]


def _tag(
    trigger: tm.TagChanged, state: AccountState, as_of: dt.date, _: Any
) -> list[Occurrence]:
    change = "added" if trigger.added is not None else "removed"
    wanted = (trigger.added or trigger.removed or "").casefold()
    return [
        Occurrence(
            key=f"tag:{item.id}",
            event_on=item.on,
            facts={"tag": item.value, "change": change, "on": item.on.isoformat()},
        )
        for item in state.tag_changes
        if item.kind == change
        and str(item.value).casefold() == wanted
        and _fresh(item.on, as_of, trigger.within_days)
    ]


def _schedule(
    trigger: tm.Schedule, state: AccountState, as_of: dt.date, _: Any
) -> list[Occurrence]:
    key = schedule_due(trigger, as_of)
    if key is None:
        return []
    return [Occurrence(key=key, event_on=as_of, facts={"every": trigger.every})]


def _onboarding_day(
    trigger: tm.OnboardingDay, state: AccountState, as_of: dt.date, _: Any
) -> list[Occurrence]:
    if state.started_on is None:
        return []
    day = state.started_on + dt.timedelta(days=trigger.day)
    if not _fresh(day, as_of, trigger.within_days):
        return []
    return [
        Occurrence(
            key=f"start:{state.started_on.isoformat()}:day-{trigger.day}",
            event_on=day,
            start_on=state.started_on,
            facts={"started_on": state.started_on.isoformat(), "day": trigger.day},
        )
    ]


def _band_held(
    trigger: tm.BandHeld, state: AccountState, as_of: dt.date, _: Any
) -> list[Occurrence]:
    if state.band != trigger.band or state.band_since is None:
        return []
    since = state.band_since
    if trigger.counting_from_tag is not None:
        tagged = _tag_day(state, trigger.counting_from_tag)
        if tagged is None:
            return []
        since = max(since, tagged)
    if since + relativedelta(months=trigger.months) > as_of:
        return []
    return [
        Occurrence(
            key=f"held:{trigger.band}:{since.isoformat()}",
            event_on=as_of,
            facts={"band": trigger.band, "since": since.isoformat()},
        )
    ]


def _tag_day(state: AccountState, tag: str) -> dt.date | None:
    for name, day in state.tag_added_on.items():
        if name.casefold() == tag.casefold():
            return day
    return None


_DETECTORS: dict[str, Any] = {
    "milestone_overdue": _milestone_overdue,
    "score_crosses": _score_crosses,
    "band_changes": _band_changes,
    "renewal_within": _renewal_within,
    "nps_detractor": _nps_detractor,
    "incident": _incident,
    "tag": _tag,
    "schedule": _schedule,
    "onboarding_day": _onboarding_day,
    "band_held": _band_held,
}
