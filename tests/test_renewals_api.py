"""Renewals through the API and the web app, in-process, on SQLite and PostgreSQL.

The company (tests/web_company.py) was scored on 2024-12-23: c-double
(20,000 ARR, csm2) ends on 2025-02-12, 51 days later; c-late (12,000, csm1)
and c-good (8,000, csm1) end on 2025-12-01, 343 days later.
"""

import datetime as dt

from sqlalchemy import select

from steward.store.models import AuditEntry, Contract, Outcome
from tests.web_company import page


def _contracts(response) -> list[tuple[str, int]]:
    assert response.status_code == 200, response.text
    return [(r["contract"], r["days_left"]) for r in response.json()["renewals"]]


def test_renewals_within_a_window_with_health_and_the_forecast(company):
    manager = company.token("lead@x.example")

    soon = company.client.get("/api/v1/renewals?within_days=90", headers=manager)
    year = company.client.get("/api/v1/renewals?within_days=365", headers=manager)

    assert soon.json()["as_of"] == "2024-12-23"
    (double,) = soon.json()["renewals"]
    assert double["ends_on"] == "2025-02-12"
    assert (double["days_left"], double["arr"], double["band"]) == (
        51,
        20000,
        "at_risk",
    )
    assert double["csm"] == "Cat Two"
    windows = {w["days"]: w for w in soon.json()["forecast"]}
    assert [windows[d]["contracts"] for d in (30, 60, 90)] == [0, 1, 1]
    # The company's scorecard is not fitted: no churn probability, so the ARR
    # is reported as not scored rather than guessed.
    assert windows[90]["unscored_arr"] == 20000
    assert windows[90]["expected_arr"] == 0
    assert _contracts(year) == [("c-double", 51), ("c-good", 343), ("c-late", 343)]


def test_a_csm_sees_the_renewals_of_their_own_book(company):
    csm = company.token("csm1@x.example")

    response = company.client.get("/api/v1/renewals?within_days=365", headers=csm)

    assert _contracts(response) == [("c-good", 343), ("c-late", 343)]


def test_an_expansion_is_logged_and_opens_the_next_term(company):
    csm = company.token("csm2@x.example")
    body = {"outcome": "expanded", "new_arr": 26000, "closed_on": "2024-12-20"}

    response = company.client.post(
        "/api/v1/contracts/c-double/outcome", json=body, headers=csm
    )

    assert response.status_code == 201, response.text
    # c-double ran 13 Nov 2024 to 12 Feb 2025: three whole months, so the next
    # term runs from 13 February to 12 May.
    assert response.json() == {
        "contract": "c-double",
        "outcome": "expanded",
        "closed_on": "2024-12-20",
        "arr": 20000.0,
        "new_arr": 26000.0,
        "reason": None,
        "ends_on": "2025-02-12",
        "next_contract": "c-double~2025-02-13",
    }
    with company.workspace.store.session() as session:
        following = session.scalar(
            select(Contract).where(Contract.external_id == "c-double~2025-02-13")
        )
        outcome = session.scalar(select(Outcome).where(Outcome.kind == "expanded"))
        audit = session.scalar(
            select(AuditEntry).where(AuditEntry.action == "contract.outcome_logged")
        )
    assert (following.start_date, following.end_date) == (
        dt.date(2025, 2, 13),
        dt.date(2025, 5, 12),
    )
    assert following.arr == 26000
    assert (outcome.occurred_on, outcome.arr_change) == (dt.date(2024, 12, 20), 6000)
    assert (audit.actor, audit.entity_id) == ("csm2@x.example", "c-double")


def test_outcome_rules_are_explained(company):
    manager = company.token("lead@x.example")
    url = "/api/v1/contracts/c-double/outcome"

    def post(**body):
        return company.client.post(url, json=body, headers=manager).json()["error"]

    assert post(outcome="contracted", new_arr=15000) == {
        "code": "invalid",
        "field": "reason",
        "message": "a contracted renewal needs a reason tag; use one of pricing, "
        "budget, competitor, missing_feature, support, low_adoption, champion_left, "
        "consolidation, acquired, unknown",
    }
    assert post(outcome="expanded", new_arr=19000)["message"] == (
        "expanded needs a new ARR above the current 20,000.00, not 19,000.00"
    )
    assert post(outcome="churned")["message"] == (
        "a churned renewal needs a reason tag; use one of pricing, budget, "
        "competitor, missing_feature, support, low_adoption, champion_left, "
        "consolidation, acquired, unknown"
    )
    assert post(outcome="churned", reason="price")["message"] == (
        "unknown reason tag 'price' for a churned renewal; use one of pricing, "
        "budget, competitor, missing_feature, support, low_adoption, "
        "champion_left, consolidation, acquired, unknown (or add it to "
        "config/renewals.yaml)"
    )
    # A growth tag explains an expansion, not a loss.
    assert post(outcome="churned", reason="seat_growth")["field"] == "reason"
    assert post(outcome="renewed", new_arr=21000)["message"] == (
        "renewed means at the same ARR (20,000.00); log a higher new ARR as "
        "expanded and a lower one as contracted"
    )
    assert post(outcome="churned", reason="budget", closed_on="2999-01-01")[
        "message"
    ] == (
        "the close date 2999-01-01 is in the future; log an outcome once it is decided"
    )
    # c-double runs from 2024-11-13.
    assert post(outcome="churned", reason="budget", closed_on="1900-01-01") == {
        "code": "invalid",
        "field": "closed_on",
        "message": "the close date 1900-01-01 is before the contract started "
        "(2024-11-13); a renewal is decided during its term",
    }


