import datetime as dt

import holidays
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steward.errors import JourneyInvalid
from steward.journeys import milestones as rules
from steward.journeys.calendar import BusinessCalendar, calendar_for
from steward.journeys.journey import BUILT_IN, load_journey
from steward.journeys.lifecycle import StageFacts, next_stage

D = dt.date
COUNTRIES = st.sampled_from(["US", "GB", "DE", "FR", "IN", "AU", "JP", None, "ZZ"])
DAYS = st.dates(min_value=D(1999, 1, 1), max_value=D(2040, 12, 31))


def _slow_add(calendar: BusinessCalendar, day: dt.date, n: int) -> dt.date:
    """Step one day at a time: the definition, without numpy."""
    if n == 0:
        while not calendar.is_business_day(day):
            day += dt.timedelta(days=1)
        return day
    step = dt.timedelta(days=1 if n > 0 else -1)
    remaining = abs(n)
    while remaining:
        day += step
        if calendar.is_business_day(day):
            remaining -= 1
    return day


@settings(max_examples=200, deadline=None)
@given(country=COUNTRIES, day=DAYS, n=st.integers(min_value=-40, max_value=40))
def test_adding_business_days_matches_stepping_day_by_day(country, day, n):
    calendar = calendar_for(country)

    assert calendar.add(day, n) == _slow_add(calendar, day, n)


@settings(max_examples=200, deadline=None)
@given(country=COUNTRIES, day=DAYS, n=st.integers(min_value=1, max_value=300))
def test_counting_undoes_adding(country, day, n):
    calendar = calendar_for(country)

    later = calendar.add(day, n)

    assert calendar.count(day, later) == n
    assert calendar.count(later, day) == -n
    assert calendar.is_business_day(later)


@settings(max_examples=100, deadline=None)
@given(country=st.sampled_from(["US", "GB", "DE", "FR"]), year=st.integers(2000, 2039))
def test_public_holidays_are_never_business_days(country, year):
    calendar = calendar_for(country)

    for day in holidays.country_holidays(country, years=year):
        assert not calendar.is_business_day(day)


@pytest.mark.parametrize(
    ("country", "start", "n", "expected"),
    [
        # Christmas and Boxing Day in England, then the weekend.
        ("GB", D(2024, 12, 24), 1, D(2024, 12, 27)),
        ("GB", D(2024, 12, 24), 2, D(2024, 12, 30)),
        # New Year's Day across the year end.
        ("US", D(2024, 12, 31), 1, D(2025, 1, 2)),
        # One business day after a Saturday is the Monday.
        ("US", D(2024, 6, 1), 1, D(2024, 6, 3)),
        # Leap day is an ordinary Thursday.
        ("US", D(2024, 2, 28), 1, D(2024, 2, 29)),
        ("US", D(2024, 2, 29), 1, D(2024, 3, 1)),
        # Month end: Friday 31 May 2024, then Memorial Day was 27 May.
        ("US", D(2024, 5, 24), 1, D(2024, 5, 28)),
        # German Unity Day, 3 October 2024 (a Thursday).
        ("DE", D(2024, 10, 2), 1, D(2024, 10, 4)),
        # Unknown country: weekends only.
        ("ZZ", D(2024, 12, 24), 1, D(2024, 12, 25)),
    ],
)
def test_business_days_across_holidays_and_year_ends(country, start, n, expected):
    assert calendar_for(country).add(start, n) == expected


def test_unknown_country_says_so():
    assert calendar_for("ZZ").known is False
    assert calendar_for("GB").known is True
    assert calendar_for("gb").country == "GB"


@pytest.fixture
def onboarding():
    return load_journey(BUILT_IN / "onboarding.yaml")


def test_milestone_missed_by_more_than_five_business_days(onboarding):
    # Contract starts Tue 17 Dec 2024 in GB: first login due Tue 24 Dec.
    # Business days after it: 27, 30, 31 Dec, 2, 3 Jan (25, 26 Dec and 1 Jan
    # are holidays), so the sixth, when it is missed, is Mon 6 Jan 2025.
    calendar = calendar_for("GB")
    start = D(2024, 12, 17)

    on_5th = rules.evaluate(onboarding, start, {}, D(2025, 1, 3), calendar)[0]
    on_6th = rules.evaluate(onboarding, start, {}, D(2025, 1, 6), calendar)[0]

    assert on_5th.due_on == D(2024, 12, 24)
    assert on_5th.missed_on == D(2025, 1, 6)
    assert (on_5th.status, on_5th.overdue_business_days) == ("overdue", 5)
    assert (on_6th.status, on_6th.overdue_business_days) == ("missed", 6)


