"""A document as people read it: template and snippets put in place.

A body's ``sections`` hold sections made from the recording and includes
(``{"snippet": "slug"}``); a template adds snippets before and after. Includes
are resolved when the document is read or indexed, never copied, so a change
to a snippet shows in every document at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SnippetText:
    slug: str
    title: str
    body: str


def expand(
    body: dict[str, Any],
    snippets: dict[str, SnippetText],
    before: Sequence[str] = (),
    after: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """The sections in reading order, each with ``kind`` "recording" or "snippet"."""
    included = [{"snippet": slug} for slug in before]
    included += body.get("sections", [])
    included += [{"snippet": slug} for slug in after]
    sections = []
    for section in included:
        if "snippet" in section:
            sections.append(_snippet_section(section["snippet"], snippets))
        else:
            sections.append({"kind": "recording", **section})
    return sections


def snippet_slugs(body: dict[str, Any]) -> list[str]:
    return [s["snippet"] for s in body.get("sections", []) if "snippet" in s]


def section_text(section: dict[str, Any]) -> str:
    """The readable words of a section, paragraphs on their own lines."""
    return "\n".join(paragraph_text(p) for p in section.get("paragraphs", []))


def paragraph_text(paragraph: dict[str, Any]) -> str:
    return " ".join(turn["text"] for turn in paragraph["turns"] if turn["text"])


def _snippet_section(slug: str, snippets: dict[str, SnippetText]) -> dict[str, Any]:
    snippet = snippets.get(slug)
    if snippet is None:
        # Shown rather than dropped, so a reviewer sees the broken include.
        text, title = f"(The snippet {slug!r} no longer exists.)", slug
    else:
        text, title = snippet.body, snippet.title
    paragraphs = [
        {
            "start": None,
            "end": None,
            "steps": [],
            "turns": [{"speaker": None, "start": None, "text": part.strip()}],
        }
        for part in text.split("\n\n")
        if part.strip()
    ]
    return {
        "kind": "snippet",
        "snippet": slug,
        "title": title,
        "topics": [],
        "steps": [],
        "paragraphs": paragraphs,
    }