def test_an_outcome_is_logged_once_and_a_retry_changes_nothing(company):
    manager = company.token("lead@x.example")
    url = "/api/v1/contracts/c-late/outcome"
    body = {"outcome": "churned", "reason": "budget", "closed_on": "2024-12-22"}

    first = company.client.post(url, json=body, headers=manager)
    again = company.client.post(url, json=body, headers=manager)
    other = company.client.post(
        url, json={**body, "reason": "pricing"}, headers=manager
    )

    assert first.status_code == 201
    assert first.json()["next_contract"] is None
    assert (again.status_code, again.json()) == (201, first.json())
    assert other.status_code == 409
    assert other.json()["error"]["message"] == (
        "contract 'c-late' already has outcome 'churned' (closed 2024-12-22); an "
        "outcome is logged once"
    )
    with company.workspace.store.session() as session:
        outcomes = session.scalars(select(Outcome.kind)).all()
        audits = session.scalars(
            select(AuditEntry.id).where(AuditEntry.action == "contract.outcome_logged")
        ).all()
    assert (outcomes, len(audits)) == (["churned"], 1)


def test_a_retried_expansion_names_the_term_it_opened(company):
    manager = company.token("lead@x.example")
    url = "/api/v1/contracts/c-double/outcome"
    body = {"outcome": "expanded", "new_arr": 26000, "closed_on": "2024-12-20"}

    first = company.client.post(url, json=body, headers=manager)
    again = company.client.post(url, json=body, headers=manager)

    assert again.json() == first.json()
    assert again.json()["next_contract"] == "c-double~2025-02-13"
    with company.workspace.store.session() as session:
        chain = session.scalars(
            select(Contract.external_id).where(Contract.external_id.like("c-double%"))
        ).all()
    assert sorted(chain) == ["c-double", "c-double~2025-02-13"]


def test_another_csms_contract_is_not_found_and_read_only_may_not_log(company):
    csm = company.token("csm1@x.example")
    viewer = company.token("viewer@x.example")
    body = {"outcome": "renewed", "closed_on": "2024-12-20"}

    other = company.client.post(
        "/api/v1/contracts/c-double/outcome", json=body, headers=csm
    )
    read_only = company.client.post(
        "/api/v1/contracts/c-double/outcome", json=body, headers=viewer
    )

    assert other.status_code == 404
    assert other.json()["error"]["message"] == "no contract with id 'c-double'"
    assert read_only.status_code == 403
    assert read_only.json()["error"]["message"] == (
        "viewer@x.example is read-only and may not change account 'double'"
    )


def test_the_renewals_page_lists_forecasts_and_logs_an_outcome(sqlite_company):
    client = sqlite_company.sign_in("lead@x.example")

    before = page(client.get("/renewals?within=90").text)
    posted = client.post(
        "/renewals/c-double/outcome",
        data={
            "outcome": "renewed",
            "closed_on": "2024-12-21",
            "within": "90",
            "csrf_token": sqlite_company.csrf("/renewals"),
        },
        headers={"HX-Request": "true"},
    )

    rows = before.select("tbody#renewal-rows tr[data-contract]")
    assert [row["data-contract"] for row in rows] == ["c-double"]
    groups = {
        group["label"]: [o["value"] for o in group.select("option")]
        for group in rows[0].select("select[name=reason] optgroup")
    }
    assert groups["Grew"] == ["seat_growth", "plan_upgrade"]
    assert "low_adoption" in groups["Lost or declined"]
    assert before.select_one("canvas[data-chart]") is not None
    windows = [a["data-days"] for a in before.select("article.forecast")]
    assert windows == ["30", "60", "90"]
    assert posted.status_code == 200, posted.text
    after = page(posted.text)
    assert after.select_one("td.outcome").get_text(strip=True) == "Renewed at 20,000"
    # The forecast comes back with the rows: decided, it counts at its ARR.
    expected = after.select_one("article.forecast[data-days='90'] .expected")
    assert expected.get_text(strip=True) == "20,000"
