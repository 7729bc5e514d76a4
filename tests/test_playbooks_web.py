"""Playbooks, runs, dry runs and the outbox through the API and the web app.

The company (tests/web_company.py) was run on Mon 23 Dec 2024. late (GB,
csm1) started Mon 2 Dec: its first login was due Mon 9 Dec and is more than
5 business days late from Tue 17 Dec. double (US, csm2) started Wed 13 Nov:
first login due Wed 20 Nov, late from Fri 29 Nov (Thanksgiving, 28 Nov, is
no business day); first core workflow due Fri 13 Dec, late from Mon 23 Dec,
its second miss in a row. Only late has a contact the rescue email goes to
(Lia, its champion). The run of 23 Dec fired the rescue for late's first
login and double's core workflow (double's first login was history by then),
and queued one email, to Lia, which could not be sent: no SMTP server.
"""

import datetime as dt

import pytest
from sqlalchemy import select

from steward.notify.deliver import deliver_due
from steward.store.automation import OutboxMessage
from steward.store.models import AuditEntry
from tests.servers import running_smtp
from tests.web_company import page

RESCUE = "/api/v1/playbooks/onboarding-rescue"
NO_SMTP = "no SMTP server: set STEWARD_SMTP_HOST (and STEWARD_SMTP_PORT)"


def _fail_the_email(company) -> OutboxMessage:
    """Deliver with one attempt allowed: the queued email ends up failed."""
    settings = company.workspace.settings.model_copy(update={"outbox_max_attempts": 1})
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    report = deliver_due(company.workspace.store, settings, now=later)
    assert report.failed == 1, report
    with company.workspace.store.session() as session:
        return session.scalar(select(OutboxMessage))


def test_the_list_tells_built_in_edited_and_own_playbooks_apart(company):
    folder = company.workspace.playbooks_dir
    tier1 = folder / "onboarding-tier1.yaml"
    tier1.write_text(tier1.read_text().replace("day: 0", "day: 1"))
    (folder / "nudge.yaml").write_text(
        "name: nudge\ntrigger: {kind: nps_detractor}\nactions:\n"
        "  - {type: email, template: sorry, to: [champion]}\n"
    )
    viewer = company.token("viewer@x.example")

    rows = company.client.get("/api/v1/playbooks", headers=viewer).json()

    by_name = {row["name"]: row for row in rows}
    assert by_name["onboarding-rescue"]["origin"] == "built-in"
    assert by_name["onboarding-tier1"]["origin"] == "built-in, edited"
    nudge = by_name["nudge"]
    emails = company.workspace.emails_dir
    there = ", ".join(sorted(file.stem for file in emails.glob("*.yaml")))
    assert (nudge["origin"], nudge["valid"], nudge["enabled"]) == ("team", False, True)
    assert nudge["problem"] == (
        "config/playbooks/nudge.yaml: actions[0].template: config/emails/sorry.yaml"
        f": no such email template; write it, or use one of: {there}"
    )
    assert nudge["trigger"] == "NPS answer of 6 or less"
    rescue = by_name["onboarding-rescue"]
    assert (rescue["valid"], rescue["runs"], rescue["last_fired"]) == (
        True,
        2,
        "2024-12-23",
    )


def _did(run: dict) -> list[str]:
    return [f"{a['type']}: {a['result'].split(' #')[0]}" for a in run["actions"]]


def test_a_playbook_shows_its_runs_with_inputs_and_what_each_did(company):
    manager = company.token("lead@x.example")
    csm1 = company.token("csm1@x.example")

    detail = company.client.get(RESCUE, headers=manager).json()
    mine = company.client.get(RESCUE, headers=csm1).json()

    runs = {run["account"]: run for run in detail["recent_runs"]}
    assert sorted(runs) == ["double", "late"]
    late, double = runs["late"], runs["double"]
    assert late["inputs"]["trigger"]["late_since"] == "2024-12-17"
    assert late["inputs"]["trigger"]["consecutive_misses"] == 1
    assert double["inputs"]["trigger"]["milestone"] == "first_core_workflow"
    assert double["inputs"]["trigger"]["consecutive_misses"] == 2
    assert _did(late) == [
        "task: task",
        "email: queued message",
        "timeline: noted on the timeline",
        "escalate: skipped: when: min_consecutive_misses 2 not met (1)",
    ]
    assert _did(double) == [
        "task: task",
        "email: skipped: no recipient: no admin or champion with an email address",
        "timeline: noted on the timeline",
        "escalate: task",
    ]
    assert detail["steps"][1] == "email onboarding-rescue to admin, champion"
    assert detail["source"].startswith("# 90-day onboarding rescue.")
    assert [run["account"] for run in mine["recent_runs"]] == ["late"]


