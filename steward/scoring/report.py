"""The fit report: what the backtest measured, in numbers and in plain words."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from steward.scoring.backtest import CV_FOLDS, Fold, Measured, measure
from steward.scoring.features import FeaturePlan, centre_of
from steward.scoring.score import numeric_values, transform, untransform
from steward.scoring.scorecard import (
    Challenger,
    FitReport,
    ImputedMetric,
    Interval,
    Scorecard,
)

CHALLENGER_NAME = "HistGradientBoostingClassifier"


def build_report(
    *,
    current: Scorecard,
    plan: FeaturePlan,
    folds: list[Fold],
    risks: dict[str, np.ndarray],
    churned: np.ndarray,
    account: np.ndarray,
    test: np.ndarray,
    time_ordered: bool,
    imputed: dict[str, ImputedMetric],
    kept_apart: dict[str, float],
    regularisation_c: float,
    seed: int,
) -> FitReport:
    measured = measure(risks, churned[test], account[test], seed)
    score, challenger = measured["score"], measured["challenger"]
    low = score.auc_interval[0]
    verdict = "no_signal" if low <= 0.5 else "new_weights"
    message = " ".join(
        [
            _verdict_sentence(score, verdict, current.version),
            _mode_sentence(time_ordered, len(folds), current.horizon_days),
            _challenger_sentence(challenger, score),
            _kept_apart_sentence(kept_apart),
        ]
    ).strip()
    return FitReport(
        mode="time_ordered" if time_ordered else "cross_validated",
        observations=int(churned.size),
        accounts=int(pd.unique(account).size),
        churned=int(churned.sum()),
        base_rate=round(float(churned.mean()), 4),
        auc=round(score.auc, 4),
        auc_interval=score.auc_interval,
        lift_top_decile=round(score.lift, 4),
        lift_interval=score.lift_interval,
        challenger=Challenger(
            name=CHALLENGER_NAME,
            auc=round(challenger.auc, 4),
            auc_interval=challenger.auc_interval,
        ),
        folds=[fold.summary for fold in folds],
        verdict=verdict,
        message=message,
        fitted_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        transforms=dict(plan.transforms),
        groups={name: [m for m, _ in members] for name, members in plan.groups.items()},
        imputed=imputed,
        kept_apart=kept_apart,
        regularisation_c=regularisation_c,
        seed=seed,
    )


def imputed_metrics(
    plan: FeaturePlan, features: pd.DataFrame
) -> dict[str, ImputedMetric]:
    """Numeric metrics with missing values, and the value fitting filled them
    with: the mean of the metric's transformed values, on the metric's scale."""
    imputed = {}
    for metric in plan.numeric:
        name = plan.transforms[metric]
        values = transform(numeric_values(features[metric]), name)
        usable = ~np.isnan(values)
        if usable.all():
            continue
        filled = None
        if usable.any():
            value = untransform(centre_of(values[usable]), name)
            filled = float(f"{value:.6g}") if math.isfinite(value) else None
        imputed[metric] = ImputedMetric(
            missing=int((~usable).sum()), filled_with=filled
        )
    return imputed


# Below this backtest AUC a score separates churners only weakly.
WEAK_AUC = 0.65


def _verdict_sentence(score: Measured, verdict: str, version: int) -> str:
    interval = _interval(score.auc_interval)
    if verdict == "new_weights":
        strength = "signal:"
        if score.auc < WEAK_AUC or score.lift_interval[0] <= 1.0:
            # Better than chance, but not by enough to rank accounts with much
            # confidence: say so rather than let a version bump suggest more.
            strength = (
                "weak signal (AUC below "
                f"{WEAK_AUC} or a top-decile lift that may be 1): treat the "
                "score as a rough guide until more history accrues;"
            )
        return (
            f"{strength} backtest AUC {score.auc:.3f} {interval}, top-decile lift "
            f"{score.lift:.2f} {_interval(score.lift_interval, 2)}; new weights "
            f"written as version {version + 1}."
        )
    if score.auc_interval[1] < 0.5:
        return (
            f"no signal: the backtest AUC interval {interval} lies below 0.5 (the "
            "learned weights did worse than chance on held-out observations), so "
            "the current weights are kept."
        )
    return (
        f"no signal: the backtest AUC interval {interval} includes 0.5, so the "
        "current weights are kept."
    )


def _mode_sentence(time_ordered: bool, folds: int, horizon_days: int) -> str:
    if time_ordered:
        return (
            f"Time-ordered backtest over {folds} rolling-origin folds, each trained "
            f"only on observations at least {horizon_days} days before its first "
            "test date; intervals resample accounts."
        )
    return (
        f"Cross-validated (stratified {CV_FOLDS}-fold), not a backtest in time "
        "order: the observations carry no dates, so this may overstate how well "
        "the score predicts the future."
    )


def _challenger_sentence(challenger: Measured, score: Measured) -> str:
    sentence = (
        f"Gradient-boosting challenger on the same folds: AUC {challenger.auc:.3f} "
        f"{_interval(challenger.auc_interval)}"
    )
    if challenger.auc_interval[0] > score.auc_interval[1]:
        return sentence + (
            "; it finds signal the additive score misses (interactions or "
            "thresholds), worth a look at the metrics."
        )
    return sentence + "."


def _kept_apart_sentence(kept_apart: dict[str, float]) -> str:
    if not kept_apart:
        return ""
    named = ", ".join(f"{name} ({cost:.3f})" for name, cost in kept_apart.items())
    return (
        "Strongly correlated metrics kept as separate factors because averaging "
        f"them cost backtest AUC: {named}."
    )


def _interval(interval: Interval, digits: int = 3) -> str:
    low, high = interval
    return f"[{low:.{digits}f}, {high:.{digits}f}]"
