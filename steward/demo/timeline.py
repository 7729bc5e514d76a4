"""Time in the demo company: the day grid, drifting behaviours, contracts and renewals.

Every account lives on one grid of days ending on ``as_of``. Its behaviours
(:data:`steward.demo.drivers.DRIVERS`) are standard-normal processes: a part
fixed for the account plus a part that drifts and reverts over a few months,
so an account can slide toward churn during a contract and a renewal is
decided by how it behaved in the 90 days before the contract ended.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from dateutil.relativedelta import relativedelta
from scipy.signal import lfilter

from steward.demo.drivers import BEHAVIOURS, DRIVERS, churn_logit, intercept_for

HISTORY_YEARS = 3
# A month of slack before the oldest signing so every first contract fits.
GRID_DAYS = HISTORY_YEARS * 365 + 30
PRE_RENEWAL_DAYS = 90
# How long a drift lasts (days), and how much of a behaviour is fixed per account.
DRIFT_DAYS = 90.0
FIXED_SHARE = 0.8
_BURN_IN = 365


@dataclass(frozen=True)
class Grid:
    """Days ``0..days-1``; the last one is ``as_of``."""

    as_of: dt.date
    days: int = GRID_DAYS

    @property
    def first_day(self) -> dt.date:
        return self.as_of - dt.timedelta(days=self.days - 1)

    def date(self, index: int) -> dt.date:
        return self.first_day + dt.timedelta(days=int(index))

    def index(self, day: dt.date) -> int:
        return (day - self.first_day).days


def simulate_behaviour(
    rng: np.random.Generator, accounts: int, days: int
) -> np.ndarray:
    """Behaviours shaped (len(BEHAVIOURS), accounts, days), each standard normal."""
    shape = (len(BEHAVIOURS), accounts)
    noise = rng.standard_normal((*shape, days + _BURN_IN))
    keep = np.exp(-1.0 / DRIFT_DAYS)
    # An AR(1) process scaled to unit variance; the burn-in forgets its start.
    drift = lfilter([np.sqrt(1 - keep**2)], [1.0, -keep], noise, axis=-1)
    fixed = rng.standard_normal((*shape, 1))
    mixed = FIXED_SHARE * fixed + np.sqrt(1 - FIXED_SHARE**2) * drift[..., _BURN_IN:]
    return mixed.astype(np.float32)


@dataclass(frozen=True)
class Renewals:
    """Every contract, and the grid day each account churned on (-1: still live)."""

    contracts: pd.DataFrame
    churned_on: np.ndarray


def decide_renewals(
    rng: np.random.Generator,
    grid: Grid,
    behaviour: np.ndarray,
    firms: pd.DataFrame,
) -> Renewals:
    """Chain yearly contracts from each signing to ``as_of``, deciding each renewal.

    ``firms`` needs account_id, signed (grid index), seats, arr and plan of the
    first contract. A contract that ended by ``as_of`` is renewed, expanded,
    contracted or churned; churn ends the chain.
    """
    ends = _contract_ends(grid, firms)
    averages = np.array(
        [
            behaviour[:, account, end - PRE_RENEWAL_DAYS + 1 : end + 1].mean(axis=1)
            for account, end in ends
        ]
    ).reshape(-1, len(BEHAVIOURS))
    logits = churn_logit(averages)
    churn_p = 1 / (1 + np.exp(-(logits + intercept_for(logits))))
    churns = rng.random(len(ends)) < churn_p
    decided = {key: row for row, key in enumerate(ends)}

    rows = []
    churned_on = np.full(len(firms), -1, dtype=np.int64)
    for account, firm in enumerate(firms.itertuples()):
        terms = (int(firm.seats), float(firm.arr), str(firm.plan))
        for number in range(1, HISTORY_YEARS + 2):
            start, end = _term(grid.date(firm.signed), number)
            row = _contract_row(rng, firm.account_id, number, start, end, terms)
            rows.append(row)
            decision = decided.get((account, grid.index(end)))
            if decision is None:
                break
            if churns[decision]:
                _churn(rng, row, averages[decision])
                churned_on[account] = grid.index(end)
                break
            terms = _renew(rng, row, averages[decision])
    return Renewals(pd.DataFrame(rows), churned_on)


def _term(signed: dt.date, number: int) -> tuple[dt.date, dt.date]:
    """First and last day of the ``number``-th yearly contract since ``signed``."""
    start = signed + relativedelta(years=number - 1)
    return start, signed + relativedelta(years=number) - dt.timedelta(days=1)


def _contract_ends(grid: Grid, firms: pd.DataFrame) -> list[tuple[int, int]]:
    """(account, end day) of each contract ending by ``as_of`` if none churned."""
    ends = []
    for account, signed in enumerate(firms["signed"]):
        for number in range(1, HISTORY_YEARS + 2):
            end = grid.index(_term(grid.date(signed), number)[1])
            if end >= grid.days:
                break
            ends.append((account, end))
    return ends


def _contract_row(
    rng: np.random.Generator,
    account_id: str,
    number: int,
    start: dt.date,
    end: dt.date,
    terms: tuple[int, float, str],
) -> dict:
    seats, arr, plan = terms
    return {
        "contract_id": f"{account_id}-C{number}",
        "account_id": account_id,
        "start_date": start,
        "end_date": end,
        "arr": round(arr, 2),
        "seats": seats,
        "plan": plan,
        "billing_period": "annual" if rng.random() < 0.8 else "quarterly",
        "auto_renew": bool(rng.random() < 0.6),
        "outcome": None,
        "outcome_reason": None,
        "closed_on": None,
        "new_arr": None,
    }


PLANS = ("Starter", "Growth", "Enterprise")


def _churn(rng: np.random.Generator, row: dict, averages: np.ndarray) -> None:
    """The account leaves on the contract's last day."""
    row.update(outcome="churned", closed_on=row["end_date"], new_arr=0.0)
    row["outcome_reason"] = _churn_reason(rng, averages)


