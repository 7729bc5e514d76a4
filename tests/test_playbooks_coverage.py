"""The Tech-Touch and Digital-Led sequences on dated scenarios worked out by hand.

Both are built-in files (a playbook that enrols, a sequence, its emails)
loaded from the config folder like a team's own, and run by the daily run.
"""

import datetime as dt
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from steward.notify.deliver import deliver_due
from steward.store.automation import OutboxMessage, SequenceEnrolment
from tests.playbook_company import LOGIN_SCORECARD, build, invoke, run
from tests.servers import running_smtp

D = dt.date

# Tech-Touch by the default rubric: ARR of 10,000 to 49,999. Each account
# logs in 20 times on Mon 3 Feb 2025, so the login scorecard has it healthy
# on 24 Feb (inside the 28-day window) and at risk on 10 Mar (outside).
# rebound logs in 20 times again on Fri 14 Mar: healthy on 17 Mar.
TECH_TOUCH = {
    "accounts": """external_id,name,industry,country,seats,arr,csm_email
drift,Drift Ltd,FinTech,GB,10,20000,csm1@x.example
rebound,Rebound Ltd,EdTech,GB,10,20000,csm1@x.example
steady,Steady Ltd,DevTools,GB,10,20000,csm1@x.example
small,Small Ltd,DevTools,GB,10,6000,csm1@x.example
""",
    "contacts": """external_id,account,name,email,role
d1,drift,Dee Champion,dee@drift.example,champion
d2,drift,Dan Admin,dan@drift.example,admin
r1,rebound,Ros Champion,ros@rebound.example,champion
r2,rebound,Rik Admin,rik@rebound.example,admin
s1,steady,Sam Champion,sam@steady.example,champion
s2,steady,Sol Admin,sol@steady.example,admin
m1,small,Mo Champion,mo@small.example,champion
""",
    "contracts": """external_id,account,start_date,end_date,arr,seats
k-drift,drift,2024-06-03,2025-12-31,20000,10
k-rebound,rebound,2024-06-03,2025-12-31,20000,10
k-steady,steady,2024-06-03,2025-12-31,20000,10
k-small,small,2024-06-03,2025-12-31,6000,10
""",
    "events": "account,user_id,event,ts,quantity\n"
    + "".join(
        f"{a},u1,login,2025-02-03T09:00:00Z,20\n"
        for a in ("drift", "rebound", "steady", "small")
    )
    + "rebound,u1,login,2025-03-14T09:00:00Z,20\n",
}


@pytest.fixture
def tech_touch(tmp_path, monkeypatch):
    workspace = build(tmp_path, monkeypatch, TECH_TOUCH)
    workspace.scorecard_path().write_text(LOGIN_SCORECARD)
    return workspace


def _sent(workspace, sequence: str) -> list[tuple[str, str]]:
    """(to, subject) of the sequence's emails, in the order they were queued."""
    with workspace.store.session() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .join(SequenceEnrolment, OutboxMessage.enrolment_id == SequenceEnrolment.id)
            .where(SequenceEnrolment.sequence == sequence)
            .order_by(OutboxMessage.id)
        )
        return [(m.target, m.subject) for m in rows]


def _enrolments(workspace, sequence: str) -> dict[str, tuple]:
    with workspace.store.session() as session:
        rows = session.scalars(
            select(SequenceEnrolment).where(SequenceEnrolment.sequence == sequence)
        ).all()
        return {
            row.account.external_id: (
                row.enrolled_on,
                row.status,
                row.stopped_on,
                row.stop_reason,
            )
            for row in rows
        }


def _text(message: EmailMessage) -> str:
    """The plain part with the wire's CRLF line ends made plain newlines."""
    return "\n".join(message.get_body(("plain",)).get_content().splitlines())


def test_tech_touch_sequence_runs_weekly_until_reply_goal_or_its_end(tech_touch):
    run(tech_touch, "2025-02-24")
    run(tech_touch, "2025-03-10")
    invoke("outbox", "reply", "dee@drift.example", "--on", "2025-03-12")
    run(tech_touch, "2025-03-17")
    invoke("outbox", "unsubscribe", "sol@steady.example", "--on", "2025-03-19")
    run(tech_touch, "2025-03-24")

    subjects = _sent(tech_touch, "tech-touch-adoption")

    # On 10 Mar the three Tech-Touch accounts drop from healthy to at risk
    # and get step 1 that day, champion then admin; small is Digital-Led
    # (ARR 6,000) and is left out. On 17 Mar drift has a reply (12 Mar) and
    # stops; rebound is healthy again, its goal; steady gets step 2 a week
    # after step 1. On 24 Mar steady's step 3 goes to Sam only: Sol
    # unsubscribed on 19 Mar. That was the last step.
    tips = "three ways teams get more out of the product"
    assert subjects == [
        ("dee@drift.example", f"Drift Ltd: {tips}"),
        ("dan@drift.example", f"Drift Ltd: {tips}"),
        ("ros@rebound.example", f"Rebound Ltd: {tips}"),
        ("rik@rebound.example", f"Rebound Ltd: {tips}"),
        ("sam@steady.example", f"Steady Ltd: {tips}"),
        ("sol@steady.example", f"Steady Ltd: {tips}"),
        ("sam@steady.example", "Sam, bring your questions to office hours"),
        ("sol@steady.example", "Sol, bring your questions to office hours"),
        ("sam@steady.example", "Steady Ltd: is anything in the way?"),
    ]
    assert _enrolments(tech_touch, "tech-touch-adoption") == {
        "drift": (
            D(2025, 3, 10),
            "stopped",
            D(2025, 3, 17),
            "reply from dee@drift.example on 2025-03-12",
        ),
        "rebound": (
            D(2025, 3, 10),
            "completed",
            D(2025, 3, 17),
            "goal reached: health band healthy",
        ),
        "steady": (D(2025, 3, 10), "completed", D(2025, 3, 24), "all steps sent"),
    }


