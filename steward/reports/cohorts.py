"""Cohort retention curves by signing month, on contracts or on activity.

Two ways to say an account is still there ``k`` months after it signed:

- **contracts**: the signing day is the first paying day (the earliest start
  of a contract with ARR above 0); the account is retained at month ``k``
  when its ARR is above 0 on signing day + k months (a 31st becomes the last
  day of a shorter month). ``arr_share`` is the cohort's ARR that day over
  its ARR on the signing days. Month 0 is 100% by definition.
- **activity** (purchases, usage): the signing month is the month of the
  first event; the account is retained at month ``k`` when it has any event
  in the calendar month ``k`` months after it.

A cohort's month ``k`` is shown only once every account of the cohort can
have reached it by ``observed_until`` (for activity: once that calendar month
has ended). Pure pandas; the event query is an Ibis expression.
"""

from __future__ import annotations

import datetime as dt

import ibis.expr.types as ir
import pandas as pd

from steward.accounts.terms import add_months
from steward.reports.retention import group_labels

BASES = ("contracts", "activity")


def month_number(day: dt.date | pd.Timestamp) -> int:
    return day.year * 12 + day.month - 1


def month_label(number: int) -> str:
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def activity_months(events: ir.Table) -> ir.Table:
    """Distinct (account_id, month) with any event; month = year·12 + month − 1, UTC."""
    return events.select(
        "account_id", month=(events.ts.year() * 12 + events.ts.month() - 1)
    ).distinct()


def contract_curves(
    contracts: pd.DataFrame,
    signed_from: dt.date,
    signed_to: dt.date,
    observed_until: dt.date,
    groups: pd.Series | None = None,
) -> pd.DataFrame:
    """Curves on contracts; columns: group, cohort, accounts, month, retained,
    share, arr_share."""
    paying = contracts[contracts["arr"].fillna(0) > 0]
    first = paying.groupby("account_id")["start_date"].min()
    first = first[
        (first >= pd.Timestamp(signed_from)) & (first <= pd.Timestamp(signed_to))
    ]
    if first.empty:
        return _empty()
    cohort = first.map(month_number)
    last_month = month_number(observed_until)
    span = last_month - int(cohort.min())
    pairs = pd.DataFrame(
        {
            "account_id": first.index.repeat(span + 1),
            "month": list(range(span + 1)) * len(first),
        }
    )
    pairs["cohort"] = pairs["account_id"].map(cohort)
    pairs["day"] = add_months(pairs["account_id"].map(first), pairs["month"])
    pairs = pairs[_reached(pairs, observed_until)]
    pairs["arr"] = _arr_at(contracts, pairs)
    pairs["retained"] = pairs["arr"] > 0
    starting = pairs[pairs["month"] == 0].set_index("account_id")["arr"]
    pairs["arr_start"] = pairs["account_id"].map(starting)
    return _curves(pairs, groups, with_arr=True)


def activity_curves(
    months: pd.DataFrame,
    signed_from: dt.date,
    signed_to: dt.date,
    observed_until: dt.date,
    groups: pd.Series | None = None,
) -> pd.DataFrame:
    """Curves on activity; ``months`` has account_id and month (see
    :func:`activity_months`). Same columns, ``arr_share`` empty."""
    first = months.groupby("account_id")["month"].min()
    first = first[
        (first >= month_number(signed_from)) & (first <= month_number(signed_to))
    ]
    # The last whole month: observed_until's own month only if it is its last day.
    last = month_number(observed_until)
    if (observed_until + dt.timedelta(days=1)).month == observed_until.month:
        last -= 1
    active = months[months["account_id"].isin(first.index)].copy()
    active["cohort"] = active["account_id"].map(first)
    active["month"] = active["month"] - active["cohort"]
    active = active[active["cohort"] + active["month"] <= last]
    sizes = first.groupby(first).size()
    rows = []
    for cohort_month in sorted(sizes.index):
        if cohort_month > last:
            continue
        for k in range(last - cohort_month + 1):
            rows.append((cohort_month, k))
    grid = pd.DataFrame(rows, columns=["cohort", "month"])
    pairs = grid.merge(first.rename("cohort").reset_index(), on="cohort")
    seen = active.assign(retained=True)[["account_id", "month", "retained"]]
    pairs = pairs.merge(seen, on=["account_id", "month"], how="left")
    pairs["retained"] = pairs["retained"].eq(True)
    return _curves(pairs, groups, with_arr=False)


def _reached(pairs: pd.DataFrame, observed_until: dt.date) -> pd.Series:
    """True where the whole cohort can have reached month k by observed_until."""
    cohort_end = pd.to_datetime(
        pd.DataFrame(
            {"year": pairs["cohort"] // 12, "month": pairs["cohort"] % 12 + 1, "day": 1}
        )
    ) + pd.offsets.MonthEnd(0)
    latest = add_months(cohort_end, pairs["month"])
    return (latest <= pd.Timestamp(observed_until)).to_numpy()


def _arr_at(contracts: pd.DataFrame, pairs: pd.DataFrame) -> pd.Series:
    """ARR of each (account_id, day) pair, through a running total per account."""
    opening = contracts.assign(day=contracts["start_date"], change=contracts["arr"])
    closing = contracts.dropna(subset=["end_date"]).assign(
        day=lambda f: f["end_date"] + pd.Timedelta(days=1), change=lambda f: -f["arr"]
    )
    steps = pd.concat([opening, closing])[["account_id", "day", "change"]]
    steps["change"] = steps["change"].fillna(0.0)
    timeline = steps.groupby(["account_id", "day"], as_index=False)["change"].sum()
    timeline["arr"] = timeline.groupby("account_id")["change"].cumsum()
    left = pairs[["account_id", "day"]].reset_index().sort_values("day")
    left["day"] = left["day"].astype("datetime64[ns]")
    right = timeline[["account_id", "day", "arr"]].sort_values("day")
    right["day"] = right["day"].astype("datetime64[ns]")
    joined = pd.merge_asof(left, right, on="day", by="account_id", direction="backward")
    # A running total of floats may leave 1e-9 where contracts net to nothing.
    arr = joined.set_index("index")["arr"].fillna(0.0).round(6)
    return arr.reindex(pairs.index)


def _curves(
    pairs: pd.DataFrame, groups: pd.Series | None, with_arr: bool
) -> pd.DataFrame:
    if pairs.empty:  # no cohort has reached its first month-end yet
        return _empty()
    pairs = pairs.copy()
    pairs["group"] = group_labels(pairs["account_id"], groups)
    aggregations = {
        "accounts": ("account_id", "nunique"),
        "retained": ("retained", "sum"),
    }
    if with_arr:
        aggregations |= {"arr": ("arr", "sum"), "arr_start": ("arr_start", "sum")}
    table = pairs.groupby(["group", "cohort", "month"], as_index=False).agg(
        **aggregations
    )
    table["share"] = table["retained"] / table["accounts"]
    if with_arr:
        start = table["arr_start"].where(table["arr_start"] > 0)
        table["arr_share"] = table["arr"] / start
        table = table.drop(columns=["arr", "arr_start"])
    else:
        table["arr_share"] = float("nan")
    table["cohort"] = table["cohort"].map(month_label)
    table["retained"] = table["retained"].astype(int)
    return table.sort_values(["group", "cohort", "month"]).reset_index(drop=True)


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        columns=[
            "group",
            "cohort",
            "month",
            "accounts",
            "retained",
            "share",
            "arr_share",
        ]
    )
