"""Email sequences: delays, personalisation, and every reason to stop."""

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from steward.errors import PlaybookInvalid
from steward.notify.responses import record_email_event
from steward.notify.sequences import (
    Goal,
    advance,
    enrol,
    goal_reached,
    load_sequence,
    stop,
)
from steward.notify.templates import EmailTemplates
from steward.playbooks.state import AccountState, ContactInfo, Person
from steward.store.automation import OutboxMessage, SequenceEnrolment
from steward.store.models import Account

D = dt.date

SEQUENCE = """name: welcome
to: [admin, champion]
coverage: [Tech-Touch, Digital-Led]
goal: {metric: portal_completion, at_least: 1.0}
params: {portal_url: https://portal.example.com}
steps:
  - {wait_days: 0, template: hello}
  - {wait_days: 7, template: nudge}
  - {wait_days: 3, template: nudge}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "welcome.yaml").write_text(SEQUENCE)
    (tmp_path / "hello.yaml").write_text(
        "subject: Welcome, {{ contact.first_name }}\n"
        "text: '{{ account.name }} starts at {{ params.portal_url }} "
        "(step {{ step.number }} of {{ step.of }}) {{ unsubscribe_url }}'\n"
    )
    (tmp_path / "nudge.yaml").write_text(
        "subject: 'Step {{ step.number }}: {{ account.name }}'\n"
        "text: 'Portal {{ account.metrics.portal_completion }}'\n"
    )
    return tmp_path


def state(account_id: int, **values) -> AccountState:
    contacts = (
        ContactInfo("Pat Admin", "pat@acme.example", "admin", None),
        ContactInfo("Chris Champion", "chris@acme.example", "champion", None),
        ContactInfo("Uma User", "uma@acme.example", "user", None),
    )
    defaults = {
        "id": account_id,
        "external_id": "A-1",
        "name": "Acme",
        "coverage": "Tech-Touch",
        "csm": Person("Cam One", "cam@x.example"),
        "contacts": contacts,
        "metrics": {"portal_completion": 0.2},
    }
    return AccountState(**{**defaults, **values})


@pytest.fixture
def acme(store) -> int:
    with store.session() as session:
        account = Account(external_id="A-1", name="Acme")
        session.add(account)
        session.flush()
        return account.id


def step(store, folder, states, day: dt.date):
    sequences = {"welcome": load_sequence(folder / "welcome.yaml")}
    with store.session() as session:
        return advance(
            session,
            sequences,
            {s.id: s for s in states},
            day,
            EmailTemplates(folder),
            lambda address: f"https://u/{address}",
        )


def start(store, folder, account: AccountState, day: dt.date) -> str:
    with store.session() as session:
        return enrol(
            session, load_sequence(folder / "welcome.yaml"), account, day, "k1", "test"
        )


def sent(store) -> list[tuple[str, str]]:
    with store.session() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(row.target, row.subject) for row in rows]


def enrolment(store) -> tuple:
    with store.session() as session:
        row = session.scalar(select(SequenceEnrolment))
        return row.status, row.next_step, row.next_due_on, row.stop_reason


def test_steps_go_out_after_their_delays_to_the_roles_named(store, folder, acme):
    account = state(acme)
    start(store, folder, account, D(2025, 3, 3))

    for day in range(3, 18):
        step(store, folder, [account], D(2025, 3, day))

    # Day 0 (3 Mar), 7 days later (10 Mar), 3 more (13 Mar); then done.
    assert sent(store) == [
        ("pat@acme.example", "Welcome, Pat"),
        ("chris@acme.example", "Welcome, Chris"),
        ("pat@acme.example", "Step 2: Acme"),
        ("chris@acme.example", "Step 2: Acme"),
        ("pat@acme.example", "Step 3: Acme"),
        ("chris@acme.example", "Step 3: Acme"),
    ]
    assert enrolment(store) == ("completed", 3, None, "all steps sent")
    with store.session() as session:
        first = session.scalar(select(OutboxMessage).order_by(OutboxMessage.id))
        text = first.payload["text"]
    assert text == (
        "Acme starts at https://portal.example.com (step 1 of 3) "
        "https://u/pat@acme.example"
    )


def test_running_a_day_twice_sends_its_step_once(store, folder, acme):
    account = state(acme)
    start(store, folder, account, D(2025, 3, 3))

    step(store, folder, [account], D(2025, 3, 3))
    step(store, folder, [account], D(2025, 3, 3))

    assert len(sent(store)) == 2


def test_a_reply_stops_the_sequence(store, folder, acme):
    account = state(acme)
    start(store, folder, account, D(2025, 3, 3))
    step(store, folder, [account], D(2025, 3, 3))
    with store.session() as session:
        record_email_event(session, "CHRIS@acme.example", "reply", D(2025, 3, 5), "t")

    report = step(store, folder, [account], D(2025, 3, 10))

    assert report.stopped == 1
    assert len(sent(store)) == 2
    assert enrolment(store) == (
        "stopped",
        1,
        None,
        "reply from chris@acme.example on 2025-03-05",
    )


def test_reaching_the_goal_completes_the_sequence(store, folder, acme):
    start(store, folder, state(acme), D(2025, 3, 3))
    step(store, folder, [state(acme)], D(2025, 3, 3))

    done = state(acme, metrics={"portal_completion": 1.0})
    report = step(store, folder, [done], D(2025, 3, 10))

    assert report.completed == 1
    assert enrolment(store)[0::3] == (
        "completed",
        "goal reached: portal_completion 1 >= 1",
    )


def test_an_unsubscribed_contact_is_left_out_and_then_nobody_is(store, folder, acme):
    account = state(acme)
    start(store, folder, account, D(2025, 3, 3))
    with store.session() as session:
        record_email_event(
            session, "pat@acme.example", "unsubscribe", D(2025, 3, 1), "t"
        )
    step(store, folder, [account], D(2025, 3, 3))
    with store.session() as session:
        record_email_event(
            session, "chris@acme.example", "unsubscribe", D(2025, 3, 4), "t"
        )

    step(store, folder, [account], D(2025, 3, 10))

    assert sent(store) == [("chris@acme.example", "Welcome, Chris")]
    assert enrolment(store)[0::3] == (
        "stopped",
        "no recipient left (none, or unsubscribed)",
    )


def test_unsubscribing_cancels_emails_still_waiting(store, folder, acme):
    account = state(acme)
    start(store, folder, account, D(2025, 3, 3))
    step(store, folder, [account], D(2025, 3, 3))

    with store.session() as session:
        record_email_event(
            session, "Pat@Acme.example", "unsubscribe", D(2025, 3, 3), "t"
        )
    with store.session() as session:
        statuses = dict(
            session.execute(select(OutboxMessage.target, OutboxMessage.status)).all()
        )

    assert statuses == {
        "pat@acme.example": "cancelled",
        "chris@acme.example": "pending",
    }


def test_enrolment_respects_coverage_and_is_once_at_a_time(store, folder, acme):
    high = start(store, folder, state(acme, coverage="High-Touch"), D(2025, 3, 3))
    first = start(store, folder, state(acme), D(2025, 3, 3))
    second = start(store, folder, state(acme), D(2025, 3, 4))
    with store.session() as session:
        stopped = stop(session, acme, "welcome", D(2025, 3, 5), "by hand")

    assert high == "skipped: coverage High-Touch is not one of Tech-Touch, Digital-Led"
    assert first.startswith("enrolled (enrolment ")
    assert second.startswith("already enrolled (enrolment ")
    assert stopped == "stopped 1 enrolment(s)"


@pytest.mark.parametrize(
    "goal",
    [
        "{metric: logins}",
        "{milestone: first_login, band: [healthy]}",
        "{band: []}",
    ],
)
def test_a_goal_is_one_metric_threshold_milestone_or_list_of_bands(tmp_path, goal):
    path = tmp_path / "s.yaml"
    path.write_text(
        SEQUENCE.replace("{metric: portal_completion, at_least: 1.0}", goal)
    )

    with pytest.raises(PlaybookInvalid) as raised:
        load_sequence(path)

    assert str(raised.value).startswith(f"{path}: goal")


def test_a_misspelt_contact_role_is_refused_not_sent_to_nobody(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SEQUENCE.replace("to: [admin, champion]", "to: [admin, champoin]"))

    with pytest.raises(PlaybookInvalid) as raised:
        load_sequence(path)

    assert str(raised.value) == (
        f"{path}: to: unknown contact role 'champoin'; a sequence goes to "
        "executive_sponsor, champion, admin, user"
    )


def test_a_band_goal_is_reached_when_health_is_back_in_one_of_its_bands():
    goal = Goal(band=["healthy", "neutral"])

    assert goal_reached(goal, state(1, band="at_risk")) is None
    assert goal_reached(goal, state(1, band="neutral")) == (
        "goal reached: health band neutral"
    )
