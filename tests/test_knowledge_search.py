"""Search: BM25 over an FTS5 index file derived from the store, its filters,
what a result shows, and how the index follows the store."""

import datetime as dt
import sqlite3

import pytest

from steward.knowledge import review as flow
from steward.knowledge.documents import (
    ImportOptions,
    get_document,
    import_transcript,
    include_snippet,
    retitle_section,
)
from steward.knowledge.index import KnowledgeIndex, fts_query
from steward.knowledge.readers import parse_transcript
from steward.knowledge.reuse import save_snippet
from steward.knowledge.search import Filters, search
from tests.test_knowledge_structure import ONBOARDING_VTT

RENEWAL_TXT = b"""[00:00:03] Cam Diaz: Let's plan the renewal conversation for Acme.
[00:00:12] Dee Park: We open with their goals against the results, then pricing.
[00:00:30] Cam Diaz: Then we agree the next steps and the renewal date together.
"""
GENERAL_JSON = b"""{"title": "Office hours", "turns": [
  {"speaker": "Eve", "text": "Okta questions come up every week in office hours."},
  {"speaker": "Eve", "text": "Renewal questions go to the account's CSM."}
]}"""


@pytest.fixture
def kb(sqlite_store, tmp_path):
    """Three documents for three kinds of customer, and the index of them."""
    files = [
        (
            ONBOARDING_VTT,
            "sso-setup.vtt",
            ImportOptions(
                segment="enterprise",
                topics=["Security"],
                recorded_on=dt.date(2024, 3, 1),
                media_url="https://rec.example/sso.mp4",
            ),
        ),
        (
            RENEWAL_TXT,
            "renewal-prep.txt",
            ImportOptions(segment="smb", recorded_on=dt.date(2024, 6, 1)),
        ),
        (GENERAL_JSON, "office.json", ImportOptions()),
    ]
    with sqlite_store.session() as session:
        for raw, name, options in files:
            import_transcript(session, parse_transcript(raw, name), raw, options)
    index = KnowledgeIndex(tmp_path / "index.sqlite")
    yield sqlite_store, index
    index.close()


def _find(kb, query: str, **filters) -> list:
    store, index = kb
    with store.session() as session:
        index.sync(session)
    return search(index, query, Filters(**filters))


def _slugs(hits) -> list[str]:
    return sorted({hit.slug for hit in hits})


def test_a_result_shows_the_passage_its_section_and_the_moment(kb):
    hits = _find(kb, "paste the metadata URL")

    first = hits[0]
    assert (first.slug, first.section, first.paragraph) == ("sso-setup", 0, 0)
    assert first.section_title == "Ben, single sign-on"
    assert "Next, paste the metadata URL from Okta into the field." in first.text
    assert first.start == 1.0
    assert first.link() == "https://rec.example/sso.mp4#t=1"
    assert (first.first_line, first.last_line) == (3, 18)


def test_without_a_recording_the_link_goes_to_the_passage_in_the_page(kb):
    hits = _find(kb, "pricing")

    assert [h.link() for h in hits] == ["/kb/renewal-prep#t=3"]


def test_step_3_of_the_sso_setup_finds_the_step(kb):
    hits = _find(kb, "step 3 of the SSO setup")

    assert [(h.slug, h.paragraph) for h in hits] == [("sso-setup", 0)]


def test_a_step_filter_keeps_only_passages_holding_that_step(kb):
    assert _find(kb, "okta", step=4)[0].slug == "sso-setup"
    assert _find(kb, "okta", step=5) == []


@pytest.mark.parametrize(
    ("filters", "found"),
    [
        ({}, ["office-hours", "sso-setup"]),
        ({"topic": "security"}, ["sso-setup"]),
        ({"topic": "single sign-on"}, ["sso-setup"]),
        ({"segment": "enterprise"}, ["office-hours", "sso-setup"]),
        ({"segment": "smb"}, ["office-hours"]),
        ({"speaker": "ben ortiz"}, ["sso-setup"]),
        ({"speaker": "Eve"}, ["office-hours"]),
        ({"since": dt.date(2024, 2, 1), "until": dt.date(2024, 3, 1)}, ["sso-setup"]),
        ({"since": dt.date(2024, 3, 2)}, []),
        ({"status": "in_review"}, []),
    ],
)
def test_filters_narrow_the_results(kb, filters, found):
    assert _slugs(_find(kb, "Okta", **filters)) == found


