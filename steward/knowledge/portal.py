"""The onboarding portal: published documents, reached by a customer's link.

A link shows every published document meant for its segment (and those meant
for every segment); it carries no account, user or review data. Links are
random secrets stored as SHA-256, revocable like API tokens.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from steward.audit import record
from steward.errors import DocumentNotFound, InputInvalid, NotFound
from steward.knowledge.access import actor, check_publish
from steward.knowledge.checks import check_plain
from steward.store.knowledge import KbDocument, KbPortalLink
from steward.store.models import User, utcnow

PREFIX = "kbp_"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_link(
    session: Session, label: str, segment: str | None, user: User | None
) -> tuple[KbPortalLink, str]:
    """A new portal link and its secret (shown once)."""
    check_publish(user, "share the onboarding portal")
    label = " ".join(label.split())
    check_plain(label, "label")
    check_plain(segment, "segment")
    if not label or len(label) > 200:
        raise InputInvalid(
            "label the link (1 to 200 characters), e.g. the customer's name",
            field="label",
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    link = KbPortalLink(
        token_hash=_digest(secret),
        prefix=secret[:10],
        label=label,
        segment=segment or None,
        created_by=actor(user),
    )
    session.add(link)
    session.flush()
    record(session, actor(user), "kb.portal_link", "kb_portal_link", link.id)
    return link, secret


def revoke_link(session: Session, link_id: int, user: User | None) -> KbPortalLink:
    check_publish(user, "revoke portal links")
    link = session.get(KbPortalLink, link_id)
    if link is None:
        raise NotFound(f"no portal link with id {link_id}")
    link.revoked_at = link.revoked_at or utcnow()
    return link


def link_for(session: Session, secret: str) -> KbPortalLink:
    """The live link of ``secret``; an unknown or revoked one does not exist."""
    link = session.scalar(
        select(KbPortalLink).where(KbPortalLink.token_hash == _digest(secret))
    )
    if link is None or link.revoked_at is not None:
        raise NotFound("this portal link is unknown or has been revoked")
    return link


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
