"""The review workflow: draft, in review, published; comments on versions.

========== ============================ ===========================
step       from                         who
========== ============================ ===========================
review     draft                        CSM, manager, admin
publish    in review                    manager, admin
changes    in review (back to draft)    manager, admin
========== ============================ ===========================

Publishing makes the current version the one customers see; a later edit
starts a new draft while the published version stays in the portal.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.audit import record
from steward.errors import InputInvalid, WorkflowRefused
from steward.knowledge.access import actor, check_publish, check_write
from steward.knowledge.checks import check_plain
from steward.knowledge.documents import touch
from steward.store.knowledge import KbComment, KbDocument
from steward.store.models import User, utcnow


def send_for_review(session: Session, document: KbDocument, user: User | None) -> None:
    check_write(user, f"send {document.slug!r} for review")
    _expect(document, "draft", "sending it for review")
    _move(session, document, "in_review", user)


def publish(session: Session, document: KbDocument, user: User | None) -> None:
    check_publish(user, f"publish {document.slug!r}")
    if document.status == "draft":
        raise WorkflowRefused(
            f"{document.slug!r} is a draft; send it for review first "
            f"(steward kb review {document.slug})"
        )
    _expect(document, "in_review", "publishing it")
    document.published_version = document.current_version
    document.published_at = utcnow()
    _move(session, document, "published", user)


def request_changes(
    session: Session, document: KbDocument, body: str, user: User | None
) -> KbComment:
    """Send a document in review back to draft, saying why."""
    check_publish(user, f"send {document.slug!r} back for changes")
    _expect(document, "in_review", "asking for changes")
    comment = add_comment(session, document, body, user)
    _move(session, document, "draft", user)
    return comment


def add_comment(
    session: Session,
    document: KbDocument,
    body: str,
    user: User | None,
    section: int | None = None,
) -> KbComment:
    """A comment on the document's current version, or on one section of it."""
    check_write(user, f"comment on {document.slug!r}")
    body = body.strip()
    check_plain(body, "body")
    if not body or len(body) > 5000:
        raise InputInvalid("a comment has 1 to 5,000 characters", field="body")
    if section is not None:
        _check_section(session, document, section)
    comment = KbComment(
        document_id=document.id,
        version=document.current_version,
        section=section,
        body=body,
        author=actor(user),
    )
    session.add(comment)
    session.flush()
    record(session, actor(user), "kb.commented", "kb_document", document.id)
    return comment


def comments(session: Session, document: KbDocument) -> list[KbComment]:
    return list(
        session.scalars(
            select(KbComment)
            .where(KbComment.document_id == document.id)
            .order_by(KbComment.created_at, KbComment.id)
        )
    )


def _check_section(session: Session, document: KbDocument, section: int) -> None:
    from steward.knowledge.views import document_view

    count = len(document_view(session, document).sections)
    if not 1 <= section <= count:
        raise InputInvalid(
            f"section {section} is not in {document.slug!r}, which has sections "
            f"1 to {count}",
            field="section",
        )


_LABELS = {"draft": "a draft", "in_review": "in review", "published": "published"}


def _expect(document: KbDocument, status: str, what: str) -> None:
    if document.status != status:
        raise WorkflowRefused(
            f"{document.slug!r} is {_LABELS[document.status]}; {what} needs it to "
            f"be {_LABELS[status]}"
        )


def _move(
    session: Session, document: KbDocument, status: str, user: User | None
) -> None:
    before = document.status
    document.status = status
    touch(document)
    record(
        session,
        actor(user),
        f"kb.{status}",
        "kb_document",
        document.id,
        before=before,
        version=document.current_version,
    )
