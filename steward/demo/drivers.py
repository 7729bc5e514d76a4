"""The behaviours that decide renewals in the demo company, strongest first.

Each account carries four hidden behaviours that drift day by day (see
:mod:`steward.demo.timeline`). At every renewal the averages of the three
drivers over the 90 days before the contract ends set the odds of churning.
The fourth behaviour (errors) and everything else Steward measures (logins,
API calls, feature breadth, tenure...) follow from account size, plan and
chance and have no effect of their own. So a health score fitted on the demo
company should rank these metrics in this order, with these signs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Driver:
    """One behaviour, the Steward metric it shows up in, and its effect on renewal.

    ``sign`` is +1 when a higher metric value means the account is likelier to
    renew. ``weight`` is the change in the log-odds of renewing per unit of the
    behaviour (a standard-normal process) averaged over the 90 days before the
    contract ends. ``churn_reasons`` are the reason tags of a churn this
    behaviour caused, the usual one first.
    """

    behaviour: str
    metric: str
    sign: int
    weight: float
    churn_reasons: tuple[str, ...]
    description: str


DRIVERS: tuple[Driver, ...] = (
    Driver(
        "adoption",
        "seat_utilisation",
        +1,
        4.0,
        ("low_adoption", "missing_feature"),
        "share of licensed seats whose users work in the product",
    ),
    Driver(
        "support_load",
        "tickets_per_month",
        -1,
        2.2,
        ("support",),
        "support tickets the account opens",
    ),
    Driver(
        "sentiment",
        "latest_nps",
        +1,
        1.2,
        ("competitor", "pricing"),
        "how the account's contacts answer the quarterly NPS survey",
    ),
)

# Every hidden behaviour, drivers first. ``reliability_pain`` moves the error
# rate but has no effect on renewal: a decoy a fitted score should ignore.
BEHAVIOURS = (*(driver.behaviour for driver in DRIVERS), "reliability_pain")

# The share of decided renewals that churn, on average over the portfolio.
TARGET_CHURN_RATE = 0.20


def churn_logit(averages: np.ndarray) -> np.ndarray:
    """Log-odds of churning without the intercept, one per renewal.

    ``averages`` has one row per renewal and one column per behaviour in
    :data:`BEHAVIOURS` order; each behaviour is on a standard-normal scale where a
    higher value raises its metric.
    """
    effects = np.array([driver.sign * driver.weight for driver in DRIVERS])
    return -(averages[:, : len(DRIVERS)] @ effects)


def intercept_for(logits: np.ndarray, churn_rate: float = TARGET_CHURN_RATE) -> float:
    """The intercept that makes the mean churn probability equal ``churn_rate``.

    Solved on the renewals at hand, so the portfolio's churn rate stays near the
    target whatever the seed or the number of accounts.
    """
    if logits.size == 0:
        return float(np.log(churn_rate / (1 - churn_rate)))
    low, high = -20.0, 20.0
    for _ in range(60):
        middle = (low + high) / 2
        mean = np.mean(1 / (1 + np.exp(-(logits + middle))))
        low, high = (middle, high) if mean < churn_rate else (low, middle)
    return (low + high) / 2
