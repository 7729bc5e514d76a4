"""The chance a contract does not renew, from the health model and past renewals.

The health model's churn probability is the chance of leaving within its
horizon (90 days by default) from any week. Most weeks have no renewal in
them, so where customers leave only when a term ends, that probability
understates the risk of a contract about to renew: in the demo company the
renewals due within 90 days averaged a 1.7% churn probability while 16% of
the past year's renewals were lost.

``steward fit`` therefore also learns, from the same backtest, how the
score's churn log-odds map to churn among the observations whose account
had a contract term ending within the horizon: a one-feature logistic
regression on the held-out log-odds (Platt scaling), so the mapping is
learned on scores the model did not train on. The renewals forecast applies
it to every undecided renewal of a term at least the horizon long.

A shorter term (a monthly subscription) renews several times within the
horizon, so the horizon's probability overstates the risk of one renewal:
the forecast spreads it over the term at a constant rate instead,
``1 - (1 - p) ** (term / horizon)``, with or without a calibration. No I/O
here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, logit
from sklearn.linear_model import LogisticRegression

from steward.scoring.scorecard import RenewalCalibration

# Fewer churned or renewed observations than this among the renewing ones:
# no calibration is learned, and the forecast says it uses the raw probability.
MIN_PER_CLASS = 5


def fit_renewal_calibration(
    churn_log_odds: np.ndarray,
    churned: np.ndarray,
    renewing: np.ndarray,
    account: np.ndarray,
    horizon_days: int,
) -> RenewalCalibration | None:
    """The mapping learned on the renewing observations, or None if too few.

    Arrays are aligned, one entry per held-out observation: the score's
    churn log-odds, whether the account churned within the horizon, whether
    a contract term (at least the horizon long) of the account ended within
    the horizon, its account.
    """
    renewing = np.asarray(renewing, dtype=bool)
    x = np.asarray(churn_log_odds, dtype=float)[renewing]
    y = np.asarray(churned, dtype=bool)[renewing]
    positives = int(y.sum())
    if min(positives, y.size - positives) < MIN_PER_CLASS or not np.isfinite(x).all():
        return None
    # Hardly any shrinkage: two parameters on hundreds of observations.
    model = LogisticRegression(C=1e4, max_iter=1000)
    model.fit(x.reshape(-1, 1), y)
    return RenewalCalibration(
        intercept=round(float(model.intercept_[0]), 6),
        slope=round(float(model.coef_[0][0]), 6),
        horizon_days=horizon_days,
        observations=int(y.size),
        accounts=int(np.unique(np.asarray(account)[renewing]).size),
        churned=positives,
        churn_rate=round(positives / y.size, 6),
        mean_probability=round(float(np.mean(expit(x))), 6),
    )


def renewal_risk(calibration: RenewalCalibration, churn_probability: float) -> float:
    """The calibrated chance of not renewing for a stored churn probability."""
    p = min(max(churn_probability, 1e-9), 1.0 - 1e-9)
    return float(expit(calibration.intercept + calibration.slope * logit(p)))


@dataclass(frozen=True)
class RenewalModel:
    """What a scorecard says about renewals: its churn horizon and, once
    ``steward fit`` has learned one, its calibration."""

    horizon_days: int
    calibration: RenewalCalibration | None = None

    def risk(self, churn_probability: float, term_days: float) -> tuple[float, str]:
        """The chance one renewal of a ``term_days`` term is lost, and how it was
        found: ``calibrated``, ``per_term`` (a term shorter than the horizon), or
        ``horizon`` (the churn probability as it is, with no calibration)."""
        if term_days < self.horizon_days:
            share = max(term_days, 0.0) / self.horizon_days
            return 1.0 - (1.0 - churn_probability) ** share, "per_term"
        if self.calibration is not None:
            return renewal_risk(self.calibration, churn_probability), "calibrated"
        return churn_probability, "horizon"
