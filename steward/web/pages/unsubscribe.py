"""The unsubscribe link in every email: a customer's page, no sign-in.

The token is the address with an HMAC only Steward can make, so it is all
the page needs. Opening the link changes nothing (mail scanners open links);
the button on the page records the unsubscribe.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from steward.accounts.inbox import today
from steward.notify.responses import address_from_token, record_email_event
from steward.web.deps import DB, workspace
from steward.web.rendering import render

router = APIRouter()
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
