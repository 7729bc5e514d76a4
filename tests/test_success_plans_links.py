"""The customer link: one plan, nothing else; expiring, revocable, every use logged.

Plans are made on every account of the web test company (two on one of them);
a link to one plan is then tried against every other plan and every other
account's data.
"""

import datetime as dt
import hashlib
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from steward.accounts.plan_content import (
    AddGoal,
    AddKpi,
    AddMilestone,
    AddResponsibility,
)
from steward.accounts.success_plans import change_plan, content_of, create_plan
from steward.store.models import Account
from steward.store.plans import PlanLink, PlanLinkUse, SuccessPlan
from tests.web_company import csrf_of, page

KICKOFF = dt.date(2024, 12, 2)


def _make_plan(session, key: str, title: str) -> SuccessPlan:
    plan = create_plan(session, key, title=title, kickoff_on=KICKOFF, actor="cli")
    change_plan(session, plan, AddGoal(title=f"{title} goal"), "cli")
    goal = content_of(plan).goals[0].id
    change_plan(
        session,
        plan,
        AddKpi(
            goal_id=goal,
            name=f"{title} hours saved",
            unit="hours",
            baseline=0,
            target=10,
        ),
        "cli",
    )
    change_plan(
        session,
        plan,
        AddMilestone(title=f"{title} go-live", due_on=dt.date(2025, 1, 31)),
        "cli",
    )
    change_plan(
        session,
        plan,
        AddResponsibility(party="customer", owner="Dana", task=f"{title} training"),
        "cli",
    )
    return plan


@pytest.fixture
def plans(company):
    """Plan ids by title: 'Good' is linked; the others must stay out of reach."""
    with company.workspace.store.session() as session:
        made = {
            title: _make_plan(session, key, title).id
            for key, title in (
                ("good", "Good"),
                ("good", "Good second"),
                ("late", "Late"),
                ("double", "Double"),
            )
        }
    return made


def _link(company, plan_id: int, label: str = "Gil, COO") -> str:
    """Make a link as the account's CSM through the plan page; return its address."""
    company.sign_in("csm1@x.example")
    token = company.csrf(f"/plans/{plan_id}")
    response = company.client.post(
        f"/plans/{plan_id}/links",
        data={"label": label, "days": "30", "csrf_token": token},
    )
    assert response.status_code == 200, response.text
    url = page(response.text).find("input", {"aria-label": "Customer link"})["value"]
    company.client.post("/logout", data={"csrf_token": csrf_of(response.text)})
    return url.split("testserver", 1)[1]


def _customer(company) -> TestClient:
    """A browser with no Steward account: only the link."""
    return TestClient(company.client.app)


