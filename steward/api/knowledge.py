"""``/api/v1/kb``: import transcripts, search passages, read and review documents."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from steward.knowledge import review as flow
from steward.knowledge.documents import (
    ImportOptions,
    get_document,
    import_transcript,
    list_documents,
)
from steward.knowledge.index import KnowledgeIndex
from steward.knowledge.readers import parse_transcript
from steward.knowledge.search import Filters, Hit, search
from steward.knowledge.views import document_view
from steward.store.knowledge import KbDocument
from steward.web.deps import DB, ApiUser, workspace

router = APIRouter(prefix="/kb", tags=["knowledge base"])


class TranscriptIn(BaseModel):
    filename: str = Field(max_length=300, description="Its suffix picks the reader.")
    content: str = Field(max_length=20_000_000, description="The transcript's text.")
    title: str | None = Field(default=None, max_length=300)
    account: str | None = Field(default=None, description="An account's external id.")
    segment: str | None = Field(default=None, max_length=100)
    topics: list[str] = Field(default_factory=list)
    recorded_on: dt.date | None = None
    media_url: str | None = Field(default=None, max_length=1000)


class DocumentOut(BaseModel):
    slug: str
    title: str
    status: str
    current_version: int
    published_version: int | None
    segment: str | None
    recorded_on: dt.date | None
    media_url: str | None


class DocumentBody(DocumentOut):
    version: int
    speakers: list[str]
    sections: list[dict[str, Any]]
    glossary_flags: list[str]


class ImportOut(BaseModel):
    document: DocumentOut
    created: bool
    notes: list[str]


class HitOut(BaseModel):
    document: str
    title: str
    status: str
    section: int = Field(description="The section's number, from 1.")
    section_title: str
    start: float | None = Field(description="Seconds from the recording's start.")
    link: str
    text: str
    score: float


class CommentIn(BaseModel):
    body: str = Field(min_length=1, max_length=5000)
    section: int | None = None


class CommentOut(BaseModel):
    id: int
    version: int
    section: int | None
    body: str
    author: str
    created_at: dt.datetime


@router.post("/documents", response_model=ImportOut, status_code=201)
def post_document(session: DB, user: ApiUser, body: TranscriptIn) -> ImportOut:
    """Import a transcript as a draft; the same content twice is one document."""
    raw = body.content.encode("utf-8")
    transcript = parse_transcript(raw, body.filename)
    options = ImportOptions(
        title=body.title,
        account=body.account,
        segment=body.segment,
        topics=body.topics,
        recorded_on=body.recorded_on,
        media_url=body.media_url,
    )
    result = import_transcript(session, transcript, raw, options, user=user)
    return ImportOut(
        document=_out(result.document), created=result.created, notes=result.notes
    )


@router.get("/documents", response_model=list[DocumentOut])
def get_documents(session: DB, user: ApiUser, status: str | None = None) -> list:
    return [_out(d) for d in list_documents(session, status)]


@router.get("/documents/{slug}", response_model=DocumentBody)
def get_one(session: DB, user: ApiUser, slug: str, published: bool = False) -> Any:
    """The document's current version (or the published one) with its sections."""
    view = document_view(session, get_document(session, slug), published=published)
    return DocumentBody(
        **_out(view.document).model_dump(),
        version=view.version,
        speakers=view.speakers,
        sections=view.sections,
        glossary_flags=[flag.message() for flag in view.flags],
    )


@router.get("/search", response_model=list[HitOut])
def get_search(
    request: Request,
    session: DB,
    user: ApiUser,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    topic: str | None = None,
    step: Annotated[int | None, Query(ge=1, le=999)] = None,
    segment: str | None = None,
    speaker: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    semantic: bool = False,
) -> list[HitOut]:
    """Passages best first (BM25; ``semantic`` re-ranks with the sentence model)."""
    index = KnowledgeIndex.in_folder(workspace(request).settings.home)
    index.sync(session)
    filters = Filters(topic, step, segment, speaker, since, until, status)
    hits = search(index, q, filters, limit=limit, semantic=semantic)
    return [_hit(hit) for hit in hits]


@router.post("/documents/{slug}/review", response_model=DocumentOut)
def post_review(session: DB, user: ApiUser, slug: str) -> DocumentOut:
    document = get_document(session, slug)
    flow.send_for_review(session, document, user)
    return _out(document)


@router.post("/documents/{slug}/publish", response_model=DocumentOut)
def post_publish(session: DB, user: ApiUser, slug: str) -> DocumentOut:
    document = get_document(session, slug)
    flow.publish(session, document, user)
    return _out(document)


@router.post("/documents/{slug}/changes", response_model=CommentOut, status_code=201)
def post_changes(session: DB, user: ApiUser, slug: str, body: CommentIn) -> Any:
    """Send a document in review back to draft with a comment."""
    comment = flow.request_changes(
        session, get_document(session, slug), body.body, user
    )
    return CommentOut.model_validate(comment, from_attributes=True)


@router.post("/documents/{slug}/comments", response_model=CommentOut, status_code=201)
def post_comment(session: DB, user: ApiUser, slug: str, body: CommentIn) -> Any:
    document = get_document(session, slug)
    comment = flow.add_comment(session, document, body.body, user, body.section)
    return CommentOut.model_validate(comment, from_attributes=True)


@router.get("/documents/{slug}/comments", response_model=list[CommentOut])
def get_comments(session: DB, user: ApiUser, slug: str) -> list:
    document = get_document(session, slug)
    return [
        CommentOut.model_validate(c, from_attributes=True)
        for c in flow.comments(session, document)
    ]


def _out(document: KbDocument) -> DocumentOut:
    return DocumentOut(
        slug=document.slug,
        title=document.title,
        status=document.status,
        current_version=document.current_version,
        published_version=document.published_version,
        segment=document.segment,
        recorded_on=document.recorded_on,
        media_url=document.media_url,
    )


def _hit(hit: Hit) -> HitOut:
    return HitOut(
        document=hit.slug,
        title=hit.title,
        status=hit.status,
        section=hit.section + 1,
        section_title=hit.section_title,
        start=hit.start,
        link=hit.link(),
        text=hit.text,
        score=hit.score,
    )
