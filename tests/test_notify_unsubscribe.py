"""Replies and unsubscribes: the email's link in the web app, and the API.

The web company's run queued the onboarding rescue email to Lia (late's
champion); its unsubscribe link is what she would click.
"""

import datetime as dt
from urllib.parse import urlsplit

from sqlalchemy import select

from steward.store.automation import EmailEvent, OutboxMessage
from tests.web_company import csrf_of, page


def _link(company) -> str:
    with company.workspace.store.session() as session:
        message = session.scalar(select(OutboxMessage))
        assert message.target == "lia@late.example"
        return urlsplit(message.payload["unsubscribe_url"]).path


def test_the_link_asks_first_and_the_button_unsubscribes(sqlite_company):
    link = _link(sqlite_company)
    client = sqlite_company.client

    opened = client.get(link)
    with sqlite_company.workspace.store.session() as session:
        before = session.scalars(select(EmailEvent)).all()
    done = client.post(link, data={"csrf_token": csrf_of(opened.text)})
    again = client.post(link, data={"csrf_token": csrf_of(opened.text)})

    assert opened.status_code == 200
    assert "lia@late.example" in page(opened.text).select_one("article").get_text()
    assert before == []
    assert done.status_code == again.status_code == 200
    assert (
        page(done.text)
        .select_one("p.done")
        .get_text()
        .startswith("No more emails will be sent to lia@late.example.")
    )
    with sqlite_company.workspace.store.session() as session:
        events = session.scalars(select(EmailEvent)).all()
        message = session.scalar(select(OutboxMessage))
    today = dt.datetime.now(dt.UTC).date()
    assert [(e.address, e.kind, e.source) for e in events] == [
        ("lia@late.example", "unsubscribe", "unsubscribe link")
    ]
    assert (message.status, message.last_error) == (
        "cancelled",
        f"unsubscribed on {today.isoformat()}",
    )


def test_a_mail_clients_one_click_unsubscribes_without_a_session(sqlite_company):
    link = _link(sqlite_company) + "/one-click"
    client = sqlite_company.client
    client.cookies.clear()

    opened = client.get(link, follow_redirects=False)
    unasked = client.post(link, data={"other": "x"})
    with sqlite_company.workspace.store.session() as session:
        before = session.scalars(select(EmailEvent)).all()
    done = client.post(link, data={"List-Unsubscribe": "One-Click"})
    forged = client.post(
        link.replace("/one-click", "0/one-click"),
        data={"List-Unsubscribe": "One-Click"},
    )

    assert (opened.status_code, opened.headers["location"]) == (
        303,
        link.removesuffix("/one-click"),
    )
    assert unasked.status_code == 400
    assert before == []
    assert (done.status_code, done.text) == (200, "lia@late.example is unsubscribed")
    assert forged.status_code == 404
    with sqlite_company.workspace.store.session() as session:
        events = session.scalars(select(EmailEvent)).all()
        message = session.scalar(select(OutboxMessage))
    assert [(e.address, e.kind, e.source) for e in events] == [
        ("lia@late.example", "unsubscribe", "one-click unsubscribe")
    ]
    assert message.status == "cancelled"


def test_a_link_steward_did_not_make_changes_nothing(sqlite_company):
    link = _link(sqlite_company)
    forged = link[:-1] + ("0" if link[-1] != "0" else "1")
    client = sqlite_company.client

    opened = client.get(forged)
    posted = client.post(forged, data={"csrf_token": sqlite_company.csrf("/login")})

    assert opened.status_code == posted.status_code == 404
    assert "not one Steward made" in page(opened.text).get_text()
    with sqlite_company.workspace.store.session() as session:
        assert session.scalars(select(EmailEvent)).all() == []


def test_replies_and_unsubscribes_are_recorded_through_the_api_once(company):
    url = "/api/v1/email-events"
    body = {"address": "Lia@Late.example", "kind": "unsubscribe", "on": "2024-12-24"}

    viewer = company.client.post(
        url, json=body, headers=company.token("viewer@x.example")
    )
    csm = company.token("csm1@x.example")
    first = company.client.post(url, json=body, headers=csm)
    again = company.client.post(url, json=body, headers=csm)

    assert viewer.status_code == 403
    assert first.status_code == again.status_code == 201
    assert first.json() == {
        "address": "lia@late.example",
        "kind": "unsubscribe",
        "on": "2024-12-24",
        "recorded": True,
    }
    assert again.json()["recorded"] is False
    with company.workspace.store.session() as session:
        events = session.scalars(select(EmailEvent)).all()
        message = session.scalar(select(OutboxMessage))
    assert [(e.address, e.source) for e in events] == [
        ("lia@late.example", "csm1@x.example")
    ]
    assert (message.status, message.last_error) == (
        "cancelled",
        "unsubscribed on 2024-12-24",
    )
