"""Scoring maths worked by hand, explanations, and the never-NaN property."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steward.errors import ScorecardInvalid
from steward.scoring import (
    DEFAULT_SCORECARD,
    Factor,
    contributions,
    contributions_by_account,
    explain_change,
    load_scorecard,
    score_frame,
)
from steward.scoring.scorecard import Bands, Scale, Scorecard

POINTS_PER_LOG_ODDS = 10 / math.log(2)  # points_to_double_odds / ln 2


def card(**changes) -> Scorecard:
    """Utilisation (+0.6 per sd), tickets (log1p, -0.4 per sd), plan (levels)."""
    fields = {
        "name": "hand",
        "factors": [
            Factor(metric="seat_utilisation", mean=0.5, std=0.25, weight=0.6),
            Factor(
                metric="tickets_per_month",
                transform="log1p",
                mean=1.0,
                std=0.5,
                weight=-0.4,
            ),
            Factor(
                metric="attribute.plan",
                kind="category",
                levels={"enterprise": 0.3, "starter": -0.3},
            ),
        ],
    }
    return Scorecard(**(fields | changes))


def metrics(rows: dict[str, tuple]) -> pd.DataFrame:
    frame = pd.DataFrame.from_dict(
        rows,
        orient="index",
        columns=["seat_utilisation", "tickets_per_month", "attribute.plan"],
    )
    return frame.astype({"seat_utilisation": float, "tickets_per_month": float})


def test_points_are_scaled_log_odds_per_standard_deviation():
    # utilisation 1.0 is 2 sd up; log1p(e^2 - 1) = 2 is 2 sd up in tickets.
    frame = metrics({"a": (1.0, math.e**2 - 1, "enterprise")})

    scored = score_frame(card(), frame).loc["a"]

    assert scored["points.seat_utilisation"] == pytest.approx(
        POINTS_PER_LOG_ODDS * 0.6 * 2
    )
    assert scored["points.tickets_per_month"] == pytest.approx(
        POINTS_PER_LOG_ODDS * -0.4 * 2
    )
    assert scored["points.attribute.plan"] == pytest.approx(POINTS_PER_LOG_ODDS * 0.3)
    assert scored["score"] == pytest.approx(50 + POINTS_PER_LOG_ODDS * 0.7)
    assert scored["band"] == "healthy"
    assert scored["status"] == "scored"
    assert scored["coverage"] == 1.0


def test_ten_points_double_the_odds_of_staying():
    one_log2 = Factor(metric="x", mean=0, std=1, weight=math.log(2))
    scorecard = Scorecard(name="double", intercept=0.5, factors=[one_log2])

    scored = score_frame(scorecard, pd.DataFrame({"x": [0.0, 1.0]}))

    assert scored["score"].tolist() == pytest.approx([50.0, 60.0])
    odds = [(1 - p) / p for p in scored["churn_probability"]]
    assert odds[1] / odds[0] == pytest.approx(2.0)


def test_score_is_clipped_to_0_and_100():
    steep = card(
        factors=[Factor(metric="seat_utilisation", mean=0.5, std=0.25, weight=2.0)]
    )
    frame = pd.DataFrame({"seat_utilisation": [2.0, -1.0]}, index=["high", "low"])

    scored = score_frame(steep, frame)

    # z = +-6 is capped at 5: 2.0 * 5 * 14.43 = 144 points either way.
    assert scored["points.seat_utilisation"].tolist() == pytest.approx(
        [POINTS_PER_LOG_ODDS * 10, -POINTS_PER_LOG_ODDS * 10]
    )
    assert scored["score"].tolist() == [100.0, 0.0]
    assert scored["band"].tolist() == ["healthy", "at_risk"]


@pytest.mark.parametrize(
    ("base", "band"),
    [(60.0, "healthy"), (59.99, "neutral"), (40.0, "neutral"), (39.99, "at_risk")],
)
def test_band_thresholds_are_healthy_at_or_above_and_at_risk_below(base, band):
    scorecard = card(scale=Scale(base=base), bands=Bands(healthy=60, at_risk=40))
    typical = metrics({"a": (0.5, math.e - 1, "unseen-plan")})

    scored = score_frame(scorecard, typical).loc["a"]

    assert scored["score"] == pytest.approx(base)
    assert scored["band"] == band


def test_missing_value_gives_zero_points_and_lowers_coverage():
    frame = metrics({"a": (np.nan, math.e - 1, "starter")})

    scored = score_frame(card(), frame).loc["a"]

    assert scored["points.seat_utilisation"] == 0.0
    assert scored["coverage"] == pytest.approx((0.4 + 0.3) / (0.6 + 0.4 + 0.3))
    assert scored["score"] == pytest.approx(50 - POINTS_PER_LOG_ODDS * 0.3)
    assert scored["status"] == "scored"


def test_unseen_level_counts_zero_but_is_not_missing():
    frame = metrics({"a": (0.5, math.e - 1, "growth"), "b": (0.5, math.e - 1, None)})

    scored = score_frame(card(), frame)

    assert scored["points.attribute.plan"].tolist() == [0.0, 0.0]
    assert scored["coverage"].tolist() == pytest.approx([1.0, 1.0 - 0.3 / 1.3])


def test_too_little_coverage_is_insufficient_data_without_a_score():
    frame = metrics({"a": (np.nan, np.nan, "starter")})

    scored = score_frame(card(intercept=1.0), frame).loc["a"]

    assert scored["status"] == "insufficient_data"
    assert scored["band"] == "insufficient_data"
    assert scored["score"] is pd.NA
    assert scored["churn_probability"] is pd.NA
    assert scored["coverage"] == pytest.approx(0.3 / 1.3)


@pytest.mark.parametrize(
    ("seats", "tickets"),
    [(np.inf, -3.0), (-np.inf, -1.0), (np.nan, -np.inf)],
    ids=["no-seats-and-negative-count", "minus-inf", "nan-and-minus-inf"],
)
def test_infinite_and_out_of_domain_values_count_as_missing(seats, tickets):
    frame = metrics({"a": (seats, tickets, "enterprise")})

    scored = score_frame(card(), frame).loc["a"]

    assert scored["points.seat_utilisation"] == 0.0
    assert scored["points.tickets_per_month"] == 0.0
    assert scored["status"] == "insufficient_data"


def test_churn_probability_is_unknown_until_the_scorecard_is_fitted():
    frame = metrics({"a": (1.0, math.e - 1, "starter")})

    unfitted = score_frame(card(), frame).loc["a"]
    with_intercept = score_frame(card(intercept=-1.0), frame).loc["a"]

    assert unfitted["churn_probability"] is pd.NA
    log_odds_of_staying = -1.0 + 0.6 * 2 + 0.0 - 0.3
    assert with_intercept["churn_probability"] == pytest.approx(
        1 / (1 + math.exp(log_odds_of_staying))
    )


def test_scorecard_naming_an_uncomputed_metric_is_rejected():
    frame = pd.DataFrame({"seat_utilisation": [0.5], "logins": [3]})

    with pytest.raises(ScorecardInvalid) as error:
        score_frame(card(), frame)

    assert str(error.value) == (
        "scorecard 'hand' names metric(s) tickets_per_month, attribute.plan that "
        "were not computed (computed: seat_utilisation, logins); fix the metric "
        "names in the scorecard"
    )


def test_contributions_give_value_points_and_missing_per_factor():
    frame = metrics({"a": (1.0, -2.0, "enterprise")})
    scored = score_frame(card(), frame)

    explained = contributions(card(), frame.loc["a"], scored.loc["a"])

    assert explained == {
        "seat_utilisation": {
            "value": 1.0,
            "points": pytest.approx(POINTS_PER_LOG_ODDS * 1.2),
            "missing": False,
        },
        "tickets_per_month": {"value": None, "points": 0.0, "missing": True},
        "attribute.plan": {
            "value": "enterprise",
            "points": pytest.approx(POINTS_PER_LOG_ODDS * 0.3),
            "missing": False,
        },
    }
    assert contributions_by_account(card(), frame, scored)["a"] == explained


def test_explain_change_sorts_factors_by_movement_and_gives_score_delta():
    now = {
        "score": 48.0,
        "contributions": {
            "logins": {"value": 3, "points": -4.0, "missing": False},
            "seat_utilisation": {"value": 0.6, "points": 2.0, "missing": False},
            "latest_nps": {"value": 9, "points": 1.0, "missing": False},
        },
    }
    then = {
        "score": 55.0,
        "contributions": {
            "logins": {"value": 30, "points": 3.0, "missing": False},
            "seat_utilisation": {"value": 0.5, "points": 1.5, "missing": False},
            "api_calls": {"value": 10, "points": 0.5, "missing": False},
        },
    }

    change = explain_change(now, then)

    assert change.score_delta == -7.0
    assert [
        (c.factor, c.points_then, c.points_now, c.delta) for c in change.factors
    ] == [
        ("logins", 3.0, -4.0, -7.0),
        ("latest_nps", None, 1.0, 1.0),
        ("api_calls", 0.5, None, -0.5),
        ("seat_utilisation", 1.5, 2.0, 0.5),
    ]


def test_explain_change_without_a_previous_score_has_no_changes():
    now = {"score": None, "contributions": {}}

    change = explain_change(now, None)

    assert (change.score_then, change.score_delta, change.factors) == (None, None, [])


def test_realistic_empty_accounts_get_a_defined_result():
    scorecard = load_scorecard(DEFAULT_SCORECARD)
    zeros = {factor.metric: 0.0 for factor in scorecard.factors}
    accounts = pd.DataFrame.from_dict(
        {
            # no licensed seats: utilisation 0/0, nothing happened yet
            "no-seats": zeros | {"seat_utilisation": np.nan, "latest_nps": np.nan},
            # no events at all: activity unknown, every count zero
            "no-events": zeros | {"days_since_last_activity": np.nan},
            "one-event": zeros | {"logins": 1.0, "days_since_last_activity": 0.0},
            "nothing": {factor.metric: np.nan for factor in scorecard.factors},
        },
        orient="index",
    )

    scored = score_frame(scorecard, accounts)

    assert scored.loc["nothing", "status"] == "insufficient_data"
    assert (
        scored.loc[["no-seats", "no-events", "one-event"], "status"].eq("scored").all()
    )
    assert_finite(scored)


def assert_finite(scored: pd.DataFrame) -> None:
    """Every value is finite; score and probability are NA only when unknown."""
    for name in scored.columns:
        if name.startswith("points.") or name == "coverage":
            assert np.isfinite(scored[name].to_numpy(dtype=float)).all(), name
    known = scored["status"].eq("scored").to_numpy()
    score = scored["score"]
    assert (score.isna().to_numpy() == ~known).all()
    assert score[known].between(0, 100).all()
    assert np.isfinite(score[known].to_numpy(dtype=float)).all()
    probability = scored["churn_probability"].dropna().to_numpy(dtype=float)
    assert ((probability >= 0) & (probability <= 1)).all()
    assert scored["coverage"].between(0, 1).all()


# Edge values drawn often on purpose: random floats rarely combine a huge value
# with a tiny standard deviation, which is where overflow hides.
EDGES = [0.0, -1.0, 1.0, 1e308, -1e308, 5e-324, math.nan, math.inf, -math.inf]
any_float = st.one_of(st.sampled_from(EDGES), st.floats())
plan_values = st.one_of(st.none(), st.sampled_from(["enterprise", "starter", "x"]))
number_factors = st.builds(
    Factor,
    metric=st.sampled_from(["a", "b", "c", "d"]),
    transform=st.sampled_from(["none", "log1p"]),
    mean=st.one_of(st.sampled_from([0.0, 1e300, -1e300]), st.floats(-1e12, 1e12)),
    std=st.one_of(st.sampled_from([1e-300, 1e300]), st.floats(1e-12, 1e12)),
    weight=st.floats(-20, 20),
)


@st.composite
def scorecards(draw) -> Scorecard:
    numbers = draw(st.lists(number_factors, min_size=1, max_size=4, unique_by=str))
    numbers = list({factor.metric: factor for factor in numbers}.values())
    levels = draw(
        st.dictionaries(st.sampled_from(["enterprise", "starter"]), st.floats(-20, 20))
    )
    plan = Factor(metric="plan", kind="category", levels=levels)
    return Scorecard(
        name="drawn",
        intercept=draw(st.floats(-50, 50)),
        scale=Scale(
            base=draw(st.floats(0, 100)),
            points_to_double_odds=draw(st.floats(0.01, 100)),
        ),
        minimum_coverage=draw(st.floats(0, 1)),
        factors=[*numbers, plan],
    )


@st.composite
def frames(draw) -> pd.DataFrame:
    """Metric frames of any floats (NaN, infinities, huge, negative) and plans."""
    rows = draw(st.integers(1, 12))
    values = {
        name: draw(st.lists(any_float, min_size=rows, max_size=rows)) for name in "abcd"
    }
    plans = draw(st.lists(plan_values, min_size=rows, max_size=rows))
    return pd.DataFrame(values | {"plan": pd.Series(plans, dtype=object)})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scorecard=scorecards(), frame=frames())
def test_no_score_output_is_nan_or_infinite(scorecard, frame):
    scored = score_frame(scorecard, frame)

    assert_finite(scored)
    stored = contributions_by_account(scorecard, frame, scored)
    json.dumps(stored, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(frame=frames())
def test_default_scorecard_never_yields_nan_on_any_metrics(frame):
    scorecard = load_scorecard(DEFAULT_SCORECARD)
    metrics = pd.DataFrame(
        {
            factor.metric: frame["abcd"[i % 4]]
            for i, factor in enumerate(scorecard.factors)
        }
    )

    assert_finite(score_frame(scorecard, metrics))
