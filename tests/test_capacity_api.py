"""Capacity, assignment and effort through the API and the web app, in-process.

After the company's daily run (tests/web_company.py): late (csm1, 12,000 ARR)
and double (csm2, 20,000, Tier 1) are Tech-Touch at 1.5 hours a month; good
(csm1, 8,000) is Digital-Led at 0 hours. Capacity is in hours a week (the
built-in coverage file), so a month has 52/12 of them.
"""

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from steward.cli.main import app as cli
from steward.store.coverage import CsmEffort
from steward.store.models import Account, AuditEntry, User
from tests.web_company import page

WEEKS = 52 / 12


def _capacity(tmp_path: Path, csm1: float, csm2: float) -> None:
    path = tmp_path / "capacity.csv"
    path.write_text(
        f"email,capacity_hours\ncsm1@x.example,{csm1}\ncsm2@x.example,{csm2}\n"
    )
    result = CliRunner().invoke(cli, ["import", str(path), "--kind", "users"])
    assert result.exit_code == 0, result.output


def test_load_per_csm_and_the_move_that_fits_everyone(company, tmp_path):
    # csm1 has 0.3 h a week = 1.3 h a month: late (1.5) no longer fits and
    # goes to csm2, who keeps double (1.5) and has 1 h a week = 4.33 a month.
    _capacity(tmp_path, 0.3, 1)
    manager = company.token("lead@x.example")

    body = company.client.get("/api/v1/capacity", headers=manager).json()

    loads = {load["name"]: load for load in body["loads"]}
    assert loads["Cam One"]["accounts"] == 2
    # After the move Cam One keeps good (Digital-Led, 0 h) only.
    assert (
        loads["Cam One"]["proposed_accounts"],
        loads["Cam One"]["proposed_hours"],
    ) == (1, 0)
    assert loads["Cat Two"]["proposed_accounts"] == 2
    assert loads["Cam One"]["hours"] == 1.5
    assert loads["Cam One"]["capacity"] == pytest.approx(0.3 * WEEKS, abs=0.01)
    assert loads["Cam One"]["over"] is True
    assert loads["Cat Two"]["proposed_hours"] == 3.0
    assert body["moves"] == [
        {
            "account": "late",
            "name": "Late Ltd",
            "hours": 1.5,
            "from_csm": "Cam One",
            "to_csm": "Cat Two",
        }
    ]
    assert body["unplaced"] == []


def test_an_account_no_csm_has_room_for_is_listed(company, tmp_path):
    # csm2 has 0.5 h a week = 2.17 a month: double (1.5) stays; late needs 1.5
    # and neither CSM has that much left.
    _capacity(tmp_path, 0.3, 0.5)
    manager = company.token("lead@x.example")

    body = company.client.get("/api/v1/capacity", headers=manager).json()

    assert body["moves"] == []
    assert [(u["account"], u["hours"], u["csm"]) for u in body["unplaced"]] == [
        ("late", 1.5, "Cam One")
    ]
    # late stays with Cam One, over capacity after the moves too; good (0 h,
    # Digital-Led) stays in the book as well.
    cam = next(load for load in body["loads"] if load["name"] == "Cam One")
    assert (cam["proposed_accounts"], cam["proposed_hours"]) == (2, 1.5)
    assert cam["proposed_hours"] > cam["capacity"]


def test_a_manager_applies_the_moves_and_a_csm_may_not(company, tmp_path):
    _capacity(tmp_path, 0.3, 1)
    manager = company.token("lead@x.example")
    csm = company.token("csm1@x.example")

    refused = company.client.post("/api/v1/capacity/assign", headers=csm)
    applied = company.client.post("/api/v1/capacity/assign", headers=manager)

    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == (
        "only a manager or an admin assigns accounts to CSMs; csm1@x.example is csm"
    )
    assert applied.status_code == 200
    with company.workspace.store.session() as session:
        late = session.scalar(select(Account).where(Account.external_id == "late"))
        owner = session.get(User, late.csm_id).email
        audit = session.scalar(
            select(AuditEntry).where(AuditEntry.action == "account.csm_assigned")
        )
    assert owner == "csm2@x.example"
    assert (audit.entity_id, audit.actor) == ("late", "lead@x.example")
    assert audit.detail == {"from": "Cam One", "to": "Cat Two", "hours": 1.5}


