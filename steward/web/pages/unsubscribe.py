"""The unsubscribe link in every email: a customer's page, no sign-in.

The token is the address with an HMAC only Steward can make, so it is all
the page needs. Opening the link changes nothing (mail scanners open links);
the button on the page records the unsubscribe.

The email's ``List-Unsubscribe`` header names ``/unsubscribe/TOKEN/one-click``
(RFC 8058): a mail client's own unsubscribe button POSTs
``List-Unsubscribe=One-Click`` there, with no session, so that route is on
``one_click_router``, outside the pages' CSRF check. It needs none: the
token is its whole authority, and it can only unsubscribe the address it
was made for. Opened in a browser instead, it leads to the page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from steward.accounts.inbox import today
from steward.notify.responses import address_from_token, record_email_event
from steward.web.deps import DB, workspace
from steward.web.rendering import render

router = APIRouter()
one_click_router = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(max_length=600)]
BAD_LINK = "This unsubscribe link is not one Steward made, or it was cut short."


@router.get("/unsubscribe/{token}")
def unsubscribe_page(request: Request, token: Token) -> Response:
    address = address_from_token(workspace(request).settings, token)
    if address is None:
        return render(request, "portal_error.html", {"message": BAD_LINK}, status=404)
    context = {"address": address, "token": token, "done": False}
    return render(request, "unsubscribe.html", context)


@router.post("/unsubscribe/{token}")
def post_unsubscribe(request: Request, session: DB, token: Token) -> Response:
    address = address_from_token(workspace(request).settings, token)
    if address is None:
        return render(request, "portal_error.html", {"message": BAD_LINK}, status=404)
    record_email_event(session, address, "unsubscribe", today(), "unsubscribe link")
    context = {"address": address, "token": token, "done": True}
    return render(request, "unsubscribe.html", context)


@one_click_router.get("/unsubscribe/{token}/one-click")
def one_click_opened(token: Token) -> Response:
    return RedirectResponse(f"/unsubscribe/{token}", status_code=303)


@one_click_router.post("/unsubscribe/{token}/one-click")
def one_click(
    request: Request,
    session: DB,
    token: Token,
    asked: Annotated[str | None, Form(alias="List-Unsubscribe")] = None,
) -> Response:
    address = address_from_token(workspace(request).settings, token)
    if address is None:
        return PlainTextResponse(BAD_LINK, status_code=404)
    if asked != "One-Click":
        return PlainTextResponse(
            "a one-click unsubscribe sends List-Unsubscribe=One-Click (RFC 8058)",
            status_code=400,
        )
    record_email_event(
        session, address, "unsubscribe", today(), "one-click unsubscribe"
    )
    return PlainTextResponse(f"{address} is unsubscribed")
