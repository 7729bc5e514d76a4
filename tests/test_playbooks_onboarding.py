"""The built-in onboarding playbooks on small dated scenarios worked out by hand."""

import datetime as dt
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from steward.jobs.run import run_daily
from steward.notify.deliver import deliver_due
from steward.store.automation import SequenceEnrolment
from steward.store.models import Task
from tests.conftest import clean_pg_schema
from tests.playbook_company import build, invoke, messages, run, runs, tasks
from tests.servers import Mailbox, running_smtp

D = dt.date

RESCUE = {
    "accounts": """external_id,name,industry,country,seats,arr,csm_email
late,Late Ltd,FinTech,GB,3,12000,csm1@x.example
double,Double Inc,EdTech,US,4,20000,csm1@x.example
good,Good Co,DevTools,US,2,8000,csm1@x.example
""",
    "contacts": """external_id,account,name,email,role
c1,late,Pat Admin,pat@late.example,admin
c2,late,Chris Champion,chris@late.example,champion
c3,double,Dana Admin,dana@double.example,admin
""",
    "contracts": """external_id,account,start_date,end_date,arr,seats
c-late,late,2024-12-09,2025-12-08,12000,3
c-double,double,2024-11-13,2025-11-12,20000,4
c-good,good,2024-12-02,2025-12-01,8000,2
""",
    "events": """account,user_id,event,ts
good,u1,login,2024-12-03T09:00:00Z
good,u1,core_workflow_completed,2024-12-04T10:00:00Z
""",
}


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    with running_smtp() as mailbox:
        yield mailbox


@pytest.fixture(params=["sqlite", "postgresql"])
def rescue(request, tmp_path, monkeypatch):
    url = None
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
        clean_pg_schema(url)
    return build(tmp_path, monkeypatch, RESCUE, url)


def test_rescue_task_appears_the_day_the_miss_passes_five_business_days(rescue):
    run(rescue, "2024-12-23")
    on_23 = tasks(rescue, source="playbook:onboarding-rescue")
    run(rescue, "2024-12-24")
    run(rescue, "2024-12-24")

    # late (GB) starts Mon 9 Dec: first login due Mon 16 Dec. On Mon 23 Dec it
    # is 5 business days late (17-20, 23): not more than 5, nothing yet. On
    # Tue 24 Dec it is 6: the task appears, due 2 business days later skipping
    # Christmas and Boxing Day: Fri 27 (1), Mon 30 Dec (2).
    # double (US) starts 13 Nov: first login missed on 29 Nov (too long ago
    # to raise anything by 23 Dec), first core workflow due Fri 13 Dec and 6
    # business days late on Mon 23 Dec: a second miss in a row, so the CSM's
    # task and the manager's escalation, both due Tue 24 (1), Thu 26 Dec (2).
    csm, lead = "csm1@x.example", "lead@x.example"
    late_title = "Late Ltd: onboarding milestone missed: First login"
    double_title = (
        "Double Inc: onboarding milestone missed: First core workflow completed"
    )
    escalation = "Double Inc: escalation: 2 onboarding milestones missed in a row"
    assert on_23 == [
        (
            "double",
            "milestone_missed",
            D(2024, 12, 23),
            D(2024, 12, 26),
            csm,
            double_title,
        ),
        ("double", "escalation", D(2024, 12, 23), D(2024, 12, 26), lead, escalation),
    ]
    assert tasks(rescue) == [
        *on_23,
        ("late", "milestone_missed", D(2024, 12, 24), D(2024, 12, 30), csm, late_title),
    ]


def test_a_day_run_again_fires_nothing_and_says_what_the_day_fired(rescue):
    first = run_daily(rescue, D(2024, 12, 23))
    again = run_daily(rescue, D(2024, 12, 23))

    assert first.playbooks_fired == first.playbooks_for_day > 0
    assert (again.playbooks_fired, again.playbooks_for_day) == (
        0,
        first.playbooks_for_day,
    )


