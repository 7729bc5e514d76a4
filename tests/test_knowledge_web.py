"""The knowledge base in the web app, in-process: the JSON API and the search
and document pages for staff (the customers' portal: test_knowledge_portal)."""

from steward.knowledge import review as flow
from steward.knowledge.documents import (
    ImportOptions,
    import_transcript,
)
from steward.knowledge.readers import parse_transcript
from tests.test_knowledge_structure import ONBOARDING_VTT
from tests.web_company import page

API = "/api/v1/kb"
MEDIA = "https://rec.example/sso.mp4"


def _post_call(company, headers, **extra):
    body = {"filename": "sso-setup.vtt", "content": ONBOARDING_VTT.decode(), **extra}
    return company.client.post(f"{API}/documents", json=body, headers=headers)


def _make(company, name: str, status: str, segment: str | None = None) -> str:
    """A document of the sample call under another name, moved to ``status``."""
    raw = ONBOARDING_VTT.replace(b"Okta", name.encode())
    with company.workspace.store.session() as session:
        transcript = parse_transcript(raw, f"{name}.vtt")
        options = ImportOptions(segment=segment, media_url=MEDIA)
        document = import_transcript(session, transcript, raw, options).document
        if status != "draft":
            flow.send_for_review(session, document, None)
        if status == "published":
            flow.publish(session, document, None)
        return document.slug


def test_the_api_imports_a_transcript_once(company):
    csm = company.token("csm1@x.example")

    first = _post_call(company, csm, segment="enterprise", media_url=MEDIA)
    again = _post_call(company, csm)

    assert first.status_code == 201, first.text
    assert first.json()["document"] == {
        "slug": "sso-setup",
        "title": "Sso setup",
        "status": "draft",
        "current_version": 1,
        "published_version": None,
        "segment": "enterprise",
        "recorded_on": None,
        "media_url": MEDIA,
    }
    assert (again.status_code, again.json()["created"]) == (200, False)


def test_an_unreadable_transcript_is_refused_naming_the_line(sqlite_company):
    csm = sqlite_company.token("csm1@x.example")
    body = {"filename": "bad.srt", "content": "1\nsoon --> later\nHi\n"}

    response = sqlite_company.client.post(f"{API}/documents", json=body, headers=csm)

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "bad_request",
        "message": "bad.srt, line 2: cannot read the time range 'soon --> later'; "
        "write it like 00:01:02,500 --> 00:01:04,000",
        "field": None,
    }


def test_a_read_only_token_cannot_import(sqlite_company):
    viewer = sqlite_company.token("viewer@x.example")

    response = _post_call(sqlite_company, viewer)

    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "viewer@x.example is read-only and may not import recordings"
    )


def test_api_search_gives_the_passage_its_section_and_both_links(company):
    csm = company.token("csm1@x.example")
    _post_call(company, csm, media_url=MEDIA, recorded_on="2024-03-01")

    found = company.client.get(
        f"{API}/search",
        params={"q": "step 3 of the SSO setup", "since": "2024-01-01"},
        headers=csm,
    )
    later = company.client.get(
        f"{API}/search", params={"q": "okta", "since": "2024-04-01"}, headers=csm
    )

    (hit,) = found.json()
    assert hit["document"] == "sso-setup"
    assert (hit["section"], hit["section_title"]) == (1, "Ben, single sign-on")
    assert (hit["start"], hit["link"]) == (1.0, f"{MEDIA}#t=1")
    assert hit["page"] == "/kb/sso-setup#section-1"
    assert "paste the metadata URL" in hit["text"]
    assert later.json() == []


def test_the_review_workflow_through_the_api_follows_the_roles(company):
    csm, lead = company.token("csm1@x.example"), company.token("lead@x.example")
    _post_call(company, csm)
    doc = f"{API}/documents/sso-setup"

    sent = company.client.post(f"{doc}/review", headers=csm)
    refused = company.client.post(f"{doc}/publish", headers=csm)
    comment = company.client.post(
        f"{doc}/comments", json={"body": "Step 3 is clear.", "section": 1}, headers=lead
    )
    published = company.client.post(f"{doc}/publish", headers=lead)
    retitled = company.client.post(
        f"{doc}/sections/1/title", json={"title": "SSO with Okta"}, headers=csm
    )
    customers = company.client.get(doc, params={"published": "true"}, headers=csm)
    comments = company.client.get(f"{doc}/comments", headers=csm)

    assert sent.json()["status"] == "in_review"
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == (
        "csm1@x.example (csm) may not publish 'sso-setup'; a manager or an admin may"
    )
    assert comment.status_code == 201
    assert published.json()["published_version"] == 1
    assert retitled.json() == {"document": "sso-setup", "version": 2, "status": "draft"}
    assert customers.json()["version"] == 1
    assert customers.json()["sections"][0]["title"] == "Ben, single sign-on"
    assert [(c["author"], c["section"]) for c in comments.json()] == [
        ("lead@x.example", 1)
    ]


