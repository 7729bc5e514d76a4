"""The CSM's plan pages, the QBR button and the voice page in the web app, and the
same through the JSON API, on the web test company.
"""

import io

from pptx import Presentation
from sqlalchemy import select

from steward.reports.qbr import FIRST_TITLE
from steward.store.plans import BusinessReview
from tests.web_company import page


def _create_plan_by_form(company, key: str = "good") -> str:
    client = company.sign_in("csm1@x.example")
    token = company.csrf(f"/accounts/{key}/plans")
    response = client.post(
        f"/accounts/{key}/plans",
        data={"title": "FY25 plan", "kickoff_on": "2024-12-02", "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return response.headers["location"]


def _form(company, address: str, data: dict) -> object:
    token = company.csrf(address)
    return company.client.post(
        f"{address}/changes", data={**data, "csrf_token": token}, follow_redirects=False
    )


def test_a_csm_builds_a_plan_with_forms_and_sees_each_version(sqlite_company):
    address = _create_plan_by_form(sqlite_company)

    _form(sqlite_company, address, {"op": "add_goal", "title": "Export without errors"})
    html = page(sqlite_company.client.get(address).text)
    goal = html.select_one("article.goal")["id"].removeprefix("goal-")
    kpi_form = {
        "op": "add_kpi",
        "goal_id": goal,
        "name": "Latest NPS",
        "baseline": "4",
        "target": "8",
    }
    added = _form(sqlite_company, address, kpi_form)
    html = page(sqlite_company.client.get(address).text)

    assert added.status_code == 303
    row = html.select_one("tr[id^=kpi-]").find_all("td")
    assert [cell.get_text(strip=True) for cell in row[:4]] == [
        "Latest NPS",
        "4",
        "4",
        "8",
    ]
    assert row[4].get_text(strip=True) == "live: latest_nps on 2024-12-23"
    versions = [li.get_text(" ", strip=True) for li in html.select("#versions li")]
    assert versions[0].startswith("3")
    assert "csm1@x.example" in versions[0]
    assert versions[0].endswith(
        "added KPI 'Latest NPS' to goal 'Export without errors'"
    )


def test_a_csm_cannot_open_a_plan_of_another_csms_account(sqlite_company):
    address = _create_plan_by_form(sqlite_company, "good")
    sqlite_company.client.post("/logout", data={"csrf_token": sqlite_company.csrf()})
    sqlite_company.sign_in("csm2@x.example")

    response = sqlite_company.client.get(address)

    assert response.status_code == 404


def test_the_qbr_button_downloads_the_deck(sqlite_company):
    address = _create_plan_by_form(sqlite_company)
    _form(sqlite_company, address, {"op": "add_goal", "title": "Export without errors"})
    token = sqlite_company.csrf("/accounts/good")
    assert page(sqlite_company.client.get("/accounts/good").text).select_one("#qbr")

    response = sqlite_company.client.post(
        "/accounts/good/qbr", data={"kind": "pptx", "csrf_token": token}
    )

    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    deck = Presentation(io.BytesIO(response.content))
    assert deck.slides[0].shapes.title.text == FIRST_TITLE


def test_a_read_only_user_cannot_record_a_review_as_held(sqlite_company):
    _create_plan_by_form(sqlite_company)
    sqlite_company.client.post("/logout", data={"csrf_token": sqlite_company.csrf()})
    sqlite_company.sign_in("viewer@x.example")
    token = sqlite_company.csrf("/accounts/good")
    form = {"kind": "pptx", "csrf_token": token}

    recorded = sqlite_company.client.post(
        "/accounts/good/qbr", data={**form, "record": "true"}
    )
    deck = sqlite_company.client.post("/accounts/good/qbr", data=form)

    assert recorded.status_code == 403
    assert "viewer@x.example is read-only and may not change account 'good'" in (
        page(recorded.text).get_text(" ", strip=True)
    )
    assert deck.status_code == 200
    with sqlite_company.workspace.store.session() as session:
        assert session.scalars(select(BusinessReview)).all() == []


def test_the_api_creates_changes_and_links_a_plan(company):
    headers = company.token("csm1@x.example")
    body = {
        "title": "FY25",
        "kickoff_on": "2024-12-02",
        "content": {"goals": [{"title": "Fewer tickets"}]},
    }

    made = company.client.post(
        "/api/v1/accounts/good/plans", json=body, headers=headers
    )
    plan = made.json()
    change = {
        "op": "add_kpi",
        "goal_id": plan["content"]["goals"][0]["id"],
        "name": "Support tickets per month",
        "baseline": 3,
        "target": 1,
    }
    changed = company.client.post(
        f"/api/v1/plans/{plan['id']}/changes", json=change, headers=headers
    )
    link = company.client.post(
        f"/api/v1/plans/{plan['id']}/links", json={"label": "Gil"}, headers=headers
    )
    stale = company.client.put(
        f"/api/v1/plans/{plan['id']}",
        json={"title": "FY25", "version": 1, "content": plan["content"]},
        headers=headers,
    )
    versions = company.client.get(
        f"/api/v1/plans/{plan['id']}/versions", headers=headers
    )
    foreign = company.client.get("/api/v1/accounts/double/plans", headers=headers)

    assert made.status_code == 201
    assert changed.json()["version"] == 2
    kpi = changed.json()["content"]["goals"][0]["kpis"][0]
    assert kpi["metric"] == "tickets_per_month"
    assert link.status_code == 201
    assert (
        company.client.get(link.json()["url"].split("testserver")[1]).status_code == 200
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "conflict"
    assert stale.json()["error"]["field"] == "version"
    assert [v["version"] for v in versions.json()] == [2, 1]
    assert foreign.status_code == 404


def test_the_voice_page_and_its_csv(sqlite_company):
    client = sqlite_company.sign_in("csm1@x.example")
    token = sqlite_company.csrf("/accounts/good")
    client.post(
        "/accounts/good/notes",
        data={
            "body": "Needs SAML",
            "kind": "call",
            "categories": "feature_gap",
            "csrf_token": token,
        },
    )

    html = page(client.get("/voice").text)
    csv_text = client.get("/voice.csv").text

    row = html.select_one("#category-feature_gap").find_all("td")
    assert [cell.get_text(strip=True) for cell in row[1:5]] == ["1", "0", "1", "8,000"]
    assert "Needs SAML" in html.get_text()
    quiet = [a.get_text() for a in html.select("#quiet td a")]
    assert quiet == ["Late Ltd"]
    assert csv_text.splitlines()[1].split(",")[1:4] == [
        "feature_gap",
        "Feature gap",
        "1",
    ]


def test_the_api_sends_the_qbr_deck_as_a_powerpoint_file(sqlite_company):
    headers = sqlite_company.token("csm1@x.example")
    plan = {
        "title": "FY25",
        "kickoff_on": "2024-12-02",
        "content": {"goals": [{"title": "Fewer tickets"}]},
    }
    made = sqlite_company.client.post(
        "/api/v1/accounts/good/plans", json=plan, headers=headers
    )
    assert made.status_code == 201, made.text

    deck = sqlite_company.client.get(
        "/api/v1/accounts/good/qbr", params={"format": "pptx"}, headers=headers
    )

    assert deck.status_code == 200, deck.text
    assert deck.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    )
    assert deck.content[:2] == b"PK"  # a zip, as .pptx files are
