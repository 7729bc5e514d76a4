"""What page and API routes receive: a database session, the signed-in user."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from steward.accounts.plan_links import PREFIX as PLAN_LINK_PREFIX
from steward.auth.tokens import user_for_token
from steward.auth.users import active_user
from steward.errors import PermissionDenied, SignInRequired
from steward.store.models import User
from steward.workspace import Workspace

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def workspace(request: Request) -> Workspace:
    return request.app.state.workspace


def db(request: Request) -> Iterator[Session]:
    """One unit of work per request, committed before the response is sent."""
    with workspace(request).store.session() as session:
        yield session


DB = Annotated[Session, Depends(db, scope="function")]


def signed_in(request: Request, session: DB) -> User:
    """The user of the session cookie; pages send everyone else to sign in."""
    user = active_user(session, request.session.get("user_id"))
    if user is None and request.session.get("plan_link"):
        # A customer who came by a success-plan link: refused, not invited to sign in.
        raise PermissionDenied("a success plan link opens that plan and nothing else")
    if user is None:
        raise SignInRequired("sign in to see this page")
    return user


PageUser = Annotated[User, Depends(signed_in)]

_bearer = HTTPBearer(auto_error=False, description="An API token from the Admin page")


def token_user(
    request: Request,
    session: DB,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The user an API token acts as. The API takes no cookies, so needs no CSRF."""
    if credentials is None and request.session.get("plan_link"):
        raise PermissionDenied("a success plan link opens that plan and nothing else")
    if credentials is None:
        raise SignInRequired(
            "send an API token as 'Authorization: Bearer TOKEN'; an admin issues "
            "them on the Admin page or with `steward user token`"
        )
    if credentials.credentials.startswith(PLAN_LINK_PREFIX):
        raise PermissionDenied(
            "a success plan link is not an API token; it opens its plan at /p/..."
        )
    return user_for_token(session, credentials.credentials)


ApiUser = Annotated[User, Depends(token_user)]


def client_of(request: Request) -> str:
    """Who made a request, as logged with a customer link's use: address and
    browser."""
    host = request.client.host if request.client else "?"
    return f"{host} {request.headers.get('user-agent', '')}".strip()


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def csrf_protect(request: Request) -> None:
    """Refuse a state-changing page request without the session's CSRF token.

    Forms send it as the ``csrf_token`` field; htmx sends it as the
    ``X-CSRF-Token`` header (set once on ``<body>``).
    """
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get("csrf")
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise PermissionDenied(
            "the form's security token is missing or out of date; reload the page "
            "and send it again"
        )