def test_segment_filters_keep_documents_meant_for_every_segment(kb):
    assert _slugs(_find(kb, "renewal", segment="smb")) == [
        "office-hours",
        "renewal-prep",
    ]
    assert _slugs(_find(kb, "renewal", segment="enterprise")) == [
        "office-hours",
        "sso-setup",
    ]


def test_speakers_names_are_searched_as_words(kb):
    hits = _find(kb, "what did Dee say")

    assert [h.slug for h in hits] == ["renewal-prep"]


def test_customers_search_only_the_published_version(kb):
    store, _index = kb
    before = _find(kb, "okta", published_only=True)
    with store.session() as session:
        document = get_document(session, "sso-setup")
        flow.send_for_review(session, document, None)
        flow.publish(session, document, None)
    published = _find(kb, "okta", published_only=True)
    with store.session() as session:
        retitle_section(session, get_document(session, "sso-setup"), 1, "SSO", None)
    staff = _find(kb, "metadata", status="draft")
    customers = _find(kb, "metadata", published_only=True)

    assert before == []
    assert _slugs(published) == ["sso-setup"]
    assert [h.section_title for h in staff] == ["SSO"]
    assert [h.section_title for h in customers] == ["Ben, single sign-on"]


def test_a_changed_snippet_is_found_in_the_documents_including_it(kb):
    store, index = kb
    with store.session() as session:
        save_snippet(session, "support", "Support", "Write to the helpdesk.", None)
        include_snippet(
            session, get_document(session, "renewal-prep"), "support", 0, None
        )
    first = _find(kb, "helpdesk")
    with store.session() as session:
        save_snippet(session, "support", "", "Call the hotline.", None)
        synced = index.sync(session)
    later = _find(kb, "helpdesk"), _find(kb, "hotline")

    assert [(h.slug, h.section_title) for h in first] == [("renewal-prep", "Support")]
    assert synced == 1
    assert later[0] == []
    assert _slugs(later[1]) == ["renewal-prep"]


def test_sync_reindexes_only_documents_that_changed(kb):
    store, index = kb
    with store.session() as session:
        first = index.sync(session)
        again = index.sync(session)
        flow.send_for_review(session, get_document(session, "office-hours"), None)
        session.flush()
        changed = index.sync(session)

    assert (first, again, changed) == (3, 0, 1)


def test_a_deleted_index_file_is_rebuilt_from_the_store(kb, tmp_path):
    store, index = kb
    with store.session() as session:
        index.sync(session)
    index.close()
    for path in tmp_path.glob("index.sqlite*"):
        path.unlink()
    fresh = KnowledgeIndex(tmp_path / "index.sqlite")

    with store.session() as session:
        rebuilt = fresh.sync(session)
    hits = search(fresh, "okta")

    assert rebuilt == 3
    assert _slugs(hits) == ["office-hours", "sso-setup"]
    fresh.close()


def test_an_index_file_of_an_older_layout_is_emptied_and_refilled(kb, tmp_path):
    store, _index = kb
    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.execute("CREATE VIRTUAL TABLE passages_fts USING fts5(text)")
    old.execute("CREATE TABLE docs (doc_id INTEGER PRIMARY KEY, revision INTEGER)")
    old.execute("INSERT INTO docs VALUES (1, 1)")
    old.commit()
    old.close()

    index = KnowledgeIndex(path)
    with store.session() as session:
        refilled = index.sync(session)

    assert refilled == 3
    assert _slugs(search(index, "Ben")) == ["sso-setup"]
    index.close()


@pytest.mark.parametrize(
    "query", ['"okta', "okta*", "NEAR(okta)", "okta -", "text:okta", "okta AND ^"]
)
def test_query_syntax_characters_are_searched_as_words(kb, query):
    hits = _find(kb, query)

    assert _slugs(hits) == ["office-hours", "sso-setup"]
    assert fts_query(query) in ('"okta"', '"near" OR "okta"', '"text" OR "okta"')


def test_an_empty_query_finds_nothing(kb):
    assert _find(kb, "  ...  ") == []


def test_words_in_half_the_passages_or_more_are_left_out_of_the_query(kb):
    store, index = kb
    with store.session() as session:
        index.sync(session)

    # 4 passages: "okta" is in 2 of them, so BM25 gives it no weight.
    pruned = index.match("okta pricing")
    alone = index.match("okta"), index.match("kubernetes okta")
    scores = [h.score for h in search(index, "okta pricing")]

    assert index.count() == 4
    assert pruned == '"pricing"'
    assert alone == ('"okta"', '"okta"')
    assert scores == [h.score for h in search(index, "pricing")]
