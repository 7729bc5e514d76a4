"""Renewal dates at month ends and leap days, with the right dates written out."""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from steward.accounts.terms import (
    Term,
    add_months,
    following_term,
    next_renewals,
    renewal_on,
    term_on,
    whole_months,
)

D = dt.date


def test_a_yearly_contract_from_29_february_renews_on_the_28th_until_a_leap_year():
    start = D(2024, 2, 29)

    renewals = [renewal_on(start, 12, k) for k in range(1, 6)]

    assert renewals == [
        D(2025, 2, 28),
        D(2026, 2, 28),
        D(2027, 2, 28),
        D(2028, 2, 29),
        D(2029, 2, 28),
    ]


def test_a_monthly_contract_from_the_31st_renews_on_each_months_last_day_or_31st():
    start = D(2025, 1, 31)

    renewals = [renewal_on(start, 1, k) for k in range(1, 8)]

    assert renewals == [
        D(2025, 2, 28),
        D(2025, 3, 31),
        D(2025, 4, 30),
        D(2025, 5, 31),
        D(2025, 6, 30),
        D(2025, 7, 31),
        D(2025, 8, 31),
    ]


def test_a_monthly_contract_from_31_january_of_a_leap_year_renews_on_29_february():
    assert renewal_on(D(2024, 1, 31), 1, 1) == D(2024, 2, 29)


def test_the_term_running_on_a_day_ends_the_day_before_its_renewal():
    monthly = term_on(D(2025, 1, 31), 1, D(2025, 3, 30))
    renewal_day = term_on(D(2025, 1, 31), 1, D(2025, 3, 31))
    yearly = term_on(D(2024, 2, 29), 12, D(2028, 2, 28))
    first = term_on(D(2024, 2, 29), 12, D(2024, 2, 29))

    assert monthly == Term(2, D(2025, 2, 28), D(2025, 3, 30), D(2025, 3, 31))
    assert renewal_day == Term(3, D(2025, 3, 31), D(2025, 4, 29), D(2025, 4, 30))
    assert yearly == Term(4, D(2027, 2, 28), D(2028, 2, 28), D(2028, 2, 29))
    assert first == Term(1, D(2024, 2, 29), D(2025, 2, 27), D(2025, 2, 28))


def test_a_quarterly_contract_from_30_november_keeps_its_30th():
    assert [renewal_on(D(2024, 11, 30), 3, k) for k in range(1, 5)] == [
        D(2025, 2, 28),
        D(2025, 5, 30),
        D(2025, 8, 30),
        D(2025, 11, 30),
    ]


def test_a_contract_ending_the_day_before_an_anniversary_is_whole_months():
    assert whole_months(D(2024, 2, 29), D(2025, 2, 27)) == 12
    assert whole_months(D(2025, 1, 31), D(2025, 2, 27)) == 1
    assert whole_months(D(2024, 1, 1), D(2024, 12, 31)) == 12
    assert whole_months(D(2024, 1, 1), D(2024, 1, 20)) is None


def test_renewing_a_chain_from_29_february_comes_back_to_the_29th():
    first = (D(2024, 2, 29), D(2025, 2, 27))

    terms, end = [], first[1]
    for _ in range(4):
        begins, end = following_term(*first, end)
        terms.append((begins, end))

    assert terms == [
        (D(2025, 2, 28), D(2026, 2, 27)),
        (D(2026, 2, 28), D(2027, 2, 27)),
        (D(2027, 2, 28), D(2028, 2, 28)),
        (D(2028, 2, 29), D(2029, 2, 27)),
    ]


def test_renewing_a_monthly_chain_from_the_31st_does_not_drift_to_the_28th():
    first = (D(2025, 1, 31), D(2025, 2, 27))

    terms, end = [], first[1]
    for _ in range(3):
        begins, end = following_term(*first, end)
        terms.append((begins, end))

    assert terms == [
        (D(2025, 2, 28), D(2025, 3, 30)),
        (D(2025, 3, 31), D(2025, 4, 29)),
        (D(2025, 4, 30), D(2025, 5, 30)),
    ]


def test_a_contract_of_odd_length_renews_for_as_many_days():
    assert following_term(D(2024, 1, 1), D(2024, 1, 20), D(2024, 1, 20)) == (
        D(2024, 1, 21),
        D(2024, 2, 9),
    )


def test_vectorised_month_arithmetic_clips_like_relativedelta():
    starts = pd.Series(pd.to_datetime(["2024-02-29", "2025-01-31", "2024-08-31"]))

    moved = add_months(starts, pd.Series([12, 1, 6]))

    assert [d.date() for d in moved] == [D(2025, 2, 28), D(2025, 2, 28), D(2025, 2, 28)]


@given(
    start=st.dates(min_value=D(2000, 1, 1), max_value=D(2030, 12, 31)),
    gap=st.integers(min_value=0, max_value=4000),
    months=st.sampled_from([1, 3, 6, 12, 24]),
)
def test_the_vectorised_next_renewal_is_the_scalar_rules_next_renewal(
    start, gap, months
):
    day = start + dt.timedelta(days=gap)

    vectorised = next_renewals(
        pd.Series([pd.Timestamp(start)]), pd.Series([months]), day
    )

    assert vectorised[0].date() == term_on(start, months, day).renews_on


def test_an_unknown_term_gives_no_renewal_date():
    renewals = next_renewals(
        pd.Series(pd.to_datetime(["2024-01-31"])),
        pd.Series([float("nan")]),
        D(2025, 1, 1),
    )

    assert renewals.isna().all()


def test_a_day_before_the_start_is_refused():
    with pytest.raises(ValueError, match="2024-01-01 is before the contract starts"):
        term_on(D(2024, 2, 1), 1, D(2024, 1, 1))
