"""Customer links: a secret that opens one success plan, and nothing else.

A link expires, can be revoked, and every request made with it is logged
(views, edits and refusals). Only the SHA-256 of the secret is stored: the
secret carries 256 random bits, so the hash cannot be reversed by guessing.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.accounts.plan_content import CUSTOMER_OPS
from steward.accounts.success_plans import change_plan, get_plan, parse_change
from steward.audit import record
from steward.auth.links import digest, log_use, open_secret
from steward.errors import (
    InputInvalid,
    PlanLinkNotFound,
    PlanLinkRefused,
    StewardError,
)
from steward.store.models import User, utcnow
from steward.store.plans import PlanLink, PlanLinkUse, SuccessPlan

PREFIX = "stp_"
MAX_DAYS = 90
DEFAULT_DAYS = 30


def create_link(
    session: Session,
    plan_id: int,
    *,
    label: str,
    actor: str,
    viewer: User | None = None,
    days: int = DEFAULT_DAYS,
    now: dt.datetime | None = None,
) -> tuple[PlanLink, str]:
    """A link to the plan for ``days`` days; returns it and its secret (shown once)."""
    plan = get_plan(session, plan_id, viewer, change=True)
    label = label.strip()
    if not 1 <= len(label) <= 200:
        raise InputInvalid(
            "say who the link is for (1 to 200 characters), e.g. 'Dana, COO'",
            field="label",
        )
    if not 1 <= days <= MAX_DAYS:
        raise InputInvalid(
            f"a link lasts 1 to {MAX_DAYS} days; {days} is outside that",
            field="days",
        )
    now = now or utcnow()
    secret = PREFIX + secrets.token_urlsafe(32)
    link = PlanLink(
        plan_id=plan.id,
        token_hash=digest(secret),
        prefix=secret[:10],
        label=label,
        created_by=actor,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    session.add(link)
    session.flush()
    record(
        session,
        actor,
        "plan_link.created",
        "plan",
        plan.id,
        link=link.id,
        label=label,
        expires_at=link.expires_at.isoformat(),
    )
    return link, secret


def revoke_link(
    session: Session,
    link_id: int,
    *,
    actor: str,
    viewer: User | None = None,
    plan_id: int | None = None,
) -> PlanLink:
    """Stop the link working at once; its use log is kept. With ``plan_id``
    (the plan the request named), a link of another plan is not found."""
    link = session.get(PlanLink, link_id)
    if link is None or (plan_id is not None and link.plan_id != plan_id):
        where = "" if plan_id is None else f" on success plan {plan_id}"
        raise PlanLinkNotFound(f"no customer link with id {link_id}{where}")
    get_plan(session, link.plan_id, viewer, change=True)
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        link.revoked_by = actor
        record(session, actor, "plan_link.revoked", "plan", link.plan_id, link=link.id)
    return link


def links_of(session: Session, plan: SuccessPlan) -> list[PlanLink]:
    return list(
        session.scalars(
            select(PlanLink)
            .where(PlanLink.plan_id == plan.id)
            .order_by(PlanLink.id.desc())
        )
    )


def uses_of(
    session: Session, link_ids: list[int], limit: int = 200
) -> list[PlanLinkUse]:
    """The newest uses of these links, newest first."""
    if not link_ids:
        return []
    return list(
        session.scalars(
            select(PlanLinkUse)
            .where(PlanLinkUse.link_id.in_(link_ids))
            .order_by(PlanLinkUse.at.desc(), PlanLinkUse.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class Opened:
    link: PlanLink
    plan: SuccessPlan

    @property
    def actor(self) -> str:
        return f"customer link #{self.link.id} ({self.link.label})"


def open_link(
    session: Session,
    secret: str,
    *,
    action: str,
    client: str | None = None,
    now: dt.datetime | None = None,
) -> Opened:
    """The plan a link opens, with the use logged.

    An unknown secret is ``PlanLinkNotFound`` (404, and nothing to log it
    against); an expired or revoked link is ``PlanLinkRefused`` (403), and the
    refusal is committed before the error rolls the caller's work back.
    """
    link = open_secret(
        session,
        PlanLink,
        PlanLinkUse,
        secret,
        noun="plan link",
        action=action,
        client=client,
        now=now or utcnow(),
        unknown=PlanLinkNotFound,
        refused=PlanLinkRefused,
        detail={},
    )
    return Opened(link, link.plan)


def change_by_link(
    session: Session,
    secret: str,
    raw: dict[str, Any],
    *,
    client: str | None = None,
    now: dt.datetime | None = None,
) -> Opened:
    """Apply a customer's change (``{"op": ..., ...}``) through their link.

    A change that fails is undone, and logged as refused with the reason.
    """
    action = str(raw.get("op", "change"))
    opened = open_link(session, secret, action=action, client=client, now=now)
    try:
        change = parse_change(raw)
        if change.op not in CUSTOMER_OPS:
            raise PlanLinkRefused(
                "removing items from the plan is for your customer success "
                "manager; ask them, or mark the item done instead"
            )
        change_plan(session, opened.plan, change, opened.actor)
    except StewardError as error:
        # The edit is undone; what was tried, and why it failed, is kept.
        session.rollback()
        _log(session, opened.link, action, "refused", client, now, reason=str(error))
        session.commit()
        raise
    return opened


def _log(
    session: Session,
    link: PlanLink,
    action: str,
    outcome: str,
    client: str | None,
    now: dt.datetime | None,
    **detail: str,
) -> None:
    at = now or utcnow()
    log_use(session, PlanLinkUse, link.id, action, outcome, client, at, detail)
