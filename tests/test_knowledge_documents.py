"""Documents in the store, on SQLite and PostgreSQL: the real 69-minute call
imported, the review workflow with comments and versions, snippets and
templates shared by documents, and the glossary."""

import re

import pytest
from sqlalchemy import func, select

from steward.errors import (
    AccountNotFound,
    InputInvalid,
    PermissionDenied,
    SnippetNotFound,
    WorkflowRefused,
)
from steward.knowledge import review as flow
from steward.knowledge.documents import (
    ImportOptions,
    get_document,
    import_transcript,
    include_snippet,
    retitle_section,
    revise,
    version_body,
    versions,
)
from steward.knowledge.readers import parse_transcript, read_transcript
from steward.knowledge.reuse import (
    add_term,
    documents_including,
    save_snippet,
    save_template,
)
from steward.knowledge.views import document_view
from steward.store.knowledge import KbDocument, KbSource, KbVersion
from steward.store.models import Account, AuditEntry, User
from tests.test_knowledge_structure import ONBOARDING_VTT

CALL = "transcripts/earnings_calls/earnings22_4484146.vtt"
FILLER = re.compile(r"\b(?:um|uh)\b", re.IGNORECASE)


def _import(session, raw: bytes = ONBOARDING_VTT, name: str = "sso.vtt", **options):
    transcript = parse_transcript(raw, name)
    return import_transcript(session, transcript, raw, ImportOptions(**options))


def _user(session, role: str) -> User:
    user = User(email=f"{role}@kb.example", name=role.title(), role=role)
    session.add(user)
    session.flush()
    return user


def _texts(view) -> list[str]:
    return [
        " ".join(t["text"] for p in s["paragraphs"] for t in p["turns"])
        for s in view.sections
    ]


def test_the_69_minute_call_becomes_a_sectioned_document(store, shared_data):
    path = shared_data / CALL
    url = "https://recordings.example/q4.mp4"

    with store.session() as session:
        transcript = read_transcript(path)
        result = import_transcript(
            session, transcript, path.read_bytes(), ImportOptions(media_url=url)
        )
        view = document_view(session, result.document)
        source = session.get(KbSource, result.document.id)

        sections = view.sections
        assert 6 <= len(sections) <= 20
        titles = [s["title"] for s in sections]
        assert all(titles) and len(set(titles)) == len(titles)
        assert view.speakers == [f"Speaker {n}" for n in range(11)]
        paragraphs = [p for s in sections for p in s["paragraphs"]]
        starts = [p["start"] for p in paragraphs]
        assert starts == sorted(starts) and None not in starts
        assert starts[0] == pytest.approx(4.94)
        assert starts[-1] > 68 * 60
        assert all(t["speaker"] for p in paragraphs for t in p["turns"])
        assert source.text == path.read_text(encoding="utf-8")
        readable = " ".join(_texts(view))
        spoken = " ".join(t["source"] for p in paragraphs for t in p["turns"])
        assert len(FILLER.findall(spoken)) >= 250
        assert FILLER.findall(readable) == []
        assert result.document.media_url == url


def test_the_calls_sections_are_each_long_enough_to_read(sqlite_store, shared_data):
    path = shared_data / CALL

    with sqlite_store.session() as session:
        result = import_transcript(session, read_transcript(path), path.read_bytes())
        view = document_view(session, result.document)

    words = [len(text.split()) for text in _texts(view)]
    assert min(words) >= 300
    assert sum(words) > 9000


def test_importing_the_same_file_again_changes_nothing(store):
    with store.session() as session:
        first = _import(session)
    with store.session() as session:
        again = _import(session)
        count = session.scalar(select(func.count()).select_from(KbDocument))
        kept = session.scalar(select(func.count()).select_from(KbVersion))

    assert first.created and not again.created
    assert again.document.id == first.document.id
    assert (count, kept) == (1, 1)