def _renew(
    rng: np.random.Generator, row: dict, averages: np.ndarray
) -> tuple[int, float, str]:
    """Record a kept customer's renewal; returns the next contract's terms."""
    seats, arr, plan = row["seats"], row["arr"], row["plan"]
    adoption = averages[BEHAVIOURS.index("adoption")]

    # Busy accounts buy seats, idle ones cut them; most renew as they are.
    draw = rng.random()
    if adoption > 0.5 and draw < 0.55:
        factor = rng.uniform(1.15, 1.6)
        outcome, reason = "expanded", "seat_growth"
        if plan != PLANS[-1] and rng.random() < 0.3:
            plan, reason = PLANS[PLANS.index(plan) + 1], "plan_upgrade"
    elif adoption < -0.3 and draw < 0.4:
        factor = rng.uniform(0.6, 0.85)
        outcome = "contracted"
        reason = str(rng.choice(["budget", "low_adoption", "pricing"]))
    else:
        factor, outcome, reason = 1.0, "renewed", None
    new_seats = max(3, int(round(seats * factor)))
    new_arr = round(arr * new_seats / seats, 2)
    closed = row["end_date"] - dt.timedelta(days=int(rng.integers(0, 21)))
    row.update(
        outcome=outcome, outcome_reason=reason, closed_on=closed, new_arr=new_arr
    )
    return new_seats, new_arr, plan


def _churn_reason(rng: np.random.Generator, averages: np.ndarray) -> str:
    """The reason of the behaviour that pushed hardest toward churn, or budget."""
    if rng.random() < 0.15:
        return "budget"
    pushes = [
        -d.sign * d.weight * averages[BEHAVIOURS.index(d.behaviour)] for d in DRIVERS
    ]
    reasons = DRIVERS[int(np.argmax(pushes))].churn_reasons
    # The first reason is the usual one; the others are how some customers put it.
    if len(reasons) == 1 or rng.random() < 0.7:
        return reasons[0]
    return str(rng.choice(list(reasons[1:])))