def test_the_dry_run_counts_each_week_and_its_csm_hours(company):
    manager = company.token("lead@x.example")
    url = f"{RESCUE}/dry-run?from=2024-11-01&to=2024-12-31&detail=true"

    body = company.client.get(url, headers=manager).json()

    # Replayed each Tuesday up to 31 Dec. double's first login (late from
    # Fri 29 Nov) fires on Tue 3 Dec: a task, 1 hour, no email (nobody to
    # send it to). late's first login fires on Tue 17 Dec: a task and the
    # email to Lia. double's core workflow (late from Mon 23 Dec) fires on
    # Tue 24 Dec: the CSM's task and the manager's escalation, 1 + 0.5 hours.
    busy = {
        w["week_ending"]: (w["fired"], w["tasks"], w["emails"], w["csm_hours"])
        for w in body["weeks"]
        if w["fired"]
    }
    assert busy == {
        "2024-12-03": (1, 1, 0, 1.0),
        "2024-12-17": (1, 1, 1, 1.0),
        "2024-12-24": (1, 2, 0, 1.5),
    }
    assert [w["week_ending"] for w in body["weeks"]][::4] == [
        "2024-11-05",
        "2024-12-03",
        "2024-12-31",
    ]
    assert body["totals"] == {
        "fired": 3,
        "tasks": 4,
        "emails": 1,
        "slack": 0,
        "webhooks": 0,
        "changes": 3,
        "csm_hours": 3.5,
    }
    assert body["notes"] == [
        "2 email action(s) would have done nothing: no recipient: no admin or "
        "champion with an email address"
    ]
    assert [(f["day"], f["account"]) for f in body["firings"]] == [
        ("2024-12-03", "double"),
        ("2024-12-17", "late"),
        ("2024-12-24", "double"),
    ]


def test_a_csm_sees_the_firings_on_their_own_book(company):
    csm1 = company.token("csm1@x.example")
    url = f"{RESCUE}/dry-run?from=2024-11-01&to=2024-12-31&detail=true"

    body = company.client.get(url, headers=csm1).json()

    assert [f["account"] for f in body["firings"]] == ["late"]
    assert (body["hidden_firings"], body["totals"]["fired"]) == (2, 3)


def test_dry_run_hours_per_action_come_from_the_automation_file(sqlite_company):
    path = sqlite_company.workspace.automation_path()
    text = path.read_text()
    path.write_text(
        text.replace("task: 1.0", "task: 2.0").replace("escalate: 0.5", "escalate: 3")
    )
    manager = sqlite_company.token("lead@x.example")

    body = sqlite_company.client.get(
        f"{RESCUE}/dry-run?from=2024-11-01&to=2024-12-31", headers=manager
    ).json()

    # The same three firings: three CSM tasks at 2 hours, one escalation at 3.
    assert [w["csm_hours"] for w in body["weeks"] if w["fired"]] == [2.0, 2.0, 5.0]
    assert body["totals"]["csm_hours"] == 9.0


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        (
            "from=2024-12-31&to=2024-11-01",
            422,
            "the last day 2024-11-01 is before the first day 2024-12-31; give the "
            "earlier date first",
        ),
        (
            "from=2010-01-01&to=2024-12-31",
            422,
            "2010-01-01 to 2024-12-31 is more than 260 weeks; shorten the range",
        ),
        (
            "from=1800-01-01&to=1800-02-01",
            422,
            "from: 1800-01-01 is outside 1990-01-01 to 2100-12-31",
        ),
    ],
)
def test_dry_run_dates_are_checked(sqlite_company, query, status, message):
    manager = sqlite_company.token("lead@x.example")

    response = sqlite_company.client.get(f"{RESCUE}/dry-run?{query}", headers=manager)

    assert response.status_code == status
    assert response.json()["error"]["message"] == message


def test_an_unknown_playbook_is_not_found_and_no_path_is_followed(sqlite_company):
    manager = sqlite_company.token("lead@x.example")

    unknown = sqlite_company.client.get("/api/v1/playbooks/nudge", headers=manager)
    path = sqlite_company.client.get(
        "/api/v1/playbooks/..%2Fconfig%2Fplaybooks%2Fexpansion.yaml/dry-run",
        headers=manager,
    )

    assert unknown.status_code == 404
    message = unknown.json()["error"]["message"]
    assert message.startswith("no playbook named 'nudge' in config/playbooks; known: ")
    assert "onboarding-rescue, onboarding-tier1" in message
    assert path.status_code == 404


def test_the_outbox_shows_status_attempts_and_the_last_error(company):
    failed = _fail_the_email(company)
    viewer = company.token("viewer@x.example")
    csm2 = company.token("csm2@x.example")

    everything = company.client.get("/api/v1/outbox", headers=viewer).json()
    other_book = company.client.get("/api/v1/outbox", headers=csm2).json()
    one = company.client.get(f"/api/v1/outbox/{failed.id}", headers=viewer).json()

    assert everything["counts"]["failed"] == 1
    [message] = everything["messages"]
    assert (message["status"], message["attempts"], message["last_error"]) == (
        "failed",
        2,
        NO_SMTP,
    )
    assert (message["target"], message["account"]) == ("lia@late.example", "late")
    assert one["payload"]["text"].startswith("Hi Lia,")
    assert other_book["messages"] == []
    assert other_book["counts"]["failed"] == 0


