"""API tokens: random secrets shown once, stored as SHA-256, sent as Bearer."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.audit import record
from steward.auth.links import digest
from steward.auth.permissions import check_admin
from steward.errors import ApiTokenNotFound, InputInvalid, SignInRequired, UserNotFound
from steward.store.models import ApiToken, User

PREFIX = "stw_"


def issue_token(
    session: Session, viewer: User, user_id: int, name: str
) -> tuple[ApiToken, str]:
    """A new token acting as user ``user_id``, issued by an admin."""
    check_admin(viewer)
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise UserNotFound(f"no active user with id {user_id}")
    return mint_token(session, user, name, actor=viewer.email)


def mint_token(
    session: Session, user: User, name: str, actor: str
) -> tuple[ApiToken, str]:
    """A new token acting as ``user``; returns it and its secret (shown once).

    No role check: callers are an admin (``issue_token``) or the CLI, whose
    operator holds the data folder anyway.
    """
    name = name.strip()
    if not name or len(name) > 100:
        raise InputInvalid(
            "name the token (1 to 100 characters), e.g. 'warehouse sync'",
            field="name",
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=secret[:10],
        token_hash=digest(secret),
        created_by=actor,
    )
    token.user = user
    session.add(token)
    session.flush()
    record(session, actor, "token.issued", "api_token", token.id, user=user.email)
    return token, secret


def revoke_token(session: Session, viewer: User, token_id: int) -> ApiToken:
    check_admin(viewer)
    token = session.get(ApiToken, token_id)
    if token is None:
        raise ApiTokenNotFound(f"no API token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at = dt.datetime.now(dt.UTC)
        record(session, viewer.email, "token.revoked", "api_token", token.id)
    return token


def list_tokens(session: Session, viewer: User) -> list[ApiToken]:
    check_admin(viewer)
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id.desc())))


def user_for_token(session: Session, secret: str) -> User:
    """The active user a live token acts as."""
    token = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == digest(secret))
    )
    if token is None or token.revoked_at is not None or not token.user.is_active:
        raise SignInRequired("the API token is unknown or revoked")
    now = dt.datetime.now(dt.UTC)
    # Written at most hourly: a write per API call would serialise readers.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(hours=1):
        token.last_used_at = now
    return token.user
