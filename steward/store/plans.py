"""Tables of mutual success plans: plans, their versions, customer links, reviews.

Kept apart from :mod:`steward.store.models` so the plans' migration branch
(``0006``) owns exactly these tables.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from steward.store.models import Account, Base, LinkUseColumns, utcnow

PLAN_STATUSES = ("active", "closed")


class SuccessPlan(Base):
    """A plan the CSM and the customer keep together; ``content`` is its newest
    version (goals, KPIs, milestones, responsibilities) and ``version`` its number.
    """

    __tablename__ = "success_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="active")
    kickoff_on: Mapped[dt.date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    account: Mapped[Account] = relationship()


class SuccessPlanVersion(Base):
    """Every state a plan has been in, with who made the change and what it was."""

    __tablename__ = "success_plan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("success_plans.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    summary: Mapped[str] = mapped_column(Text)


class PlanLink(Base):
    """A link that lets a customer read and edit one plan, and nothing else.

    Only the SHA-256 of its secret is kept; the secret is shown once.
    """

    __tablename__ = "plan_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("success_plans.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, kept in clear so a CSM can tell links apart.
    prefix: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(200))
    last_used_at: Mapped[dt.datetime | None]

    plan: Mapped[SuccessPlan] = relationship()


class PlanLinkUse(LinkUseColumns, Base):
    """One request made with a link: a view, an edit, or a refusal."""

    __tablename__ = "plan_link_uses"

    link_id: Mapped[int] = mapped_column(ForeignKey("plan_links.id"), index=True)


class BusinessReview(Base):
    """A QBR (or Strategic Value Review) held with an account on a day.

    The next deck measures each goal's result since the newest earlier review.
    """

    __tablename__ = "business_reviews"
    __table_args__ = (UniqueConstraint("account_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    held_on: Mapped[dt.date] = mapped_column(Date)
    variant: Mapped[str] = mapped_column(String(20))
    plan_versions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
