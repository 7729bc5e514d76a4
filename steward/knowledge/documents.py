"""Documents in the store: import a transcript, read it, change it by versions."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steward.audit import record
from steward.errors import AccountNotFound, DocumentNotFound, InputInvalid
from steward.knowledge.access import actor, check_write
from steward.knowledge.checks import check_media_url, check_plain
from steward.knowledge.decode import decode
from steward.knowledge.segment import DEFAULT, Tiling
from steward.knowledge.structure import structure
from steward.knowledge.transcript import Transcript
from steward.store.knowledge import KbDocument, KbSource, KbTemplate, KbVersion
from steward.store.models import Account, User, utcnow

_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass
class Imported:
    """The document a transcript became; ``created`` is False on a re-import."""

    document: KbDocument
    created: bool
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImportOptions:
    """What a person may say about a recording when importing it."""

    title: str | None = None
    account: str | None = None
    segment: str | None = None
    topics: Sequence[str] = ()
    recorded_on: dt.date | None = None
    media_url: str | None = None
    template: str | None = None


def import_transcript(
    session: Session,
    transcript: Transcript,
    raw: bytes,
    options: ImportOptions = ImportOptions(),  # noqa: B008 - frozen, never mutated
    *,
    user: User | None = None,
    tiling: Tiling = DEFAULT,
) -> Imported:
    """A draft document from ``transcript``; the same file twice is one document.

    The segment comes from ``options``, else from the account, else from the
    file's metadata (a JSON ``segment`` field).
    """
    check_write(user, "import recordings")
    check_plain(transcript.name, "filename")
    _check_options(options)
    digest = hashlib.sha256(raw).hexdigest()
    existing = session.scalar(
        select(KbDocument).where(KbDocument.source_sha256 == digest)
    )
    if existing is not None:
        return Imported(existing, False, list(transcript.notes))

    account = _account(session, options.account)
    meta = transcript.metadata
    title = options.title or meta.get("title") or _title_from(transcript.name)
    document = KbDocument(
        slug=_free_slug(session, title),
        title=title[:300],
        status="draft",
        account=account,
        segment=options.segment
        or (account.segment if account else None)
        or meta.get("segment"),
        topics=[t.strip().lower() for t in options.topics if t.strip()],
        recorded_on=options.recorded_on or _date(meta.get("recorded_on")),
        media_url=options.media_url or meta.get("media_url"),
        source_name=transcript.name[:300],
        source_format=transcript.format,
        source_sha256=digest,
        template=_template(session, options.template),
        created_by=actor(user),
    )
    session.add(document)
    session.flush()
    session.add(
        KbSource(
            document_id=document.id,
            text=_source_text(transcript, raw),
            notes=list(transcript.notes),
            metadata_=dict(meta),
        )
    )
    body = structure(transcript, tiling)
    _add_version(session, document, body, "imported", actor(user), number=1)
    record(session, actor(user), "kb.imported", "kb_document", document.id)
    return Imported(document, True, list(transcript.notes))


def get_document(session: Session, key: str | int) -> KbDocument:
    """A document by its slug or its id."""
    check_plain(str(key), "document")
    query = select(KbDocument)
    # Ids are 32-bit; longer digit strings can only be slugs.
    if isinstance(key, int) or (str(key).isdigit() and len(str(key)) <= 9):
        query = query.where(KbDocument.id == int(key))
    else:
        query = query.where(KbDocument.slug == str(key))
    document = session.scalar(query)
    if document is None:
        raise DocumentNotFound(
            f"no knowledge-base document {str(key)!r}; `steward kb list` shows them"
        )
    return document


def list_documents(session: Session, status: str | None = None) -> list[KbDocument]:
    query = select(KbDocument).order_by(KbDocument.updated_at.desc(), KbDocument.id)
    if status:
        query = query.where(KbDocument.status == status)
    return list(session.scalars(query))


def version_body(session: Session, document: KbDocument, number: int) -> dict[str, Any]:
    version = session.scalar(
        select(KbVersion).where(
            KbVersion.document_id == document.id, KbVersion.number == number
        )
    )
    if version is None:
        raise DocumentNotFound(f"document {document.slug!r} has no version {number}")
    return version.body


def versions(session: Session, document: KbDocument) -> list[KbVersion]:
    return list(
        session.scalars(
            select(KbVersion)
            .where(KbVersion.document_id == document.id)
            .order_by(KbVersion.number)
        )
    )


def revise(
    session: Session,
    document: KbDocument,
    body: dict[str, Any],
    note: str,
    user: User | None,
) -> KbVersion:
    """A new version of the body; the document goes back to draft.

    What customers see does not change until the new version is published.
    """
    check_write(user, f"edit {document.slug!r}")
    version = _add_version(
        session, document, body, note, actor(user), number=document.current_version + 1
    )
    document.status = "draft"
    return version


def retitle_section(
    session: Session, document: KbDocument, section: int, title: str, user: User | None
) -> KbVersion:
    """Give section ``section`` (from 1) a title of a person's choosing."""
    body = version_body(session, document, document.current_version)
    sections = [dict(s) for s in body.get("sections", [])]
    if not 1 <= section <= len(sections) or "snippet" in sections[section - 1]:
        raise InputInvalid(
            f"section {section} is not a recorded section of {document.slug!r} "
            f"(it has {len(sections)} sections)",
            field="section",
        )
    title = " ".join(title.split())
    check_plain(title, "title")
    if not title or len(title) > 200:
        raise InputInvalid("a section title has 1 to 200 characters", field="title")
    sections[section - 1]["title"] = title
    note = f"section {section} retitled"
    return revise(session, document, {**body, "sections": sections}, note, user)


