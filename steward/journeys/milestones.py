"""Where an account stands on its journey on a given day, and what to raise.

Pure logic: dates in, statuses and alerts out. A milestone is *missed* once it
is more than ``grace_business_days`` business days past due without being
reached; the first day that is true is ``missed_on``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from steward.journeys.calendar import BusinessCalendar
from steward.journeys.journey import Journey

Status = Literal["achieved", "achieved_late", "pending", "overdue", "missed"]


@dataclass(frozen=True)
class MilestoneStatus:
    key: str
    title: str
    position: int
    due_on: dt.date
    missed_on: dt.date
    achieved_on: dt.date | None
    status: Status
    overdue_business_days: int
    days_to_value: int | None

    @property
    def was_missed(self) -> bool:
        """Reached too late or not at all, as far as ``as_of`` can tell."""
        return self.status == "missed" or (
            self.achieved_on is not None and self.achieved_on >= self.missed_on
        )


@dataclass(frozen=True)
class Alert:
    """Something a person must act on: a missed milestone or an escalation."""

    kind: Literal["missed", "escalation"]
    milestone: str
    milestones: tuple[str, ...]
    noticed_on: dt.date
    due_on: dt.date

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.milestone}"


def evaluate(
    journey: Journey,
    started_on: dt.date,
    achieved: Mapping[str, dt.date | None],
    as_of: dt.date,
    calendar: BusinessCalendar,
) -> list[MilestoneStatus]:
    """Each milestone's state on ``as_of``; achievements after ``as_of`` are unseen."""
    statuses = []
    for position, milestone in enumerate(journey.milestones):
        due_on = started_on + dt.timedelta(days=milestone.due_days)
        missed_on = calendar.add(due_on, journey.grace_business_days + 1)
        reached = achieved.get(milestone.key)
        if reached is not None and reached > as_of:
            reached = None

        if reached is not None:
            late = max(calendar.count(due_on, reached), 0)
            status: Status = "achieved" if reached <= due_on else "achieved_late"
        else:
            late = max(calendar.count(due_on, as_of), 0)
            if as_of <= due_on:
                status = "pending"
            elif as_of < missed_on:
                status = "overdue"
            else:
                status = "missed"

        statuses.append(
            MilestoneStatus(
                key=milestone.key,
                title=milestone.title,
                position=position,
                due_on=due_on,
                missed_on=missed_on,
                achieved_on=reached,
                status=status,
                overdue_business_days=late,
                days_to_value=(reached - started_on).days if reached else None,
            )
        )
    return statuses


def alerts(
    journey: Journey,
    statuses: list[MilestoneStatus],
    as_of: dt.date,
    calendar: BusinessCalendar,
) -> list[Alert]:
    """Tasks to raise on ``as_of``: fresh misses, and runs of consecutive misses.

    A miss noticed more than ``alert_within_days`` after it happened raises
    nothing (it is history by then), and neither does a milestone already
    reached by ``as_of``.
    """
    due_on = calendar.add(as_of, journey.task_due_business_days)
    raised: list[Alert] = []
    run: list[str] = []
    for status in statuses:
        run = [*run, status.key] if status.was_missed else []
        if not status.was_missed:
            continue
        if (as_of - status.missed_on).days > journey.alert_within_days:
            continue
        if status.status == "missed":
            raised.append(Alert("missed", status.key, (status.key,), as_of, due_on))
        if len(run) >= journey.escalate_after_misses:
            streak = tuple(run[-journey.escalate_after_misses :])
            raised.append(Alert("escalation", status.key, streak, as_of, due_on))
    return raised
