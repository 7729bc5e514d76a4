"""The pages in-process: what each shows, and the forms that change things."""

import datetime as dt
import json

from sqlalchemy import select

from steward.store.models import AccountTag, Task, User
from tests.web_company import page


def _texts(html, selector: str) -> list[str]:
    return [node.get_text(" ", strip=True) for node in page(html).select(selector)]


def test_pages_send_strangers_to_sign_in_and_back(sqlite_company):
    company = sqlite_company

    response = company.client.get("/accounts/good", follow_redirects=False)
    company.sign_in("csm1@x.example")
    after = company.client.get("/accounts/good")

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/accounts/good"
    assert after.status_code == 200


def test_signing_out_ends_the_session(sqlite_company):
    company = sqlite_company
    company.sign_in("csm1@x.example")

    company.client.post("/logout", data={"csrf_token": company.csrf("/")})
    after = company.client.get("/", follow_redirects=False)

    assert after.status_code == 303


def test_the_dashboard_counts_and_charts_the_book(company):
    company.sign_in("csm1@x.example")

    html = company.client.get("/").text

    stats = dict(
        (article.header.get_text(strip=True), article.strong.get_text(strip=True))
        for article in page(html).select("section.stats article")
    )
    assert stats["Accounts scored"] == "2"
    assert stats["At risk"] == "2"
    assert stats["ARR at risk"] == "20,000"
    charts = [json.loads(c["data-chart"]) for c in page(html).select("canvas")]
    assert [c["title"] for c in charts] == [
        "Accounts per band",
        "Accounts per tier and band",
        "Health score distribution",
        "Accounts per band, last 90 days",
    ]
    assert sum(charts[2]["series"][0]["data"]) == 2


def test_the_accounts_list_filters_sorts_and_pages(sqlite_company):
    company = sqlite_company
    company.sign_in("lead@x.example")

    riskiest = _texts(company.client.get("/accounts").text, "table.accounts tbody a")
    by_name = _texts(
        company.client.get("/accounts?sort=name&desc=true").text,
        "table.accounts tbody a",
    )
    tier_1 = _texts(
        company.client.get("/accounts?tier=Tier+1&renewal=").text,
        "table.accounts tbody a",
    )

    assert riskiest == ["Double Inc", "Late Ltd", "Good Co"]
    assert by_name == ["Late Ltd", "Good Co", "Double Inc"]
    assert tier_1 == ["Double Inc"]


def test_htmx_filtering_returns_only_the_rows(sqlite_company):
    company = sqlite_company
    company.sign_in("lead@x.example")

    response = company.client.get(
        "/accounts?q=late", headers={"HX-Request": "true", "HX-Target": "rows"}
    )

    assert page(response.text).find("form", id="filters") is None
    assert _texts(response.text, "table.accounts tbody a") == ["Late Ltd"]


def test_account_360_shows_why_milestones_people_and_signals(company):
    company.sign_in("csm1@x.example")
    token = company.token("csm1@x.example")

    html = company.client.get("/accounts/good").text
    api = company.client.get("/api/v1/accounts/good", headers=token).json()

    why = page(html).find(id="why")
    factors = [row.td.get_text(strip=True) for row in why.select("tbody tr")]
    assert factors == [factor["label"] for factor in api["factors"]]
    assert "At risk" in page(html).find(id="health").get_text()
    assert _texts(html, ".milestones .status") == ["Achieved"] * 3
    text = page(html).get_text(" ")
    assert "Gil Good" in text
    assert "Export fails on large files" in text
    assert "Slow exports" in text
    assert page(html).find(id="usage")["hx-get"] == "/accounts/good/usage"


def test_the_account_page_links_its_plans_and_its_peer_benchmark(sqlite_company):
    company = sqlite_company
    company.sign_in("csm1@x.example")

    html = company.client.get("/accounts/good").text
    links = {a.get_text(strip=True): a["href"] for a in page(html).select("main a")}
    benchmark = company.client.get(links["Peer benchmark"])

    assert links["Success plans"] == "/accounts/good/plans"
    assert links["Peer benchmark"] == "/accounts/good/benchmark"
    assert benchmark.status_code == 200