def test_snippets_and_the_glossary_through_the_api(sqlite_company):
    client = sqlite_company.client
    csm, lead = (sqlite_company.token(e) for e in ("csm1@x.example", "lead@x.example"))
    _post_call(sqlite_company, csm)
    snippet = {"title": "Before you start", "body": "Ask for SSO admin rights."}

    denied = client.put(f"{API}/snippets/sso-before", json=snippet, headers=csm)
    saved = client.put(f"{API}/snippets/sso-before", json=snippet, headers=lead)
    included = client.post(
        f"{API}/documents/sso-setup/snippets",
        json={"snippet": "sso-before"},
        headers=csm,
    )
    term = client.post(
        f"{API}/glossary",
        json={"term": "SSO", "variants": ["single sign-on"]},
        headers=csm,
    )
    listed = client.get(f"{API}/snippets", headers=csm)
    document = client.get(f"{API}/documents/sso-setup", headers=csm).json()

    assert denied.status_code == 403
    assert saved.json()["revision"] == 1
    assert included.json()["version"] == 2
    assert term.json() == {"term": "SSO", "variants": ["single sign-on"], "note": ""}
    assert [(s["slug"], s["documents"]) for s in listed.json()] == [
        ("sso-before", ["sso-setup"])
    ]
    assert [s["title"] for s in document["sections"]] == [
        "Ben, single sign-on",
        "Before you start",
    ]
    assert document["glossary_flags"] == [
        "section 1: 'Single sign-on' (once); the glossary says 'SSO'",
        "section 1: 'single sign-on' (once); the glossary says 'SSO'",
    ]


def test_bad_values_get_a_422_naming_the_field(sqlite_company):
    csm = sqlite_company.token("csm1@x.example")

    bad_link = _post_call(sqlite_company, csm, media_url="javascript:alert(1)")
    nul = _post_call(sqlite_company, csm, title="a\x00b")

    assert bad_link.status_code == 422
    assert bad_link.json()["error"]["field"] == "media_url"
    assert nul.json()["error"] == {
        "code": "invalid",
        "message": "title: the text holds a NUL character (\\0); remove it",
        "field": "title",
    }


def test_a_misspelt_status_is_a_422_not_an_empty_list(sqlite_company):
    csm = sqlite_company.token("csm1@x.example")

    documents = sqlite_company.client.get(
        "/api/v1/kb/documents", params={"status": "publishd"}, headers=csm
    )
    hits = sqlite_company.client.get(
        "/api/v1/kb/search", params={"q": "okta", "status": "draf"}, headers=csm
    )

    for response in (documents, hits):
        assert response.status_code == 422
        assert response.json()["error"]["field"] == "status"
        assert response.json()["error"]["message"] == (
            "status: Input should be 'draft', 'in_review' or 'published'"
        )


def test_the_search_page_lists_hits_with_section_and_time_links(company):
    _make(company, "Okta", "draft", "enterprise")
    company.sign_in("csm1@x.example")

    html = page(
        company.client.get(
            "/kb",
            params={"q": "metadata", "step": "", "segment": "enterprise", "since": ""},
        ).text
    )

    (hit,) = html.select("article.kb-hit")
    links = [a["href"] for a in hit.select("a")]
    assert links == ["/kb/okta#section-1", f"{MEDIA}#t=1"]
    assert hit.select_one("a.kb-time").get_text() == "0:01"
    assert "paste the metadata URL" in hit.p.get_text()
    assert [a.get_text() for a in html.select("#documents td a")] == ["Okta"]


def test_the_search_page_names_a_bad_filter(sqlite_company):
    sqlite_company.sign_in("csm1@x.example")

    response = sqlite_company.client.get("/kb", params={"q": "x", "since": "May"})

    assert response.status_code == 422
    assert (
        "since: 'May' is not a date; write it as YYYY-MM-DD" in page(response.text).text
    )


