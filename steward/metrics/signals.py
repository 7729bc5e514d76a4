"""When each account first reached the signals its journey milestones watch."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from steward.metrics.catalogue import EventTaxonomy, _is, with_day

_ = ibis._


def milestone_signals(
    events: ir.Table, scope: pd.DataFrame, tx: EventTaxonomy, thresholds: list[float]
) -> ir.Table:
    """First login, first core workflow and seat-activation days per account.

    ``scope`` has account_id, start_day and seats; only events on or after an
    account's start day count. Seat activation at threshold ``t`` is the day
    the number of distinct users seen since the start first exceeds ``t`` of
    the licensed seats (``seat_activation_<i>`` for the i-th threshold).
    """
    scope_table = ibis.memtable(
        scope[["account_id", "start_day", "seats"]].astype(
            {"start_day": "int64", "seats": "float64"}
        )
    )
    earliest = int(scope["start_day"].min()) if len(scope) else 0
    dated = with_day(events)
    dated = dated.filter(dated.day >= earliest)
    joined = dated.join(scope_table, "account_id")
    since = joined.filter(joined.day >= joined.start_day)

    firsts = since.group_by("account_id").aggregate(
        first_login=_.day.min(where=_is(since, tx.login)),
        first_core_workflow=_.day.min(where=_is(since, tx.core_workflow)),
    )
    users = (
        since.filter(since.user_id.notnull())
        .group_by(["account_id", "user_id", "seats"])
        .aggregate(first_day=_.day.min())
    )
    order = ibis.window(group_by="account_id", order_by=["first_day", "user_id"])
    users = users.mutate(nth=ibis.row_number().over(order) + 1)

    result = scope_table.select("account_id").left_join(firsts, "account_id")
    result = result.select(
        scope_table.account_id, firsts.first_login, firsts.first_core_workflow
    )
    for index, threshold in enumerate(thresholds):
        # "More than t of the seats": the floor(t * seats) + 1-th distinct user,
        # in integer thousandths so 70% of 10 seats is exactly 7.
        permille = round(threshold * 1000)
        needed = (users.seats.cast("int64") * permille) // 1000 + 1
        reached = (
            users.filter((users.seats > 0) & (users.nth == needed))
            .group_by("account_id")
            .aggregate(day=_.first_day.min())
        )
        name = f"seat_activation_{index}"
        result = result.left_join(reached, "account_id").select(
            result, reached.day.name(name)
        )
    return result


SIGNAL_LOOKBACK_DAYS = 365


def available_signals(
    con: ibis.BaseBackend, events: ir.Table, as_of_day: int, tx: EventTaxonomy
) -> set[str]:
    """The milestone signals the recent events can show at all.

    A data set with no login events (or no user ids) cannot tell whether an
    account logged in (or activated its seats); such milestones are reported
    as not measured instead of missed. Looks at the last 365 days; each check
    stops at the first event that shows the signal.
    """
    dated = with_day(events)
    recent = dated.filter(
        (dated.day <= as_of_day) & (dated.day > as_of_day - SIGNAL_LOOKBACK_DAYS)
    )
    shows = {
        "first_login": _is(recent, tx.login),
        "first_core_workflow": _is(recent, tx.core_workflow),
        "seat_activation": recent.user_id.notnull(),
    }
    return {
        signal
        for signal, condition in shows.items()
        if con.execute(recent.filter(condition).select("day").limit(1)).shape[0]
    }