def test_a_csm_logs_effort_on_their_account_and_it_counts_against_plan(company):
    csm = company.token("csm1@x.example")
    other = company.token("csm2@x.example")
    body = {"hours": 2, "worked_on": "2024-12-10", "activity": "call"}

    logged = company.client.post("/api/v1/accounts/late/effort", json=body, headers=csm)
    refused = company.client.post(
        "/api/v1/accounts/late/effort", json=body, headers=other
    )
    too_long = company.client.post(
        "/api/v1/accounts/late/effort", json={"hours": 30}, headers=csm
    )
    plan = company.client.get(
        "/api/v1/reports/effort?from=2024-12-01&to=2024-12-31",
        headers=company.token("lead@x.example"),
    )

    assert logged.status_code == 201, logged.text
    assert (logged.json()["csm"], logged.json()["source"]) == ("csm1@x.example", "api")
    assert refused.status_code == 404
    assert too_long.status_code == 422
    assert too_long.json()["error"]["message"] == (
        "hours: Input should be less than or equal to 24"
    )
    # December is one month: Tier 1 plans 1.5 h (double), Tier 2 1.5 h (late)
    # and 0 (good).
    rows = {row["group"]: row for row in plan.json()["rows"]}
    assert rows["Tier 1"]["planned_hours"] == 1.5
    assert rows["Tier 1"]["logged_hours"] == 0
    assert rows["Tier 2"]["accounts"] == 2
    assert rows["Tier 2"]["planned_hours"] == 1.5
    assert rows["Tier 2"]["logged_hours"] == 2
    assert rows["Tier 2"]["logged_vs_plan"] == pytest.approx(2 / 1.5)


def test_effort_before_the_account_was_a_customer_is_refused(company):
    csm = company.token("csm1@x.example")
    body = {"hours": 2, "worked_on": "1900-01-01"}

    refused = company.client.post(
        "/api/v1/accounts/late/effort", json=body, headers=csm
    )

    assert refused.status_code == 422
    assert refused.json()["error"] == {
        "code": "invalid",
        "field": "worked_on",
        "message": "1900-01-01 is before late became a customer (2024-12-02); "
        "log the day the effort was spent",
    }


def test_the_capacity_page_charts_loads_and_logs_effort(sqlite_company, tmp_path):
    _capacity(tmp_path, 0.3, 1)
    client = sqlite_company.sign_in("lead@x.example")

    shown = page(client.get("/capacity").text)
    logged = client.post(
        "/capacity/effort",
        data={
            "account": "double",
            "hours": "1,5",
            "worked_on": "2024-12-20",
            "activity": "qbr",
            "csrf_token": sqlite_company.csrf("/capacity"),
        },
        follow_redirects=False,
    )

    over = [row["data-csm"] for row in shown.select("table.loads tr.over")]
    assert over == ["Cam One"]
    assert [td.get_text() for td in shown.select("table.moves td")][2:] == [
        "Cam One",
        "Cat Two",
    ]
    assert len(shown.select("canvas[data-chart]")) == 2
    assert logged.status_code == 303
    with sqlite_company.workspace.store.session() as session:
        effort = session.scalar(select(CsmEffort))
        csm = effort.user.email
    # A manager's hours on an account count for its CSM.
    assert (effort.hours, effort.source, csm) == (1.5, "web", "csm2@x.example")


def test_an_effort_entry_sent_twice_with_its_id_counts_once(company):
    csm = company.token("csm1@x.example")
    url = "/api/v1/accounts/late/effort"
    body = {"id": "cal-7731", "hours": 1.25, "worked_on": "2024-12-11"}

    first = company.client.post(url, json=body, headers=csm)
    again = company.client.post(url, json=body, headers=csm)
    changed = company.client.post(url, json={**body, "hours": 3}, headers=csm)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert changed.status_code == 409
    assert changed.json()["error"]["message"] == (
        "effort entry 'cal-7731' was already logged with other values (1.25 h on "
        "2024-12-11); use a new id for a new entry"
    )
    with company.workspace.store.session() as session:
        hours = session.scalars(select(CsmEffort.hours)).all()
    assert hours == [1.25]


def test_the_effort_form_sent_twice_logs_its_hours_once(sqlite_company):
    client = sqlite_company.sign_in("csm1@x.example")
    form = page(client.get("/capacity").text).select_one(
        "form[action='/capacity/effort']"
    )
    entry = form.select_one("input[name=entry]")["value"]
    data = {
        "account": "late",
        "hours": "2",
        "worked_on": "2024-12-19",
        "entry": entry,
        "csrf_token": sqlite_company.csrf("/capacity"),
    }

    for _ in range(2):
        sent = client.post("/capacity/effort", data=data, follow_redirects=False)
        assert sent.status_code == 303

    with sqlite_company.workspace.store.session() as session:
        rows = session.execute(select(CsmEffort.hours, CsmEffort.source)).all()
    assert rows == [(2.0, "web")]
