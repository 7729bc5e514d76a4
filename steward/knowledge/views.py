"""A document ready to show: sections in reading order, times, flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from steward.errors import DocumentNotFound
from steward.knowledge.documents import version_body
from steward.knowledge.glossary import TermFlag
from steward.knowledge.render import expand
from steward.knowledge.reuse import check_glossary, snippet_texts
from steward.store.knowledge import KbDocument


@dataclass
class DocumentView:
    document: KbDocument
    version: int
    sections: list[dict[str, Any]]
    flags: list[TermFlag] = field(default_factory=list)

    @property
    def speakers(self) -> list[str]:
        seen: dict[str, None] = {}
        for section in self.sections:
            for paragraph in section["paragraphs"]:
                for turn in paragraph["turns"]:
                    if turn.get("speaker"):
                        seen.setdefault(turn["speaker"], None)
        return list(seen)


def document_view(
    session: Session, document: KbDocument, *, published: bool = False
) -> DocumentView:
    """The current version (staff) or the published one (customers).

    Staff views carry the glossary's flags; the published view carries none.
    """
    number = document.published_version if published else document.current_version
    if number is None:
        raise DocumentNotFound(f"{document.slug!r} has not been published")
    body = version_body(session, document, number)
    template = document.template
    around = (template.before, template.after) if template else ([], [])
    sections = expand(body, snippet_texts(session), *around)
    flags = [] if published else check_glossary(session, sections)
    return DocumentView(document, number, sections, flags)