def test_tech_touch_emails_reach_the_smtp_server_personalised(tech_touch):
    run(tech_touch, "2025-02-24")
    run(tech_touch, "2025-03-10")

    with running_smtp() as mailbox:
        settings = tech_touch.settings.model_copy(
            update={"smtp_host": mailbox.host, "smtp_port": mailbox.port}
        )
        deliver_due(tech_touch.store, settings)

    received = {to[0]: message for to, message in mailbox.received}
    dee = _text(received["dee@drift.example"])
    assert dee.startswith("Hi Dee,\n\nDrift Ltd's use of the product has dipped")
    assert "Our guides for FinTech show" in " ".join(dee.split())
    assert "https://docs.example.com/guides?account=drift" in dee
    assert "Cam One" in dee
    assert "/unsubscribe/" in dee


# Digital-Led by the default rubric (ARR under 10,000), 10 seats each, all
# starting Mon 3 Mar 2025: day 30 is Wed 2 Apr, when the 28-day window is
# 6 Mar to 2 Apr. quiet has 2 active users (20%), busy 6 (60%); techy has 2
# but is Tech-Touch (ARR 20,000). Five more of quiet's users log in on Mon 7
# Apr: in the window of Wed 9 Apr (13 Mar to 9 Apr) it has 6 (u1 is out).
def _logins(account: str, users: range, day: str) -> str:
    return "".join(f"{account},u{n},login,{day}T09:00:00Z\n" for n in users)


DIGITAL_LED = {
    "accounts": """external_id,name,industry,country,seats,arr,csm_email
quiet,Quiet Ltd,EdTech,GB,10,6000,csm1@x.example
busy,Busy Ltd,EdTech,GB,10,6000,csm1@x.example
techy,Techy Ltd,EdTech,GB,10,20000,csm1@x.example
""",
    "contacts": """external_id,account,name,email,role
q1,quiet,Quinn Admin,quinn@quiet.example,admin
q2,quiet,Cleo Champion,cleo@quiet.example,champion
b1,busy,Bea Admin,bea@busy.example,admin
t1,techy,Tam Admin,tam@techy.example,admin
""",
    "contracts": """external_id,account,start_date,end_date,arr,seats
k-quiet,quiet,2025-03-03,2026-03-02,6000,10
k-busy,busy,2025-03-03,2026-03-02,6000,10
k-techy,techy,2025-03-03,2026-03-02,20000,10
""",
    # Everyone reaches the first login and first core workflow on time, so
    # the onboarding rescue stays out of the way.
    "events": "account,user_id,event,ts\n"
    + "".join(
        f"{a},u1,login,2025-03-10T09:00:00Z\n"
        f"{a},u1,core_workflow_completed,2025-03-11T09:00:00Z\n"
        for a in ("quiet", "busy", "techy")
    )
    + _logins("quiet", range(2, 3), "2025-03-20")
    + _logins("busy", range(2, 7), "2025-03-20")
    + _logins("techy", range(2, 3), "2025-03-20")
    + _logins("quiet", range(3, 8), "2025-04-07"),
}


@pytest.fixture
def digital_led(tmp_path, monkeypatch):
    return build(tmp_path, monkeypatch, DIGITAL_LED)


def test_digital_led_sequence_asks_for_the_team_until_half_the_seats_are_used(
    digital_led,
):
    invoke("outbox", "unsubscribe", "cleo@quiet.example", "--on", "2025-03-28")
    run(digital_led, "2025-04-02")
    on_day_30 = _sent(digital_led, "digital-led-activation")
    run(digital_led, "2025-04-09")

    with digital_led.store.session() as session:
        [invite] = session.scalars(
            select(OutboxMessage).where(OutboxMessage.target == "quinn@quiet.example")
        ).all()

    # Day 30: quiet is enrolled (20% of seats) and Quinn gets step 1; Cleo
    # unsubscribed on 28 Mar and gets nothing. busy (60%) and techy
    # (Tech-Touch) are not enrolled. On 9 Apr quiet is at 60%: the goal is
    # reached before step 2, due that day, goes out.
    assert on_day_30 == [
        ("quinn@quiet.example", "Quiet Ltd: 2 of your 10 seats are in use")
    ]
    assert _sent(digital_led, "digital-led-activation") == on_day_30
    assert _enrolments(digital_led, "digital-led-activation") == {
        "quiet": (
            D(2025, 4, 2),
            "completed",
            D(2025, 4, 9),
            "goal reached: seat_utilisation 0.6 >= 0.5",
        )
    }
    text = invite.payload["text"]
    assert text.startswith("Hi Quinn,\n\nQuiet Ltd has 10 seats, and in the last")
    assert "2 people used them" in " ".join(text.split())
    assert "https://app.example.com/settings/team?account=quiet" in text
    assert invite.payload["unsubscribe_url"] in text