def test_rescue_emails_the_customer_and_logs_what_it_saw(rescue, smtp_server):
    run(rescue, "2024-12-23")
    run(rescue, "2024-12-24")
    settings = rescue.settings.model_copy(
        update={"smtp_host": smtp_server.host, "smtp_port": smtp_server.port}
    )

    report = deliver_due(rescue.store, settings)
    log = runs(rescue, "onboarding-rescue")

    # Other playbooks (the Tier 2 welcome sequence) write too: only the
    # rescue's emails are looked at here.
    assert report.failed == report.retrying == 0
    received = {
        to[0]: message
        for to, message in smtp_server.received
        if message["X-Steward-Key"].strip().startswith("onboarding-rescue:")
    }
    assert sorted(received) == [
        "chris@late.example",
        "dana@double.example",
        "pat@late.example",
    ]
    pat = _text(received["pat@late.example"])
    assert received["pat@late.example"]["Subject"] == (
        "Late Ltd: 30 minutes to get first login done?"
    )
    assert pat.startswith("Hi Pat,")
    assert "(we had planned it for 2024-12-16)" in pat
    assert "Book a 30-minute call with Cam One" in pat
    assert "https://book.example.com/onboarding/30-minutes?account=late" in pat
    assert "https://docs.example.com/quick-wins/fintech" in pat
    assert "/unsubscribe/" in pat
    dana = _text(received["dana@double.example"])
    assert "https://docs.example.com/quick-wins/edtech" in dana
    assert [run.trigger for run in log] == ["milestone_overdue"] * 2
    late = next(run for run in log if run.inputs["account"]["id"] == "late")
    assert late.as_of == D(2024, 12, 24)
    assert late.inputs["trigger"] == {
        "kind": "milestone_overdue",
        "occurrence": "onboarding:2024-12-09:first_login",
        "event_on": "2024-12-24",
        "journey": "onboarding",
        "milestone": "first_login",
        "title": "First login",
        "due_on": "2024-12-16",
        "late_since": "2024-12-24",
        "overdue_business_days": 6,
        "consecutive_misses": 1,
    }
    did = [(action["type"], action["result"].split(" #")[0]) for action in late.actions]
    assert did == [
        ("task", "task"),
        ("email", "queued message"),
        ("email", "queued message"),
        ("timeline", "noted on the timeline"),
        ("escalate", "skipped: when: min_consecutive_misses 2 not met (1)"),
    ]


