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

import numpy as np
import pandas as pd

from steward.journeys.calendar import BusinessCalendar, calendar_for
from steward.journeys.journey import Journey

Status = Literal[
    "achieved", "achieved_late", "pending", "overdue", "missed", "not_measured"
]


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


def evaluate_many(
    journey: Journey,
    started_on: np.ndarray,
    countries: np.ndarray,
    achieved: Mapping[str, np.ndarray],
    as_of: dt.date,
) -> pd.DataFrame:
    """:func:`evaluate` for many accounts at once, one row per account and milestone.

    ``started_on`` and each ``achieved`` array are ``datetime64[D]`` (NaT when
    not reached); ``countries`` holds ISO codes. Row ``account`` is the
    position in those arrays. The results equal :func:`evaluate` row by row.
    """
    today = np.datetime64(as_of, "D")
    frames = []
    for position, milestone in enumerate(journey.milestones):
        due = started_on + np.timedelta64(milestone.due_days, "D")
        reached = achieved.get(milestone.key)
        if reached is None:
            reached = np.full(due.shape, np.datetime64("NaT"), dtype="datetime64[D]")
        reached = np.where(reached > today, np.datetime64("NaT"), reached)
        missed_on = np.empty_like(due)
        late_when_reached = np.zeros(due.shape, dtype=np.int64)
        late_now = np.zeros(due.shape, dtype=np.int64)
        for country in pd.unique(countries):
            rows = countries == country
            calendar = calendar_for(country)
            missed_on[rows] = calendar.add_many(
                due[rows], journey.grace_business_days + 1
            )
            late_when_reached[rows] = calendar.count_many(due[rows], reached[rows])
            late_now[rows] = calendar.count_many(
                due[rows], np.full(rows.sum(), today, dtype="datetime64[D]")
            )
        got = ~np.isnat(reached)
        status = np.select(
            [got & (reached <= due), got, today <= due, today < missed_on],
            ["achieved", "achieved_late", "pending", "overdue"],
            "missed",
        )
        frames.append(
            pd.DataFrame(
                {
                    "account": np.arange(len(due)),
                    "key": milestone.key,
                    "title": milestone.title,
                    "position": position,
                    "due_on": due,
                    "missed_on": missed_on,
                    "achieved_on": reached,
                    "status": status,
                    "overdue_business_days": np.maximum(
                        np.where(got, late_when_reached, late_now), 0
                    ),
                    "days_to_value": np.where(
                        got, (reached - started_on).astype("int64"), -1
                    ),
                }
            )
        )
    return pd.concat(frames, ignore_index=True).sort_values(
        ["account", "position"], kind="stable", ignore_index=True
    )


def statuses_of(rows: pd.DataFrame) -> list[MilestoneStatus]:
    """One account's rows of :func:`evaluate_many` as :class:`MilestoneStatus`."""
    columns = [
        rows[name].to_numpy()
        for name in (
            "key",
            "title",
            "position",
            "due_on",
            "missed_on",
            "achieved_on",
            "status",
            "overdue_business_days",
            "days_to_value",
        )
    ]
    return [
        MilestoneStatus(
            key=key,
            title=title,
            position=int(position),
            due_on=day_of(due),
            missed_on=day_of(missed),
            achieved_on=None if np.isnat(achieved) else day_of(achieved),
            status=status,
            overdue_business_days=int(late),
            days_to_value=None if to_value < 0 else int(to_value),
        )
        for key, title, position, due, missed, achieved, status, late, to_value in zip(
            *columns, strict=True
        )
    ]


def day_of(value: np.datetime64) -> dt.date:
    return value.astype("datetime64[D]").astype(dt.date)
