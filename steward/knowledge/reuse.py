"""Snippets, templates and the glossary: wording shared by many documents."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.audit import record
from steward.errors import InputInvalid, SnippetNotFound, TemplateNotFound
from steward.knowledge.access import actor, check_publish, check_write
from steward.knowledge.checks import check_plain
from steward.knowledge.documents import touch
from steward.knowledge.glossary import GlossaryTerm, TermFlag, check_terms
from steward.knowledge.render import SnippetText, section_text, snippet_slugs
from steward.store.knowledge import (
    KbDocument,
    KbGlossaryTerm,
    KbSnippet,
    KbTemplate,
    KbVersion,
)
from steward.store.models import User, utcnow

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,119}$")


def save_snippet(
    session: Session, slug: str, title: str, body: str, user: User | None
) -> KbSnippet:
    """Create or change a snippet; every document that includes it changes too.

    Published documents show the new wording at once, so changing a snippet
    takes a manager or an admin, like publishing.
    """
    check_publish(user, f"change the snippet {slug!r}")
    _check_slug(slug)
    check_plain(title, "title")
    check_plain(body, "body")
    if not body.strip():
        raise InputInvalid("a snippet needs some text", field="body")
    snippet = session.scalar(select(KbSnippet).where(KbSnippet.slug == slug))
    if snippet is None:
        snippet = KbSnippet(slug=slug, title=title or slug, body=body, updated_by="")
        session.add(snippet)
    else:
        snippet.revision += 1
    snippet.title, snippet.body = title or snippet.title, body.strip()
    snippet.updated_by, snippet.updated_at = actor(user), utcnow()
    session.flush()
    for document in documents_including(session, slug):
        touch(document)
    record(session, actor(user), "kb.snippet_saved", "kb_snippet", snippet.id)
    return snippet


def get_snippet(session: Session, slug: str) -> KbSnippet:
    check_plain(slug, "snippet")
    snippet = session.scalar(select(KbSnippet).where(KbSnippet.slug == slug))
    if snippet is None:
        raise SnippetNotFound(f"no snippet {slug!r}; `steward kb snippets` lists them")
    return snippet


def snippet_texts(session: Session) -> dict[str, SnippetText]:
    return {
        s.slug: SnippetText(s.slug, s.title, s.body)
        for s in session.scalars(select(KbSnippet))
    }


def list_snippets(session: Session) -> list[KbSnippet]:
    return list(session.scalars(select(KbSnippet).order_by(KbSnippet.slug)))


def save_template(
    session: Session,
    slug: str,
    title: str,
    before: Sequence[str],
    after: Sequence[str],
    user: User | None,
) -> KbTemplate:
    """Create or change a template: snippets around every document using it."""
    check_publish(user, f"change the template {slug!r}")
    _check_slug(slug)
    check_plain(title, "title")
    for snippet in [*before, *after]:
        get_snippet(session, snippet)
    template = session.scalar(select(KbTemplate).where(KbTemplate.slug == slug))
    if template is None:
        template = KbTemplate(slug=slug, title=title or slug, updated_by="")
        session.add(template)
    template.title = title or template.title
    template.before, template.after = list(before), list(after)
    template.updated_by, template.updated_at = actor(user), utcnow()
    session.flush()
    for document in session.scalars(
        select(KbDocument).where(KbDocument.template_id == template.id)
    ):
        touch(document)
    return template


def get_template(session: Session, slug: str) -> KbTemplate:
    check_plain(slug, "template")
    template = session.scalar(select(KbTemplate).where(KbTemplate.slug == slug))
    if template is None:
        raise TemplateNotFound(
            f"no template {slug!r}; create it with `steward kb template`"
        )
    return template


def documents_including(session: Session, slug: str) -> list[KbDocument]:
    """Documents whose current or published version, or template, includes ``slug``."""
    found: dict[int, KbDocument] = {}
    for document in session.scalars(select(KbDocument)):
        template = document.template
        if template and slug in [*template.before, *template.after]:
            found[document.id] = document
    rows = session.execute(
        select(KbDocument, KbVersion.body)
        .join(KbVersion, KbVersion.document_id == KbDocument.id)
        .where(
            (KbVersion.number == KbDocument.current_version)
            | (KbVersion.number == KbDocument.published_version)
        )
    )
    for document, body in rows:
        if slug in snippet_slugs(body):
            found[document.id] = document
    return list(found.values())


def add_term(
    session: Session, term: str, variants: Sequence[str], note: str, user: User | None
) -> KbGlossaryTerm:
    """Add a glossary term, or replace the variants of one already there."""
    check_write(user, "change the glossary")
    term = " ".join(term.split())
    for text in (term, note, *variants):
        check_plain(text, "term")
    if not term:
        raise InputInvalid(
            "give the term as the glossary should spell it", field="term"
        )
    entry = session.scalar(select(KbGlossaryTerm).where(KbGlossaryTerm.term == term))
    if entry is None:
        entry = KbGlossaryTerm(term=term)
        session.add(entry)
    entry.variants = [" ".join(v.split()) for v in variants if v.strip()]
    entry.note = note
    session.flush()
    return entry


def glossary(session: Session) -> list[KbGlossaryTerm]:
    return list(session.scalars(select(KbGlossaryTerm).order_by(KbGlossaryTerm.term)))


def check_glossary(session: Session, sections: list[dict]) -> list[TermFlag]:
    """Flags for the terms of the glossary in a document's sections."""
    terms = [GlossaryTerm(t.term, tuple(t.variants)) for t in glossary(session)]
    return check_terms([section_text(s) for s in sections], terms)


def _check_slug(slug: str) -> None:
    if not _SLUG.match(slug):
        raise InputInvalid(
            f"{slug!r} is not a usable name: use lower-case letters, digits and "
            "hyphens, e.g. 'sso-prerequisites'",
            field="slug",
        )
