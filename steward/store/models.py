"""The operational store: accounts and everything a CS team does with them.

Usage events do not live here; they are in the event store (``steward.events``).
Every table is created by an Alembic migration in ``migrations/versions``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names so migrations read the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

LIFECYCLE_STAGES = (
    "contract_signed",
    "onboarding",
    "training_setup",
    "adoption",
    "qbr",
    "renewal_risk",
    "recovery",
    "expansion",
    "renewal",
    "churned",
)
ROLES = ("admin", "manager", "csm", "read_only")
OUTCOMES = ("renewed", "expanded", "contracted", "churned")
TASK_STATUSES = ("open", "done", "snoozed", "cancelled")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every engine.

    SQLite has no time zones, so values are stored as naive UTC and given their
    zone back when read; PostgreSQL stores ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: Steward stores UTC only")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: JSON}


class LinkUseColumns:
    """The columns of a customer link's use log (plan links, portal links):
    one row per request made with the link, a refusal included. A table
    using it adds its own ``link_id``."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(20))
    client: Mapped[str | None] = mapped_column(String(300))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class User(Base):
    """A person who signs in: CSMs, their managers, admins, read-only viewers."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="csm")
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    capacity_hours: Mapped[float | None] = mapped_column(Float)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    manager: Mapped[User | None] = relationship(remote_side=[id])


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    industry: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(100))
    timezone: Mapped[str | None] = mapped_column(String(64))
    arr: Mapped[float | None] = mapped_column(Float)
    seats: Mapped[int | None] = mapped_column(Integer)
    custom_integrations: Mapped[bool] = mapped_column(Boolean, default=False)
    tier: Mapped[str | None] = mapped_column(String(50))
    coverage: Mapped[str | None] = mapped_column(String(50))
    segment: Mapped[str | None] = mapped_column(String(100))
    plan: Mapped[str | None] = mapped_column(String(100))
    csm_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    ae_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lifecycle_stage: Mapped[str] = mapped_column(String(40), default="contract_signed")
    signed_on: Mapped[dt.date | None] = mapped_column(Date)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    csm: Mapped[User | None] = relationship(foreign_keys=[csm_id])
    ae: Mapped[User | None] = relationship(foreign_keys=[ae_id])
    tags: Mapped[list[AccountTag]] = relationship(
        back_populates="account", cascade="all, delete-orphan"
    )


class AccountTag(Base):
    __tablename__ = "account_tags"
    __table_args__ = (UniqueConstraint("account_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    tag: Mapped[str] = mapped_column(String(100))
    added_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    added_by: Mapped[str] = mapped_column(String(200), default="system")

    account: Mapped[Account] = relationship(back_populates="tags")


class LifecycleChange(Base):
    """Every move of an account along the lifecycle, by a rule or by hand."""

    __tablename__ = "lifecycle_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(40))
    stage: Mapped[str] = mapped_column(String(40))
    changed_on: Mapped[dt.date] = mapped_column(Date)
    changed_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(320), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    role: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str | None] = mapped_column(String(200))


class Contract(Base):
    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    arr: Mapped[float | None] = mapped_column(Float)
    seats: Mapped[int | None] = mapped_column(Integer)
    plan: Mapped[str | None] = mapped_column(String(100))
    billing_period: Mapped[str | None] = mapped_column(String(20))
    auto_renew: Mapped[bool | None] = mapped_column(Boolean)
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_reason: Mapped[str | None] = mapped_column(String(200))
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    new_arr: Mapped[float | None] = mapped_column(Float)


class Outcome(Base):
    """A renewal decision or a churn, dated; the labels the health score learns from.

    ``occurred_on`` may be empty for a data set that only says whether an
    account left (a snapshot); fitting then cross-validates instead of
    backtesting in time order.
    """

    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"))
    kind: Mapped[str] = mapped_column(String(20))
    occurred_on: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(200))
    feedback: Mapped[str | None] = mapped_column(Text)
    arr_change: Mapped[float | None] = mapped_column(Float)


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    opened_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime | None]
    priority: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str | None] = mapped_column(String(20))
    subject: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[float | None] = mapped_column(Float)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)


class NpsResponse(Base):
    __tablename__ = "nps_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[dt.datetime]


class Note(Base):
    """A note, call, email or meeting on an account's timeline."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20), default="note")
    body: Mapped[str] = mapped_column(Text)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Task(Base):
    """Work for a person (``assignee_id``) or for whoever holds a role."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id"), index=True
    )
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str | None] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    source: Mapped[str] = mapped_column(String(100))
    # One task per occurrence of whatever caused it: re-runs find it and stop.
    occurrence_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    created_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[dt.datetime | None]
    snoozed_until: Mapped[dt.date | None] = mapped_column(Date)

    account: Mapped[Account | None] = relationship()
    assignee: Mapped[User | None] = relationship()


class HealthScore(Base):
    """One account's scores on one day: health, and expansion readiness.

    Kept day by day, so the key leads with the day: a day's 100,000 rows go
    in at the end of the table and its indexes. Keyed by account first, each
    new day touched a page per account, and writing a day grew with the
    history kept. One account's history is read a day at a time through the
    key (``steward.store.scores``). What explains each score is kept per day
    in ``score_details``.
    """

    __tablename__ = "health_scores"
    __table_args__ = (
        PrimaryKeyConstraint("as_of", "account_id"),
        {"sqlite_with_rowid": False},
    )

    as_of: Mapped[dt.date] = mapped_column(Date)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    status: Mapped[str] = mapped_column(String(20))
    score: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(20))
    churn_probability: Mapped[float | None] = mapped_column(Float)
    scorecard: Mapped[str] = mapped_column(String(100))
    scorecard_version: Mapped[int] = mapped_column(Integer)
    # Expansion readiness (0-100) on the same day; None where unknown.
    expansion: Mapped[float | None] = mapped_column(Float)


class ScoreDetail(Base):
    """A day's explanations of a block of accounts, as one Parquet file.

    Every factor's value and points, the metric values and the expansion
    parts of accounts ``block * BLOCK`` to ``(block + 1) * BLOCK - 1``
    (``steward.scoring.details``).
    """

    __tablename__ = "score_details"
    __table_args__ = (
        PrimaryKeyConstraint("as_of", "block"),
        {"sqlite_with_rowid": False},
    )

    as_of: Mapped[dt.date] = mapped_column(Date)
    block: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class MilestoneState(Base):
    __tablename__ = "milestone_states"
    __table_args__ = (UniqueConstraint("account_id", "journey", "milestone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    journey: Mapped[str] = mapped_column(String(100))
    milestone: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    started_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    achieved_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    days_to_value: Mapped[int | None] = mapped_column(Integer)
    overdue_business_days: Mapped[int] = mapped_column(Integer, default=0)
    evaluated_on: Mapped[dt.date] = mapped_column(Date)


class DailyRun(Base):
    __tablename__ = "daily_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date, unique=True)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ImportRun(Base):
    """One file through ``steward import``: what was read, kept and rejected."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class AuditEntry(Base):
    """Who changed what, and when: people, imports, the daily run, playbooks."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ApiRequest(Base):
    """An API write sent with an ``Idempotency-Key``, and the answer it got.

    A retry with the same key and credential gets the stored answer and is
    not carried out again (``steward.api.idempotency``). ``status`` is null
    while the first request is still being answered.
    """

    __tablename__ = "api_requests"

    # SHA-256 of the request's Authorization header: keys are per credential.
    credential: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    # SHA-256 of the method, path, query and body.
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None]
    content_type: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """A key for the JSON API. Only its SHA-256 is stored; it is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # The first characters, kept in clear so a person can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()


class TaskComment(Base):
    __tablename__ = "task_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()


# For the web app's accounts list and dashboard at 100,000 accounts: sorting
# by name and by the day's score, filtering by tier, coverage and stage, and
# finding renewals by contract end date without scanning every row.
Index("ix_accounts_name", Account.name)
Index("ix_accounts_tier", Account.tier)
Index("ix_accounts_coverage", Account.coverage)
Index("ix_accounts_lifecycle_stage", Account.lifecycle_stage)
# Covering: a page in score order, filtered by band or by account id, is read
# from the index alone.
Index(
    "ix_health_scores_as_of_score",
    HealthScore.as_of,
    HealthScore.score,
    HealthScore.band,
    HealthScore.account_id,
)
Index("ix_contracts_end_date", Contract.end_date)
