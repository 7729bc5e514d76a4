"""The audit log: every change a person, an import or a job makes."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from steward.store.models import AuditEntry


def record(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: object,
    **detail: Any,
) -> None:
    """Add one entry in the caller's transaction, so it commits with the change."""
    session.add(
        AuditEntry(
            actor=actor,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            detail=detail,
        )
    )
