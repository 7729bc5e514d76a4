"""The renewal calibration: learned from renewing weeks, applied to the forecast."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from steward.accounts.renewals import (
    Renewal,
    forecast,
    load_renewal_models,
    risk_basis,
)
from steward.jobs.training import renewal_within
from steward.metrics.catalogue import day_number
from steward.scoring.renewal_risk import (
    RenewalModel,
    fit_renewal_calibration,
    renewal_risk,
)
from steward.scoring.scorecard import (
    DEFAULT_SCORECARD,
    Challenger,
    FitReport,
    RenewalCalibration,
    load_scorecard,
    save_scorecard,
)
from tests.test_renewals_forecast import _row as renewal

CALIBRATION = RenewalCalibration(
    intercept=1.5,
    slope=0.8,
    horizon_days=90,
    observations=400,
    accounts=60,
    churned=64,
    churn_rate=0.16,
    mean_probability=0.04,
)


def test_platt_scaling_recovers_the_mapping_it_was_drawn_from():
    rng = np.random.default_rng(3)
    log_odds = rng.normal(-3.0, 1.2, 20_000)
    churned = rng.random(20_000) < expit(1.5 + 0.8 * log_odds)
    renewing = rng.random(20_000) < 0.5
    # Weeks with no renewal in them follow another rule: they must not count.
    churned[~renewing] = rng.random(int((~renewing).sum())) < 0.01
    account = np.arange(20_000) % 700

    found = fit_renewal_calibration(log_odds, churned, renewing, account, 90)

    assert found.intercept == pytest.approx(1.5, abs=0.15)
    assert found.horizon_days == 90
    assert found.slope == pytest.approx(0.8, abs=0.05)
    assert found.observations == int(renewing.sum())
    assert found.accounts == 700
    assert found.churned == int(churned[renewing].sum())
    assert found.churn_rate == pytest.approx(churned[renewing].mean(), abs=1e-6)
    assert found.mean_probability == pytest.approx(
        expit(log_odds[renewing]).mean(), abs=1e-6
    )


def test_too_few_renewals_lost_or_kept_learn_nothing():
    log_odds = np.linspace(-4, 0, 40)
    churned = np.zeros(40, dtype=bool)
    churned[:4] = True  # 4 churned: one short
    renewing = np.ones(40, dtype=bool)

    assert fit_renewal_calibration(log_odds, churned, renewing, range(40), 90) is None
    churned[4] = True
    assert fit_renewal_calibration(log_odds, churned, renewing, range(40), 90)


def test_renewal_risk_maps_a_probability_through_the_calibration():
    identity = CALIBRATION.model_copy(update={"intercept": 0.0, "slope": 1.0})
    assert renewal_risk(identity, 0.2) == pytest.approx(0.2)
    # logit(0.04) = -3.178; 1.5 + 0.8 * -3.178 = -1.043; expit = 0.2606.
    assert renewal_risk(CALIBRATION, 0.04) == pytest.approx(0.2606, abs=1e-4)
    # The ends stay finite.
    assert 0 < renewal_risk(CALIBRATION, 0.0) < renewal_risk(CALIBRATION, 1.0) < 1


def _row(
    contract: str, p: float | None, risk: float | None, way: str | None = None
) -> Renewal:
    way = way or ("calibrated" if risk is not None else None)
    return renewal(contract, 31, 10_000.0, p, renewal_risk=risk, risk_basis=way)


def test_a_renewal_model_calibrates_long_terms_and_spreads_short_ones():
    model = RenewalModel(90, CALIBRATION)
    plain = RenewalModel(90)

    # A yearly term: the calibration (0.2606 for 0.04, as above).
    assert model.risk(0.04, 365) == (pytest.approx(0.2606, abs=1e-4), "calibrated")
    # A month of a 90-day probability of 27.1%: 1 - 0.729 ** (30 / 90) = 10%.
    assert model.risk(0.271, 30) == (pytest.approx(0.1, abs=1e-4), "per_term")
    assert plain.risk(0.271, 30) == (pytest.approx(0.1, abs=1e-4), "per_term")
    # No calibration and a long term: the probability as it is.
    assert plain.risk(0.04, 365) == (0.04, "horizon")
    # A term of exactly the horizon is calibrated.
    assert model.risk(0.04, 90)[1] == "calibrated"


def test_the_forecast_weighs_by_renewal_risk_and_falls_back_to_probability():
    rows = [_row("a", 0.02, 0.25), _row("b", 0.1, None), _row("c", None, None)]

    (window,) = forecast(rows, [60])

    # a at 10,000 x 0.75, b at 10,000 x 0.9, c not scored.
    assert window.expected_arr == 16_500
    assert (window.scored_arr, window.unscored_arr) == (20_000, 10_000)


def test_the_basis_says_what_the_forecast_is_weighted_by():
    models = {"default": RenewalModel(90, CALIBRATION)}
    calibrated = risk_basis([_row("a", 0.02, 0.25)], models)
    mixed = risk_basis(
        [
            _row("a", 0.02, 0.25),
            _row("b", 0.1, 0.034, "per_term"),
            _row("c", 0.1, None),
        ],
        models,
    )
    plain = risk_basis([_row("c", 0.1, None)], {"default": RenewalModel(90)})

    assert calibrated == (
        "Expected = ARR x (1 - renewal risk): calibrated on 400 weekly scores of "
        "60 accounts within the horizon before a renewal (16% churned, against a "
        "mean churn probability of 4%)."
    )
    assert mixed == (
        "Expected = ARR x (1 - renewal risk): calibrated on 400 weekly scores of "
        "60 accounts within the horizon before a renewal (16% churned, against a "
        "mean churn probability of 4%); for 1 renewal(s) of a term shorter than "
        "the horizon, the horizon's churn probability spread over the term at a "
        "constant rate. 1 renewal(s) scored by a scorecard without a calibration "
        "keep their churn probability."
    )
    assert plain.startswith("Expected = ARR x (1 - churn probability")
    assert plain.endswith("so read it as an upper bound.")


def test_calibrations_are_read_from_fitted_scorecards_and_broken_files_skipped(
    tmp_path,
):
    card = load_scorecard(DEFAULT_SCORECARD)
    report = FitReport(
        mode="time_ordered",
        observations=1000,
        accounts=100,
        churned=120,
        base_rate=0.12,
        auc=0.8,
        auc_interval=(0.75, 0.85),
        lift_top_decile=3.0,
        lift_interval=(2.5, 3.5),
        challenger=Challenger(name="gbm", auc=0.78, auc_interval=(0.7, 0.84)),
        folds=[],
        verdict="new_weights",
        message="signal",
        fitted_at="2025-01-01T00:00:00Z",
        renewals=CALIBRATION,
    )
    save_scorecard(card.model_copy(update={"fit": report}), tmp_path / "a.yaml")
    other = card.model_copy(update={"name": "unfitted"})
    save_scorecard(other, tmp_path / "b.yaml")
    (tmp_path / "broken.yaml").write_text("name: [unclosed\n")

    assert load_renewal_models(tmp_path) == {
        card.name: RenewalModel(card.horizon_days, CALIBRATION),
        "unfitted": RenewalModel(card.horizon_days),
    }


def test_a_week_is_renewing_when_a_term_ends_within_the_horizon_after_it():
    def day(text: str) -> int:
        return day_number(dt.date.fromisoformat(text))

    history = pd.DataFrame(
        {
            "account_id": ["a", "a", "a", "a", "b", "c", "d", "d"],
            "observed_day": [
                day("2024-09-01"),  # 122 days before a's end: too early
                day("2024-10-02"),  # 91 days before
                day("2024-10-03"),  # exactly 90 days before: within
                day("2025-01-01"),  # on the end day itself: after, not within
                day("2024-12-01"),  # b pays monthly: a term shorter than 90 days
                day("2024-12-01"),  # c's 30-day contract ends within: too short
                day("2025-01-15"),  # d renews yearly on 1 March: term ends 28 Feb
                day("2024-10-15"),  # 136 days before that
            ],
        }
    )
    contracts = pd.DataFrame(
        {
            "account_id": ["a", "b", "c", "d"],
            "start_date": [
                dt.date(2024, 1, 2),
                dt.date(2024, 3, 1),
                dt.date(2024, 11, 20),
                dt.date(2023, 3, 1),
            ],
            "end_date": [dt.date(2025, 1, 1), None, dt.date(2024, 12, 19), None],
            "closed_on": [None, None, None, None],
            "billing_period": ["annual", "monthly", None, "annual"],
        }
    )
    months = {"annual": 12, "monthly": 1}.get

    flags = renewal_within(history, contracts, 90, months)
    dated_only = renewal_within(history, contracts, 90)

    assert flags.tolist() == [False, False, True, False, False, False, True, False]
    assert dated_only.tolist() == [False, False, True] + [False] * 5
