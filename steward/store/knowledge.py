"""Tables of the knowledge base: documents, versions, review, reuse, portal links.

Kept apart from :mod:`steward.store.models` so the knowledge base's migration
branch (``0004``) owns exactly these tables. A document's content is one JSON
body per version (sections, paragraphs, turns, steps; see
``steward.knowledge.structure``); the search index is derived from it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from steward.store.models import Account, Base, LinkUseColumns, utcnow

KB_STATUSES = ("draft", "in_review", "published")


class KbTemplate(Base):
    """Snippets shown before and after the body of every document that uses it."""

    __tablename__ = "kb_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    before: Mapped[list[str]] = mapped_column(JSON, default=list)
    after: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(320))


class KbDocument(Base):
    """A document made from one recording; ``revision`` grows with every change
    that search must see (a version, a status, an included snippet's text)."""

    __tablename__ = "kb_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id"), index=True
    )
    segment: Mapped[str | None] = mapped_column(String(100))
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    recorded_on: Mapped[dt.date | None] = mapped_column(Date)
    media_url: Mapped[str | None] = mapped_column(String(1000))
    source_name: Mapped[str] = mapped_column(String(300))
    source_format: Mapped[str] = mapped_column(String(20))
    source_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("kb_templates.id"))
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    published_version: Mapped[int | None] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column()

    account: Mapped[Account | None] = relationship()
    template: Mapped[KbTemplate | None] = relationship()


class KbVersion(Base):
    """The body of a document as of one change, with who made it and why."""

    __tablename__ = "kb_versions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("kb_documents.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class KbSource(Base):
    """The transcript as imported (decoded text) and what the reader repaired."""

    __tablename__ = "kb_sources"

    document_id: Mapped[int] = mapped_column(
        ForeignKey("kb_documents.id"), primary_key=True
    )
    text: Mapped[str] = mapped_column(Text)
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)


class KbComment(Base):
    """A reviewer's comment on a version, optionally about one section."""

    __tablename__ = "kb_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("kb_documents.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    section: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class KbSnippet(Base):
    """Reusable wording that documents and templates include by slug."""

    __tablename__ = "kb_snippets"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(320))


class KbGlossaryTerm(Base):
    """The preferred form of a term and the variants the glossary check flags."""

    __tablename__ = "kb_glossary"

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(String(200), unique=True)
    variants: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(String(500), default="")


class KbPortalLink(Base):
    """A customer's link to the onboarding portal: published documents of one
    segment (or of every segment), stored as a SHA-256 of its secret."""

    __tablename__ = "kb_portal_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200))
    segment: Mapped[str | None] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column()
    last_used_at: Mapped[dt.datetime | None] = mapped_column()


class KbPortalLinkUse(LinkUseColumns, Base):
    """One request made with a portal link: a page, a search, or a refusal."""

    __tablename__ = "kb_portal_link_uses"

    link_id: Mapped[int] = mapped_column(ForeignKey("kb_portal_links.id"), index=True)
