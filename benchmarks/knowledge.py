"""Knowledge-base search latency at 10,000 sections, and retrieval quality.

    .venv/bin/python -m benchmarks.knowledge [--sections N] [--repeat R]
                                             [--no-semantic]

Latency: a store of N sections (default 10,000) is built from the readable
paragraphs of the real calls in ../shared/data/transcripts (the earnings call
and the two AMI meetings), three paragraphs a section, ten sections a
document, with segments, topics, speakers and dates; its index is built as
``steward kb reindex`` does. Each query (the meetings' 12 questions and 8
short ones a CSM might type) then runs R times. The baseline, measured in the
same run on the same index file, is a bare FTS5 ``MATCH ... ORDER BY rank
LIMIT 10`` of the same words: what SQLite itself costs. A second bare MATCH
takes only the words search keeps (those in fewer than half the passages,
see ``KnowledgeIndex.match``). Wall-clock times; the
machine may be shared, so compare the ratios more than the milliseconds.

Quality: the two meetings imported as ``steward kb import`` does; recall@5
and MRR for BM25 and for the hybrid over the 12 questions (per meeting too),
Pk of the sections against the human topic boundaries, and, for the
TextTiling parameters, Pk of the best settings tuned on one meeting and
checked on the other.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from steward.knowledge.evaluate import measure_meetings, pk_score, topic_starts
from steward.knowledge.index import KnowledgeIndex, fts_query
from steward.knowledge.readers import read_transcript
from steward.knowledge.render import paragraph_text
from steward.knowledge.search import Filters, search
from steward.knowledge.segment import Tiling, topic_boundaries
from steward.knowledge.structure import structure, utterances
from steward.store.db import Store
from steward.store.knowledge import KbDocument, KbVersion

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
DATA = Path(os.environ.get("STEWARD_SHARED_DATA", SHARED)) / "transcripts"
MEETINGS = ("ES2004a", "ES2004b")
CALL = "earnings_calls/earnings22_4484146.vtt"
SHORT_QUERIES = (
    "how do we run the renewal conversation",
    "step 3 of the SSO setup",
    "cloud revenue growth",
    "remote control buttons",
    "battery",
    "what did marketing say about the price",
    "life sciences clients",
    "design of the user interface",
)
SEGMENTS = ("enterprise", "mid-market", "smb", None)
TOPICS = ("onboarding", "renewal", "sso", "billing", "training", "reporting")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--no-semantic", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if not DATA.is_dir():
        sys.exit(f"the shared data folder {DATA} is missing; it holds the calls")

    with tempfile.TemporaryDirectory() as folder:
        latency(Path(folder), args.sections, args.repeat, not args.no_semantic)
    with tempfile.TemporaryDirectory() as folder:
        quality(Path(folder), not args.no_semantic)
    tuning()


# -- latency ----------------------------------------------------------------


def latency(folder: Path, sections: int, repeat: int, semantic: bool) -> None:
    store = Store(f"sqlite:///{folder / 'steward.db'}")
    store.upgrade()
    started = time.perf_counter()
    documents = build_corpus(store, sections)
    built = time.perf_counter() - started
    index = KnowledgeIndex(folder / "index.sqlite")
    started = time.perf_counter()
    with store.session() as session:
        index.sync(session)
    indexed = time.perf_counter() - started
    print(
        f"Corpus: {sections:,} sections in {documents:,} documents, "
        f"{index.count():,} passages; stored in {built:.1f} s, "
        f"indexed in {indexed:.1f} s.",
        file=sys.stderr,
    )

    questions = [q["query"] for m in MEETINGS for q in _qmsum(m)["specific_query_list"]]
    queries = [*questions, *SHORT_QUERIES]
    raw = sqlite3.connect(folder / "index.sqlite")
    filtered = Filters(segment="enterprise", topic="renewal")
    kept = KnowledgeIndex(folder / "index.sqlite")
    rows: list[tuple[str, list[float]]] = [
        ("bare FTS5 MATCH, all words (baseline)", _times(repeat, queries, _bare(raw))),
        (
            "bare FTS5 MATCH, the words search keeps",
            _times(repeat, queries, _bare(raw, kept.match)),
        ),
        ("search, BM25", _times(repeat, queries, lambda q: search(index, q))),
        (
            "search, BM25, segment + topic filters",
            _times(repeat, queries, lambda q: search(index, q, filtered)),
        ),
        ("index sync check + search", _times(repeat, queries, _synced(store, index))),
    ]
    if semantic:
        from steward.knowledge.semantic import model

        started = time.perf_counter()
        model()
        loaded = time.perf_counter() - started
        print(f"Sentence model loaded in {loaded:.1f} s.", file=sys.stderr)
        # The first pass embeds each query's 50 candidates and caches them.
        cold = _times(1, queries, lambda q: search(index, q, semantic=True))
        warm = _times(repeat, queries, lambda q: search(index, q, semantic=True))
        rows += [("hybrid, first time (embeds passages)", cold)]
        rows += [("hybrid, passages cached", warm)]
    raw.close()
    kept.close()
    index.close()
    store.dispose()

    base = statistics.median(rows[0][1])
    print(f"\n### Search latency, {sections:,} sections ({len(queries)} queries)\n")
    print("| what | runs | p50 ms | p95 ms | p50 / baseline |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, times in rows:
        p50, p95 = statistics.median(times), _p95(times)
        print(f"| {name} | {len(times)} | {p50:.2f} | {p95:.2f} | {p50 / base:.1f}x |")


def build_corpus(store: Store, sections: int) -> int:
    """Documents of ten sections of three real paragraphs each; returns how many."""
    pool = _paragraphs()
    rng = random.Random(4484146)
    count = -(-sections // 10)
    with store.session() as session:
        for number in range(count):
            wanted = min(10, sections - number * 10)
            body = {"sections": [_section(rng, pool, s) for s in range(wanted)]}
            document = KbDocument(
                slug=f"call-{number}",
                title=f"Call {number}",
                status=rng.choice(("draft", "in_review", "published")),
                segment=rng.choice(SEGMENTS),
                topics=[rng.choice(TOPICS)],
                recorded_on=dt.date(2024, 1, 1) + dt.timedelta(days=number % 365),
                source_name=f"call-{number}.vtt",
                source_format="webvtt",
                source_sha256=f"{number:064d}",
                created_by="benchmark",
            )
            session.add(document)
            session.flush()
            session.add(
                KbVersion(
                    document_id=document.id,
                    number=1,
                    body=body,
                    note="imported",
                    created_by="benchmark",
                )
            )
            if document.status == "published":
                document.published_version = 1
    return count


def _paragraphs() -> list[dict]:
    """The readable paragraphs of the real calls, with speakers and times."""
    found = []
    for path in (DATA / CALL, *(DATA / f"meetings/{m}.json" for m in MEETINGS)):
        body = structure(read_transcript(path))
        for section in body["sections"]:
            found += [p for p in section["paragraphs"] if paragraph_text(p)]
    return found


def _section(rng: random.Random, pool: list[dict], number: int) -> dict:
    paragraphs = rng.sample(pool, 3)
    steps = [] if number % 4 else [1, 2, 3]
    return {
        "title": " ".join(paragraph_text(paragraphs[0]).split()[:4]),
        "topics": rng.sample(TOPICS, 2),
        "steps": [],
        "paragraphs": [{**paragraphs[0], "steps": steps}, *paragraphs[1:]],
    }


def _bare(
    db: sqlite3.Connection, words: Callable[[str], str] = fts_query
) -> Callable[[str], object]:
    """FTS5 alone: the best ten rows for the query's words, nothing joined."""

    def run(query: str) -> object:
        sql = (
            "SELECT rowid FROM passages_fts WHERE passages_fts MATCH ? "
            "ORDER BY rank LIMIT 10"
        )
        return db.execute(sql, [words(query)]).fetchall()

    return run


