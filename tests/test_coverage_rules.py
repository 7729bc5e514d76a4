"""Tier rubric and coverage models from the rules file: boundaries, reasons, errors."""

import math
from pathlib import Path

import pandas as pd
import pytest

from steward.accounts.coverage import (
    BUILT_IN,
    classify,
    explain,
    explain_all,
    load_coverage_rules,
)
from steward.errors import CoverageInvalid


def _accounts(*rows):
    return pd.DataFrame(
        rows, columns=["arr", "seats", "custom_integrations", "segment"]
    )


@pytest.fixture
def rules():
    return load_coverage_rules(BUILT_IN)


def test_500_seats_is_tier_2_and_501_is_tier_1(rules):
    accounts = _accounts(
        (1000, 500, False, None),
        (1000, 501, False, None),
        (1000, 3, True, None),
        (1000, None, None, None),
    )

    tiers = classify(rules, accounts)["tier"].tolist()

    assert tiers == ["Tier 2", "Tier 1", "Tier 1", "Tier 2"]


def test_coverage_follows_arr_thresholds_and_complexity(rules):
    accounts = _accounts(
        (50_000, 10, False, None),  # exactly the High-Touch threshold
        (49_999.99, 10, False, None),
        (10_000, 10, False, None),
        (9_999, 10, False, None),
        (25_000, 600, False, None),  # Tier 1 at 25,000: High-Touch
        (24_999, 10, True, None),  # Tier 1 below 25,000: Tech-Touch
        (math.nan, 10, False, None),  # unknown ARR meets no threshold
    )

    coverage = classify(rules, accounts)["coverage"].tolist()

    assert coverage == [
        "High-Touch",
        "Tech-Touch",
        "Tech-Touch",
        "Digital-Led",
        "High-Touch",
        "Tech-Touch",
        "Digital-Led",
    ]


def test_each_model_has_a_cadence_and_csm_hours_per_account_month(rules):
    models = {m.name: (m.cadence, m.hours_per_account_month) for m in rules.coverage}

    assert models == {
        "High-Touch": ("weekly call, quarterly business review", 6.0),
        "Tech-Touch": ("monthly check-in", 1.5),
        "Digital-Led": ("automated only", 0.0),
    }
    assert rules.hours("Tech-Touch") == 1.5
    assert rules.hours("No such model") == 0.0


def test_the_boundary_is_configurable(tmp_path):
    path = tmp_path / "coverage.yaml"
    text = BUILT_IN.read_text().replace("seats_above: 500", "seats_above: 1000")
    path.write_text(text)

    tiers = classify(load_coverage_rules(path), _accounts((0, 501, False, None)))

    assert tiers["tier"].tolist() == ["Tier 2"]


def test_the_reason_names_the_rule_and_the_accounts_own_figures(rules):
    row = pd.Series(
        {"arr": 30_000.0, "seats": 620, "custom_integrations": False, "segment": None}
    )

    reasons = explain(rules, row, "Tier 1", "High-Touch")

    assert reasons == {
        "tier": "seats 620 > 500",
        "coverage": "ARR 30,000 ≥ 25,000 and Tier 1",
    }


def test_a_missing_file_means_the_built_in_rules(tmp_path):
    rules = load_coverage_rules(tmp_path / "absent.yaml")

    assert [rule.name for rule in rules.tiers] == ["Tier 1", "Tier 2"]


def test_weekly_capacity_is_counted_per_month(rules):
    assert rules.capacity_per == "week"
    assert rules.monthly_capacity(30) == pytest.approx(130.0)
    assert rules.monthly_capacity(None) == 0.0


def test_size_bands_are_inclusive_and_the_last_is_open(rules):
    assert [rules.size_band(s) for s in (10, 11, 200, 1000, 1001, None)] == [
        "1-10 seats",
        "11-50 seats",
        "51-200 seats",
        "201-1000 seats",
        "over 1000 seats",
        None,
    ]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "coverage.yaml"
    path.write_text(text)
    return path


BASE = """
tiers:
  - name: Tier 1
    when: [{seats_above: 500}]
  - name: Tier 2
coverage:
  - name: Digital-Led
    cadence: automated only
    hours_per_account_month: 0
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            BASE.replace("  - name: Tier 2\n", ""),
            "tiers: the last rule (Tier 1) must have no `when`, so every account "
            "gets one; add a catch-all rule at the end",
        ),
        (
            BASE.replace("seats_above: 500", "seats_abov: 500"),
            "tiers.0.when.0.seats_abov: not a known field here (check the spelling)",
        ),
        (
            BASE.replace(
                "coverage:\n",
                "coverage:\n  - name: High-Touch\n    cadence: weekly\n"
                "    hours_per_account_month: 4\n    when: [{tier: Tier 3}]\n",
            ),
            "coverage[0] (High-Touch) names tier(s) Tier 3, which the tiers "
            "section does not define (Tier 1, Tier 2)",
        ),
        (
            BASE.replace("hours_per_account_month: 0", "hours_per_account_month: -1"),
            "coverage.0.hours_per_account_month: Input should be greater than or "
            "equal to 0",
        ),
        (
            BASE.replace("when: [{seats_above: 500}]", "when: [{}]"),
            "tiers.0.when.0: an empty condition; give at least one, e.g. arr_at_least",
        ),
    ],
)
def test_a_broken_rules_file_says_where_and_how_to_fix_it(tmp_path, text, message):
    path = _write(tmp_path, text)

    with pytest.raises(CoverageInvalid) as error:
        load_coverage_rules(path)

    assert str(error.value) == f"{path}: {message}"


def test_reasons_for_a_whole_book_are_each_accounts_own(rules):
    book = pd.DataFrame(
        {
            "arr": [30_000.0, 1_000.0, None, 80_000.0],
            "seats": [620, 10, 40, 501],
            "custom_integrations": [False, True, None, False],
            "segment": [None, "smb", None, "enterprise"],
        },
        index=["a", "b", "c", "d"],
    )
    decided = classify(rules, book)

    together = explain_all(rules, book, decided["tier"], decided["coverage"])

    one_by_one = [
        explain(
            rules, book.loc[key], decided.at[key, "tier"], decided.at[key, "coverage"]
        )
        for key in book.index
    ]
    assert together == one_by_one
    assert together[1]["tier"] == "custom integrations"
