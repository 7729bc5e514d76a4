"""Learning a scorecard's weights from churn history, with an honest backtest.

The score is a regularised logistic regression on standardised metrics (skewed
ones log-transformed, strongly correlated ones averaged into one feature,
categories one-hot). Its backtest scores held-out observations with the very
scorecard each fold learned, so the reported AUC is the AUC of the score a
team would have had. When the AUC interval includes 0.5 the weights are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

from steward.errors import NotEnoughHistory
from steward.scoring.backtest import Fold, snapshot_folds, time_folds
from steward.scoring.features import FeaturePlan, fit_encoder, plan_features
from steward.scoring.renewal_risk import fit_renewal_calibration
from steward.scoring.report import build_report, imputed_metrics
from steward.scoring.score import level_keys, log_odds_of_staying, numeric_values
from steward.scoring.scorecard import FitReport, Scorecard

# Fixed rather than chosen on the backtest folds: picking C on the folds that
# report the AUC would flatter it, and on standardised metrics with hundreds of
# observations C = 1 already shrinks little and stabilises collinear weights.
REGULARISATION_C = 1.0
# Grouping correlated metrics makes their weights stable and explainable; it is
# kept unless splitting the group raises the backtest AUC by more than this.
GROUPING_TOLERANCE = 0.002
MIN_PER_CLASS = 10
# HistGradientBoosting takes at most 255 bins; rarer levels count as missing.
CHALLENGER_MAX_LEVELS = 250


@dataclass
class TrainingSet:
    """One row per observation: an account's metrics on a date and its outcome.

    ``churned`` says whether the account left within the scorecard's
    ``horizon_days`` after ``observed_on``; only observations whose outcome is
    known belong here. ``observed_on`` None means a snapshot with no dates,
    which is cross-validated instead of backtested in time order. Columns of
    ``features`` with object, string or category dtype are categories.
    """

    features: pd.DataFrame
    churned: pd.Series
    account: pd.Series
    observed_on: pd.Series | None = None
    # Whether a contract term of the account ended within the horizon after
    # the observation: the observations the renewal calibration learns from.
    renewing: pd.Series | None = None


@dataclass(frozen=True)
class FitResult:
    scorecard: Scorecard
    report: FitReport


def fit_scorecard(
    current: Scorecard, training: TrainingSet, *, seed: int = 0
) -> FitResult:
    """Learn and backtest new weights; keep the current ones when there is no signal.

    Deterministic for a given seed (apart from ``fitted_at``).
    """
    # One thread for BLAS and OpenMP: the models here are small, and on shared
    # cores (the daily run, a web server) their threads spin-wait on each other,
    # measured up to 8x slower than one thread.
    with threadpool_limits(limits=1):
        return _fit(current, training, seed)


def _fit(current: Scorecard, training: TrainingSet, seed: int) -> FitResult:
    features, churned, account = _checked(current, training)
    observed_on = training.observed_on
    plan = plan_features(current, features)
    folds = _folds(current, churned, account, observed_on, seed)
    plan, kept_apart = _settle_groups(plan, current, features, churned, folds)

    test = np.concatenate([fold.test for fold in folds])
    risks = {
        "score": np.concatenate(
            [_score_risk(plan, current, features, churned, fold) for fold in folds]
        ),
        "challenger": _challenger_risk(plan, features, churned, folds, seed),
    }
    report = build_report(
        current=current,
        plan=plan,
        folds=folds,
        risks=risks,
        churned=churned,
        account=account,
        test=test,
        time_ordered=observed_on is not None,
        imputed=imputed_metrics(plan, features),
        kept_apart=kept_apart,
        regularisation_c=REGULARISATION_C,
        seed=seed,
    )
    if report.verdict == "no_signal":
        return FitResult(current.model_copy(update={"fit": report}), report)
    if training.renewing is not None:
        renewing = training.renewing.to_numpy(dtype=bool)[test]
        calibration = fit_renewal_calibration(
            risks["score"],
            churned[test],
            renewing,
            account[test],
            current.horizon_days,
        )
        report = report.model_copy(update={"renewals": calibration})

    learned = _train(plan, current, features, churned, np.arange(churned.size))
    fitted = Scorecard.model_validate(
        {
            **learned.model_dump(),
            "version": current.version + 1,
            "description": (
                "Weights learned by `steward fit` from the team's churn history; "
                "the backtest that chose them is under `fit` below."
            ),
            "fit": report.model_dump(),
        }
    )
    return FitResult(fitted, report)


def _checked(
    current: Scorecard, training: TrainingSet
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    metrics = [factor.metric for factor in current.factors]
    absent = [m for m in metrics if m not in training.features.columns]
    if absent:
        raise NotEnoughHistory(
            f"the training set has no column for {', '.join(absent)}: the metric "
            f"history must include every metric scorecard {current.name!r} names"
        )
    sizes = {len(training.features), len(training.churned), len(training.account)}
    for optional in (training.observed_on, training.renewing):
        if optional is not None:
            sizes.add(len(optional))
    if len(sizes) > 1:
        raise ValueError(
            "features, churned, account, observed_on and renewing differ in length"
        )
    unknown = int(training.churned.isna().sum())
    if unknown:
        raise NotEnoughHistory(
            f"{unknown} observation(s) have no known outcome; leave out observations "
            "less than horizon_days before the end of the history"
        )
    if training.observed_on is not None and training.observed_on.isna().any():
        raise NotEnoughHistory(
            "some observations have no observed_on date; give every observation "
            "its date, or pass observed_on=None to cross-validate a snapshot"
        )

    churned = training.churned.to_numpy(dtype=bool)
    positives = int(churned.sum())
    if min(positives, churned.size - positives) < MIN_PER_CLASS:
        raise NotEnoughHistory(
            f"fitting needs at least {MIN_PER_CLASS} churned and {MIN_PER_CLASS} "
            f"retained observations; the training set has {positives} churned and "
            f"{churned.size - positives} retained. Import more outcomes (renewals "
            "and churns) before fitting"
        )
    features = training.features[metrics].reset_index(drop=True)
    return features, churned, training.account.astype(str).to_numpy()


def _folds(
    current: Scorecard,
    churned: np.ndarray,
    account: np.ndarray,
    observed_on: pd.Series | None,
    seed: int,
) -> list[Fold]:
    if observed_on is None:
        folds = snapshot_folds(churned, account, seed)
        problem = "too few churned or retained observations for 5 folds"
    else:
        folds = time_folds(observed_on, churned, current.horizon_days)
        dates = pd.to_datetime(observed_on)
        problem = (
            f"the observations from {dates.min():%Y-%m-%d} to {dates.max():%Y-%m-%d} "
            f"leave no backtest fold: each fold trains on observations at least "
            f"{current.horizon_days} days before its test dates and needs 5 churned "
            "and 5 retained among them. Import a longer history, or fit a snapshot "
            "without dates"
        )
    test = np.concatenate([f.test for f in folds]) if folds else np.array([], int)
    tested = churned[test]
    if min(int(tested.sum()), int((~tested).sum())) == 0:
        raise NotEnoughHistory(f"cannot backtest: {problem}")
    return folds


def _train(
    plan: FeaturePlan,
    current: Scorecard,
    features: pd.DataFrame,
    churned: np.ndarray,
    rows: np.ndarray,
) -> Scorecard:
    """The scorecard a logistic regression learns from the given rows."""
    encoder = fit_encoder(plan, features.iloc[rows])
    model = LogisticRegression(C=REGULARISATION_C, max_iter=2000)
    model.fit(encoder.design(features.iloc[rows]), churned[rows])
    factors, intercept = encoder.factors(model.coef_[0], model.intercept_[0], current)
    return current.model_copy(update={"factors": factors, "intercept": intercept})


def _score_risk(
    plan: FeaturePlan,
    current: Scorecard,
    features: pd.DataFrame,
    churned: np.ndarray,
    fold: Fold,
) -> np.ndarray:
    """Held-out churn log-odds, computed by the scorecard the fold learned."""
    card = _train(plan, current, features, churned, fold.train)
    return -log_odds_of_staying(card, features.iloc[fold.test])


def _settle_groups(
    plan: FeaturePlan,
    current: Scorecard,
    features: pd.DataFrame,
    churned: np.ndarray,
    folds: list[Fold],
) -> tuple[FeaturePlan, dict[str, float]]:
    """Split a correlated group when averaging it loses backtest AUC.

    Averaging fails when correlated metrics carry different information (the
    telco data's tenure and total charges: a long-standing customer with low
    total charges is a different risk), so the choice is measured, not assumed.
    Returns the settled plan and the groups kept apart, each with the backtest
    AUC that averaging it would have cost. The choice is made on the folds that
    also report the AUC, which flatters it by at most that cost.
    """
    if not plan.groups:
        return plan, {}
    test = np.concatenate([fold.test for fold in folds])

    def backtest_auc(candidate: FeaturePlan) -> float:
        risk = np.concatenate(
            [_score_risk(candidate, current, features, churned, f) for f in folds]
        )
        return float(roc_auc_score(churned[test], risk))

    grouped_auc = backtest_auc(plan)
    settled, kept_apart = plan, {}
    for name in plan.groups:
        cost = backtest_auc(plan.without_group(name)) - grouped_auc
        if cost > GROUPING_TOLERANCE:
            settled = settled.without_group(name)
            kept_apart[name] = round(cost, 4)
    return settled, kept_apart


def _challenger_risk(
    plan: FeaturePlan,
    features: pd.DataFrame,
    churned: np.ndarray,
    folds: list[Fold],
    seed: int,
) -> np.ndarray:
    """Gradient boosting on the raw metrics, on the same folds as the score."""
    frame = _tree_frame(plan, features)
    # A metric with no value at all breaks HistGradientBoosting's binning.
    frame = frame.loc[:, frame.notna().any()]
    if frame.empty:
        return np.zeros(sum(fold.test.size for fold in folds))
    risks = []
    for fold in folds:
        model = HistGradientBoostingClassifier(
            categorical_features="from_dtype", random_state=seed
        )
        model.fit(frame.iloc[fold.train], churned[fold.train])
        risks.append(model.predict_proba(frame.iloc[fold.test])[:, 1])
    return np.concatenate(risks)


def _tree_frame(plan: FeaturePlan, features: pd.DataFrame) -> pd.DataFrame:
    columns = {}
    for metric in plan.metrics:
        if metric in plan.categorical:
            keys = level_keys(features[metric])
            common = keys.value_counts().index[:CHALLENGER_MAX_LEVELS]
            columns[metric] = pd.Categorical(keys, categories=sorted(common))
        else:
            values = numeric_values(features[metric])
            columns[metric] = np.where(np.isfinite(values), values, np.nan)
    return pd.DataFrame(columns)
