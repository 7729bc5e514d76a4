"""Scoring and fitting speed on synthetic data.

    .venv/bin/python -m benchmarks.scoring [--accounts N] [--observations N]

Times, on the shipped default scorecard, ``score_frame`` and
``contributions_by_account`` for N accounts (100,000 by default), then
``fit_scorecard`` on a time-ordered training set of about N observations
(weekly observations of accounts over two years, churn driven by three of the
metrics). Prints the best of three runs for scoring and one fit, each with
a baseline timed in the same run: for scoring, a bare weighted sum of the
same standardised metrics in NumPy; for fitting, one scikit-learn logistic
regression on the same rows, with no transforms, grouping or backtest.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
import pandas as pd
from scipy.special import expit

from steward.scoring import (
    DEFAULT_SCORECARD,
    contributions_by_account,
    load_scorecard,
    score_frame,
)
from steward.scoring.fit import TrainingSet, fit_scorecard

WEEKS = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--observations", type=int, default=100_000)
    args = parser.parse_args()

    card = load_scorecard(DEFAULT_SCORECARD)
    metrics = usage_metrics(card.factors, args.accounts, np.random.default_rng(0))
    scored = score_frame(card, metrics)
    bare = best_of(3, weighted_sum, metrics)
    print(f"baseline, a bare weighted sum, {args.accounts:,} accounts: {bare:.3f} s")
    took = best_of(3, score_frame, card, metrics)
    print(f"score_frame, {args.accounts:,} accounts: {took:.3f} s ({took / bare:.1f}x)")
    took = best_of(3, contributions_by_account, card, metrics, scored)
    print(f"contributions_by_account, {args.accounts:,} accounts: {took:.3f} s")

    training = training_set(card.factors, args.observations // WEEKS)
    rows = len(training.features)
    bare = best_of(1, plain_logistic, training)
    print(f"baseline, one LogisticRegression, {rows:,} observations: {bare:.1f} s")
    started = time.perf_counter()
    result = fit_scorecard(card, training)
    took = time.perf_counter() - started
    print(f"fit_scorecard, {rows:,} observations: {took:.1f} s ({took / bare:.0f}x)")
    print(result.report.message)


def best_of(runs: int, function, *args) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - started)
    return min(times)


def weighted_sum(metrics: pd.DataFrame) -> np.ndarray:
    values = metrics.to_numpy(dtype=float)
    z = (values - np.nanmean(values, axis=0)) / np.nanstd(values, axis=0)
    return np.nan_to_num(z) @ np.full(values.shape[1], 1.0 / values.shape[1])


def plain_logistic(training: TrainingSet) -> None:
    from sklearn.linear_model import LogisticRegression

    features = training.features.fillna(training.features.median())
    LogisticRegression(max_iter=1000).fit(features, training.churned)


def usage_metrics(factors, rows: int, rng: np.random.Generator) -> pd.DataFrame:
    """Skewed, non-negative metrics with about 5% missing, NPS mostly missing."""
    frame = pd.DataFrame(
        {f.metric: rng.gamma(2.0, 3.0, rows) for f in factors},
        index=[f"acc-{i}" for i in range(rows)],
    )
    frame["seat_utilisation"] = rng.beta(2, 2, rows)
    frame = frame.mask(rng.random(frame.shape) < 0.05)
    frame.loc[rng.random(rows) < 0.6, "latest_nps"] = np.nan
    return frame


def training_set(factors, accounts: int) -> TrainingSet:
    rng = np.random.default_rng(1)
    account = np.repeat(np.arange(accounts), WEEKS)
    lasting = usage_metrics(factors, accounts, rng)
    features = lasting.iloc[account].reset_index(drop=True)
    features = features * rng.lognormal(0, 0.2, features.shape)
    features["seat_utilisation"] = features["seat_utilisation"].clip(0, 1)
    z = (features - features.mean()) / features.std()
    stay = (
        1.5
        + 1.0 * z["seat_utilisation"].fillna(0)
        - 0.6 * z["tickets_per_month"].fillna(0)
        + 0.3 * z["latest_nps"].fillna(0)
    )
    week = np.tile(np.arange(WEEKS), accounts)
    start = dt.date(2023, 1, 2)
    return TrainingSet(
        features=features,
        churned=pd.Series(rng.random(len(features)) < 1 - expit(stay)),
        account=pd.Series(account.astype(str)),
        observed_on=pd.Series([start + dt.timedelta(weeks=int(w)) for w in week]),
    )


if __name__ == "__main__":
    main()
