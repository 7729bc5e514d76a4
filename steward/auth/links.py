"""What every secret link shares: its stored hash, refusals, the use log.

Customer links (success plans, the onboarding portal), API tokens and write
keys are random secrets of 256 bits, so a plain SHA-256 cannot be reversed
by guessing; a slow hash would only cost every request. A customer link
expires and can be revoked, and every request made with one is logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.errors import StewardError


def digest(secret: str) -> str:
    """The SHA-256 stored in place of a secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def open_secret(
    session: Session,
    model: type,
    uses: type,
    secret: str,
    *,
    noun: str,
    action: str,
    client: str | None,
    now: dt.datetime,
    unknown: type[StewardError],
    refused: type[StewardError],
    detail: dict[str, Any],
) -> Any:
    """The live link of ``model`` whose secret is ``secret``, its use logged in
    ``uses``.

    An unknown secret raises ``unknown`` (nothing to log it against); an
    expired or revoked link raises ``refused``, the refusal committed first so
    that the caller's rollback keeps it.
    """
    link = session.scalar(select(model).where(model.token_hash == digest(secret)))
    if link is None:
        raise unknown(
            f"this {noun} is not valid; ask your customer success manager for a new one"
        )
    why = refusal(noun, link.revoked_at, link.expires_at, now)
    if why is not None:
        logged = {**detail, "reason": why}
        log_use(session, uses, link.id, action, "refused", client, now, logged)
        session.commit()
        raise refused(why)
    link.last_used_at = now
    log_use(session, uses, link.id, action, "ok", client, now, detail)
    return link


def refusal(
    noun: str,
    revoked_at: dt.datetime | None,
    expires_at: dt.datetime,
    now: dt.datetime,
) -> str | None:
    """Why a link no longer opens (revoked, then expired), or None if it does."""
    if revoked_at is not None:
        return (
            f"this {noun} was revoked on {revoked_at.date()}; ask your customer "
            "success manager for a new one"
        )
    if expires_at <= now:
        return (
            f"this {noun} expired on {expires_at.date()}; ask your customer "
            "success manager for a new one"
        )
    return None


def log_use(
    session: Session,
    model: type,
    link_id: int,
    action: str,
    outcome: str,
    client: str | None,
    now: dt.datetime,
    detail: dict[str, Any],
) -> None:
    """One row of ``model`` (a link's use table) for a request made with it."""
    session.add(
        model(
            link_id=link_id,
            at=now,
            action=action[:40],
            outcome=outcome,
            client=(client or "")[:300] or None,
            detail=detail,
        )
    )
    session.flush()