def test_alerts_raise_a_task_then_an_escalation_on_the_second_miss(onboarding):
    calendar = calendar_for("US")
    start = D(2024, 3, 1)  # first login due 8 Mar, core workflow due 31 Mar
    achieved = {"first_login": None, "first_core_workflow": None}

    first = rules.evaluate(onboarding, start, achieved, D(2024, 3, 18), calendar)
    first_alerts = rules.alerts(onboarding, first, D(2024, 3, 18), calendar)
    # 31 Mar is a Sunday; 5 business days later is Fri 5 Apr; missed Mon 8 Apr.
    second = rules.evaluate(onboarding, start, achieved, D(2024, 4, 8), calendar)
    second_alerts = rules.alerts(onboarding, second, D(2024, 4, 8), calendar)

    assert [(a.kind, a.milestone) for a in first_alerts] == [("missed", "first_login")]
    assert first_alerts[0].due_on == D(2024, 3, 20)
    assert [(a.kind, a.milestone) for a in second_alerts] == [
        ("missed", "first_core_workflow"),
        ("escalation", "first_core_workflow"),
    ]
    assert second_alerts[1].milestones == ("first_login", "first_core_workflow")


def test_late_achievement_counts_as_a_miss_but_raises_no_new_task(onboarding):
    calendar = calendar_for("US")
    start = D(2024, 3, 1)
    achieved = {"first_login": D(2024, 3, 25)}

    statuses = rules.evaluate(onboarding, start, achieved, D(2024, 3, 26), calendar)
    raised = rules.alerts(onboarding, statuses, D(2024, 3, 26), calendar)

    assert statuses[0].status == "achieved_late"
    assert statuses[0].was_missed
    assert statuses[0].days_to_value == 24
    assert raised == []


def test_old_misses_raise_nothing_on_a_first_run_over_history(onboarding):
    calendar = calendar_for("US")
    start = D(2022, 1, 3)

    statuses = rules.evaluate(onboarding, start, {}, D(2024, 1, 1), calendar)

    assert [s.status for s in statuses] == ["missed"] * 3
    assert rules.alerts(onboarding, statuses, D(2024, 1, 1), calendar) == []


def test_achievements_after_the_day_are_not_seen(onboarding):
    calendar = calendar_for("US")

    statuses = rules.evaluate(
        onboarding,
        D(2024, 3, 1),
        {"first_login": D(2024, 3, 5)},
        D(2024, 3, 4),
        calendar,
    )

    assert statuses[0].status == "pending"
    assert statuses[0].achieved_on is None


def test_journey_file_errors_name_the_file_and_field(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: x\nmilestones:\n  - key: first_login\n    title: t\n"
        "    signal: first_login\n    due_days: 120\n"
    )

    with pytest.raises(JourneyInvalid) as error:
        load_journey(path)

    assert str(error.value) == (
        f"{path}: (top level): Value error, milestone 'first_login' is due on "
        "day 120, after the journey's 90-day window"
    )


@pytest.mark.parametrize(
    ("current", "facts", "expected"),
    [
        (
            "contract_signed",
            StageFacts(True, False, True, "neutral", 300),
            "onboarding",
        ),
        ("onboarding", StageFacts(True, False, False, "healthy", 300), "adoption"),
        ("adoption", StageFacts(True, False, False, "at_risk", 300), "renewal_risk"),
        ("recovery", StageFacts(True, False, False, "at_risk", 300), None),
        ("adoption", StageFacts(True, False, False, "healthy", 60), "renewal"),
        ("renewal", StageFacts(True, False, False, "healthy", 400), "adoption"),
        ("renewal", StageFacts(False, True, False, None, None), "churned"),
        ("qbr", StageFacts(True, False, False, "healthy", 200), None),
    ],
)
def test_lifecycle_rules(current, facts, expected):
    change = next_stage(current, facts)

    assert (change[0] if change else None) == expected


@settings(max_examples=60, deadline=None)
@given(
    accounts=st.lists(
        st.tuples(
            st.dates(min_value=D(2020, 1, 1), max_value=D(2025, 12, 31)),
            st.sampled_from(["US", "GB", "DE", "IN", None, "ZZ"]),
            st.lists(st.one_of(st.none(), st.integers(0, 120)), min_size=3, max_size=3),
        ),
        min_size=1,
        max_size=12,
    ),
    age=st.integers(min_value=0, max_value=150),
)
def test_vectorised_evaluation_equals_the_scalar_rule(accounts, age):
    journey = load_journey(BUILT_IN / "onboarding.yaml")
    keys = [milestone.key for milestone in journey.milestones]
    starts = [start for start, _, _ in accounts]
    as_of = max(starts) + dt.timedelta(days=age)
    achieved = {
        key: [
            None if offsets[i] is None else start + dt.timedelta(days=offsets[i])
            for start, _, offsets in accounts
        ]
        for i, key in enumerate(keys)
    }

    table = rules.evaluate_many(
        journey,
        np.array(starts, dtype="datetime64[D]"),
        np.array([country for _, country, _ in accounts], dtype=object),
        {
            key: np.array(
                [np.datetime64(d, "D") if d else np.datetime64("NaT") for d in days],
                dtype="datetime64[D]",
            )
            for key, days in achieved.items()
        },
        as_of,
    )

    for index, (start, country, _) in enumerate(accounts):
        expected = rules.evaluate(
            journey,
            start,
            {key: achieved[key][index] for key in keys},
            as_of,
            calendar_for(country),
        )
        assert rules.statuses_of(table[table["account"] == index]) == expected
