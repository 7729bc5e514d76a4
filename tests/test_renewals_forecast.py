"""The renewals view and its forecast through the store, with dates written out.

Month ends and leap days as the renewals view and the outcome log see them:
an open-ended monthly subscription from 31 January, and a yearly contract
from 29 February renewed four times through ``log_outcome``.
"""

import datetime as dt

import pytest
from sqlalchemy import select

from steward.accounts.outcomes import log_outcome
from steward.accounts.renewals import (
    BUILT_IN,
    Renewal,
    forecast,
    load_renewal_settings,
    upcoming_renewals,
)
from steward.errors import InputInvalid
from steward.store.models import Account, Contract, HealthScore

D = dt.date


def _row(contract: str, days: int, arr: float, p: float | None, **decided) -> Renewal:
    return Renewal(
        contract=contract,
        account=contract,
        name=contract,
        csm=None,
        tier=None,
        coverage=None,
        ends_on=D(2025, 1, 1) + dt.timedelta(days=days),
        days_left=days,
        arr=arr,
        billing_period="annual",
        auto_renew=None,
        health=None,
        band=None,
        churn_probability=p,
        expansion=None,
        outcome=decided.get("outcome"),
        new_arr=decided.get("new_arr"),
        renewal_risk=decided.get("renewal_risk"),
        risk_basis=decided.get("risk_basis"),
    )


def test_the_forecast_worked_out_by_hand():
    rows = [
        _row("a", 10, 10_000, 0.1),
        _row("b", 40, 5_000, 0.5),
        _row("c", 20, 2_000, None),  # not scored: left out, not guessed
        _row("d", 5, 3_000, 0.9, outcome="churned", new_arr=0.0),
        _row("e", 50, 4_000, 0.3, outcome="expanded", new_arr=6_000.0),
    ]

    within_30, within_60 = forecast(rows, [60, 30])

    # 30 days: a, c, d. Expected 10,000 × 0.9 + 0 (d churned) = 9,000.
    assert (within_30.days, within_30.contracts, within_30.arr) == (30, 3, 15_000)
    assert (within_30.decided_arr, within_30.scored_arr) == (3_000, 10_000)
    assert (within_30.expected_arr, within_30.unscored_arr) == (9_000, 2_000)
    # 60 days: everyone. 9,000 + 5,000 × 0.5 + e at its new 6,000 = 17,500.
    assert (within_60.contracts, within_60.arr) == (5, 24_000)
    assert (within_60.decided_arr, within_60.scored_arr) == (7_000, 15_000)
    assert (within_60.expected_arr, within_60.unscored_arr) == (17_500, 2_000)


@pytest.fixture
def settings():
    return load_renewal_settings(BUILT_IN)


def _account(session, key: str, churn: float | None = None, day=None) -> Account:
    account = Account(external_id=key, name=key.title())
    session.add(account)
    session.flush()
    if churn is not None:
        session.add(
            HealthScore(
                account_id=account.id,
                as_of=day,
                status="scored",
                score=50.0,
                band="neutral",
                churn_probability=churn,
                scorecard="default",
                scorecard_version=2,
            )
        )
    return account


def _contract(session, account, key, start, end, arr, period) -> None:
    session.add(
        Contract(
            external_id=key,
            account_id=account.id,
            start_date=start,
            end_date=end,
            arr=arr,
            billing_period=period,
        )
    )


def test_a_monthly_subscription_from_the_31st_keeps_its_month_ends(store, settings):
    with store.session() as session:
        account = _account(session, "monthly", churn=0.25, day=D(2025, 4, 10))
        _contract(session, account, "m31", D(2025, 1, 31), None, 1_200, "monthly")

    with store.session() as session:
        # Renewals on 28 Feb, 31 Mar, 30 Apr: on 10 April the term ends 29 April.
        (soon,) = upcoming_renewals(session, settings, D(2025, 4, 10), 30)
        logged = log_outcome(
            session,
            settings,
            "m31",
            "contracted",
            D(2025, 4, 10),
            today=D(2025, 4, 10),
            new_arr=600,
            reason="budget",
        )
    with store.session() as session:
        (after,) = upcoming_renewals(session, settings, D(2025, 5, 5), 60)
        following = session.scalar(
            select(Contract).where(Contract.external_id == "m31~2025-04-30")
        )

    assert (soon.ends_on, soon.days_left, soon.churn_probability) == (
        D(2025, 4, 29),
        19,
        0.25,
    )
    (window,) = forecast([soon], [30])
    assert window.expected_arr == 900  # 1,200 × (1 − 0.25)
    # Closed at the end of its running term; the next term stays open-ended.
    assert (logged.ends_on, logged.next_contract) == (D(2025, 4, 29), "m31~2025-04-30")
    assert (following.start_date, following.end_date, following.arr) == (
        D(2025, 4, 30),
        None,
        600,
    )
    # Anchored on 31 January, the next renewal is 31 May (not 30 May), so the
    # term running on 5 May ends on 30 May.
    assert (after.contract, after.ends_on) == ("m31~2025-04-30", D(2025, 5, 30))


def test_a_term_that_has_not_started_cannot_be_renewed_yet(store, settings):
    with store.session() as session:
        account = _account(session, "early", churn=0.1, day=D(2025, 4, 10))
        _contract(
            session, account, "y1", D(2024, 5, 1), D(2025, 4, 30), 1_000, "yearly"
        )
    with store.session() as session:
        logged = log_outcome(
            session, settings, "y1", "renewed", D(2025, 4, 10), today=D(2025, 4, 10)
        )

    with store.session() as session, pytest.raises(InputInvalid) as refused:
        log_outcome(
            session,
            settings,
            logged.next_contract,
            "renewed",
            D(2025, 4, 10),
            today=D(2025, 4, 10),
        )

    assert logged.next_contract == "y1~2025-05-01"
    assert refused.value.field == "contract"
    assert str(refused.value) == (
        "contract y1~2025-05-01 starts on 2025-05-01: its renewal can be logged "
        "once it has started"
    )


def test_a_yearly_contract_from_29_february_renewed_four_times(store, settings):
    with store.session() as session:
        account = _account(session, "leap")
        _contract(
            session, account, "y29", D(2024, 2, 29), D(2025, 2, 27), 10_000, "annual"
        )

    keys, ends = ["y29"], []
    for year in (2025, 2026, 2027, 2028):
        today = D(year, 2, 1)
        with store.session() as session:
            (due,) = upcoming_renewals(session, settings, today, 60)
            logged = log_outcome(
                session, settings, keys[-1], "renewed", today, today=today
            )
        ends.append(due.ends_on)
        keys.append(logged.next_contract)
    with store.session() as session:
        last = session.scalar(select(Contract).where(Contract.external_id == keys[-1]))

    assert ends == [D(2025, 2, 27), D(2026, 2, 27), D(2027, 2, 27), D(2028, 2, 28)]
    assert keys[1:] == [
        "y29~2025-02-28",
        "y29~2026-02-28",
        "y29~2027-02-28",
        "y29~2028-02-29",
    ]
    assert (last.start_date, last.end_date) == (D(2028, 2, 29), D(2029, 2, 27))
