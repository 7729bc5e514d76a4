"""Delivering the outbox to real servers: SMTP, Slack-style and signed webhooks."""

import datetime as dt
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from steward.config import Settings, load_settings
from steward.notify.deliver import deliver_due
from steward.notify.email import message_id
from steward.notify.http import verify
from steward.notify.outbox import enqueue
from steward.notify.responses import record_email_event
from steward.notify.views import retry_message
from steward.store.automation import OutboxMessage
from steward.store.db import Store
from tests.servers import Mailbox, Receiver, free_port, running_receiver, running_smtp

SECRET = "s3cret-for-tests"


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    with running_smtp() as mailbox:
        yield mailbox


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as found:
        yield found


def settings_for(tmp_path: Path, **values: object) -> Settings:
    return load_settings(home=tmp_path / "home", **values)


def queue_email(store: Store, key: str = "k1", to: str = "pat@customer.example"):
    with store.session() as session:
        enqueue(
            session,
            key=key,
            channel="email",
            target=to,
            subject="Your onboarding: 30 minutes?",
            payload={
                "text": "Hi Pat,\nBook a call: https://book.example.com/30\n",
                "html": "<p>Hi Pat, <a href='https://book.example.com/30'>book</a></p>",
                "unsubscribe_url": "https://steward.example/unsubscribe/abc",
            },
        )


def queue(store: Store, channel: str, target: str, payload: dict, key: str) -> None:
    with store.session() as session:
        enqueue(session, key=key, channel=channel, target=target, payload=payload)


def statuses(store: Store) -> list[tuple[str, str, int]]:
    with store.session() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(row.idempotency_key, row.status, row.attempts) for row in rows]


def test_email_reaches_the_smtp_server_with_its_content(store, smtp_server, tmp_path):
    queue_email(store)
    settings = settings_for(
        tmp_path, smtp_host=smtp_server.host, smtp_port=smtp_server.port
    )

    report = deliver_due(store, settings)

    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    [(recipients, message)] = smtp_server.received
    assert recipients == ["pat@customer.example"]
    assert message["To"] == "pat@customer.example"
    assert message["From"] == "Steward <steward@localhost>"
    assert message["Subject"] == "Your onboarding: 30 minutes?"
    assert message["Message-ID"] == message_id("k1", "Steward <steward@localhost>")
    assert (
        message["List-Unsubscribe"]
        == "<https://steward.example/unsubscribe/abc/one-click>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Book a call: https://book.example.com/30" in text
    assert "<a href='https://book.example.com/30'>book</a>" in html
    assert statuses(store) == [("k1", "sent", 1)]


def test_slack_message_is_posted_to_the_channel_webhook(store, receiver, tmp_path):
    queue(store, "slack", "cs-alerts", {"text": "Incident on Acme"}, "s1")
    settings = settings_for(
        tmp_path, slack_webhooks={"cs-alerts": f"{receiver.url}/hooks/cs"}
    )

    report = deliver_due(store, settings)

    assert report.sent == 1
    [request] = receiver.requests
    assert request.path == "/hooks/cs"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body) == {"text": "Incident on Acme"}


def test_webhook_is_signed_with_hmac_and_carries_its_key(store, receiver, tmp_path):
    payload = {"event": "account.incident", "account": {"id": "A-1"}}
    queue(store, "webhook", "crm", payload, "w1")
    settings = settings_for(
        tmp_path, webhooks={"crm": {"url": f"{receiver.url}/in", "secret": SECRET}}
    )

    deliver_due(store, settings)

    [request] = receiver.requests
    assert json.loads(request.body) == payload
    assert request.headers["X-Steward-Idempotency-Key"] == "w1"
    assert request.headers["X-Steward-Event"] == "account.incident"
    parts = dict(
        p.split("=", 1) for p in request.headers["X-Steward-Signature"].split(",")
    )
    signed = f"{parts['t']}.".encode() + request.body
    expected = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert parts["v1"] == expected
    assert abs(int(parts["t"]) - time.time()) < 60
    header = request.headers["X-Steward-Signature"]
    assert verify(SECRET, header, request.body, now=time.time())
    assert not verify(SECRET, header, request.body + b" ", now=time.time())
    assert not verify("another secret", header, request.body, now=time.time())
    assert not verify(SECRET, header, request.body, now=time.time() + 3600)


DOCS = Path(__file__).parents[1] / "docs" / "playbooks.md"


def test_the_receivers_recipe_in_the_docs_verifies_what_steward_sends(
    sqlite_store, receiver, tmp_path
):
    recipe = DOCS.read_text().split("```python\n", 1)[1].split("```", 1)[0]
    scope: dict = {}
    exec(compile(recipe, str(DOCS), "exec"), scope)
    queue(sqlite_store, "webhook", "crm", {"event": "x"}, "w1")
    settings = settings_for(
        tmp_path, webhooks={"crm": {"url": receiver.url, "secret": SECRET}}
    )

    deliver_due(sqlite_store, settings)

    [request] = receiver.requests
    header = request.headers["X-Steward-Signature"]
    assert scope["verify"](SECRET, header, request.body)
    assert not scope["verify"](SECRET, header, request.body + b" ")
    assert not scope["verify"]("another secret", header, request.body)