def test_the_segment_comes_from_the_option_else_the_account_else_the_file(store):
    turns = b'{"segment": "smb", "turns": [{"speaker": "A", "text": "Hello there."}]}'

    with store.session() as session:
        session.add(Account(external_id="acme", name="Acme", segment="enterprise"))
        session.flush()
        from_file = _import(session, turns, "a.json").document.segment
        from_account = _import(session, name="b.vtt", account="acme").document
        given = _import(session, ONBOARDING_VTT + b"\n", "c.vtt", segment="mid")

    assert from_file == "smb"
    assert (from_account.segment, from_account.account.name) == ("enterprise", "Acme")
    assert given.document.segment == "mid"


def test_an_unknown_account_is_named(store):
    with store.session() as session, pytest.raises(AccountNotFound) as raised:
        _import(session, account="nobody")

    assert str(raised.value) == (
        "no account with external id 'nobody'; `steward accounts` lists them"
    )


@pytest.mark.parametrize("url", ["javascript:alert(1)", "recordings/q4.mp4", "ftp://x"])
def test_a_media_url_must_be_a_web_address(sqlite_store, url):
    with sqlite_store.session() as session, pytest.raises(InputInvalid) as raised:
        _import(session, media_url=url)

    assert str(raised.value) == (
        f"media_url: {url!r} is not a web address; give one starting with https:// "
        "or http://, or a path on this server starting with /"
    )


def test_a_document_goes_from_draft_through_review_to_published(store):
    with store.session() as session:
        csm, lead = _user(session, "csm"), _user(session, "manager")
        document = _import(session).document
        flow.send_for_review(session, document, csm)
        flow.add_comment(session, document, "Step 3 needs a screenshot.", lead, 1)
        flow.publish(session, document, lead)
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_id == str(document.id))
        ).all()
        notes = flow.comments(session, document)

    assert (document.status, document.published_version) == ("published", 1)
    assert [(c.author, c.version, c.section) for c in notes] == [
        ("manager@kb.example", 1, 1)
    ]
    assert list(actions)[-3:] == ["kb.in_review", "kb.commented", "kb.published"]


def test_publishing_a_draft_is_refused_with_the_next_step(store):
    with store.session() as session, pytest.raises(WorkflowRefused) as raised:
        flow.publish(session, _import(session).document, None)

    assert str(raised.value) == (
        "'sso' is a draft; send it for review first (steward kb review sso)"
    )


def test_a_document_in_review_cannot_be_sent_again(store):
    with store.session() as session:
        document = _import(session).document
        flow.send_for_review(session, document, None)
        with pytest.raises(WorkflowRefused) as raised:
            flow.send_for_review(session, document, None)

    assert str(raised.value) == (
        "'sso' is in review; sending it for review needs it to be a draft"
    )


def test_asking_for_changes_sends_it_back_to_draft_with_the_comment(store):
    with store.session() as session:
        document = _import(session).document
        flow.send_for_review(session, document, None)
        flow.request_changes(session, document, "Retitle section 1.", None)
        retitle_section(session, document, 1, "Setting up single sign-on", None)
        history = [(v.number, v.note) for v in versions(session, document)]
        titles = [s["title"] for s in version_body(session, document, 2)["sections"]]

    assert document.status == "draft"
    assert history == [(1, "imported"), (2, "section 1 retitled")]
    assert titles == ["Setting up single sign-on"]


def test_an_edit_after_publishing_leaves_customers_the_published_version(store):
    with store.session() as session:
        document = _import(session).document
        flow.send_for_review(session, document, None)
        flow.publish(session, document, None)
        retitle_section(session, document, 1, "SSO in four steps", None)
        staff = document_view(session, document)
        customers = document_view(session, document, published=True)

    assert (document.status, document.current_version) == ("draft", 2)
    assert staff.sections[0]["title"] == "SSO in four steps"
    assert customers.version == 1
    assert customers.sections[0]["title"] != "SSO in four steps"


