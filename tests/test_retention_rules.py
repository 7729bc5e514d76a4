"""Retention, cohorts, NPS and time to value on a small book worked out by hand."""

import datetime as dt

import pytest

from steward.errors import InputInvalid
from steward.reports.service import (
    cohort_report,
    nps_report,
    retention_report,
    ttv_report,
)
from steward.store.models import Account, Contract, MilestoneState, NpsResponse

D = dt.date
UTC = dt.UTC
# account: segment, and contracts (start, end, ARR, outcome, new ARR, closed)
BOOK = {
    "a1": (
        "SMB",
        [
            (D(2023, 1, 1), D(2024, 12, 31), 100, "expanded", 150, D(2024, 5, 20)),
            (D(2024, 6, 1), None, 50, None, None, None),
        ],
    ),
    "a2": (
        "SMB",
        [
            # An expansion closed before the period: not one of its deals.
            (D(2022, 6, 1), D(2023, 5, 31), 150, "expanded", 200, D(2023, 5, 1)),
            (D(2023, 6, 1), D(2024, 5, 31), 200, "churned", 0, D(2024, 5, 1)),
        ],
    ),
    "a3": (
        "Enterprise",
        [
            (D(2023, 3, 1), D(2024, 2, 29), 300, "contracted", 240, D(2024, 2, 1)),
            (D(2024, 3, 1), D(2025, 2, 28), 240, None, None, None),
        ],
    ),
    "a4": ("Enterprise", [(D(2024, 3, 15), None, 120, None, None, None)]),
    "a5": (None, [(D(2024, 10, 31), D(2024, 11, 30), 60, None, None, None)]),
    "a6": (None, [(D(2024, 5, 1), D(2024, 6, 30), 80, None, None, None)]),
}
YEAR = (D(2024, 1, 1), D(2024, 12, 31))


@pytest.fixture
def book(store):
    with store.session() as session:
        for key, (segment, contracts) in BOOK.items():
            account = Account(external_id=key, name=key.upper(), segment=segment)
            session.add(account)
            session.flush()
            for n, (start, end, arr, outcome, new_arr, closed) in enumerate(contracts):
                session.add(
                    Contract(
                        external_id=f"{key}-{n}",
                        account_id=account.id,
                        start_date=start,
                        end_date=end,
                        arr=arr,
                        outcome=outcome,
                        new_arr=new_arr,
                        closed_on=closed,
                    )
                )
    return store


def _rows(table):
    return {row["group"]: row for row in table.rows}


def test_a_year_of_retention_worked_out_by_hand(book):
    # Customers on 1 Jan 2024: a1 (100), a2 (200), a3 (300) = 600. On 31 Dec:
    # a1 150 (its first contract still runs that day, plus 50), a2 0, a3 240.
    # GRR = (100 + 0 + 240) / 600; NRR = 390 / 600. New customers: a4, a5, a6;
    # a5's ninetieth day (29 Jan 2025) is after the data, a6 had no contract
    # on its ninetieth day (30 Jul 2024). One expansion deal in the year: +50.
    with book.session() as session:
        table = retention_report(session, *YEAR, today=D(2024, 12, 31))

    everyone = _rows(table)["All"]
    assert everyone["accounts_start"] == 3
    assert everyone["arr_start"] == 600
    assert everyone["arr_end"] == 390
    assert everyone["grr"] == pytest.approx(340 / 600)
    assert everyone["nrr"] == pytest.approx(390 / 600)
    assert everyone["churned_accounts"] == 1
    assert everyone["churned_arr"] == 200
    assert everyone["contraction_arr"] == 60
    assert everyone["expansion_arr"] == 50
    assert everyone["logo_churn"] == pytest.approx(1 / 3)
    assert everyone["revenue_churn"] == pytest.approx(200 / 600)
    assert (everyone["new_customers"], everyone["new_judged"]) == (3, 2)
    assert everyone["new_churned_90d"] == 1
    assert everyone["churn_90d"] == 0.5
    assert everyone["expansion_deals"] == 1
    assert everyone["expansion_deal_mean"] == everyone["expansion_deal_total"] == 50


def test_retention_by_segment(book):
    with book.session() as session:
        table = retention_report(session, *YEAR, by="segment", today=D(2024, 12, 31))

    rows = _rows(table)
    assert list(rows) == ["(none)", "Enterprise", "SMB", "All"]
    assert (rows["SMB"]["grr"], rows["SMB"]["nrr"]) == (pytest.approx(1 / 3), 0.5)
    assert rows["SMB"]["logo_churn"] == 0.5
    assert rows["SMB"]["expansion_deals"] == 1
    assert (rows["Enterprise"]["grr"], rows["Enterprise"]["nrr"]) == (0.8, 0.8)
    assert rows["Enterprise"]["churn_90d"] == 0.0
    assert rows["(none)"]["grr"] is None  # nobody was a customer on 1 January
    assert rows["(none)"]["churn_90d"] == 1.0


