"""The onboarding portal customers reach by link, in-process: what it shows,
what it hides, and links that expire, are revoked and log every visit."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from steward.knowledge.documents import get_document, retitle_section
from steward.knowledge.portal import create_link
from steward.store.knowledge import KbPortalLinkUse
from steward.store.models import utcnow
from tests.test_knowledge_web import API, _make
from tests.web_company import page


def _portal(company, segment: str | None) -> tuple[TestClient, str]:
    lead = company.token("lead@x.example")
    made = company.client.post(
        f"{API}/portal-links", json={"label": "Acme", "segment": segment}, headers=lead
    )
    assert made.status_code == 201, made.text
    url = made.json()["url"]
    assert url.startswith("http://localhost:8000/portal/kbp_")  # STEWARD_PUBLIC_URL
    return TestClient(company.client.app), urlsplit(url).path


@pytest.fixture
def portal_docs(company):
    return {
        "published": _make(company, "Okta", "published", "enterprise"),
        "other segment": _make(company, "Azure", "published", "smb"),
        "every segment": _make(company, "Google", "published"),
        "in review": _make(company, "Ping", "in_review", "enterprise"),
        "draft": _make(company, "Auth0", "draft", "enterprise"),
    }


def test_the_portal_shows_only_published_documents_of_its_segment(company, portal_docs):
    customer, _ = _portal(company, None)
    _, path = _portal(company, "enterprise")

    listing = customer.get(path)
    hits = customer.get(path, params={"q": "okta ping auth0 azure google"})

    assert listing.status_code == 200
    assert listing.headers["x-robots-tag"] == "noindex"
    titles = [a.get_text() for a in page(listing.text).select("#documents a")]
    assert titles == ["Google", "Okta"]
    found = {
        a["href"].split("/")[-1].split("#")[0]
        for a in page(hits.text).select(".kb-hit a")
    }
    assert found == {portal_docs["published"], portal_docs["every segment"]}


def test_the_portal_document_hides_staff_and_review_detail(company, portal_docs):
    customer, path = _portal(company, "enterprise")

    html = page(customer.get(f"{path}/{portal_docs['published']}").text)

    assert html.select_one("h1").get_text() == "Okta"
    assert html.find("nav") is None
    assert html.select(".kb-speaker") == [] and html.select(".kb-topics") == []
    assert html.select("form") == []
    assert "Ana Lee" not in html.get_text()
    assert [a["href"] for a in html.select("a") if a["href"].startswith("/")] == [path]


@pytest.mark.parametrize("which", ["in review", "draft", "other segment"])
def test_the_portal_does_not_open_documents_it_does_not_list(
    company, portal_docs, which
):
    customer, path = _portal(company, "enterprise")

    response = customer.get(f"{path}/{portal_docs[which]}")

    assert response.status_code == 404
    assert page(response.text).select_one("h1").get_text() == "This link does not work"


def test_customers_keep_the_published_version_while_staff_edit(company, portal_docs):
    customer, path = _portal(company, "enterprise")
    slug = portal_docs["published"]
    with company.workspace.store.session() as session:
        retitle_section(session, get_document(session, slug), 1, "Draft title", None)

    html = page(customer.get(f"{path}/{slug}").text)

    assert (
        html.select_one("section h2").get_text(strip=True) == "1. Ben, single sign-on"
    )


def test_a_revoked_expired_or_unknown_portal_link_opens_nothing(sqlite_company):
    company = sqlite_company
    _make(company, "Okta", "published")
    long_ago = utcnow() - dt.timedelta(days=31)
    with company.workspace.store.session() as session:
        link, secret = create_link(session, "Acme", None, None)
        _old, stale = create_link(session, "Beta", None, None, days=30, now=long_ago)
    customer = TestClient(company.client.app)
    before = customer.get(f"/portal/{secret}")
    revoked = company.client.delete(
        f"{API}/portal-links/{link.id}", headers=company.token("lead@x.example")
    )

    after = customer.get(f"/portal/{secret}")
    expired = customer.get(f"/portal/{stale}/okta")
    unknown = customer.get("/portal/kbp_nothing")

    assert before.status_code == 200
    assert revoked.status_code == 204
    assert (after.status_code, expired.status_code) == (403, 403)
    assert f"this portal link was revoked on {utcnow().date()}" in after.text
    expiry = (long_ago + dt.timedelta(days=30)).date()
    assert f"this portal link expired on {expiry}" in expired.text
    assert unknown.status_code == 404
    assert "this portal link is not valid" in unknown.text
    # The refusals are logged against their links, with what was asked.
    with company.workspace.store.session() as session:
        uses = session.execute(
            select(
                KbPortalLinkUse.link_id,
                KbPortalLinkUse.action,
                KbPortalLinkUse.outcome,
                KbPortalLinkUse.detail,
            ).order_by(KbPortalLinkUse.id)
        ).all()
    assert [tuple(use[:3]) for use in uses] == [
        (link.id, "list", "ok"),
        (link.id, "list", "refused"),
        (_old.id, "document", "refused"),
    ]
    assert uses[2].detail == {
        "slug": "okta",
        "reason": f"this portal link expired on {expiry}; ask your customer "
        "success manager for a new one",
    }


def test_portal_visits_are_logged_and_listed_with_each_link(company, portal_docs):
    customer, path = _portal(company, "enterprise")
    lead = company.token("lead@x.example")
    headers = {"user-agent": "Acme browser"}
    customer.get(path, headers=headers)
    customer.get(path, params={"q": "okta login"}, headers=headers)
    customer.get(f"{path}/{portal_docs['published']}", headers=headers)

    listed = company.client.get(f"{API}/portal-links", headers=lead)

    assert listed.status_code == 200, listed.text
    (row,) = listed.json()
    assert (row["label"], row["segment"], row["visits"]) == ("Acme", "enterprise", 3)
    assert row["revoked_at"] is None and row["last_used_at"] is not None
    assert path.split("/")[-1].startswith(row["prefix"])
    with company.workspace.store.session() as session:
        uses = session.scalars(select(KbPortalLinkUse).order_by(KbPortalLinkUse.id))
        logged = [(u.action, u.outcome, u.detail, u.client) for u in uses]
    assert logged == [
        ("list", "ok", {}, "testclient Acme browser"),
        ("search", "ok", {"query": "okta login"}, "testclient Acme browser"),
        (
            "document",
            "ok",
            {"slug": portal_docs["published"]},
            "testclient Acme browser",
        ),
    ]


@pytest.mark.parametrize(
    ("days", "status", "message"),
    [
        (0, 422, "greater than or equal to 1"),
        (366, 422, "less than or equal to 365"),
        (30, 201, None),
    ],
)
def test_a_portal_link_lasts_the_days_asked_within_a_year(
    sqlite_company, days, status, message
):
    company = sqlite_company
    made = company.client.post(
        f"{API}/portal-links",
        json={"label": "Acme", "days": days},
        headers=company.token("lead@x.example"),
    )

    assert made.status_code == status, made.text
    if message:
        assert message in made.text
    else:
        expires = dt.datetime.fromisoformat(made.json()["expires_at"])
        left = expires - utcnow()
        assert dt.timedelta(days=29, hours=23) < left <= dt.timedelta(days=30)


def test_a_portal_secret_reaches_no_staff_page_or_api(sqlite_company):
    company = sqlite_company
    slug = _make(company, "Okta", "draft")
    with company.workspace.store.session() as session:
        _link, secret = create_link(session, "Acme", None, None)
    customer = TestClient(company.client.app)
    customer.get(f"/portal/{secret}")

    answers = [
        customer.get(address, headers=headers, follow_redirects=False).status_code
        for address in (
            "/kb",
            f"/kb/{slug}",
            f"{API}/documents",
            f"{API}/search?q=okta",
        )
        for headers in ({}, {"Authorization": f"Bearer {secret}"})
    ]

    assert set(answers) <= {303, 401}
