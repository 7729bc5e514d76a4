"""Scorecard files: loading, validation messages, saving."""

from __future__ import annotations

from pathlib import Path

import pytest

from steward.errors import ScorecardInvalid
from steward.scoring import DEFAULT_SCORECARD, Factor, load_scorecard, save_scorecard
from steward.scoring.scorecard import ImputedMetric, Scorecard


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "card.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_scorecard_loads_with_usage_factors_and_unknown_churn_rate():
    card = load_scorecard(DEFAULT_SCORECARD)

    metrics = {factor.metric for factor in card.factors}
    assert {
        "seat_utilisation",
        "core_workflows",
        "logins",
        "feature_breadth",
        "api_calls",
        "tickets_per_month",
        "latest_nps",
        "days_since_last_activity",
    } <= metrics
    weights = {factor.metric: factor.weight for factor in card.factors}
    assert weights["seat_utilisation"] > 0
    assert weights["tickets_per_month"] < 0
    assert weights["days_since_last_activity"] < 0
    assert card.fit is None
    assert not card.knows_churn_rate


def test_broken_scorecard_names_file_field_and_rule(tmp_path):
    path = write(
        tmp_path,
        """\
name: broken
version: 0
scale: {base: 50, points_to_double_odds: -3}
bands: {healthy: 40, at_risk: 60}
factors:
  - metric: seat_utilisation
    mean: 0.5
    std: 0
    weight: 0.6
  - metric: plan
    kind: category
    weight: 0.3
  - metric: logins
    kind: numbr
    mean: 1
    std: 1
    wieght: 1
""",
    )

    with pytest.raises(ScorecardInvalid) as error:
        load_scorecard(path)

    assert str(error.value) == (
        f"scorecard {path} breaks 7 rule(s); fix these fields and load it again:\n"
        "  version: Input should be greater than or equal to 1 (got 0)\n"
        "  scale.points_to_double_odds: Input should be greater than 0 (got -3)\n"
        "  bands: at_risk (60) must not be above healthy (40)\n"
        "  factors[0] (seat_utilisation).std: Input should be greater than 0 (got 0)\n"
        "  factors[1] (plan): a category factor needs levels (may be {})\n"
        "  factors[2] (logins).kind: Input should be 'number' or 'category' "
        "(got 'numbr')\n"
        "  factors[2] (logins).wieght: unknown field (check the spelling)"
    )


def test_number_factor_without_weight_and_repeated_metric_are_rejected(tmp_path):
    path = write(
        tmp_path,
        """\
name: twice
factors:
  - {metric: logins, mean: 1, std: 1}
  - {metric: logins, mean: 1, std: 1, weight: 25}
""",
    )

    with pytest.raises(ScorecardInvalid) as error:
        load_scorecard(path)

    assert str(error.value) == (
        f"scorecard {path} breaks 2 rule(s); fix these fields and load it again:\n"
        "  factors[0] (logins): a number factor needs weight\n"
        "  factors[1] (logins).weight: Input should be less than or equal to 20 "
        "(got 25)"
    )


def test_scorecard_that_is_not_yaml_names_the_line(tmp_path):
    path = write(tmp_path, "name: x\nfactors: [\n")

    with pytest.raises(ScorecardInvalid) as error:
        load_scorecard(path)

    assert str(error.value) == (
        f"scorecard {path} is not valid YAML: line 3, column 1: expected the node "
        "content, but found '<stream end>'"
    )


def test_scorecard_that_is_a_list_is_rejected(tmp_path):
    path = write(tmp_path, "- metric: logins\n")

    with pytest.raises(ScorecardInvalid) as error:
        load_scorecard(path)

    assert str(error.value) == (
        f"scorecard {path} must be a mapping of fields (name, version, factors, "
        "...), not a bare value or list"
    )


def test_missing_scorecard_file_is_reported(tmp_path):
    path = tmp_path / "absent.yaml"

    with pytest.raises(ScorecardInvalid) as error:
        load_scorecard(path)

    assert str(error.value) == f"scorecard file {path} does not exist"


def test_saved_scorecard_loads_back_equal_and_starts_with_a_header(tmp_path):
    card = Scorecard(
        name="mixed",
        version=3,
        intercept=1.25,
        factors=[
            Factor(metric="logins", transform="log1p", mean=2, std=1, weight=0.4),
            Factor(metric="attribute.plan", kind="category", levels={"pro": 0.2}),
        ],
    )
    path = tmp_path / "saved.yaml"

    save_scorecard(card, path)

    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Steward health scorecard 'mixed', version 3.")
    assert "scale: {base: 50.0, points_to_double_odds: 10.0}" in text
    assert load_scorecard(path) == card


def test_factors_named_without_numbers_wait_for_fit_and_score_nothing(tmp_path):
    path = write(
        tmp_path,
        """\
name: todo
version: 1
factors:
  - metric: logins
  - metric: attribute.plan
    kind: category
""",
    )

    card = load_scorecard(path)

    assert (card.factors[0].weight, card.factors[0].mean, card.factors[0].std) == (
        0.0,
        0.0,
        1.0,
    )
    assert card.factors[1].levels == {}


def test_a_fit_report_written_before_the_mean_fill_still_reads():
    older = ImputedMetric.model_validate({"missing": 3, "median": 1.5})
    newer = ImputedMetric.model_validate({"missing": 3, "filled_with": 2.0})

    assert older.filled_with == 1.5
    assert newer.model_dump() == {"missing": 3, "filled_with": 2.0}