def test_a_month_with_no_change_keeps_every_dollar(book):
    # On 1 June: a1 150, a3 240, a4 120, a6 80 (a2 ended on 31 May). All of
    # them still pay on 30 June, a6 on its very last day.
    with book.session() as session:
        table = retention_report(
            session, D(2024, 6, 1), D(2024, 6, 30), today=D(2024, 12, 31)
        )

    everyone = _rows(table)["All"]
    assert (everyone["accounts_start"], everyone["arr_start"]) == (4, 590)
    assert (everyone["grr"], everyone["nrr"], everyone["logo_churn"]) == (1, 1, 0)
    assert everyone["new_customers"] == 0


def test_cohort_curves_on_contracts_keep_the_31st_at_month_ends(book):
    # a5 signed on 31 Oct: month 1 is 30 November, its contract's last day, so
    # it is retained; on 31 December it is gone. a6 (1 May) is there on 1 June
    # and gone on 1 July. a4 (15 March) stays. A cohort's month k is shown once
    # its month's last day + k months has passed by 31 December.
    with book.session() as session:
        table = cohort_report(session, None, *YEAR)

    curves = {}
    for row in table.rows:
        curves.setdefault(row["cohort"], []).append(row["share"])
    assert table.notes == ["basis: contracts"]
    assert curves == {
        "2024-03": [1.0] * 10,
        "2024-05": [1.0, 1.0, 0, 0, 0, 0, 0, 0],
        "2024-10": [1.0, 1.0, 0.0],
    }
    arr_shares = [r["arr_share"] for r in table.rows if r["cohort"] == "2024-10"]
    assert arr_shares == [1.0, 1.0, 0.0]


def test_nps_by_utc_month(book):
    answers = [
        ("a1", 10, dt.datetime(2024, 1, 5, 9, tzinfo=UTC)),
        ("a1", 9, dt.datetime(2024, 1, 20, 9, tzinfo=UTC)),
        ("a2", 3, dt.datetime(2024, 1, 25, 9, tzinfo=UTC)),
        ("a3", 7, dt.datetime(2024, 2, 10, 9, tzinfo=UTC)),
        # 23:30 on 11 Feb in New York is 04:30 on 12 Feb UTC: still February.
        (
            "a3",
            0,
            dt.datetime(
                2024, 2, 11, 23, 30, tzinfo=dt.timezone(-dt.timedelta(hours=5))
            ),
        ),
        # 23:30 on 31 March at UTC-2 is 1 April UTC: after the period.
        (
            "a4",
            10,
            dt.datetime(
                2024, 3, 31, 23, 30, tzinfo=dt.timezone(-dt.timedelta(hours=2))
            ),
        ),
    ]
    with book.session() as session:
        ids = {a.external_id: a.id for a in session.query(Account)}
        for n, (key, score, at) in enumerate(answers):
            session.add(
                NpsResponse(
                    external_id=f"n{n}",
                    account_id=ids[key],
                    score=score,
                    responded_at=at,
                )
            )

    with book.session() as session:
        table = nps_report(session, D(2024, 1, 1), D(2024, 3, 31))

    rows = {row["month"]: row for row in table.rows}
    assert list(rows) == ["2024-01", "2024-02", "all"]
    assert rows["2024-01"]["nps"] == pytest.approx(100 * (2 - 1) / 3)
    assert rows["2024-02"]["nps"] == -50.0
    assert (rows["all"]["answers"], rows["all"]["nps"]) == (5, 0.0)
    assert (rows["all"]["promoters"], rows["all"]["passives"]) == (2, 1)


def test_time_to_value_per_milestone(book):
    states = [
        ("a1", "first_login", 0, "achieved", 2),
        ("a2", "first_login", 0, "achieved_late", 4),
        ("a3", "first_login", 0, "missed", None),
        ("a1", "first_core_workflow", 1, "achieved", 10),
        ("a2", "first_core_workflow", 1, "achieved_late", 20),
        ("a3", "first_core_workflow", 1, "pending", None),
    ]
    with book.session() as session:
        ids = {a.external_id: a.id for a in session.query(Account)}
        for key, milestone, position, status, days in states:
            session.add(
                MilestoneState(
                    account_id=ids[key],
                    journey="onboarding",
                    milestone=milestone,
                    position=position,
                    started_on=D(2024, 2, 1),
                    due_on=D(2024, 3, 1),
                    status=status,
                    days_to_value=days,
                    evaluated_on=D(2024, 3, 31),
                )
            )

    with book.session() as session:
        table = ttv_report(session, D(2024, 1, 1), D(2024, 3, 31))

    first, second = table.rows
    assert first["milestone"] == "first_login"
    assert (first["accounts"], first["reached"], first["on_time"]) == (3, 2, 1)
    assert (first["missed"], first["waiting"]) == (1, 0)
    assert (first["median_days"], first["p75_days"]) == (3.0, 3.5)
    assert second["milestone"] == "first_core_workflow"
    assert (second["reached"], second["waiting"]) == (2, 1)
    assert (second["median_days"], second["mean_days"]) == (15.0, 15.0)
    assert second["p75_days"] == 17.5


def test_a_period_that_ends_before_it_starts_is_refused(book):
    with book.session() as session, pytest.raises(InputInvalid) as error:
        retention_report(session, D(2024, 2, 1), D(2024, 1, 1), today=D(2024, 3, 1))

    assert str(error.value) == (
        "the period ends (2024-01-01) before it starts (2024-02-01); swap from and to"
    )
