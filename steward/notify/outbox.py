"""The transactional outbox: queue in the run's transaction, deliver after commit.

A message is inserted with a unique idempotency key in the same transaction
as the run that causes it, so it exists exactly when the run's other writes
do. Delivery claims it in a short transaction of its own (a conditional
update, so two deliverers never take the same message), sends it, and
records the result against the claim.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from steward.store.automation import EmailEvent, OutboxMessage
from steward.store.models import utcnow

DUE = ("pending", "retrying")
MAX_BACKOFF = dt.timedelta(days=1)


@dataclass(frozen=True)
class Claimed:
    """A message taken for delivery: plain values, usable after the session ends."""

    id: int
    key: str
    channel: str
    target: str
    subject: str | None
    payload: dict[str, Any]
    attempts: int
    token: str


def enqueue(
    session: Session,
    *,
    key: str,
    channel: str,
    target: str,
    payload: dict[str, Any],
    subject: str | None = None,
    account_id: int | None = None,
    playbook_run_id: int | None = None,
    enrolment_id: int | None = None,
) -> OutboxMessage | None:
    """Queue a message in the caller's transaction; None if the key is taken."""
    known = session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)
    )
    if known is not None:
        return None
    message = OutboxMessage(
        idempotency_key=key,
        channel=channel,
        target=target,
        subject=subject,
        payload=payload,
        account_id=account_id,
        playbook_run_id=playbook_run_id,
        enrolment_id=enrolment_id,
        status="pending",
        next_attempt_at=utcnow(),
    )
    session.add(message)
    session.flush()
    return message


def _claimable(now: dt.datetime) -> Any:
    """Due and not held, or held by a claim whose lease ran out (a crash)."""
    return or_(
        and_(OutboxMessage.status.in_(DUE), OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until < now),
    )


def claim(
    session: Session, now: dt.datetime, lease: dt.timedelta, limit: int
) -> list[Claimed]:
    """Take up to ``limit`` due messages; the caller commits before sending."""
    ids = list(
        session.scalars(
            select(OutboxMessage.id)
            .where(_claimable(now))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
    )
    token = secrets.token_hex(16)
    taken = []
    for message_id in ids:
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, _claimable(now))
            .values(
                status="sending",
                claim_token=token,
                claimed_until=now + lease,
                attempts=OutboxMessage.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            taken.append(message_id)
    if not taken:
        return []
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(taken)))
    return [
        Claimed(
            id=row.id,
            key=row.idempotency_key,
            channel=row.channel,
            target=row.target,
            subject=row.subject,
            payload=dict(row.payload),
            attempts=row.attempts,
            token=token,
        )
        for row in sorted(rows, key=lambda row: row.id)
    ]


def _finish(session: Session, claimed: Claimed, **values: Any) -> bool:
    """Record a result only if the claim still holds; False if it was lost."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == claimed.id,
            OutboxMessage.status == "sending",
            OutboxMessage.claim_token == claimed.token,
        )
        .values(claim_token=None, claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def mark_sent(session: Session, claimed: Claimed, now: dt.datetime) -> bool:
    return _finish(session, claimed, status="sent", sent_at=now, last_error=None)


def mark_failed(
    session: Session,
    claimed: Claimed,
    now: dt.datetime,
    error: str,
    *,
    retry: bool,
    max_attempts: int,
    backoff: dt.timedelta,
) -> str:
    """Schedule a retry with exponential backoff, or give up; returns the status."""
    if retry and claimed.attempts < max_attempts:
        delay = min(backoff * 2 ** (claimed.attempts - 1), MAX_BACKOFF)
        _finish(
            session,
            claimed,
            status="retrying",
            next_attempt_at=now + delay,
            last_error=error[:2000],
        )
        return "retrying"
    _finish(session, claimed, status="failed", last_error=error[:2000])
    return "failed"


def mark_cancelled(session: Session, claimed: Claimed, reason: str) -> None:
    _finish(session, claimed, status="cancelled", last_error=reason)


def unsubscribed_on(session: Session, address: str) -> dt.date | None:
    return session.scalar(
        select(EmailEvent.occurred_on)
        .where(
            EmailEvent.kind == "unsubscribe",
            EmailEvent.address == address.casefold(),
        )
        .order_by(EmailEvent.occurred_on)
        .limit(1)
    )


def requeue(session: Session, message: OutboxMessage) -> None:
    """Send a failed or cancelled message again, from a fresh count of attempts."""
    message.status = "pending"
    message.attempts = 0
    message.next_attempt_at = utcnow()
    message.last_error = None
    message.claim_token = None
    message.claimed_until = None
