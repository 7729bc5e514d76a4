"""Observations and labels for fitting a scorecard, from metrics and outcomes.

Two shapes of history:

* dated churn (renewal outcomes with dates): weekly observations of every live
  account, each labelled by whether the account churned within the
  scorecard's horizon after it; observations too recent to know are left out.
* undated churn (a snapshot data set that only says who left): one
  observation per account as of one day, labelled by that flag.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from steward.accounts.terms import DAYS_PER_MONTH, next_renewals
from steward.errors import NotEnoughHistory
from steward.metrics.catalogue import from_day_number
from steward.metrics.facts import AccountFacts, day_of

MAX_WEEKS = 156


@dataclass(frozen=True)
class HistoryPlan:
    last_observation: dt.date
    weeks: int


def churn_days(facts: AccountFacts) -> pd.DataFrame:
    """Every dated churn: from outcomes and from contracts closed as churned."""
    outcomes = facts.outcomes[facts.outcomes["kind"] == "churned"]
    contracts = facts.contracts[facts.contracts["outcome"] == "churned"]
    both = pd.concat(
        [
            pd.DataFrame(
                {
                    "account_id": outcomes["account_id"],
                    "day": day_of(outcomes["occurred_on"]),
                }
            ),
            pd.DataFrame(
                {
                    "account_id": contracts["account_id"],
                    "day": day_of(contracts["closed_on"]),
                }
            ),
        ]
    )
    return both.dropna().drop_duplicates().astype({"day": "int64"})


def undated_churners(facts: AccountFacts) -> set[str]:
    outcomes = facts.outcomes
    undated = outcomes[(outcomes["kind"] == "churned") & outcomes["occurred_on"].isna()]
    return set(undated["account_id"])


def plan_history(
    first_day: int, last_day: int, window_days: int, horizon_days: int
) -> HistoryPlan:
    """Weekly observations whose window is full and whose horizon is known."""
    last = last_day - horizon_days
    first = first_day + window_days - 1
    if last < first:
        raise NotEnoughHistory(
            f"fitting needs at least {window_days + horizon_days} days of events "
            f"and outcomes (a {window_days}-day metric window plus the "
            f"{horizon_days}-day churn horizon); the data covers "
            f"{last_day - first_day + 1} days "
            f"({from_day_number(first_day)} to {from_day_number(last_day)})"
        )
    weeks = min((last - first) // 7 + 1, MAX_WEEKS)
    return HistoryPlan(from_day_number(last), weeks)


def label_history(
    history: pd.DataFrame, churns: pd.DataFrame, horizon_days: int
) -> pd.Series:
    """True where the account churned in ``(observed_day, observed_day + horizon]``."""
    within = _days_to_next(history, churns) <= horizon_days
    return pd.Series(within, index=history.index, name="churned")


def renewal_within(
    history: pd.DataFrame,
    contracts: pd.DataFrame,
    horizon_days: int,
    term_months: Callable[[str | None], int | None] | None = None,
) -> pd.Series:
    """True where a contract term of the account ends in ``(observed_day,
    observed_day + horizon]``: the observations a renewal is decided in.

    A contract's term ends on its end date; an open-ended one running on the
    day renews every term its billing period gives (``term_months``, as the
    renewals view reads it), and one whose period is unknown is not counted.
    Only terms at least the horizon long count: over a shorter one (a monthly
    subscription) the horizon's churn probability already spans renewals.
    """
    start, end = day_of(contracts["start_date"]), day_of(contracts["end_date"])
    ends = pd.DataFrame({"account_id": contracts["account_id"], "day": end})
    ends = ends[(end - start + 1) >= horizon_days].dropna(subset=["day"])
    within = _days_to_next(history, ends) <= horizon_days
    if term_months is not None:
        within |= _open_terms_ending(history, contracts, horizon_days, term_months)
    return pd.Series(within, index=history.index, name="renewing")


def _open_terms_ending(
    history: pd.DataFrame,
    contracts: pd.DataFrame,
    horizon_days: int,
    term_months: Callable[[str | None], int | None],
) -> np.ndarray:
    """Per history row: does an open-ended contract's term end within the
    horizon after it? One vectorised pass per observation day."""
    flags = np.zeros(len(history), dtype=bool)
    if "billing_period" not in contracts.columns:
        return flags
    open_ended = contracts[contracts["end_date"].isna()]
    months = open_ended["billing_period"].map(term_months).astype("float64")
    open_ended = open_ended.assign(
        months=months,
        start=day_of(open_ended["start_date"]),
        closed=day_of(open_ended["closed_on"]),
    ).dropna(subset=["months", "start"])
    open_ended = open_ended[open_ended["months"] * DAYS_PER_MONTH >= horizon_days]
    if open_ended.empty:
        return flags
    observed = history["observed_day"].astype("int64").to_numpy()
    accounts = history["account_id"].to_numpy()
    for number in np.unique(observed):
        running = open_ended[
            (open_ended["start"] <= number)
            & ~(open_ended["closed"] <= number)  # NaN: never closed
        ]
        if running.empty:
            continue
        day = from_day_number(int(number))
        renews = next_renewals(
            pd.to_datetime(running["start_date"]), running["months"], day
        )
        left = (renews - pd.Timestamp(day)).dt.days - 1  # to the term's last day
        due = set(running.loc[left.to_numpy() <= horizon_days, "account_id"])
        rows = observed == number
        flags[rows] = pd.Series(accounts[rows]).isin(due).to_numpy()
    return flags


def _days_to_next(history: pd.DataFrame, dated: pd.DataFrame) -> np.ndarray:
    """Per history row, the days to the account's first ``dated`` day strictly
    after its observation day (NaN if none)."""
    if dated.empty:
        return np.full(len(history), np.nan)
    rows = pd.DataFrame(
        {
            "account_id": history["account_id"].to_numpy(),
            "observed_day": history["observed_day"].astype("int64").to_numpy(),
            "position": np.arange(len(history)),
        }
    ).sort_values("observed_day")
    following = pd.merge_asof(
        rows,
        dated[["account_id", "day"]].astype({"day": "int64"}).sort_values("day"),
        left_on="observed_day",
        right_on="day",
        by="account_id",
        direction="forward",
        allow_exact_matches=False,
    ).sort_values("position")
    return (following["day"] - following["observed_day"]).to_numpy(dtype=float)
