"""Replies and unsubscribes: what customers say back, and the links they use."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.config import Settings
from steward.store.automation import EmailEvent, OutboxMessage
from steward.store.models import AuditEntry

KINDS = ("reply", "unsubscribe")
KEY_FILE = ".steward-unsubscribe-key"


def record_email_event(
    session: Session, address: str, kind: str, on: dt.date, source: str
) -> bool:
    """Record a reply or an unsubscribe; False if the same was recorded that day.

    An unsubscribe also cancels every email to the address still waiting in
    the outbox; the deliverer checks again right before sending.
    """
    address = address.strip().casefold()
    known = session.scalar(
        select(EmailEvent.id).where(
            EmailEvent.address == address,
            EmailEvent.kind == kind,
            EmailEvent.occurred_on == on,
        )
    )
    if known is not None:
        return False
    session.add(EmailEvent(address=address, kind=kind, occurred_on=on, source=source))
    if kind == "unsubscribe":
        waiting = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.channel == "email",
                OutboxMessage.status.in_(["pending", "retrying"]),
            )
        )
        for message in waiting:
            if message.target.casefold() == address:
                message.status = "cancelled"
                message.last_error = f"unsubscribed on {on.isoformat()}"
    session.add(
        AuditEntry(
            actor=source,
            action=f"email.{kind}",
            entity="email",
            entity_id=address,
            detail={"on": on.isoformat()},
        )
    )
    return True


def _key(settings: Settings) -> bytes:
    """The web app's secret when set, else a key kept in the data folder."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = Path(settings.home) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip().encode()


def unsubscribe_token(settings: Settings, address: str) -> str:
    raw = address.strip().casefold().encode()
    mac = hmac.new(_key(settings), raw, hashlib.sha256).hexdigest()[:32]
    return base64.urlsafe_b64encode(raw).decode().rstrip("=") + "." + mac


def address_from_token(settings: Settings, token: str) -> str | None:
    """The address a token was made for, or None if it was not made by us."""
    encoded, _, mac = token.partition(".")
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except ValueError:
        return None
    expected = hmac.new(_key(settings), raw, hashlib.sha256).hexdigest()[:32]
    return raw.decode() if hmac.compare_digest(expected, mac) else None


def unsubscribe_link(settings: Settings) -> Callable[[str], str]:
    """A function from address to its unsubscribe URL under ``STEWARD_PUBLIC_URL``."""
    base = settings.public_url.rstrip("/")

    def link(address: str) -> str:
        return f"{base}/unsubscribe/{unsubscribe_token(settings, address)}"

    return link
