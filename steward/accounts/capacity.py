"""CSM capacity: assigning accounts within each CSM's hours, and the load per CSM.

An account needs the CSM hours per month of its coverage model; a CSM offers
their capacity in hours per month. The assignment rule, in order:

1. Accounts are taken by priority: higher ARR first, then more hours, then
   external id (so the result never depends on row order).
2. Continuity first: in that order, an account stays with its current CSM
   while that CSM still has room for it.
3. Then every account not yet placed, in the same order, goes to the CSM
   with the most hours left who has room for it (ties: fewer accounts, then
   the lower user id).
4. An account no CSM has room for is left where it is and listed as one no
   CSM can take.

Accounts needing no hours (Digital-Led) are not placed: they keep whatever
CSM they have and add nothing to anyone's load.

A greedy rule rather than an optimiser: each step is one a manager can check
by hand, a re-run moves nobody who still fits, and it runs in O(n·m) on any
portfolio. It can leave room unused that an optimal packing would fill.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd
from dateutil.relativedelta import relativedelta

# Hours compared with this slack, so 0.1 + 0.2 fits in 0.3.
EPSILON = 1e-9


@dataclass(frozen=True)
class Csm:
    id: int
    name: str
    capacity: float  # hours per month


@dataclass(frozen=True)
class Need:
    account: str  # external id
    hours: float  # per month
    arr: float | None = None
    csm_id: int | None = None


@dataclass
class Assignment:
    """Where each placed account goes, what each CSM carries, who fits nowhere."""

    csm_of: dict[str, int] = field(default_factory=dict)
    load: dict[int, float] = field(default_factory=dict)
    accounts: dict[int, int] = field(default_factory=dict)
    unplaced: list[str] = field(default_factory=list)
    moves: list[tuple[str, int | None, int]] = field(default_factory=list)


def assign(csms: Iterable[Csm], needs: Iterable[Need]) -> Assignment:
    """Apply the module's rule; ``moves`` lists (account, from CSM, to CSM)."""
    pool = {csm.id: csm for csm in csms}
    result = Assignment(load=dict.fromkeys(pool, 0.0), accounts=dict.fromkeys(pool, 0))
    ordered = sorted(
        (need for need in needs if need.hours > 0),
        key=lambda n: (-(n.arr or 0.0), -n.hours, n.account),
    )

    waiting = []
    for need in ordered:
        current = need.csm_id
        if current in pool and _fits(result, pool[current], need.hours):
            _place(result, need, current)
        else:
            waiting.append(need)

    for need in waiting:
        room = [csm for csm in pool.values() if _fits(result, csm, need.hours)]
        if not room:
            result.unplaced.append(need.account)
            continue
        best = min(
            room,
            key=lambda c: (-_left(result, c), result.accounts[c.id], c.id),
        )
        _place(result, need, best.id)
        result.moves.append((need.account, need.csm_id, best.id))
    return result


def _left(result: Assignment, csm: Csm) -> float:
    return csm.capacity - result.load[csm.id]


def _fits(result: Assignment, csm: Csm, hours: float) -> bool:
    return result.load[csm.id] + hours <= csm.capacity + EPSILON


def _place(result: Assignment, need: Need, csm_id: int) -> None:
    result.csm_of[need.account] = csm_id
    result.load[csm_id] += need.hours
    result.accounts[csm_id] += 1


def months_in(start: dt.date, end: dt.date) -> float:
    """Calendar months from ``start`` to ``end`` inclusive, a part month pro rata.

    1 January to 31 March is 3.0; 1 to 15 February 2024 is 15/29.
    """
    if end < start:
        return 0.0
    total, day = 0.0, start
    while day <= end:
        last = (day.replace(day=1) + relativedelta(months=1)) - dt.timedelta(days=1)
        covered = (min(last, end) - day).days + 1
        total += covered / last.day
        day = last + dt.timedelta(days=1)
    return total


def effort_vs_plan(
    accounts: pd.DataFrame,
    logged: pd.DataFrame,
    plan_hours: pd.Series,
    months: float,
) -> pd.DataFrame:
    """Logged CSM hours against the plan, per group.

    ``accounts``: account_id and group (e.g. the tier), one row per account
    the plan covers; ``plan_hours``: each of those accounts' planned hours a
    month (by the same index); ``logged``: account_id and hours of the
    period's effort logs (accounts outside ``accounts`` count under "(other)").
    Returns per group: accounts, planned_hours, logged_hours, and both per
    account per month, and logged / planned (NaN when nothing was planned).
    """
    plan = accounts.assign(planned=plan_hours.to_numpy() * months)
    groups = plan.set_index("account_id")["group"]
    spent = logged.assign(group=logged["account_id"].map(groups).fillna("(other)"))
    table = plan.groupby("group", dropna=False).agg(
        accounts=("account_id", "size"), planned_hours=("planned", "sum")
    )
    table = table.join(
        spent.groupby("group")["hours"].sum().rename("logged_hours"), how="outer"
    )
    table = table.fillna({"accounts": 0, "planned_hours": 0.0, "logged_hours": 0.0})
    per = table["accounts"].where(table["accounts"] > 0) * months
    table["planned_per_account_month"] = table["planned_hours"] / per
    table["logged_per_account_month"] = table["logged_hours"] / per
    table["logged_vs_plan"] = table["logged_hours"] / table["planned_hours"].where(
        table["planned_hours"] > 0
    )
    return table.reset_index().sort_values("group", key=lambda s: s.astype(str))