@pytest.mark.parametrize(
    ("role", "act", "message"),
    [
        (
            "read_only",
            lambda s, d, u: flow.add_comment(s, d, "Nice.", u),
            "read_only@kb.example is read-only and may not comment on 'sso'",
        ),
        (
            "read_only",
            lambda s, d, u: flow.send_for_review(s, d, u),
            "read_only@kb.example is read-only and may not send 'sso' for review",
        ),
        (
            "csm",
            lambda s, d, u: flow.publish(s, d, u),
            "csm@kb.example (csm) may not publish 'sso'; a manager or an admin may",
        ),
        (
            "csm",
            lambda s, d, u: save_snippet(s, "intro", "", "Hello.", u),
            "csm@kb.example (csm) may not change the snippet 'intro'; a manager or "
            "an admin may",
        ),
    ],
)
def test_roles_limit_who_changes_what(sqlite_store, role, act, message):
    with sqlite_store.session() as session:
        user = _user(session, role)
        document = _import(session).document
        with pytest.raises(PermissionDenied) as raised:
            act(session, document, user)

    assert str(raised.value) == message


def test_a_comment_on_a_section_that_is_not_there_is_refused(store):
    with store.session() as session, pytest.raises(InputInvalid) as raised:
        flow.add_comment(session, _import(session).document, "Hm.", None, 4)

    assert str(raised.value) == "section 4 is not in 'sso', which has sections 1 to 1"


def test_a_snippet_change_shows_in_every_document_that_includes_it(store):
    with store.session() as session:
        save_snippet(session, "sso-before", "Before you start", "Admin rights.", None)
        save_template(session, "onboarding", "", ["sso-before"], [], None)
        one = _import(session).document
        two = _import(session, ONBOARDING_VTT + b"\n", "two.vtt").document
        _import(session, ONBOARDING_VTT + b"\n\n", "three.vtt", template="onboarding")
        include_snippet(session, one, "sso-before", 1, None)
        include_snippet(session, two, "sso-before", 0, None)
        flow.send_for_review(session, two, None)
        flow.publish(session, two, None)
    with store.session() as session:
        revisions = _revisions(session)
        save_snippet(session, "sso-before", "", "Admin rights in Okta.", None)
        after = _revisions(session)
        views = {
            slug: document_view(session, get_document(session, slug))
            for slug in ("sso", "two", "three")
        }
        published = document_view(session, get_document(session, "two"), published=True)
        users = sorted(d.slug for d in documents_including(session, "sso-before"))

    for view in [*views.values(), published]:
        (shared,) = [s for s in view.sections if s["kind"] == "snippet"]
        assert shared["title"] == "Before you start"
        assert _texts(view)[view.sections.index(shared)] == "Admin rights in Okta."
    assert [s["kind"] for s in views["sso"].sections] == ["snippet", "recording"]
    assert [s["kind"] for s in views["two"].sections] == ["recording", "snippet"]
    assert [s["kind"] for s in views["three"].sections] == ["snippet", "recording"]
    assert users == ["sso", "three", "two"]
    assert all(after[slug] == revisions[slug] + 1 for slug in revisions)


def _revisions(session) -> dict[str, int]:
    return dict(session.execute(select(KbDocument.slug, KbDocument.revision)).all())


def test_including_a_snippet_that_does_not_exist_is_refused(store):
    with store.session() as session, pytest.raises(SnippetNotFound) as raised:
        include_snippet(session, _import(session).document, "nope", 0, None)

    assert str(raised.value) == "no snippet 'nope'; `steward kb snippets` lists them"


def test_the_glossary_flags_inconsistent_terms_for_staff_only(store):
    with store.session() as session:
        add_term(session, "SSO", ["single sign-on"], "We write SSO.", None)
        add_term(session, "login", [], "", None)
        document = _import(session).document
        flow.send_for_review(session, document, None)
        flow.publish(session, document, None)
        staff = document_view(session, document)
        customers = document_view(session, document, published=True)

    assert [f.message() for f in staff.flags] == [
        "section 1: 'Single sign-on' (once); the glossary says 'SSO'",
        "section 1: 'single sign-on' (once); the glossary says 'SSO'",
    ]
    assert customers.flags == []


def test_a_new_version_keeps_who_made_it_and_why(store):
    with store.session() as session:
        lead = _user(session, "manager")
        document = _import(session).document
        body = version_body(session, document, 1)
        revise(session, document, body, "checked the steps", lead)
        made = [(v.number, v.note, v.created_by) for v in versions(session, document)]

    assert made == [
        (1, "imported", "cli"),
        (2, "checked the steps", "manager@kb.example"),
    ]