def test_a_failed_delivery_is_retried_after_its_backoff(store, receiver, tmp_path):
    receiver.statuses = [503]
    queue(store, "webhook", "crm", {"event": "x"}, "w1")
    settings = settings_for(
        tmp_path, webhooks={"crm": {"url": receiver.url, "secret": SECRET}}
    )

    t0 = dt.datetime.now(dt.UTC)
    first = deliver_due(store, settings, now=t0)
    too_early = deliver_due(store, settings, now=t0 + dt.timedelta(seconds=59))
    second = deliver_due(store, settings, now=t0 + dt.timedelta(seconds=61))

    assert (first.retrying, too_early.attempted, second.sent) == (1, 0, 1)
    assert [r.status for r in receiver.requests] == [503, 200]
    keys = {r.headers["X-Steward-Idempotency-Key"] for r in receiver.requests}
    assert keys == {"w1"}
    assert statuses(store) == [("w1", "sent", 2)]


def test_backoff_doubles_then_gives_up_and_a_person_can_retry(
    store, receiver, tmp_path
):
    receiver.statuses = [500, 500, 500]
    queue(store, "webhook", "crm", {"event": "x"}, "w1")
    settings = settings_for(
        tmp_path,
        webhooks={"crm": {"url": receiver.url, "secret": SECRET}},
        outbox_max_attempts=3,
    )

    t0 = dt.datetime.now(dt.UTC)
    deliver_due(store, settings, now=t0)
    with store.session() as session:
        next_try = session.scalar(select(OutboxMessage.next_attempt_at))
    deliver_due(store, settings, now=next_try)
    with store.session() as session:
        after_two = session.scalar(select(OutboxMessage.next_attempt_at))
    last = deliver_due(store, settings, now=after_two)
    with store.session() as session:
        failed = session.scalar(select(OutboxMessage))
        error = failed.last_error
        retry_message(session, failed.id, "test")
    again = deliver_due(store, settings, now=after_two + dt.timedelta(days=2))

    assert next_try - t0 == dt.timedelta(seconds=60)
    assert after_two - next_try == dt.timedelta(seconds=120)
    assert last.failed == 1
    assert error.endswith("answered 500: try later")
    assert again.sent == 1
    assert statuses(store) == [("w1", "sent", 1)]


def test_a_client_error_is_not_retried(store, receiver, tmp_path):
    receiver.statuses = [400]
    queue(store, "webhook", "crm", {"event": "x"}, "w1")
    settings = settings_for(
        tmp_path, webhooks={"crm": {"url": receiver.url, "secret": SECRET}}
    )

    t0 = dt.datetime.now(dt.UTC)
    report = deliver_due(store, settings, now=t0)

    assert report.failed == 1
    assert statuses(store) == [("w1", "failed", 1)]


def test_an_smtp_server_that_is_down_is_tried_again(sqlite_store, tmp_path):
    port = free_port()
    queue_email(sqlite_store)
    settings = settings_for(tmp_path, smtp_host="127.0.0.1", smtp_port=port)

    t0 = dt.datetime.now(dt.UTC)
    down = deliver_due(sqlite_store, settings, now=t0)
    with running_smtp(port) as mailbox:
        up = deliver_due(sqlite_store, settings, now=t0 + dt.timedelta(minutes=2))

    assert down.retrying == 1
    assert "SMTP: " in down.errors[0]
    assert up.sent == 1
    assert len(mailbox.received) == 1


def test_an_unsubscribed_address_is_never_sent_to(store, smtp_server, tmp_path):
    queue_email(store, to="Pat@Customer.example")
    settings = settings_for(
        tmp_path, smtp_host=smtp_server.host, smtp_port=smtp_server.port
    )
    with store.session() as session:
        record_email_event(
            session, "pat@customer.example", "unsubscribe", dt.date(2025, 1, 6), "test"
        )

    report = deliver_due(store, settings)

    assert report.attempted == 0
    assert smtp_server.received == []
    assert statuses(store) == [("k1", "cancelled", 0)]


def test_two_deliverers_at_once_send_every_message_once(store, receiver, tmp_path):
    for n in range(20):
        queue(store, "webhook", "crm", {"event": "x", "n": n}, f"w{n}")
    settings = settings_for(
        tmp_path, webhooks={"crm": {"url": receiver.url, "secret": SECRET}}
    )
    reports = []

    def deliver() -> None:
        reports.append(deliver_due(store, settings, batch=3))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    keys = [r.headers["X-Steward-Idempotency-Key"] for r in receiver.requests]
    assert sorted(keys) == sorted(f"w{n}" for n in range(20))
    assert sum(report.sent for report in reports) == 20
    assert {status for _, status, _ in statuses(store)} == {"sent"}