def _post(client: TestClient, path: str, data: dict) -> object:
    token = csrf_of(client.get(path.removesuffix("/changes")).text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def _items(session, plan_id: int) -> dict:
    content = content_of(session.get(SuccessPlan, plan_id))
    return {
        "goal": content.goals[0].id,
        "kpi": content.goals[0].kpis[0].id,
        "milestone": content.milestones[0].id,
        "responsibility": content.responsibilities[0].id,
    }


def test_the_link_opens_its_plan_without_staff_navigation_or_other_data(company, plans):
    path = _link(company, plans["Good"])
    customer = _customer(company)

    response = customer.get(path)

    html = page(response.text)
    assert response.status_code == 200
    assert html.find("h1").text == "Good"
    assert html.find("nav") is None
    assert not [a for a in html.find_all("a") if a.get("href", "").startswith("/")]
    text = html.get_text()
    for other in ("Good second", "Late", "Double", "Late Ltd", "Double Inc"):
        assert other not in text


def test_the_link_reaches_no_other_plan_and_no_other_account(company, plans):
    path = _link(company, plans["Good"])
    customer = _customer(company)
    customer.get(path)  # the customer's browser now holds a session cookie
    with company.workspace.store.session() as session:
        keys = list(session.scalars(select(Account.external_id)))
        others = {t: _items(session, p) for t, p in plans.items() if t != "Good"}
        versions = {t: session.get(SuccessPlan, p).version for t, p in plans.items()}
    changes = {
        "update_kpi": ("kpi_id", "kpi", {"current": "3"}),
        "add_kpi": ("goal_id", "goal", {"name": "Sneaky", "target": "1"}),
        "complete_milestone": ("milestone_id", "milestone", {"done_on": "2025-01-10"}),
        "complete_responsibility": (
            "responsibility_id",
            "responsibility",
            {"done": "true"},
        ),
    }
    secret = path.removeprefix("/p/")
    answers = []

    # Every other plan's items, through the link's own change form.
    for title, items in others.items():
        for op, (field, kind, extra) in changes.items():
            response = _post(
                customer, f"{path}/changes", {"op": op, field: items[kind], **extra}
            )
            answers.append((f"{op} on {title}", response.status_code))
    # Every other plan and every account by address, under the link and as staff.
    for plan_id in plans.values():
        for address in (
            f"{path}/plans/{plan_id}",
            f"/plans/{plan_id}",
            f"/api/v1/plans/{plan_id}",
        ):
            answers.append((address, _status(customer, address, secret)))
    for key in keys:
        for address in (
            f"{path}/accounts/{key}",
            f"/accounts/{key}",
            f"/accounts/{key}/plans",
            f"/api/v1/accounts/{key}",
            f"/api/v1/accounts/{key}/plans",
        ):
            answers.append((address, _status(customer, address, secret)))

    refused = {where: status for where, status in answers if status not in (403, 404)}
    assert len(answers) == len(others) * len(changes) + 3 * len(plans) + 5 * len(keys)
    with company.workspace.store.session() as session:
        after = {t: session.get(SuccessPlan, p).version for t, p in plans.items()}
    assert refused == {}
    assert after == versions


def _status(client: TestClient, address: str, secret: str) -> int:
    """The answer to the customer's cookie, and to the secret sent as an API token.

    Staff pages and the API do not know the customer at all; Steward answers
    them 403 when the request carries nothing but a plan link's session.
    """
    plain = client.get(address, follow_redirects=False)
    bearer = client.get(
        address, headers={"Authorization": f"Bearer {secret}"}, follow_redirects=False
    )
    statuses = {plain.status_code, bearer.status_code}
    return statuses.pop() if len(statuses) == 1 else max(statuses)


def test_the_customer_edits_what_they_own_and_the_version_names_the_link(
    company, plans
):
    path = _link(company, plans["Good"])
    customer = _customer(company)
    with company.workspace.store.session() as session:
        items = _items(session, plans["Good"])

    response = _post(
        customer,
        f"{path}/changes",
        {"op": "update_kpi", "kpi_id": items["kpi"], "current": "4.5"},
    )
    removal = _post(
        customer, f"{path}/changes", {"op": "remove", "item_id": items["goal"]}
    )

    with company.workspace.store.session() as session:
        plan = session.get(SuccessPlan, plans["Good"])
        link = session.scalar(select(PlanLink).where(PlanLink.plan_id == plan.id))
        kpi = content_of(plan).goals[0].kpis[0]
        version = plan.version
    assert response.status_code == 303
    assert kpi.current == 4.5
    assert version == 6
    assert removal.status_code == 403
    history = company.sign_in("csm1@x.example").get(f"/plans/{plans['Good']}").text
    assert f"customer link #{link.id} (Gil, COO)" in history


def test_only_the_hash_of_the_link_is_stored(company, plans):
    path = _link(company, plans["Good"])
    secret = path.removeprefix("/p/")

    with company.workspace.store.session() as session:
        link = session.scalar(select(PlanLink).where(PlanLink.plan_id == plans["Good"]))
        stored = [str(getattr(link, c.name)) for c in PlanLink.__table__.columns]

    assert link.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert not [value for value in stored if secret in value]
    assert secret.startswith(link.prefix)


def test_an_expired_link_is_refused_and_the_refusal_logged(company, plans):
    path = _link(company, plans["Good"])
    customer = _customer(company)
    first = customer.get(path)
    with company.workspace.store.session() as session:
        session.execute(
            update(PlanLink).values(expires_at=dt.datetime(2024, 1, 31, tzinfo=dt.UTC))
        )

    viewed = customer.get(path)
    edited = customer.post(
        f"{path}/changes",
        data={"op": "add_goal", "title": "x", "csrf_token": csrf_of(first.text)},
    )

    with company.workspace.store.session() as session:
        uses = session.execute(
            select(PlanLinkUse.action, PlanLinkUse.outcome).order_by(PlanLinkUse.id)
        ).all()
        version = session.get(SuccessPlan, plans["Good"]).version
    assert first.status_code == 200
    assert viewed.status_code == 403
    assert page(viewed.text).find("p").text == (
        "this plan link expired on 2024-01-31; ask your customer success manager "
        "for a new one"
    )
    assert edited.status_code == 403
    assert [tuple(u) for u in uses] == [
        ("view", "ok"),
        ("view", "refused"),
        ("add_goal", "refused"),
    ]
    assert version == 5


def test_a_revoked_link_is_refused_at_once(company, plans):
    path = _link(company, plans["Good"])
    customer = _customer(company)
    assert customer.get(path).status_code == 200
    with company.workspace.store.session() as session:
        link_id = session.scalar(select(PlanLink.id))
    client = company.sign_in("csm1@x.example")
    token = company.csrf(f"/plans/{plans['Good']}")

    revoked = client.post(
        f"/plans/{plans['Good']}/links/{link_id}/revoke",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    viewed = customer.get(path)

    assert revoked.status_code == 303
    assert viewed.status_code == 403
    message = page(viewed.text).find("p").text
    assert re.fullmatch(
        r"this plan link was revoked on \d{4}-\d{2}-\d{2}; ask your customer success "
        r"manager for a new one",
        message,
    )


def test_a_link_is_revoked_only_through_its_own_plan(company, plans):
    path = _link(company, plans["Good"])
    customer = _customer(company)
    with company.workspace.store.session() as session:
        link_id = session.scalar(select(PlanLink.id))
    client = company.sign_in("csm1@x.example")
    token = company.csrf(f"/plans/{plans['Good second']}")

    wrong = client.post(
        f"/plans/{plans['Good second']}/links/{link_id}/revoke",
        data={"csrf_token": token},
        follow_redirects=False,
    )

    assert wrong.status_code == 404
    assert f"no customer link with id {link_id} on success plan" in wrong.text
    assert customer.get(path).status_code == 200


def test_an_unknown_link_is_not_found(company, plans):
    customer = _customer(company)

    response = customer.get("/p/stp_not-a-real-link")

    assert response.status_code == 404
    assert page(response.text).find("p").text == (
        "this plan link is not valid; ask your customer success manager for a new one"
    )
