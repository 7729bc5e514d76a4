"""Tables of playbooks and delivery: runs, the outbox, sequences, incidents.

Kept apart from :mod:`steward.store.models` so the playbooks' migration
branch (``0003``) owns exactly these tables.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from steward.store.models import Account, Base, utcnow

OUTBOX_STATUSES = ("pending", "sending", "retrying", "sent", "failed", "cancelled")
CHANNELS = ("email", "slack", "webhook")


class PlaybookRun(Base):
    """One firing of a playbook: what it saw and what it did.

    ``occurrence_key`` is unique, so an occurrence fires once however often
    the day is run again.
    """

    __tablename__ = "playbook_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    playbook: Mapped[str] = mapped_column(String(100), index=True)
    occurrence_key: Mapped[str] = mapped_column(String(300), unique=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id"), index=True
    )
    as_of: Mapped[dt.date] = mapped_column(Date, index=True)
    trigger: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(200))
    inputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    account: Mapped[Account | None] = relationship()


class OutboxMessage(Base):
    """An email, Slack message or webhook call waiting for, or past, delivery.

    Written in the transaction of the run that causes it and delivered after
    commit; ``idempotency_key`` is unique, so a message is queued once.
    """

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(300), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    # An email address, a Slack channel name or a webhook endpoint name; the
    # URLs and secrets behind names come from the environment at delivery.
    target: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id"), index=True
    )
    playbook_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("playbook_runs.id"), index=True
    )
    enrolment_id: Mapped[int | None] = mapped_column(
        ForeignKey("sequence_enrolments.id"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    claimed_until: Mapped[dt.datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(40))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]

    account: Mapped[Account | None] = relationship()


class SequenceEnrolment(Base):
    """An account enrolled in an email sequence, and how far it has got."""

    __tablename__ = "sequence_enrolments"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_key: Mapped[str] = mapped_column(String(300), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    sequence: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    enrolled_on: Mapped[dt.date] = mapped_column(Date)
    next_step: Mapped[int] = mapped_column(Integer, default=0)
    next_due_on: Mapped[dt.date | None] = mapped_column(Date)
    stopped_on: Mapped[dt.date | None] = mapped_column(Date)
    stop_reason: Mapped[str | None] = mapped_column(String(200))
    enrolled_by: Mapped[str] = mapped_column(String(200))

    account: Mapped[Account] = relationship()


class EmailEvent(Base):
    """A reply or an unsubscribe from an address; sequences and sends obey them."""

    __tablename__ = "email_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(320), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Incident(Base):
    """An outage or an executive complaint on an account; starts recovery."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str | None] = mapped_column(String(20))
    occurred_on: Mapped[dt.date] = mapped_column(Date, index=True)
    summary: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AccountTagChange(Base):
    """A tag put on or taken off an account, by anyone, dated.

    Playbooks write their own changes; changes made elsewhere are noticed by
    the daily run comparing the tags with this history.
    """

    __tablename__ = "account_tag_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    tag: Mapped[str] = mapped_column(String(100))
    change: Mapped[str] = mapped_column(String(10))
    changed_on: Mapped[dt.date] = mapped_column(Date, index=True)
    changed_by: Mapped[str] = mapped_column(String(200))
