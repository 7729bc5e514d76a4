"""Assignment within capacity on cases worked out by hand, and effort against plan."""

import datetime as dt

import pandas as pd
import pytest

from steward.accounts.capacity import (
    Csm,
    Need,
    assign,
    effort_vs_plan,
    months_in,
)

ANN, BOB = Csm(1, "Ann", 20.0), Csm(2, "Bob", 12.0)
# ARR, hours a month, current CSM.
BOOK = [
    Need("A1", 8, 300_000, ANN.id),
    Need("A2", 8, 200_000, BOB.id),
    Need("A3", 8, 150_000, BOB.id),
    Need("A4", 2, 50_000, None),
    Need("A5", 2, 40_000, ANN.id),
    Need("A6", 0, 1_000, BOB.id),  # Digital-Led: needs no hours
]


def test_accounts_stay_while_their_csm_has_room_and_the_rest_go_where_most_is_left():
    # By hand, highest ARR first. Keep: A1 with Ann (8 of 20), A2 with Bob
    # (8 of 12); A3 no longer fits Bob (4 left < 8) and waits; A5 stays with
    # Ann (10 of 20). Then A3 goes to Ann, who has 10 left against Bob's 4
    # (Ann 18), and A4 to Bob, who now has 4 left against Ann's 2 (Bob 10).
    # A6 needs no hours and is not placed.
    result = assign([ANN, BOB], BOOK)

    assert result.csm_of == {"A1": 1, "A2": 2, "A5": 1, "A3": 1, "A4": 2}
    assert result.load == {1: 18.0, 2: 10.0}
    assert result.accounts == {1: 3, 2: 2}
    assert result.moves == [("A3", 2, 1), ("A4", None, 2)]
    assert result.unplaced == []


def test_an_account_no_csm_has_room_for_is_listed_and_smaller_ones_still_fit():
    # Total need 34 hours against 32 of capacity. After the keeps (A1, A2, A5)
    # and A3 to Ann (rooms: Ann 2, Bob 4), A7 needs 6: nobody has room. A4
    # (2 hours) still fits, with Bob, who has more left.
    book = [*BOOK, Need("A7", 6, 100_000, None)]

    result = assign([ANN, BOB], book)

    assert result.unplaced == ["A7"]
    assert result.csm_of["A4"] == BOB.id
    assert result.load == {1: 18.0, 2: 10.0}


def test_a_csm_over_capacity_keeps_the_largest_accounts_and_gives_up_the_rest():
    # Cy carries 3 x 5 hours with room for 12: keeps B1 and B2 (10), gives up
    # B3 to Di, who has room.
    cy, di = Csm(3, "Cy", 12.0), Csm(4, "Di", 6.0)
    book = [
        Need("B1", 5, 90_000, 3),
        Need("B2", 5, 80_000, 3),
        Need("B3", 5, 70_000, 3),
    ]

    result = assign([cy, di], book)

    assert result.csm_of == {"B1": 3, "B2": 3, "B3": 4}
    assert result.moves == [("B3", 3, 4)]


def test_ties_go_to_fewer_accounts_then_the_lower_id():
    even = [Csm(7, "G", 10.0), Csm(5, "E", 10.0), Csm(6, "F", 10.0)]
    book = [Need("C1", 2, 100, None), Need("C2", 2, 100, None), Need("C3", 2, 100, 6)]

    result = assign(even, book)

    # C3 stays with F. C1: E and G have 10 left, no accounts: E (id 5). C2:
    # G has the most left.
    assert result.csm_of == {"C3": 6, "C1": 5, "C2": 7}


def test_an_account_whose_csm_left_the_pool_is_reassigned():
    result = assign([ANN], [Need("D1", 4, 10_000, 99)])

    assert result.csm_of == {"D1": 1}
    assert result.moves == [("D1", 99, 1)]


def test_with_no_csms_every_account_needing_hours_is_unplaced():
    result = assign([], BOOK)

    assert result.unplaced == ["A1", "A2", "A3", "A4", "A5"]


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (dt.date(2024, 1, 1), dt.date(2024, 3, 31), 3.0),
        (dt.date(2024, 2, 1), dt.date(2024, 2, 15), 15 / 29),
        (dt.date(2024, 1, 16), dt.date(2024, 2, 29), 16 / 31 + 1),
        (dt.date(2024, 3, 1), dt.date(2024, 2, 1), 0.0),
    ],
)
def test_months_in_a_period_count_part_months_pro_rata(start, end, months):
    assert months_in(start, end) == pytest.approx(months)


def test_effort_against_plan_by_tier():
    # Tier 1: two High-Touch accounts at 6 h/month over 3 months = 36 planned;
    # 20 hours logged. Tier 2: one Tech-Touch at 1.5 h/month = 4.5 planned,
    # 6 logged. 1 hour on an account outside the plan counts as "(other)".
    accounts = pd.DataFrame(
        {"account_id": [1, 2, 3], "group": ["Tier 1", "Tier 1", "Tier 2"]}
    )
    plan = pd.Series([6.0, 6.0, 1.5])
    logged = pd.DataFrame({"account_id": [1, 1, 2, 3, 9], "hours": [8, 4, 8, 6, 1]})

    table = effort_vs_plan(accounts, logged, plan, 3.0).set_index("group")

    assert table.loc["Tier 1", "planned_hours"] == 36.0
    assert table.loc["Tier 1", "logged_hours"] == 20.0
    assert table.loc["Tier 1", "logged_per_account_month"] == pytest.approx(20 / 6)
    assert table.loc["Tier 1", "logged_vs_plan"] == pytest.approx(20 / 36)
    assert table.loc["Tier 2", "planned_hours"] == 4.5
    assert table.loc["Tier 2", "logged_vs_plan"] == pytest.approx(6 / 4.5)
    assert table.loc["(other)", "logged_hours"] == 1.0
    assert table.loc["(other)", "accounts"] == 0
    assert pd.isna(table.loc["(other)", "logged_vs_plan"])
