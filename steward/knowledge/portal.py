"""The onboarding portal: published documents, reached by a customer's link.

A link shows every published document meant for its segment (and those meant
for every segment); it carries no account, user or review data. Links are
random secrets stored as SHA-256; they expire (90 days unless asked
otherwise, a year at most), can be revoked, and every request made with one
is logged, refusals included.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from steward.audit import record
from steward.auth.links import digest, open_secret
from steward.errors import DocumentNotFound, InputInvalid, NotFound, PortalLinkRefused
from steward.knowledge.access import actor, check_publish
from steward.knowledge.checks import check_plain
from steward.store.knowledge import KbDocument, KbPortalLink, KbPortalLinkUse
from steward.store.models import User, utcnow

PREFIX = "kbp_"
# Onboarding runs 90 days; a link lasts that long unless asked otherwise.
DEFAULT_DAYS = 90
MAX_DAYS = 365


def create_link(
    session: Session,
    label: str,
    segment: str | None,
    user: User | None,
    *,
    days: int = DEFAULT_DAYS,
    now: dt.datetime | None = None,
) -> tuple[KbPortalLink, str]:
    """A new portal link lasting ``days`` days, and its secret (shown once)."""
    check_publish(user, "share the onboarding portal")
    label = " ".join(label.split())
    check_plain(label, "label")
    check_plain(segment, "segment")
    if not label or len(label) > 200:
        raise InputInvalid(
            "label the link (1 to 200 characters), e.g. the customer's name",
            field="label",
        )
    if not 1 <= days <= MAX_DAYS:
        raise InputInvalid(
            f"a portal link lasts 1 to {MAX_DAYS} days; {days} is outside that",
            field="days",
        )
    now = now or utcnow()
    secret = PREFIX + secrets.token_urlsafe(32)
    link = KbPortalLink(
        token_hash=digest(secret),
        prefix=secret[:10],
        label=label,
        segment=segment or None,
        created_by=actor(user),
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    session.add(link)
    session.flush()
    record(
        session,
        actor(user),
        "kb.portal_link",
        "kb_portal_link",
        link.id,
        expires_at=link.expires_at.isoformat(),
    )
    return link, secret


def revoke_link(session: Session, link_id: int, user: User | None) -> KbPortalLink:
    check_publish(user, "revoke portal links")
    link = session.get(KbPortalLink, link_id)
    if link is None:
        raise NotFound(f"no portal link with id {link_id}")
    link.revoked_at = link.revoked_at or utcnow()
    return link


def open_link(
    session: Session,
    secret: str,
    *,
    action: str,
    client: str | None = None,
    now: dt.datetime | None = None,
    **detail: str,
) -> KbPortalLink:
    """The live link of ``secret``, with the visit (``action`` and ``detail``)
    logged.

    An unknown secret is ``NotFound`` (nothing to log it against); an expired
    or revoked link is ``PortalLinkRefused``, and the refusal is committed
    before the error rolls the caller's work back.
    """
    return open_secret(
        session,
        KbPortalLink,
        KbPortalLinkUse,
        secret,
        noun="portal link",
        action=action,
        client=client,
        now=now or utcnow(),
        unknown=NotFound,
        refused=PortalLinkRefused,
        detail=detail,
    )


def list_links(session: Session, user: User | None) -> list[tuple[KbPortalLink, int]]:
    """Every portal link, newest first, with how many visits it had."""
    check_publish(user, "see the portal links")
    visits = (
        select(KbPortalLinkUse.link_id, func.count().label("visits"))
        .where(KbPortalLinkUse.outcome == "ok")
        .group_by(KbPortalLinkUse.link_id)
        .subquery()
    )
    rows = session.execute(
        select(KbPortalLink, func.coalesce(visits.c.visits, 0))
        .outerjoin(visits, visits.c.link_id == KbPortalLink.id)
        .order_by(KbPortalLink.id.desc())
    ).all()
    return [(link, int(count)) for link, count in rows]


def portal_documents(session: Session, link: KbPortalLink) -> list[KbDocument]:
    query = select(KbDocument).where(KbDocument.published_version.is_not(None))
    if link.segment:
        query = query.where(
            or_(KbDocument.segment == link.segment, KbDocument.segment.is_(None))
        )
    return list(session.scalars(query.order_by(KbDocument.title)))


def portal_document(session: Session, link: KbPortalLink, slug: str) -> KbDocument:
    for document in portal_documents(session, link):
        if document.slug == slug:
            return document
    raise DocumentNotFound(f"no published document {slug!r} here")
