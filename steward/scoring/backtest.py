"""Backtest folds and the measures reported for them: AUC and top-decile lift,
each with a 95% interval from resampling accounts.

An account is observed many times (every week), so its observations are not
independent: the bootstrap draws whole accounts, which widens the interval to
what the number of accounts, not observations, supports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from steward.scoring.scorecard import FoldSummary, Interval

RESAMPLES = 1000
TOP_SHARE = 0.10
TIME_FOLDS = 4
CV_FOLDS = 5
# A fold whose training rows hold fewer of either outcome cannot learn weights.
MIN_PER_CLASS = 5


@dataclass(frozen=True)
class Fold:
    train: np.ndarray
    test: np.ndarray
    summary: FoldSummary


@dataclass(frozen=True)
class Measured:
    auc: float
    auc_interval: Interval
    lift: float
    lift_interval: Interval


def time_folds(
    observed_on: pd.Series, churned: np.ndarray, horizon_days: int
) -> list[Fold]:
    """Rolling-origin folds over the later half of the timeline.

    Each fold tests a block of consecutive observation dates and trains only on
    observations at least ``horizon_days`` before the block's first date, when
    their outcome was already known.
    """
    days = pd.to_datetime(observed_on).to_numpy().astype("datetime64[D]")
    dates = np.unique(days)
    horizon = np.timedelta64(horizon_days, "D")
    middle = dates[0] + (dates[-1] - dates[0]) // 2
    candidates = dates[(dates >= middle) & (dates - horizon >= dates[0])]
    if candidates.size == 0:
        return []

    folds = []
    for block in np.array_split(candidates, min(TIME_FOLDS, candidates.size)):
        train = np.flatnonzero(days <= block[0] - horizon)
        test = np.flatnonzero((days >= block[0]) & (days <= block[-1]))
        if not _learnable(churned[train]):
            continue
        summary = FoldSummary(
            train_observations=train.size,
            test_observations=test.size,
            test_from=str(block[0]),
            test_to=str(block[-1]),
            trained_until=str(days[train].max()),
        )
        folds.append(Fold(train, test, summary))
    return folds


def snapshot_folds(churned: np.ndarray, account: np.ndarray, seed: int) -> list[Fold]:
    """Stratified 5-fold cross-validation; an account's rows stay in one fold."""
    rows = np.zeros(churned.size)
    if pd.Series(account).duplicated().any():
        splitter = StratifiedGroupKFold(CV_FOLDS, shuffle=True, random_state=seed)
        splits = splitter.split(rows, churned, groups=account)
    else:
        splits = StratifiedKFold(CV_FOLDS, shuffle=True, random_state=seed).split(
            rows, churned
        )
    folds = []
    for train, test in splits:
        if _learnable(churned[train]):
            summary = FoldSummary(
                train_observations=train.size, test_observations=test.size
            )
            folds.append(Fold(train, test, summary))
    return folds


def _learnable(churned: np.ndarray) -> bool:
    positives = int(churned.sum())
    return min(positives, churned.size - positives) >= MIN_PER_CLASS


def measure(
    risks: dict[str, np.ndarray], churned: np.ndarray, account: np.ndarray, seed: int
) -> dict[str, Measured]:
    """AUC and lift of each model's risk, with intervals from the same draws.

    Every model is judged on the same resampled accounts, so their intervals
    are comparable side by side.
    """
    y = churned.astype(float)
    _, account_codes = np.unique(account, return_inverse=True)
    n_accounts = int(account_codes.max()) + 1
    rng = np.random.default_rng(seed)
    draws = [
        np.bincount(rng.integers(0, n_accounts, n_accounts), minlength=n_accounts)
        for _ in range(RESAMPLES)
    ]

    measured = {}
    for name, risk in risks.items():
        ranks = np.unique(risk, return_inverse=True)[1]
        order = np.argsort(-risk, kind="stable")
        ones = np.ones_like(y)
        aucs, lifts = [], []
        for counts in draws:
            weights = counts[account_codes].astype(float)
            aucs.append(_auc(ranks, y, weights))
            lifts.append(_lift(order, y, weights))
        measured[name] = Measured(
            auc=_auc(ranks, y, ones),
            auc_interval=_interval(aucs),
            lift=_lift(order, y, ones),
            lift_interval=_interval(lifts),
        )
    return measured


def _auc(ranks: np.ndarray, y: np.ndarray, weights: np.ndarray) -> float:
    """Weighted Mann-Whitney AUC: P(risk of a churner > risk of a stayer)."""
    size = int(ranks.max()) + 1
    positives = np.bincount(ranks, weights=weights * y, minlength=size)
    negatives = np.bincount(ranks, weights=weights * (1 - y), minlength=size)
    total_pos, total_neg = positives.sum(), negatives.sum()
    if total_pos == 0 or total_neg == 0:
        return float("nan")
    below = np.cumsum(negatives) - negatives
    return float(positives @ (below + 0.5 * negatives) / (total_pos * total_neg))


def _lift(order: np.ndarray, y: np.ndarray, weights: np.ndarray) -> float:
    """Churn rate among the riskiest 10% of (weighted) observations / base rate."""
    w, outcome = weights[order], y[order]
    before = np.cumsum(w) - w
    top = before < TOP_SHARE * w.sum()
    base = (w @ outcome) / w.sum()
    if base == 0:
        return float("nan")
    return float((w[top] @ outcome[top]) / w[top].sum() / base)


def _interval(values: list[float]) -> Interval:
    finite = np.asarray(values)[np.isfinite(values)]
    low, high = np.percentile(finite, [2.5, 97.5])
    return (round(float(low), 4), round(float(high), 4))
