"""What a search asks and answers, and the search itself: BM25, then optionally
a semantic re-ranking of the best passages."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from steward.knowledge.index import KnowledgeIndex

# "step 3 of the SSO setup": the step number becomes a filter, the rest the query.
_STEP_IN_QUERY = re.compile(r"\bstep\s+(\d{1,3})\b(?:\s+(?:of|in|for)\b)?", re.I)
CANDIDATES = 50


@dataclass(frozen=True)
class Filters:
    """Narrow a search. ``segment`` also keeps documents meant for every segment."""

    topic: str | None = None
    step: int | None = None
    segment: str | None = None
    speaker: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    status: str | None = None
    document: str | None = None
    published_only: bool = False


NO_FILTERS = Filters()


@dataclass(frozen=True)
class Hit:
    """A passage found: where it is, where it starts in the recording, its words."""

    passage: int
    slug: str
    title: str
    status: str
    media_url: str | None
    section: int
    section_title: str
    paragraph: int
    start: float | None
    text: str
    first_line: int | None
    last_line: int | None
    score: float = 0.0

    @property
    def anchor(self) -> str:
        return f"t={int(self.start)}" if self.start is not None else f"p-{self.passage}"

    def link(self, base: str = "/kb") -> str:
        """The moment in the recording, or the passage in the document page."""
        if self.media_url and self.start is not None:
            return f"{self.media_url}#t={int(self.start)}"
        return f"{base}/{self.slug}#{self.anchor}"


def split_step(query: str, filters: Filters) -> tuple[str, Filters]:
    """Read "step 3 of ..." in a query as the step filter (unless one is given)."""
    match = _STEP_IN_QUERY.search(query)
    if match is None or filters.step is not None:
        return query, filters
    rest = (query[: match.start()] + " " + query[match.end() :]).strip()
    return rest or query, replace(filters, step=int(match[1]))


def search(
    index: KnowledgeIndex,
    query: str,
    filters: Filters = NO_FILTERS,
    *,
    limit: int = 10,
    semantic: bool = False,
) -> list[Hit]:
    """The best passages for ``query``; with ``semantic``, BM25's best
    ``CANDIDATES`` re-ranked with the sentence model (see ``semantic``)."""
    query, filters = split_step(query, filters)
    if not semantic:
        return index.search(query, filters, limit)
    from steward.knowledge.semantic import rerank

    candidates = index.search(query, filters, max(CANDIDATES, limit))
    return rerank(index, query, candidates)[:limit]


def format_time(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
