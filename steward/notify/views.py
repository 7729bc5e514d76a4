"""Read models and retries of the outbox, shared by the CLI, web and API."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steward.errors import OutboxMessageNotFound, StewardError
from steward.notify.outbox import requeue
from steward.store.automation import CHANNELS, OUTBOX_STATUSES, OutboxMessage
from steward.store.models import Account, AuditEntry


def outbox_messages(
    session: Session,
    *,
    status: str | None = None,
    channel: str | None = None,
    account_external_id: str | None = None,
    limit: int = 100,
) -> list[OutboxMessage]:
    """Messages, newest first."""
    if status is not None and status not in OUTBOX_STATUSES:
        raise StewardError(
            f"unknown status {status!r}; use one of {', '.join(OUTBOX_STATUSES)}"
        )
    if channel is not None and channel not in CHANNELS:
        raise StewardError(
            f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}"
        )
    query = select(OutboxMessage).outerjoin(OutboxMessage.account)
    if status:
        query = query.where(OutboxMessage.status == status)
    if channel:
        query = query.where(OutboxMessage.channel == channel)
    if account_external_id:
        query = query.where(Account.external_id == account_external_id)
    return list(session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)))


def outbox_counts(session: Session) -> dict[str, int]:
    """Messages per status, every status present (zero when none)."""
    found = dict(
        session.execute(
            select(OutboxMessage.status, func.count(OutboxMessage.id)).group_by(
                OutboxMessage.status
            )
        ).all()
    )
    return {status: int(found.get(status, 0)) for status in OUTBOX_STATUSES}


def outbox_message(session: Session, message_id: int) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise OutboxMessageNotFound(
            f"no outbox message #{message_id}; `steward outbox` lists them"
        )
    return message


def retry_message(session: Session, message_id: int, actor: str) -> OutboxMessage:
    """Send a failed or cancelled message again."""
    message = outbox_message(session, message_id)
    if message.status not in ("failed", "cancelled"):
        raise StewardError(
            f"message #{message_id} is {message.status}; only failed or cancelled "
            "messages are retried by hand (the others are sent or on their way)"
        )
    requeue(session, message)
    session.add(
        AuditEntry(
            actor=actor,
            action="outbox.retried",
            entity="outbox_message",
            entity_id=str(message_id),
            detail={"key": message.idempotency_key},
        )
    )
    return message


def retry_failed(session: Session, actor: str) -> int:
    """Queue every failed message again; returns how many."""
    failed = session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.status == "failed")
    ).all()
    for message_id in failed:
        retry_message(session, message_id, actor)
    return len(failed)
