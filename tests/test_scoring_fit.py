"""Fitting: recovering known drivers, refusing to learn noise, real telco data."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from steward.errors import NotEnoughHistory
from steward.scoring import Factor, Scorecard, score_frame
from steward.scoring.features import fit_encoder, plan_features
from steward.scoring.fit import REGULARISATION_C, TrainingSet, fit_scorecard
from steward.scoring.score import log_odds_of_staying

# Log-odds of staying per standard deviation, strongest first.
DRIVERS = {
    "seat_utilisation": 1.2,
    "tickets_per_month": -0.8,
    "latest_nps": 0.5,
    "error_rate": -0.25,
}
START = dt.date(2023, 1, 2)


def synthetic_company(
    accounts: int, weeks: int, *, seed: int, signal: bool = True
) -> TrainingSet:
    """Weekly observations of accounts whose churn follows DRIVERS (or nothing).

    Each metric is an account's lasting level plus weekly noise; logins and the
    plan have no effect of their own.
    """
    rng = np.random.default_rng(seed)
    rows = accounts * weeks
    account = np.repeat(np.arange(accounts), weeks)

    def level(between: float, within: float) -> np.ndarray:
        lasting = rng.normal(0, between, accounts)[account]
        return lasting + rng.normal(0, within, rows)

    features = pd.DataFrame(
        {
            "seat_utilisation": expit(level(1.0, 0.5)),
            "tickets_per_month": rng.poisson(np.exp(level(0.8, 0.4))),
            "latest_nps": np.clip(np.round(7 + level(1.5, 1.0)), 0, 10),
            "error_rate": expit(-4 + level(0.6, 0.3)),
            "logins": rng.poisson(np.exp(3 + level(0.8, 0.3))),
            "attribute.plan": rng.choice(["starter", "growth", "pro"], accounts)[
                account
            ],
        }
    )
    features.loc[rng.random(rows) < 0.05, "latest_nps"] = np.nan
    z = (features[list(DRIVERS)] - features[list(DRIVERS)].mean()) / features[
        list(DRIVERS)
    ].std()
    stay = 1.5 + (z.fillna(0) * pd.Series(DRIVERS)).sum(axis=1)
    chance = 1 - expit(stay) if signal else np.full(rows, 0.2)
    week = np.tile(np.arange(weeks), accounts)
    return TrainingSet(
        features=features,
        churned=pd.Series(rng.random(rows) < chance),
        account=pd.Series([f"acc-{a}" for a in account]),
        observed_on=pd.Series([START + dt.timedelta(weeks=int(w)) for w in week]),
    )


def blank_scorecard(numbers: list[str], categories: list[str] = ()) -> Scorecard:
    """A scorecard naming the metrics with no weights yet."""
    factors = [Factor(metric=m, mean=0, std=1, weight=0) for m in numbers]
    factors += [Factor(metric=m, kind="category", levels={}) for m in categories]
    return Scorecard(name="learned", factors=factors)


SYNTHETIC_CARD = blank_scorecard([*DRIVERS, "logins"], ["attribute.plan"])


@pytest.fixture(scope="module")
def synthetic_fit():
    training = synthetic_company(400, 40, seed=1)
    return training, fit_scorecard(SYNTHETIC_CARD, training)


def test_fit_recovers_sign_and_rank_order_of_known_drivers(synthetic_fit):
    _, result = synthetic_fit

    weights = {f.metric: f.weight for f in result.scorecard.factors if f.weight}
    for metric, true_weight in DRIVERS.items():
        assert np.sign(weights[metric]) == np.sign(true_weight), metric
    ranked = sorted(DRIVERS, key=lambda m: -abs(weights[m]))
    assert ranked == list(DRIVERS)
    weakest_driver = min(abs(weights[m]) for m in DRIVERS)
    assert abs(weights["logins"]) < weakest_driver
    plan = result.scorecard.factors[-1].levels
    assert max(abs(v) for v in plan.values()) < weakest_driver


def test_fit_writes_new_version_with_time_ordered_backtest(synthetic_fit):
    _, result = synthetic_fit

    report = result.scorecard.fit
    assert result.scorecard.version == 2
    assert report == result.report
    assert (report.mode, report.verdict) == ("time_ordered", "new_weights")
    assert report.auc_interval[0] > 0.5
    assert report.auc_interval[0] <= report.auc <= report.auc_interval[1]
    assert report.lift_interval[0] > 1
    assert report.challenger.name == "HistGradientBoostingClassifier"
    assert report.transforms["tickets_per_month"] == "log1p"
    assert report.transforms["seat_utilisation"] == "none"
    assert report.imputed["latest_nps"].missing > 0
    assert result.scorecard.description.startswith("Weights learned by `steward fit`")
    assert report.message.startswith(f"signal: backtest AUC {report.auc:.3f}")
    assert result.scorecard.knows_churn_rate


def test_backtest_folds_train_only_on_outcomes_known_before_the_test(synthetic_fit):
    training, result = synthetic_fit

    folds = result.report.folds
    assert len(folds) == 4
    for fold in folds:
        gap = dt.date.fromisoformat(fold.test_from) - dt.date.fromisoformat(
            fold.trained_until
        )
        assert gap.days >= SYNTHETIC_CARD.horizon_days
    first_test = dt.date.fromisoformat(folds[0].test_from)
    dates = training.observed_on
    assert first_test >= dates.min() + (dates.max() - dates.min()) / 2


def test_fitted_scorecard_scores_the_training_accounts(synthetic_fit):
    training, result = synthetic_fit

    scored = score_frame(result.scorecard, training.features)

    churned = training.churned.to_numpy()
    assert scored["churn_probability"].notna().all()
    assert roc_auc_score(churned, -scored["score"].to_numpy(dtype=float)) > 0.75
    predicted = scored["churn_probability"].to_numpy(dtype=float).mean()
    assert predicted == pytest.approx(churned.mean(), abs=0.02)


def test_no_signal_keeps_the_current_weights_and_says_so():
    training = synthetic_company(300, 40, seed=2, signal=False)

    result = fit_scorecard(SYNTHETIC_CARD, training)

    report = result.report
    assert report.verdict == "no_signal"
    low, high = report.auc_interval
    assert report.message.startswith(
        f"no signal: the backtest AUC interval [{low:.3f}, {high:.3f}] includes "
        "0.5, so the current weights are kept."
    )
    assert result.scorecard.factors == SYNTHETIC_CARD.factors
    assert result.scorecard.intercept == SYNTHETIC_CARD.intercept
    assert result.scorecard.version == SYNTHETIC_CARD.version
    assert result.scorecard.fit == report
    assert not result.scorecard.knows_churn_rate


def test_fit_is_deterministic_for_a_seed():
    training = synthetic_company(120, 30, seed=3)

    first = fit_scorecard(SYNTHETIC_CARD, training, seed=7)
    second = fit_scorecard(SYNTHETIC_CARD, training, seed=7)

    def without_time(result):
        return result.scorecard.model_dump(exclude={"fit": {"fitted_at"}})

    assert without_time(first) == without_time(second)


def test_strongly_correlated_metrics_share_one_sign_aligned_weight():
    training = synthetic_company(300, 30, seed=4)
    rng = np.random.default_rng(4)
    utilisation = training.features["seat_utilisation"]
    # Two noisy readings of the same behaviour, one of them inverted.
    features = training.features.assign(
        active_share=utilisation + rng.normal(0, 0.02, len(utilisation)),
        idle_share=1 - utilisation + rng.normal(0, 0.02, len(utilisation)),
    )
    training = TrainingSet(
        features, training.churned, training.account, training.observed_on
    )
    card = blank_scorecard(["seat_utilisation", "active_share", "idle_share"])

    result = fit_scorecard(card, training)

    name = "seat_utilisation+active_share+idle_share"
    assert result.report.groups == {
        name: ["seat_utilisation", "active_share", "idle_share"]
    }
    factors = {f.metric: f for f in result.scorecard.factors}
    assert {f.group for f in factors.values()} == {name}
    assert factors["seat_utilisation"].weight > 0
    assert factors["active_share"].weight > 0
    assert factors["idle_share"].weight < 0


def test_fit_without_enough_churn_names_the_counts():
    training = synthetic_company(50, 10, seed=5)
    churned = pd.Series(np.arange(500) < 4)

    with pytest.raises(NotEnoughHistory) as error:
        fit_scorecard(
            SYNTHETIC_CARD, TrainingSet(training.features, churned, training.account)
        )

    assert str(error.value) == (
        "fitting needs at least 10 churned and 10 retained observations; the "
        "training set has 4 churned and 496 retained. Import more outcomes "
        "(renewals and churns) before fitting"
    )


def test_a_missing_value_scores_as_the_model_saw_it():
    training = synthetic_company(300, 20, seed=4)
    features = training.features.copy()
    gaps = np.random.default_rng(4).random((len(features), 2)) < 0.2
    features.loc[gaps[:, 0], "latest_nps"] = np.nan
    features.loc[gaps[:, 1], "attribute.plan"] = None
    plan = plan_features(SYNTHETIC_CARD, features)
    encoder = fit_encoder(plan, features)
    model = LogisticRegression(C=REGULARISATION_C, max_iter=2000)
    model.fit(encoder.design(features), training.churned)
    factors, intercept = encoder.factors(
        model.coef_[0], model.intercept_[0], SYNTHETIC_CARD
    )
    card = SYNTHETIC_CARD.model_copy(
        update={"factors": factors, "intercept": intercept}
    )
    # Rows with gaps, and a plan the training rows never had.
    rows = pd.concat(
        [
            features[gaps[:, 0] | gaps[:, 1]].head(200),
            features.head(50).assign(**{"attribute.plan": "enterprise"}),
        ]
    )

    churn_log_odds = -log_odds_of_staying(card, rows)

    # Equal to the rounding of the weights written in the scorecard.
    np.testing.assert_allclose(
        churn_log_odds, model.decision_function(encoder.design(rows)), atol=1e-4
    )


def test_history_shorter_than_the_horizon_cannot_be_backtested():
    training = synthetic_company(100, 10, seed=6)

    with pytest.raises(NotEnoughHistory) as error:
        fit_scorecard(SYNTHETIC_CARD, training)

    assert str(error.value) == (
        "cannot backtest: the observations from 2023-01-02 to 2023-03-06 leave no "
        "backtest fold: each fold trains on observations at least 90 days before "
        "its test dates and needs 5 churned and 5 retained among them. Import a "
        "longer history, or fit a snapshot without dates"
    )


def test_degenerate_metrics_still_give_a_valid_scorecard():
    training = synthetic_company(150, 30, seed=8)
    rows = len(training.features)
    features = training.features.assign(
        constant=1.0,
        empty=np.nan,
        wild=np.where(np.arange(rows) % 7 == 0, np.inf, 1e308),
    )
    card = blank_scorecard(["seat_utilisation", "constant", "empty", "wild"])

    result = fit_scorecard(
        card,
        TrainingSet(features, training.churned, training.account, training.observed_on),
    )

    factors = {f.metric: f for f in result.scorecard.factors}
    assert factors["constant"].weight == 0
    assert factors["empty"].weight == 0
    assert result.report.imputed["empty"].missing == rows
    assert result.report.imputed["wild"].missing == (rows + 6) // 7
    assert result.report.verdict == "new_weights"


TELCO_NUMBERS = ["tenure", "MonthlyCharges", "TotalCharges", "SeniorCitizen"]


@pytest.fixture(scope="module")
def telco(shared_data) -> pd.DataFrame:
    # A blank TotalCharges (a customer in the first month) stays missing.
    return pd.read_csv(
        shared_data / "churn/ibm_telco_customer_churn.csv", na_values=[" "]
    )


@pytest.mark.slow
def test_learned_telco_score_matches_a_plain_logistic_regression(telco):
    categories = [
        name
        for name in telco.columns
        if name not in ("customerID", "Churn", *TELCO_NUMBERS)
    ]
    columns = TELCO_NUMBERS + categories
    churned = telco["Churn"].eq("Yes")
    plain = make_pipeline(
        make_column_transformer(
            (
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                TELCO_NUMBERS,
            ),
            (OneHotEncoder(handle_unknown="ignore"), categories),
        ),
        LogisticRegression(max_iter=2000),
    )
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    plain_risk = cross_val_predict(
        plain, telco[columns], churned, cv=folds, method="predict_proba"
    )[:, 1]
    plain_auc = roc_auc_score(churned, plain_risk)

    result = fit_scorecard(
        blank_scorecard(TELCO_NUMBERS, categories),
        TrainingSet(telco[columns], churned, telco["customerID"]),
    )

    report = result.report
    print(f"telco AUC: learned score {report.auc:.4f}, plain LR {plain_auc:.4f}")
    assert plain_auc == pytest.approx(0.84, abs=0.01)
    assert report.auc >= plain_auc - 0.005
    assert report.mode == "cross_validated"
    assert "not a backtest in time order" in report.message
    assert [f.test_observations for f in report.folds] == [
        len(test) for _, test in folds.split(telco, churned)
    ]
    assert report.imputed["TotalCharges"].missing == 11
    # tenure and TotalCharges (Spearman 0.89) predict differently: not averaged.
    assert report.groups == {}
    assert list(report.kept_apart) == ["tenure+TotalCharges"]
    assert report.kept_apart["tenure+TotalCharges"] > 0.002
    assert report.verdict == "new_weights"
