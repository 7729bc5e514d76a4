"""Measuring the knowledge base on meetings with human annotations (QMSum/AMI).

A QMSum meeting file holds speaker turns, the turn spans of its topics, and
questions people wrote with the turn spans that answer them. Retrieval is
measured per question: a passage is relevant when it belongs to the
question's meeting and its turns overlap an answer span.

- recall@5: the share of questions with a relevant passage among the first
  five results (one relevant passage is enough to find the answer);
- MRR: the mean of 1 / rank of the first relevant passage (0 when none is in
  the first 50).

Sections are measured with Pk (Beeferman et al., 1999, nltk's
implementation) at turn level against the topic spans, the window being half
the mean human section length.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steward.knowledge.search import Hit
from steward.knowledge.segment import DEFAULT, Tiling


@dataclass(frozen=True)
class Question:
    meeting: str
    text: str
    spans: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Retrieval:
    questions: int
    recall_at_5: float
    mrr: float


def questions(path: Path) -> list[Question]:
    """The specific questions of a QMSum file and their answer spans (turns)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        Question(
            path.stem,
            item["query"],
            tuple((int(a), int(b)) for a, b in item["relevant_text_span"]),
        )
        for item in data["specific_query_list"]
    ]


def topic_starts(path: Path) -> tuple[int, list[int]]:
    """The number of turns, and the turns where a human topic starts (not 0)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    starts = sorted(int(t["relevant_text_span"][0][0]) for t in data["topic_list"])
    return len(data["meeting_transcripts"]), [s for s in starts if s > 0]


def is_relevant(hit: Hit, question: Question, slug_of: dict[str, str]) -> bool:
    """The hit is in the question's meeting and overlaps an answer span.

    Passages of a turn list carry turn numbers from 1; QMSum spans count
    turns from 0.
    """
    if hit.slug != slug_of[question.meeting] or hit.first_line is None:
        return False
    first, last = hit.first_line - 1, (hit.last_line or hit.first_line) - 1
    return any(first <= b and a <= last for a, b in question.spans)


def retrieval(
    ranked: list[list[Hit]], asked: list[Question], slug_of: dict[str, str]
) -> Retrieval:
    found_in_5 = 0
    reciprocal = 0.0
    for hits, question in zip(ranked, asked, strict=True):
        ranks = [
            rank
            for rank, hit in enumerate(hits, start=1)
            if is_relevant(hit, question, slug_of)
        ]
        if ranks and ranks[0] <= 5:
            found_in_5 += 1
        reciprocal += 1 / ranks[0] if ranks else 0.0
    n = len(asked)
    return Retrieval(n, found_in_5 / n, reciprocal / n)


def pk_score(turns: int, reference: list[int], hypothesis: list[int]) -> float:
    """Pk of a hypothesis' section starts against the reference's (turn level)."""
    from nltk.metrics.segmentation import pk

    def marks(starts: list[int]) -> str:
        chars = ["0"] * turns
        for start in starts:
            chars[start - 1] = "1"
        return "".join(chars)

    window = max(2, round(turns / (2 * (len(reference) + 1))))
    return float(pk(marks(reference), marks(hypothesis), k=window))


@dataclass(frozen=True)
class Quality:
    """Retrieval (BM25 alone, and the hybrid when measured) and Pk per meeting,
    beside the Pk of the trivial answer, one section for the whole meeting."""

    bm25: Retrieval
    hybrid: Retrieval | None
    pk: dict[str, float]
    pk_no_boundaries: dict[str, float]
    by_meeting: dict[str, tuple[Retrieval, Retrieval | None]]


def section_starts(body: dict[str, Any]) -> list[int]:
    """The turn (from 0) where each section after the first starts."""
    starts = []
    for section in body["sections"][1:]:
        first = section["paragraphs"][0]["turns"][0]["lines"][0]
        starts.append(int(first) - 1)
    return starts


def measure_meetings(
    paths: list[Path],
    folder: Path,
    *,
    semantic: bool = False,
    tiling: Tiling = DEFAULT,
) -> Quality:
    """Import QMSum meeting files into a new store in ``folder``, as
    ``steward kb import`` does, and measure search and sections on them."""
    from steward.knowledge.documents import import_transcript, version_body
    from steward.knowledge.index import KnowledgeIndex
    from steward.knowledge.readers import read_transcript
    from steward.knowledge.search import search
    from steward.store.db import Store

    store = Store(f"sqlite:///{folder / 'steward.db'}")
    store.upgrade()
    slug_of: dict[str, str] = {}
    pk: dict[str, float] = {}
    none: dict[str, float] = {}
    with store.session() as session:
        for path in paths:
            raw = path.read_bytes()
            result = import_transcript(
                session, read_transcript(path), raw, tiling=tiling
            )
            slug_of[path.stem] = result.document.slug
            body = version_body(session, result.document, 1)
            turns, reference = topic_starts(path)
            pk[path.stem] = pk_score(turns, reference, section_starts(body))
            none[path.stem] = pk_score(turns, reference, [])
    index = KnowledgeIndex(folder / "index.sqlite")
    with store.session() as session:
        index.sync(session)
    store.dispose()

    asked = [q for path in paths for q in questions(path)]
    plain = [search(index, q.text, limit=50) for q in asked]
    fused: list[list[Hit]] = []
    if semantic:
        fused = [search(index, q.text, limit=50, semantic=True) for q in asked]
    index.close()

    def measured(meeting: str | None, ranked: list[list[Hit]]) -> Retrieval:
        pairs = [(r, q) for r, q in zip(ranked, asked, strict=True)]
        pairs = [(r, q) for r, q in pairs if meeting in (None, q.meeting)]
        return retrieval([r for r, _ in pairs], [q for _, q in pairs], slug_of)

    by_meeting = {
        m: (measured(m, plain), measured(m, fused) if semantic else None)
        for m in slug_of
    }
    hybrid = measured(None, fused) if semantic else None
    return Quality(measured(None, plain), hybrid, pk, none, by_meeting)
