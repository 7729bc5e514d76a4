"""NPS over time: promoters minus detractors, per calendar month (UTC).

An answer of 9 or 10 is a promoter, 7 or 8 passive, 0 to 6 a detractor; NPS
is (promoters − detractors) / answers × 100, from −100 to 100. Every answer
counts (an account answering twice counts twice).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from steward.reports.cohorts import month_label, month_number
from steward.reports.retention import group_labels


def nps_by_month(
    answers: pd.DataFrame,
    start: dt.date,
    end: dt.date,
    groups: pd.Series | None = None,
) -> pd.DataFrame:
    """``answers``: account_id, responded_at (UTC) and score. One row per group
    and month with answers, plus the period's total per group as month "all"."""
    stamps = pd.to_datetime(answers["responded_at"], utc=True)
    days = stamps.dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    inside = (days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end))
    rows = answers.loc[inside, ["account_id", "score"]].copy()
    rows["month"] = [month_label(month_number(day)) for day in days[inside]]
    rows["group"] = group_labels(rows["account_id"], groups)
    monthly = _tally(rows, ["group", "month"])
    total = _tally(rows.assign(month="all"), ["group", "month"])
    table = pd.concat([monthly, total], ignore_index=True)
    return table.sort_values(["group", "month"]).reset_index(drop=True)


def _tally(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    marked = rows.assign(
        promoter=rows["score"] >= 9,
        passive=rows["score"].between(7, 8),
        detractor=rows["score"] <= 6,
    )
    table = marked.groupby(keys, as_index=False).agg(
        answers=("score", "size"),
        promoters=("promoter", "sum"),
        passives=("passive", "sum"),
        detractors=("detractor", "sum"),
    )
    table["nps"] = (table["promoters"] - table["detractors"]) / table["answers"] * 100
    return table