def test_the_usage_chart_counts_events_per_day(sqlite_company):
    company = sqlite_company
    company.sign_in("csm1@x.example")

    html = company.client.get("/accounts/good/usage").text

    chart = json.loads(page(html).find("canvas")["data-chart"])
    days = dict(zip(chart["labels"], chart["series"][0]["data"], strict=True))
    users = dict(zip(chart["labels"], chart["series"][1]["data"], strict=True))
    assert len(days) == 90
    assert chart["labels"][-1] == "2024-12-23"
    # One event on each of 3, 4 and 5 December (u2's 11:00+02:00 is 09:00 UTC).
    assert {day: n for day, n in days.items() if n} == {
        "2024-12-03": 1,
        "2024-12-04": 1,
        "2024-12-05": 1,
    }
    assert users["2024-12-05"] == 1


def test_a_note_posted_by_a_plain_form_lands_on_the_timeline(sqlite_company):
    company = sqlite_company
    company.sign_in("csm1@x.example")
    token = company.csrf("/accounts/good")

    response = company.client.post(
        "/accounts/good/notes",
        data={
            "body": "QBR went well",
            "kind": "qbr",
            "categories": ["feature_gap", "documentation_confusion"],
            "other": "pricing, Pricing",
            "csrf_token": token,
        },
    )

    first = page(response.text).select_one("#timeline li")
    assert "QBR went well" in first.get_text()
    assert [m.get_text() for m in first.select("mark.category")] == [
        "Feature gap",
        "Documentation confusion",
        "Pricing",
    ]


def test_stage_and_tag_changes_come_back_as_fragments(sqlite_company):
    company = sqlite_company
    company.sign_in("csm1@x.example")
    hx = {"HX-Request": "true", "X-CSRF-Token": company.csrf("/accounts/good")}

    stage = company.client.post(
        "/accounts/good/stage", data={"stage": "qbr"}, headers=hx
    )
    tag = company.client.post(
        "/accounts/good/tags", data={"tag": "Recovery"}, headers=hx
    )

    assert page(stage.text).find(id="stage").get_text() == "Qbr"
    timeline = page(stage.text).find(id="timeline")
    assert timeline["hx-swap-oob"] == "true"
    assert "Stage: renewal risk → qbr" in timeline.get_text()
    assert "Recovery" in page(tag.text).select_one(".tags").get_text()
    with company.workspace.store.session() as session:
        tags = session.scalars(select(AccountTag)).all()
    assert [(t.tag, t.added_by) for t in tags] == [("Recovery", "csm1@x.example")]


def test_the_task_inbox_completes_snoozes_and_comments(sqlite_company):
    company = sqlite_company
    company.sign_in("csm1@x.example")
    html = company.client.get("/tasks").text
    task_id = int(page(html).select_one("article.task")["id"].split("-")[1])
    hx = {"HX-Request": "true", "X-CSRF-Token": company.csrf("/tasks")}

    commented = company.client.post(
        f"/tasks/{task_id}/comments", data={"body": "left a voicemail"}, headers=hx
    )
    done = company.client.post(f"/tasks/{task_id}/complete", headers=hx)

    assert "left a voicemail" in page(commented.text).select_one(".comment").get_text()
    assert page(done.text).select_one(".status").get_text(strip=True) == "Done"
    assert page(done.text).find("form") is None
    assert "overdue" in page(html).select_one("article.task")["class"]


def test_a_snoozed_task_disappears_from_the_inbox(sqlite_company):
    company = sqlite_company
    company.sign_in("csm1@x.example")
    with company.workspace.store.session() as session:
        task = session.scalars(
            select(Task).join(Task.assignee).where(User.email == "csm1@x.example")
        ).first()
    tomorrow = dt.date.today() + dt.timedelta(days=1)

    company.client.post(
        f"/tasks/{task.id}/snooze",
        data={"until": tomorrow.isoformat(), "csrf_token": company.csrf("/tasks")},
    )
    html = company.client.get("/tasks").text

    assert f"task-{task.id}" not in [a["id"] for a in page(html).select("article")]


def test_admin_page_is_for_admins_and_issues_a_token_once(sqlite_company):
    company = sqlite_company
    company.sign_in("lead@x.example")
    refused = company.client.get("/admin")
    company.client.cookies.clear()
    company.sign_in("admin@x.example")

    issued = company.client.post(
        "/admin/tokens",
        data={"user_id": "1", "name": "sync", "csrf_token": company.csrf("/admin")},
    )
    again = company.client.get("/admin")

    assert refused.status_code == 403
    secret = page(issued.text).find(id="issued-token").get_text()
    assert secret.startswith("stw_")
    assert secret not in again.text
    names = [row.td.get_text() for row in page(again.text).select("#admin tbody tr")]
    assert "sync" in names