def include_snippet(
    session: Session, document: KbDocument, slug: str, position: int, user: User | None
) -> KbVersion:
    """Include snippet ``slug`` before section ``position`` (from 1; 0 = at the end)."""
    from steward.knowledge.reuse import get_snippet

    get_snippet(session, slug)
    body = version_body(session, document, document.current_version)
    sections = list(body.get("sections", []))
    at = len(sections) if position <= 0 else min(position - 1, len(sections))
    sections.insert(at, {"snippet": slug})
    note = f"snippet {slug!r} included"
    return revise(session, document, {**body, "sections": sections}, note, user)


def touch(document: KbDocument) -> None:
    """Tell the search index the document changed."""
    document.revision += 1
    document.updated_at = utcnow()


def _add_version(
    session: Session,
    document: KbDocument,
    body: dict[str, Any],
    note: str,
    who: str,
    number: int,
) -> KbVersion:
    version = KbVersion(
        document_id=document.id, number=number, body=body, note=note, created_by=who
    )
    session.add(version)
    document.current_version = number
    touch(document)
    session.flush()
    return version


def _check_options(options: ImportOptions) -> None:
    for name in ("title", "account", "segment"):
        check_plain(getattr(options, name), name)
    for topic in options.topics:
        check_plain(topic, "topics")
    check_media_url(options.media_url)


def _account(session: Session, key: str | None) -> Account | None:
    if key is None:
        return None
    account = session.scalar(select(Account).where(Account.external_id == key))
    if account is None:
        raise AccountNotFound(
            f"no account with external id {key!r}; `steward accounts` lists them"
        )
    return account


def _template(session: Session, slug: str | None) -> KbTemplate | None:
    if slug is None:
        return None
    from steward.knowledge.reuse import get_template

    return get_template(session, slug)


def _free_slug(session: Session, title: str) -> str:
    base = _SLUG.sub("-", title.lower()).strip("-")[:80] or "recording"
    taken = set(
        session.scalars(
            select(KbDocument.slug).where(
                func.substr(KbDocument.slug, 1, len(base)) == base
            )
        )
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _title_from(name: str) -> str:
    stem = Path(name).stem.replace("_", " ").replace("-", " ")
    stem = " ".join(stem.split())
    return stem[:1].upper() + stem[1:] if stem else "Recording"


def _source_text(transcript: Transcript, raw: bytes) -> str:
    """The file as text; a recording keeps the words the speech model heard."""
    if transcript.format == "audio":
        return "\n".join(cue.text for cue in transcript.cues)
    return decode(raw, transcript.name)[0]


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