def test_a_manager_retries_a_failed_message_once_and_it_is_audited(company):
    failed = _fail_the_email(company)
    url = f"/api/v1/outbox/{failed.id}/retry"

    viewer = company.client.post(url, headers=company.token("viewer@x.example"))
    owner = company.client.post(url, headers=company.token("csm1@x.example"))
    stranger = company.client.post(url, headers=company.token("csm2@x.example"))
    manager = company.token("lead@x.example")
    first = company.client.post(url, headers=manager)
    again = company.client.post(url, headers=manager)

    assert viewer.status_code == owner.status_code == 403
    assert owner.json()["error"]["message"] == (
        "csm1@x.example is csm; only a manager or an admin sends an outbox "
        "message again"
    )
    assert stranger.status_code == 404
    assert first.status_code == again.status_code == 200
    assert (first.json()["status"], first.json()["attempts"]) == ("pending", 0)
    assert again.json() == first.json()
    with company.workspace.store.session() as session:
        audits = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "outbox.retried")
        ).all()
    assert [(a.actor, a.entity_id) for a in audits] == [
        ("lead@x.example", str(failed.id))
    ]
    assert audits[0].detail["status"] == "failed"
    assert audits[0].detail["last_error"] == NO_SMTP
    with running_smtp() as mailbox:
        settings = company.workspace.settings.model_copy(
            update={"smtp_host": mailbox.host, "smtp_port": mailbox.port}
        )
        sent = deliver_due(company.workspace.store, settings)
    assert sent.sent == 1
    assert [to for to, _ in mailbox.received] == [["lia@late.example"]]


def test_a_sent_message_is_not_retried(sqlite_company):
    admin = sqlite_company.token("admin@x.example")
    with running_smtp() as mailbox:
        settings = sqlite_company.workspace.settings.model_copy(
            update={"smtp_host": mailbox.host, "smtp_port": mailbox.port}
        )
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
        deliver_due(sqlite_company.workspace.store, settings, now=later)

    response = sqlite_company.client.post("/api/v1/outbox/1/retry", headers=admin)

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "message #1 is sent; only failed or cancelled messages are retried by "
        "hand (the others are sent or on their way)"
    )


def test_the_pages_list_playbooks_runs_and_a_dry_run(sqlite_company):
    client = sqlite_company.sign_in("csm1@x.example")

    listing = page(client.get("/playbooks").text)
    detail = page(client.get("/playbooks/onboarding-rescue").text)
    dry = client.get(
        "/playbooks/onboarding-rescue/dry-run?from=2024-11-01&to=2024-12-31",
        headers={"HX-Request": "true"},
    )

    rows = {row["data-playbook"]: row for row in listing.select("tr[data-playbook]")}
    assert len(rows) == 11
    assert rows["onboarding-rescue"].select_one("td.check").get_text() == "ok"
    assert listing.select_one('nav a[aria-current="page"]').get_text() == "Playbooks"
    assert [a["id"] for a in detail.select("article.run")] == ["run-1"]
    assert detail.select_one("form[hx-get]")["hx-get"] == (
        "/playbooks/onboarding-rescue/dry-run"
    )
    fragment = page(dry.text)
    weeks = fragment.select("table.dry-run-weeks tbody tr")
    assert len(weeks) == 9
    assert fragment.select_one(".total-fired").get_text() == "3"
    assert fragment.select_one(".total-hours").get_text() == "3.5"


def test_the_outbox_page_retries_for_a_manager_only(sqlite_company):
    failed = _fail_the_email(sqlite_company)
    client = sqlite_company.sign_in("csm1@x.example")
    as_csm = page(client.get("/outbox?status=failed").text)
    refused = client.post(
        f"/outbox/{failed.id}/retry",
        headers={"HX-Request": "true", "X-CSRF-Token": sqlite_company.csrf("/outbox")},
    )
    sqlite_company.sign_in("lead@x.example")
    as_manager = page(client.get("/outbox?status=failed").text)
    no_token = client.post(f"/outbox/{failed.id}/retry")
    retried = client.post(
        f"/outbox/{failed.id}/retry",
        headers={"HX-Request": "true", "X-CSRF-Token": sqlite_company.csrf("/outbox")},
    )

    row = f"tr#message-{failed.id}"
    assert as_csm.select_one(f"{row} td.status").get_text() == "Failed"
    assert as_csm.select_one(f"{row} form") is None
    assert refused.status_code == 403
    assert as_manager.select_one(f"{row} td.note").get_text(strip=True) == NO_SMTP
    assert as_manager.select_one(f"{row} form")["hx-post"] == (
        f"/outbox/{failed.id}/retry"
    )
    counts = {
        a["data-status"]: a.strong.get_text()
        for a in as_manager.select("article.count")
    }
    assert counts["failed"] == "1"
    assert no_token.status_code == 403
    assert retried.status_code == 200
    after = page(retried.text)
    assert after.select_one("tr")["data-status"] == "pending"
    assert after.select_one("td.attempts").get_text() == "0"
