"""Knowledge base pages: search, a document with its review, the import form;
and the customers' onboarding portal, reached by a link alone."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from steward.errors import InputInvalid, StewardError
from steward.knowledge import review as flow
from steward.knowledge.documents import (
    ImportOptions,
    get_document,
    import_transcript,
    list_documents,
    versions,
)
from steward.knowledge.index import KnowledgeIndex
from steward.knowledge.portal import open_link, portal_document, portal_documents
from steward.knowledge.readers import parse_transcript
from steward.knowledge.search import Filters, format_time, search
from steward.knowledge.views import document_view
from steward.web.deps import DB, PageUser, client_of, workspace
from steward.web.rendering import render

router = APIRouter()
MAX_UPLOAD = 20 * 1024 * 1024


def _index(request: Request, session: DB) -> KnowledgeIndex:
    index = KnowledgeIndex.in_folder(workspace(request).settings.home)
    index.sync(session)
    return index


@router.get("/kb")
def kb_page(
    request: Request,
    session: DB,
    user: PageUser,
    q: str = "",
    topic: str = "",
    step: str = "",
    segment: str = "",
    speaker: str = "",
    since: str = "",
    until: str = "",
    status: str = "",
) -> Response:
    # The form sends empty fields as "": read them here, not as typed queries.
    filters = Filters(
        topic=topic or None,
        step=_number(step, "step"),
        segment=segment or None,
        speaker=speaker or None,
        since=_day(since, "since"),
        until=_day(until, "until"),
        status=status or None,
    )
    hits = search(_index(request, session), q, filters, limit=20) if q.strip() else []
    context = {
        "user": user,
        "q": q,
        "filters": filters,
        "hits": hits,
        "documents": list_documents(session),
        "format_time": format_time,
    }
    return render(request, "kb_search.html", context)


def _number(value: str, field: str) -> int | None:
    if not value.strip():
        return None
    if not value.strip().isdigit() or not 1 <= int(value) <= 999:
        raise InputInvalid(f"{field}: give a step number from 1 to 999", field=field)
    return int(value)


def _day(value: str, field: str) -> dt.date | None:
    if not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InputInvalid(
            f"{field}: {value!r} is not a date; write it as YYYY-MM-DD", field=field
        ) from None


@router.post("/kb/import")
async def post_import(
    request: Request,
    session: DB,
    user: PageUser,
    file: Annotated[UploadFile, File()],
    account: Annotated[str, Form()] = "",
    segment: Annotated[str, Form()] = "",
    media_url: Annotated[str, Form()] = "",
) -> Response:
    raw = await file.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        raise StewardError("the file is larger than 20 MB; import it with the CLI")
    transcript = parse_transcript(raw, file.filename or "upload.txt")
    options = ImportOptions(
        account=account or None, segment=segment or None, media_url=media_url or None
    )
    result = import_transcript(session, transcript, raw, options, user=user)
    return RedirectResponse(f"/kb/{result.document.slug}", status_code=303)


@router.get("/kb/{slug}")
def document_page(request: Request, session: DB, user: PageUser, slug: str) -> Response:
    document = get_document(session, slug)
    context = {
        "user": user,
        "view": document_view(session, document),
        "comments": flow.comments(session, document),
        "versions": versions(session, document),
        "format_time": format_time,
    }
    return render(request, "kb_document.html", context)


@router.post("/kb/{slug}/review")
def post_review(session: DB, user: PageUser, slug: str) -> Response:
    flow.send_for_review(session, get_document(session, slug), user)
    return RedirectResponse(f"/kb/{slug}", status_code=303)


@router.post("/kb/{slug}/publish")
def post_publish(session: DB, user: PageUser, slug: str) -> Response:
    flow.publish(session, get_document(session, slug), user)
    return RedirectResponse(f"/kb/{slug}", status_code=303)


@router.post("/kb/{slug}/changes")
def post_changes(
    session: DB, user: PageUser, slug: str, body: Annotated[str, Form(max_length=5000)]
) -> Response:
    flow.request_changes(session, get_document(session, slug), body, user)
    return RedirectResponse(f"/kb/{slug}", status_code=303)


@router.post("/kb/{slug}/comments")
def post_comment(
    session: DB,
    user: PageUser,
    slug: str,
    body: Annotated[str, Form(max_length=5000)],
    section: Annotated[int | None, Form()] = None,
) -> Response:
    flow.add_comment(session, get_document(session, slug), body, user, section)
    return RedirectResponse(f"/kb/{slug}#comments", status_code=303)


# The customers' portal: published versions only, no names of staff, no
# comments, statuses or accounts; the templates extend no staff layout.


@router.get("/portal/{secret}")
def portal_page(request: Request, session: DB, secret: str, q: str = "") -> Response:
    query = q.strip()
    detail = {"query": query[:200]} if query else {}
    action = "search" if query else "list"
    try:
        link = open_link(
            session, secret, action=action, client=client_of(request), **detail
        )
    except StewardError as error:
        return _portal_error(request, error)
    filters = Filters(segment=link.segment, published_only=True)
    hits = search(_index(request, session), q, filters, limit=20) if q.strip() else []
    context = {
        "secret": secret,
        "q": q,
        "hits": hits,
        "documents": portal_documents(session, link),
        "format_time": format_time,
    }
    return _portal(request, "portal.html", context)


@router.get("/portal/{secret}/{slug}")
def portal_document_page(
    request: Request, session: DB, secret: str, slug: str
) -> Response:
    try:
        client = client_of(request)
        link = open_link(session, secret, action="document", client=client, slug=slug)
        document = portal_document(session, link, slug)
    except StewardError as error:
        return _portal_error(request, error)
    context = {
        "secret": secret,
        "view": document_view(session, document, published=True),
        "format_time": format_time,
    }
    return _portal(request, "portal_document.html", context)


def _portal(request: Request, name: str, context: dict, status: int = 200) -> Response:
    # Straight to the template: ``render`` would start a staff session (CSRF).
    templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        name,
        context,
        status_code=status,
        headers={"X-Robots-Tag": "noindex"},
    )


def _portal_error(request: Request, error: StewardError) -> Response:
    from steward.api.errors import status_of

    status, _ = status_of(error)
    return _portal(request, "portal_error.html", {"message": str(error)}, status)
