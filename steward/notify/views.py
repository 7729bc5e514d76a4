"""Read models and retries of the outbox, shared by the CLI, web and API."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from steward.auth.permissions import CHANGE_ANY, book_of
from steward.errors import (
    InputInvalid,
    OutboxMessageNotFound,
    PermissionDenied,
    StewardError,
)
from steward.notify.outbox import requeue
from steward.store.automation import CHANNELS, OUTBOX_STATUSES, OutboxMessage
from steward.store.models import Account, AuditEntry, User


def outbox_messages(
    session: Session,
    *,
    status: str | None = None,
    channel: str | None = None,
    account_external_id: str | None = None,
    limit: int = 100,
    viewer: User | None = None,
) -> list[OutboxMessage]:
    """Messages, newest first; a CSM sees their book's and those sent to them."""
    if status is not None and status not in OUTBOX_STATUSES:
        raise InputInvalid(
            f"unknown status {status!r}; use one of {', '.join(OUTBOX_STATUSES)}",
            field="status",
        )
    if channel is not None and channel not in CHANNELS:
        raise InputInvalid(
            f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}",
            field="channel",
        )
    query = _visible(select(OutboxMessage).outerjoin(OutboxMessage.account), viewer)
    if status:
        query = query.where(OutboxMessage.status == status)
    if channel:
        query = query.where(OutboxMessage.channel == channel)
    if account_external_id:
        query = query.where(Account.external_id == account_external_id)
    return list(session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)))


def _visible(query, viewer: User | None):  # noqa: ANN001, ANN202 - a Select
    csm = book_of(viewer) if viewer is not None else None
    if viewer is None or csm is None:
        return query
    return query.where(
        or_(
            Account.csm_id == csm,
            func.lower(OutboxMessage.target) == viewer.email.casefold(),
        )
    )


def outbox_counts(session: Session, viewer: User | None = None) -> dict[str, int]:
    """Messages per status, every status present (zero when none)."""
    query = _visible(
        select(OutboxMessage.status, func.count(OutboxMessage.id))
        .select_from(OutboxMessage)
        .outerjoin(OutboxMessage.account),
        viewer,
    ).group_by(OutboxMessage.status)
    found = dict(session.execute(query).all())
    return {status: int(found.get(status, 0)) for status in OUTBOX_STATUSES}


def outbox_message(
    session: Session, message_id: int, viewer: User | None = None
) -> OutboxMessage:
    query = _visible(
        select(OutboxMessage)
        .outerjoin(OutboxMessage.account)
        .where(OutboxMessage.id == message_id),
        viewer,
    )
    message = session.scalar(query)
    if message is None:
        raise OutboxMessageNotFound(
            f"no outbox message #{message_id}; `steward outbox` lists them"
        )
    return message


def check_may_retry(user: User) -> None:
    """Sending a message again is for a manager or an admin."""
    if user.role not in CHANGE_ANY:
        role = user.role.replace("_", "-")
        raise PermissionDenied(
            f"{user.email} is {role}; only a manager or an admin sends an outbox "
            "message again"
        )


def check_may_record(user: User) -> None:
    """Recording a reply or an unsubscribe is a change: not for read-only."""
    if user.role == "read_only":
        raise PermissionDenied(
            f"{user.email} is read-only and may not record replies or unsubscribes"
        )


def retry_message(
    session: Session, message_id: int, actor: str, viewer: User | None = None
) -> OutboxMessage:
    """Send a failed or cancelled message again; audited with who asked.

    A message already queued again and not yet tried is left as it is, so
    asking twice changes nothing.
    """
    message = outbox_message(session, message_id, viewer)
    if viewer is not None:
        check_may_retry(viewer)
    if message.status == "pending" and message.attempts == 0:
        return message
    if message.status not in ("failed", "cancelled"):
        raise StewardError(
            f"message #{message_id} is {message.status}; only failed or cancelled "
            "messages are retried by hand (the others are sent or on their way)"
        )
    before = {
        "status": message.status,
        "attempts": message.attempts,
        "last_error": message.last_error,
    }
    requeue(session, message)
    session.add(
        AuditEntry(
            actor=actor,
            action="outbox.retried",
            entity="outbox_message",
            entity_id=str(message_id),
            detail={"key": message.idempotency_key, **before},
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