def _synced(store: Store, index: KnowledgeIndex) -> Callable[[str], object]:
    def run(query: str) -> object:
        with store.session() as session:
            index.sync(session)
        return search(index, query)

    return run


def _times(repeat: int, queries: list[str], run: Callable[[str], object]) -> list:
    times = []
    for _ in range(repeat):
        for query in queries:
            started = time.perf_counter()
            run(query)
            times.append((time.perf_counter() - started) * 1000)
    return times


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


# -- quality -----------------------------------------------------------------


def quality(folder: Path, semantic: bool) -> None:
    paths = [DATA / f"meetings/{m}.json" for m in MEETINGS]
    measured = measure_meetings(paths, folder, semantic=semantic)
    print("\n### Retrieval on the AMI meetings (12 questions people wrote)\n")
    print("| questions | method | recall@5 | MRR |")
    print("| --- | --- | ---: | ---: |")
    groups = [("both meetings", (measured.bm25, measured.hybrid))]
    groups += list(measured.by_meeting.items())
    for name, (bm25, hybrid) in groups:
        print(
            f"| {name} ({bm25.questions}) | BM25 | {bm25.recall_at_5:.3f} | "
            f"{bm25.mrr:.3f} |"
        )
        if hybrid is not None:
            print(
                f"| {name} ({hybrid.questions}) | hybrid | "
                f"{hybrid.recall_at_5:.3f} | {hybrid.mrr:.3f} |"
            )
    print("\n### Sections against the human topic boundaries (Pk, lower is better)\n")
    print("| meeting | Pk, default TextTiling | Pk, no boundaries |")
    print("| --- | ---: | ---: |")
    for meeting in MEETINGS:
        print(
            f"| {meeting} | {measured.pk[meeting]:.3f} | "
            f"{measured.pk_no_boundaries[meeting]:.3f} |"
        )


