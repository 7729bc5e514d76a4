"""The metric catalogue: what Steward measures about every account.

Usage metrics are Ibis expressions over the event table, so the same
definitions run on DuckDB, PostgreSQL or Spark. Days are whole UTC days counted
from 1970-01-01 (integers work the same on every engine); a trailing window of
``days`` ending on ``as_of`` covers ``as_of - days + 1`` to ``as_of`` inclusive.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np

from steward.metrics.definitions import (
    ADDITIVE,
    CATALOGUE,
    DISTINCT,
    EventTaxonomy,
    Metric,
)

__all__ = ["ADDITIVE", "CATALOGUE", "DISTINCT", "EventTaxonomy", "Metric"]

EPOCH = dt.date(1970, 1, 1)
_ = ibis._


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def from_day_number(number: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(number))


def day_numbers_as_dates(numbers: Any) -> np.ndarray:
    """Day numbers (NaN for none) as a ``datetime64[D]`` array, NaT for none."""
    values = np.asarray(numbers, dtype="float64")
    days = np.full(values.shape, np.datetime64("NaT"), dtype="datetime64[D]")
    known = ~np.isnan(values)
    days[known] = values[known].astype("int64").astype("datetime64[D]")
    return days


def from_day_numbers(numbers: Any) -> list[dt.date | None]:
    """:func:`from_day_number` of a whole column; NaN (no day) gives None."""
    return day_numbers_as_dates(numbers).astype(object).tolist()


def with_day(events: ir.Table) -> ir.Table:
    """Events with an integer UTC ``day``: Steward's files carry it already.

    A team's own table without it gets it computed from ``ts``, which is
    correct on every engine but costs a time-zone conversion per row.
    """
    if "day" in events.columns:
        return events.mutate(day=events.day.cast("int64"))
    return events.mutate(day=(events.ts.epoch_seconds() // 86400).cast("int64"))


def _is(events: ir.Table, names: list[str]) -> ir.BooleanValue:
    return events.event.isin(names) if names else ibis.literal(False)


def _row_parts(events: ir.Table, tx: EventTaxonomy) -> ir.Table:
    """Per event row: how much it adds to each additive metric, and its feature."""
    not_a_feature = tx.login + tx.error + tx.api_call
    return events.mutate(
        logins=ibis.ifelse(_is(events, tx.login), events.quantity, 0),
        core_workflows=ibis.ifelse(_is(events, tx.core_workflow), events.quantity, 0),
        api_calls=ibis.ifelse(_is(events, tx.api_call), events.quantity, 0),
        errors=events.errors + ibis.ifelse(_is(events, tx.error), events.quantity, 0),
        events_total=events.quantity,
        value_total=events.value.fill_null(0.0),
        feature_key=ibis.ifelse(
            _is(events, not_a_feature),
            ibis.null("string"),
            events.feature.fill_null(events.event),
        ),
    )


def event_metrics_as_of(
    events: ir.Table, as_of: dt.date, window_days: int, tx: EventTaxonomy
) -> ir.Table:
    """Usage metrics per account over the window ending on ``as_of``.

    Columns: account_id, the additive and distinct window aggregates, and
    ``last_active_day`` within the window. Accounts with no event in the window
    are absent: :func:`last_active_before` finds their last day, and the
    caller fills their aggregates with zeros.
    """
    end = day_number(as_of)
    dated = with_day(events)
    recent = _row_parts(
        dated.filter((dated.day <= end) & (dated.day > end - window_days)), tx
    )
    return recent.group_by("account_id").aggregate(
        last_active_day=recent.day.max(),
        **{name: recent[name].sum() for name in ADDITIVE},
        active_users=recent.user_id.nunique(),
        feature_breadth=recent.feature_key.nunique(),
    )


def last_active_before(
    events: ir.Table, before_day: int, accounts: ir.Table
) -> ir.Table:
    """The last active day before ``before_day`` of the given accounts only.

    Asked only for accounts quiet in the current window, so its cost follows
    how many accounts are dormant, not the size of the whole history.
    """
    dated = with_day(events)
    older = dated.filter(dated.day < before_day)
    wanted = older.semi_join(accounts, "account_id")
    return wanted.group_by("account_id").aggregate(last_active_day=_.day.max())


def event_metric_history(
    events: ir.Table,
    last_observation: dt.date,
    weeks: int,
    window_days: int,
    tx: EventTaxonomy,
) -> ir.Table:
    """The same usage metrics at weekly observation dates, in one pass.

    Observation ``k`` is ``last_observation - 7k`` for ``k`` in ``0..weeks-1``.
    Events are bucketed into the week ending on each observation date; additive
    metrics are a sliding sum over consecutive buckets (a window function), and
    distinct counts expand each user's or feature's weekly presence to the
    ``window_days / 7`` observations it falls in, so no range join per date is
    needed. Returns account_id, ``observed_day`` and the columns of
    :func:`event_metrics_as_of`, for every account with any event up to the
    observation (accounts with none are absent).
    """
    if window_days % 7:
        raise ValueError(
            "weekly history needs a window of whole weeks; "
            f"window_days is {window_days}"
        )
    span = window_days // 7
    last = day_number(last_observation)
    dated = with_day(events)
    up_to = dated.filter(dated.day <= last)
    bucketed = up_to.mutate(k=((last - up_to.day) // 7).cast("int64"))

    buckets = ibis.memtable({"k": list(range(weeks + span - 1))})
    offsets = ibis.memtable({"j": list(range(span))})
    accounts = bucketed.select("account_id").distinct()
    grid = accounts.cross_join(buckets)

    additive = _sliding_sums(bucketed, grid, tx, span)
    distinct = _distinct_counts(bucketed, offsets, weeks, tx)
    last_active = _last_active(bucketed, accounts, weeks)

    keys = ["account_id", "k"]
    joined = (
        last_active.filter(_.last_active_day.notnull())
        .left_join(additive, keys)
        .select(last_active, *[additive[name] for name in ADDITIVE])
    )
    joined = joined.left_join(distinct, keys).select(
        joined, *[distinct[name] for name in DISTINCT]
    )
    return joined.select(
        "account_id",
        observed_day=(last - joined.k * 7).cast("int64"),
        last_active_day=joined.last_active_day,
        **{name: joined[name].fill_null(0) for name in ADDITIVE + DISTINCT},
    )


def _sliding_sums(
    bucketed: ir.Table, grid: ir.Table, tx: EventTaxonomy, span: int
) -> ir.Table:
    parts = _row_parts(bucketed, tx)
    weekly = parts.group_by(["account_id", "k"]).aggregate(
        **{name: parts[name].sum() for name in ADDITIVE}
    )
    full = grid.left_join(weekly, ["account_id", "k"]).select(
        grid.account_id,
        grid.k,
        *[weekly[name].fill_null(0).name(name) for name in ADDITIVE],
    )
    # Bucket k+1 is older than k: the window of observation k is k..k+span-1.
    window = ibis.window(group_by="account_id", order_by="k", rows=(0, span - 1))
    return full.select(
        "account_id", "k", **{name: full[name].sum().over(window) for name in ADDITIVE}
    )


def _distinct_counts(
    bucketed: ir.Table, offsets: ir.Table, weeks: int, tx: EventTaxonomy
) -> ir.Table:
    parts = _row_parts(bucketed, tx)
    users = parts.filter(parts.user_id.notnull()).select(
        "account_id", "k", item=parts.user_id, what=ibis.literal("user")
    )
    features = parts.filter(parts.feature_key.notnull()).select(
        "account_id", "k", item=parts.feature_key, what=ibis.literal("feature")
    )
    present = users.union(features, distinct=True)
    spread = present.cross_join(offsets).mutate(k=_.k - _.j)
    spread = spread.filter((spread.k >= 0) & (spread.k < weeks))
    return spread.group_by(["account_id", "k"]).aggregate(
        active_users=spread.item.nunique(where=spread.what == "user"),
        feature_breadth=spread.item.nunique(where=spread.what == "feature"),
    )


def _last_active(bucketed: ir.Table, accounts: ir.Table, weeks: int) -> ir.Table:
    """The last active day at each observation: a running max over older buckets."""
    weekly = bucketed.group_by(["account_id", "k"]).aggregate(day=_.day.max())
    observations = accounts.cross_join(ibis.memtable({"k": list(range(weeks))})).mutate(
        day=ibis.null("int64")
    )
    rows = weekly.union(observations, distinct=False)
    # Ordered from the oldest bucket (largest k) to the newest; RANGE includes
    # the observation row's own bucket.
    window = ibis.window(
        group_by="account_id", order_by=ibis.desc("k"), range=(None, 0)
    )
    running = rows.mutate(last_active_day=rows.day.max().over(window))
    return (
        running.filter(running.k < weeks)
        .group_by(["account_id", "k"])
        .aggregate(last_active_day=_.last_active_day.max())
    )