def test_the_document_page_shows_sections_steps_speakers_and_moments(company):
    slug = _make(company, "Okta", "draft")
    company.sign_in("csm1@x.example")

    html = page(company.client.get(f"/kb/{slug}").text)

    assert html.select_one("h2").get_text(strip=True) == "1. Ben, single sign-on"
    assert [li.get_text(" ", strip=True) for li in html.select("ol.kb-steps li")] == [
        "First, open the admin console and go to Settings. 0:10",
        "Then click Security and choose Single sign-on. 0:16",
        "Next, paste the metadata URL from Okta into the field. 0:21",
        "Finally, click Save and test the login with a second account. 0:27",
    ]
    times = [a["href"] for a in html.select(".kb-paragraph a.kb-time")]
    assert times == [f"{MEDIA}#t={t}" for t in (1, 6, 10, 33, 38)]
    speakers = [s.get_text() for s in html.select(".kb-speaker")]
    assert speakers == ["Ana Lee:", "Ben Ortiz:", "Ana Lee:", "Ben Ortiz:", "Ana Lee:"]
    assert html.select_one(".kb-speakers").get_text() == "Speakers: Ana Lee, Ben Ortiz"


def _form(company, path: str, action: str, **data):
    token = company.csrf(path)
    return company.client.post(
        action, data={**data, "csrf_token": token}, follow_redirects=False
    )


def test_review_buttons_follow_the_role_and_the_forms_move_the_document(company):
    slug = _make(company, "Okta", "draft")
    company.sign_in("csm1@x.example")
    buttons = [
        b.get_text() for b in page(company.client.get(f"/kb/{slug}").text)("button")
    ]
    _form(company, f"/kb/{slug}", f"/kb/{slug}/review")
    csm_sees = [
        b.get_text() for b in page(company.client.get(f"/kb/{slug}").text)("button")
    ]
    company.client.post("/logout", data={"csrf_token": company.csrf("/")})
    company.sign_in("lead@x.example")
    commented = _form(company, f"/kb/{slug}", f"/kb/{slug}/comments", body="Good.")
    published = _form(company, f"/kb/{slug}", f"/kb/{slug}/publish")

    html = page(company.client.get(f"/kb/{slug}").text)
    assert "Send for review" in buttons
    assert "Publish" not in csm_sees
    assert (commented.status_code, published.status_code) == (303, 303)
    assert html.select_one(".kb-status")["data-status"] == "published"
    assert "Good." in html.select_one("#comments").get_text()


def test_a_read_only_user_reads_but_gets_no_forms(sqlite_company):
    slug = _make(sqlite_company, "Okta", "draft")
    sqlite_company.sign_in("viewer@x.example")

    html = page(sqlite_company.client.get(f"/kb/{slug}").text)

    actions = [form.get("action", "") for form in html.select("form")]
    assert html.select_one("h1").get_text() == "Okta"
    assert [a for a in actions if a.startswith("/kb")] == []


def test_the_import_form_uploads_a_transcript(sqlite_company):
    company = sqlite_company
    company.sign_in("csm1@x.example")
    token = company.csrf("/kb")

    response = company.client.post(
        "/kb/import",
        data={"csrf_token": token, "segment": "smb"},
        files={"file": ("kickoff.vtt", ONBOARDING_VTT, "text/vtt")},
        follow_redirects=False,
    )
    broken = company.client.post(
        "/kb/import",
        data={"csrf_token": token},
        files={"file": ("broken.vtt", b"WEBVTT\n\nhello\n", "text/vtt")},
    )

    assert (response.status_code, response.headers["location"]) == (303, "/kb/kickoff")
    assert broken.status_code == 400
    assert "broken.vtt, line 3: 'hello' is not in a cue" in page(broken.text).text


def test_without_a_recording_every_time_link_lands_on_its_turn(sqlite_company):
    raw = ONBOARDING_VTT
    with sqlite_company.workspace.store.session() as session:
        transcript = parse_transcript(raw, "no-media.vtt")
        import_transcript(session, transcript, raw, ImportOptions())
    sqlite_company.sign_in("csm1@x.example")

    html = page(sqlite_company.client.get("/kb/no-media").text)

    targets = [a["href"] for a in html.select(".kb-paragraph a.kb-time")]
    assert targets == ["#t=1", "#t=6", "#t=10", "#t=33", "#t=38"]
    assert all(html.find(id=href[1:]) is not None for href in targets)
