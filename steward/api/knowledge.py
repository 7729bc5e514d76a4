"""``/api/v1/kb``: import transcripts, search passages, read and review documents."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field, field_validator

from steward.api.inputs import In
from steward.knowledge import portal, reuse
from steward.knowledge import review as flow
from steward.knowledge.documents import (
    ImportOptions,
    get_document,
    import_transcript,
    include_snippet,
    list_documents,
    retitle_section,
)
from steward.knowledge.index import KnowledgeIndex
from steward.knowledge.readers import parse_transcript
from steward.knowledge.search import Filters, Hit, search
from steward.knowledge.views import document_view
from steward.store.knowledge import KbDocument
from steward.web.deps import DB, ApiUser, workspace

router = APIRouter(prefix="/kb", tags=["knowledge base"])
# A misspelt status is a 422 naming the field, not an empty list.
Status = Literal["draft", "in_review", "published"]
Slug = Annotated[str, Path(max_length=120)]


class TranscriptIn(In):
    filename: str = Field(max_length=300, description="Its suffix picks the reader.")
    content: str = Field(max_length=20_000_000, description="The transcript's text.")
    title: str | None = Field(default=None, max_length=300)
    account: str | None = Field(
        default=None, max_length=200, description="An account's external id."
    )
    segment: str | None = Field(default=None, max_length=100)
    topics: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list, max_length=20
    )
    recorded_on: dt.date | None = None
    media_url: str | None = Field(
        default=None, max_length=1000, description="https://... where it plays."
    )
    template: str | None = Field(default=None, max_length=120)

    @field_validator("content")
    @classmethod
    def _encodable(cls, value: str) -> str:
        # JSON can carry lone surrogates ("\ud800"), which are not text.
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("the content holds characters that are not text") from None
        return value


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
    link: str = Field(description="The moment in the recording (or the passage).")
    page: str = Field(description="The section in the document's page.")
    text: str
    score: float


class CommentIn(In):
    body: str = Field(min_length=1, max_length=5000)
    section: int | None = Field(default=None, ge=1, le=10_000)


class TitleIn(In):
    title: str = Field(min_length=1, max_length=200)


class IncludeIn(In):
    snippet: str = Field(max_length=120)
    before: int = Field(
        default=0, ge=0, le=10_000, description="Before this section; 0: at the end."
    )


class VersionOut(BaseModel):
    document: str
    version: int
    status: str


class CommentOut(BaseModel):
    id: int
    version: int
    section: int | None
    body: str
    author: str
    created_at: dt.datetime


@router.post(
    "/documents",
    response_model=ImportOut,
    status_code=201,
    responses={200: {"description": "already imported", "model": ImportOut}},
)
def post_document(
    session: DB, user: ApiUser, body: TranscriptIn, response: Response
) -> ImportOut:
    """Import a transcript as a draft (201); the same content again answers 200
    with the document it already is."""
    raw = body.content.encode("utf-8")
    transcript = parse_transcript(raw, body.filename)
    options = ImportOptions(
        title=body.title,
        account=body.account,
        segment=body.segment,
        topics=body.topics,
        recorded_on=body.recorded_on,
        media_url=body.media_url,
        template=body.template,
    )
    result = import_transcript(session, transcript, raw, options, user=user)
    if not result.created:
        response.status_code = 200
    return ImportOut(
        document=_out(result.document), created=result.created, notes=result.notes
    )


@router.get("/documents", response_model=list[DocumentOut])
def get_documents(session: DB, user: ApiUser, status: Status | None = None) -> list:
    return [_out(d) for d in list_documents(session, status)]


@router.get("/documents/{slug}", response_model=DocumentBody)
def get_one(session: DB, user: ApiUser, slug: Slug, published: bool = False) -> Any:
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
    topic: Annotated[str | None, Query(max_length=100)] = None,
    step: Annotated[int | None, Query(ge=1, le=999)] = None,
    segment: str | None = None,
    speaker: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    status: Status | None = None,
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
def post_review(session: DB, user: ApiUser, slug: Slug) -> DocumentOut:
    document = get_document(session, slug)
    flow.send_for_review(session, document, user)
    return _out(document)


@router.post("/documents/{slug}/publish", response_model=DocumentOut)
def post_publish(session: DB, user: ApiUser, slug: Slug) -> DocumentOut:
    document = get_document(session, slug)
    flow.publish(session, document, user)
    return _out(document)


@router.post("/documents/{slug}/changes", response_model=CommentOut, status_code=201)
def post_changes(session: DB, user: ApiUser, slug: Slug, body: CommentIn) -> Any:
    """Send a document in review back to draft with a comment."""
    comment = flow.request_changes(
        session, get_document(session, slug), body.body, user
    )
    return CommentOut.model_validate(comment, from_attributes=True)


@router.post("/documents/{slug}/comments", response_model=CommentOut, status_code=201)
def post_comment(session: DB, user: ApiUser, slug: Slug, body: CommentIn) -> Any:
    document = get_document(session, slug)
    comment = flow.add_comment(session, document, body.body, user, body.section)
    return CommentOut.model_validate(comment, from_attributes=True)


@router.get("/documents/{slug}/comments", response_model=list[CommentOut])
def get_comments(session: DB, user: ApiUser, slug: Slug) -> list:
    document = get_document(session, slug)
    return [
        CommentOut.model_validate(c, from_attributes=True)
        for c in flow.comments(session, document)
    ]


@router.post("/documents/{slug}/sections/{number}/title", response_model=VersionOut)
def post_title(
    session: DB,
    user: ApiUser,
    slug: Slug,
    number: Annotated[int, Path(ge=1, le=10_000)],
    body: TitleIn,
) -> VersionOut:
    """Retitle a recorded section: a new version, back to draft."""
    document = get_document(session, slug)
    version = retitle_section(session, document, number, body.title, user)
    return VersionOut(document=slug, version=version.number, status=document.status)


@router.post("/documents/{slug}/snippets", response_model=VersionOut)
def post_include(session: DB, user: ApiUser, slug: Slug, body: IncludeIn) -> Any:
    """Include a snippet in the document: a new version, back to draft."""
    document = get_document(session, slug)
    version = include_snippet(session, document, body.snippet, body.before, user)
    return VersionOut(document=slug, version=version.number, status=document.status)


class SnippetIn(In):
    title: str = Field(default="", max_length=300)
    body: str = Field(min_length=1, max_length=100_000)


class SnippetOut(BaseModel):
    slug: str
    title: str
    body: str
    revision: int
    documents: list[str] = Field(description="Slugs of the documents including it.")


class TermIn(In):
    term: str = Field(min_length=1, max_length=200)
    variants: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=50
    )
    note: str = Field(default="", max_length=500)


class TermOut(BaseModel):
    term: str
    variants: list[str]
    note: str


class PortalLinkIn(In):
    label: str = Field(min_length=1, max_length=200)
    segment: str | None = Field(default=None, max_length=100)
    days: int = Field(
        default=portal.DEFAULT_DAYS,
        ge=1,
        le=portal.MAX_DAYS,
        description="How long the link works",
    )


class PortalLinkOut(BaseModel):
    id: int
    label: str
    segment: str | None
    expires_at: dt.datetime
    url: str = Field(description="The customer's link; shown this once.")


class PortalLinkListed(BaseModel):
    id: int
    prefix: str = Field(description="The secret's first characters, to tell apart")
    label: str
    segment: str | None
    created_by: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None
    visits: int = Field(description="Requests the link answered (refusals not counted)")


@router.get("/snippets", response_model=list[SnippetOut])
def get_snippets(session: DB, user: ApiUser) -> list[SnippetOut]:
    return [_snippet(session, s) for s in reuse.list_snippets(session)]


@router.put("/snippets/{slug}", response_model=SnippetOut)
def put_snippet(session: DB, user: ApiUser, slug: Slug, body: SnippetIn) -> Any:
    """Create or change a snippet: every document including it shows the change."""
    saved = reuse.save_snippet(session, slug, body.title, body.body, user)
    return _snippet(session, saved)


@router.get("/glossary", response_model=list[TermOut])
def get_glossary(session: DB, user: ApiUser) -> list[TermOut]:
    return [
        TermOut(term=t.term, variants=t.variants, note=t.note)
        for t in reuse.glossary(session)
    ]


@router.post("/glossary", response_model=TermOut)
def post_term(session: DB, user: ApiUser, body: TermIn) -> TermOut:
    """Add a term, or replace the variants of one already there."""
    entry = reuse.add_term(session, body.term, body.variants, body.note, user)
    return TermOut(term=entry.term, variants=entry.variants, note=entry.note)


@router.post("/portal-links", response_model=PortalLinkOut, status_code=201)
def post_portal_link(
    request: Request, session: DB, user: ApiUser, body: PortalLinkIn
) -> PortalLinkOut:
    """A customer's link to the published documents (of one segment)."""
    link, secret = portal.create_link(
        session, body.label, body.segment, user, days=body.days
    )
    base = workspace(request).settings.public_url.rstrip("/")
    return PortalLinkOut(
        id=link.id,
        label=link.label,
        segment=link.segment,
        expires_at=link.expires_at,
        url=f"{base}/portal/{secret}",
    )


@router.get("/portal-links", response_model=list[PortalLinkListed])
def get_portal_links(session: DB, user: ApiUser) -> list[PortalLinkListed]:
    """Every portal link, newest first: when it expires, when it was last used."""
    return [
        PortalLinkListed(
            id=link.id,
            prefix=link.prefix,
            label=link.label,
            segment=link.segment,
            created_by=link.created_by,
            created_at=link.created_at,
            expires_at=link.expires_at,
            revoked_at=link.revoked_at,
            last_used_at=link.last_used_at,
            visits=visits,
        )
        for link, visits in portal.list_links(session, user)
    ]


@router.delete("/portal-links/{link_id}", status_code=204)
def delete_portal_link(
    session: DB, user: ApiUser, link_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> Response:
    portal.revoke_link(session, link_id, user)
    return Response(status_code=204)


def _snippet(session: DB, snippet: Any) -> SnippetOut:
    users = reuse.documents_including(session, snippet.slug)
    return SnippetOut(
        slug=snippet.slug,
        title=snippet.title,
        body=snippet.body,
        revision=snippet.revision,
        documents=sorted(d.slug for d in users),
    )


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
        page=f"/kb/{hit.slug}#section-{hit.section + 1}",
        text=hit.text,
        score=hit.score,
    )