def tuning() -> None:
    """TextTiling tuned on one meeting (a grid), checked on the other."""
    meetings = {}
    for meeting in MEETINGS:
        path = DATA / f"meetings/{meeting}.json"
        units = [u.text for u in utterances(read_transcript(path))]
        meetings[meeting] = (units, *topic_starts(path))
    grid = [
        Tiling(w, k, smoothing, min_words, cutoff)
        for w, k, smoothing, min_words, cutoff in itertools.product(
            (10, 20, 30), (2, 4, 8), (0, 2), (0, 300, 600, 1200), (-0.5, 0.0, 1.0)
        )
    ]

    def pk(meeting: str, tiling: Tiling) -> float:
        units, turns, reference = meetings[meeting]
        return pk_score(turns, reference, topic_boundaries(units, tiling))

    scores = {t: {m: pk(m, t) for m in MEETINGS} for t in grid}
    print(
        f"\n### TextTiling tuned on one meeting, checked on the other "
        f"({len(grid)} settings)\n"
    )
    print(
        "| tuned on | best Pk there | settings as good there | their Pk on the "
        "other | default's Pk there | default's Pk on the other |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for tuned, other in (MEETINGS, MEETINGS[::-1]):
        best = min(scores[t][tuned] for t in grid)
        # Choosing among equally good settings by the other meeting would be
        # tuning on it too, so show the range over all of them.
        tied = [scores[t][other] for t in grid if scores[t][tuned] - best < 1e-9]
        print(
            f"| {tuned} | {best:.3f} | {len(tied)} | "
            f"{min(tied):.3f} to {max(tied):.3f} | {pk(tuned, Tiling()):.3f} | "
            f"{pk(other, Tiling()):.3f} |"
        )


def _qmsum(meeting: str) -> dict:
    return json.loads((DATA / f"meetings/{meeting}.json").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