CRASHING_DELIVERY = """
import os, sys
from steward.config import load_settings
from steward.notify.deliver import deliver_due
from steward.notify.email import SmtpSender
from steward.notify.outbox import enqueue
from steward.store.db import Store

store = Store(sys.argv[1])
store.upgrade()
# The run: three emails written and committed together.
with store.session() as session:
    for n in range(3):
        enqueue(session, key=f"run:{n}", channel="email",
                target=f"c{n}@customer.example", subject=f"Email {n}",
                payload={"text": f"Body {n}"})
if sys.argv[3] == "before-delivery":
    os._exit(3)
settings = load_settings(home=sys.argv[2], smtp_host="127.0.0.1",
                         smtp_port=int(sys.argv[4]))
smtp = SmtpSender(settings)
sent = []

def crash_before_the_second_send(claimed):
    if len(sent) == 1:
        os._exit(3)  # the claims are committed; this send never happens
    smtp(claimed)
    sent.append(claimed.key)

deliver_due(store, settings, senders={"email": crash_before_the_second_send})
"""


@pytest.mark.parametrize("when", ["before-delivery", "between-claim-and-send"])
def test_a_crash_between_commit_and_send_loses_nothing_and_sends_nothing_twice(
    tmp_path, smtp_server, when
):
    url = f"sqlite:///{tmp_path / 'steward.db'}"
    script = tmp_path / "crash.py"
    script.write_text(textwrap.dedent(CRASHING_DELIVERY))
    args = [str(tmp_path / "home"), when, str(smtp_server.port)]

    crashed = subprocess.run(
        [sys.executable, str(script), url, *args], capture_output=True, text=True
    )
    received_before = len(smtp_server.received)
    store = Store(url)
    settings = settings_for(
        tmp_path, smtp_host=smtp_server.host, smtp_port=smtp_server.port
    )
    # The crashed deliverer's claims hold until their lease runs out.
    lease = dt.timedelta(seconds=settings.outbox_lease_seconds + 1)
    within_lease = deliver_due(store, settings)
    after_lease = deliver_due(store, settings, now=dt.datetime.now(dt.UTC) + lease)
    nothing_left = deliver_due(store, settings, now=dt.datetime.now(dt.UTC) + lease)
    store.dispose()

    assert crashed.returncode == 3, crashed.stderr
    expected_before = 0 if when == "before-delivery" else 1
    assert received_before == expected_before
    assert within_lease.sent == (3 if when == "before-delivery" else 0)
    assert after_lease.sent == (0 if when == "before-delivery" else 2)
    assert nothing_left.attempted == 0
    keys = sorted(message["X-Steward-Key"] for _, message in smtp_server.received)
    assert keys == ["run:0", "run:1", "run:2"]


KILLED_DELIVERY = """
import sys
from steward.config import load_settings
from steward.notify.deliver import deliver_due
from steward.store.db import Store

store = Store(sys.argv[1])
settings = load_settings(
    home=sys.argv[2], webhooks={"crm": {"url": sys.argv[3], "secret": "x"}}
)
deliver_due(store, settings)
"""


def test_a_killed_deliverer_is_taken_over_and_a_repeat_carries_the_same_key(
    tmp_path, receiver
):
    url = f"sqlite:///{tmp_path / 'steward.db'}"
    store = Store(url)
    store.upgrade()
    for n in range(3):
        queue(store, "webhook", "crm", {"event": "x", "n": n}, f"w{n}")
    receiver.statuses = [0]  # the first request hangs: the receiver has it
    script = tmp_path / "deliver.py"
    script.write_text(textwrap.dedent(KILLED_DELIVERY))
    process = subprocess.Popen(
        [sys.executable, str(script), url, str(tmp_path / "home"), receiver.url]
    )
    for _ in range(300):
        if receiver.requests:
            break
        time.sleep(0.1)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    settings = settings_for(
        tmp_path, webhooks={"crm": {"url": receiver.url, "secret": SECRET}}
    )

    lease = dt.timedelta(seconds=settings.outbox_lease_seconds + 1)
    report = deliver_due(store, settings, now=dt.datetime.now(dt.UTC) + lease)
    store.dispose()

    keys = [r.headers["X-Steward-Idempotency-Key"] for r in receiver.requests]
    # w0 reached the receiver before the kill, unanswered: Steward cannot know
    # and sends it again, with the same key, so the receiver can drop it.
    assert keys == ["w0", "w0", "w1", "w2"]
    assert report.sent == 3
    assert len(set(keys)) == 3