def _text(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


TIERS = {
    "accounts": """external_id,name,industry,country,seats,arr,csm_email,coverage
big,Big plc,FinTech,GB,600,250000,csm1@x.example,High-Touch
small,Small Ltd,EdTech,GB,20,9000,csm1@x.example,Tech-Touch
eager,Eager Ltd,DevTools,GB,10,6000,csm1@x.example,Digital-Led
""",
    "contacts": """external_id,account,name,email,role
s1,small,Sam Admin,sam@small.example,admin
e1,eager,Eli Admin,eli@eager.example,admin
""",
    "contracts": """external_id,account,start_date,end_date,arr,seats
k-big,big,2025-04-16,2026-04-15,250000,600
k-small,small,2025-04-16,2026-04-15,9000,20
k-eager,eager,2025-04-16,2026-04-15,6000,10
""",
    "events": "account,user_id,event,feature,ts\n"
    + "small,u1,portal_step_completed,step-1,2025-04-17T10:00:00Z\n"
    + "small,u1,portal_step_completed,step-2,2025-04-22T10:00:00Z\n"
    + "".join(
        f"eager,u2,portal_step_completed,step-{n},2025-04-{17 + n // 2:02d}T10:00:00Z\n"
        for n in range(1, 11)
    ),
}


@pytest.fixture
def tiers(tmp_path, monkeypatch):
    return build(tmp_path, monkeypatch, TIERS)


def test_tier_1_gets_a_task_list_due_across_easter(tiers):
    run(tiers, "2025-04-16")

    # Start Wed 16 Apr 2025 (GB). The UK-wide holidays of 2025 include Good
    # Friday (18 Apr) and the early May bank holiday (Mon 5 May) but not
    # Easter Monday, which Scotland does not keep. 3 business days: 17, 21,
    # 22 Apr. 5: 23, 24 Apr. 10: 25, 28, 29, 30 Apr, 1 May. 20: 2, 6-9,
    # 12-16 May.
    assert [(due, title) for _, _, _, due, _, title in tasks(tiers)] == [
        (D(2025, 4, 22), "Big plc: kickoff call and mutual success plan"),
        (D(2025, 4, 24), "Big plc: scope the integrations"),
        (D(2025, 5, 1), "Big plc: admin training"),
        (D(2025, 5, 16), "Big plc: first-value check"),
    ]


def test_tier_2_sequence_sends_weekly_and_stops_on_reply_or_goal(tiers):
    run(tiers, "2025-04-16")
    run(tiers, "2025-04-23")
    invoke("outbox", "reply", "Sam@Small.example", "--on", "2025-04-25")
    run(tiers, "2025-04-30")
    run(tiers, "2025-05-07")

    sent = [(m.target, m.subject, m.created_at is not None) for m in messages(tiers)]
    with tiers.store.session() as session:
        enrolments = {
            row.account.external_id: (row.status, row.stopped_on, row.stop_reason)
            for row in session.scalars(select(SequenceEnrolment))
        }

    # Both Tier 2 accounts get the welcome on day 0. A week later small gets
    # its first check-in; eager finished the portal on 22 Apr (goal reached)
    # and gets nothing more. Sam's reply on 25 Apr stops small's sequence at
    # the next run. Big is Tier 1 and High-Touch: no sequence.
    assert [(to, subject) for to, subject, _ in sent] == [
        ("sam@small.example", "Welcome to onboarding, Sam: your portal is ready"),
        ("eli@eager.example", "Welcome to onboarding, Eli: your portal is ready"),
        ("sam@small.example", "Small Ltd: week 1 check-in"),
    ]
    assert enrolments == {
        "small": (
            "stopped",
            D(2025, 4, 30),
            "reply from sam@small.example on 2025-04-25",
        ),
        "eager": (
            "completed",
            D(2025, 4, 23),
            "goal reached: portal_completion 1 >= 1",
        ),
    }


def test_stalled_tier_2_portal_gets_an_intervention_on_day_14(tiers):
    for day in ("2025-04-16", "2025-04-28", "2025-04-29", "2025-04-30"):
        run(tiers, day)

    interventions = tasks(tiers, kind="intervention")

    # Day 14 is Wed 30 Apr. small has done 2 of 10 portal steps (20% < 40%);
    # eager all 10. Due 2 business days later: Fri 2 May.
    assert interventions == [
        (
            "small",
            "intervention",
            D(2025, 4, 30),
            D(2025, 5, 2),
            "csm1@x.example",
            "Small Ltd: onboarding portal stalled at 20%",
        )
    ]


def test_weekly_portal_review_lists_tier_2_accounts_for_the_manager(tiers):
    run(tiers, "2025-04-16")
    run(tiers, "2025-04-21")
    run(tiers, "2025-04-28")

    reviews = tasks(tiers, kind="review")
    with tiers.store.session() as session:
        bodies = session.scalars(
            select(Task.body).where(Task.kind == "review").order_by(Task.id)
        ).all()

    # Mon 21 Apr lists small and eager (both onboarding since 16 Apr), due 1
    # business day later, Tue 22 Apr. The next Monday, 28 Apr, lists them
    # again, due Tue 29 Apr.
    title = "Weekly portal review: 2 Tier 2 accounts onboarding"
    assert reviews == [
        (None, "review", D(2025, 4, 21), D(2025, 4, 22), "lead@x.example", title),
        (None, "review", D(2025, 4, 28), D(2025, 4, 29), "lead@x.example", title),
    ]
    # Portal steps done by each Monday: eager 9 then 10, small 1 then 2.
    assert [body.splitlines() for body in bodies] == [
        [
            "- Eager Ltd (eager): started 2025-04-16, portal 90%",
            "- Small Ltd (small): started 2025-04-16, portal 10%",
        ],
        [
            "- Eager Ltd (eager): started 2025-04-16, portal 100%",
            "- Small Ltd (small): started 2025-04-16, portal 20%",
        ],
    ]
