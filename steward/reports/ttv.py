"""Time-to-value per onboarding milestone: days from the start to each milestone.

Counted over the accounts whose journey started in the period. Per milestone:
how many reached it (on time or late), how many are still pending or
overdue, how many missed it, and the median, mean and 75th percentile of the
days it took those who reached it.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from steward.reports.retention import group_labels

REACHED = ("achieved", "achieved_late")
WAITING = ("pending", "overdue")


def time_to_value(
    states: pd.DataFrame,
    start: dt.date,
    end: dt.date,
    groups: pd.Series | None = None,
) -> pd.DataFrame:
    """``states``: account_id, journey, milestone, position, started_on, status,
    days_to_value (the stored milestone states)."""
    started = pd.to_datetime(states["started_on"])
    rows = states[(started >= pd.Timestamp(start)) & (started <= pd.Timestamp(end))]
    rows = rows.assign(
        group=group_labels(rows["account_id"], groups),
        reached=rows["status"].isin(REACHED),
        on_time=rows["status"] == "achieved",
        waiting=rows["status"].isin(WAITING),
        missed=rows["status"] == "missed",
    )
    days = rows["days_to_value"].where(rows["reached"]).astype("float64")
    rows = rows.assign(days=days)
    keys = ["group", "journey", "position", "milestone"]
    table = rows.groupby(keys, as_index=False).agg(
        accounts=("account_id", "nunique"),
        reached=("reached", "sum"),
        on_time=("on_time", "sum"),
        waiting=("waiting", "sum"),
        missed=("missed", "sum"),
        median_days=("days", "median"),
        mean_days=("days", "mean"),
        p75_days=("days", lambda values: values.quantile(0.75)),
    )
    return table.sort_values(["group", "journey", "position"]).drop(columns="position")
