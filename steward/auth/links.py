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

from sqlalchemy.orm import Session


def digest(secret: str) -> str:
    """The SHA-256 stored in place of a secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


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
