"""Tasks: the work a CSM or manager must do, raised once per occurrence."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steward.errors import AccountNotFound, InputInvalid
from steward.store.models import Account, AuditEntry, Task, User


@dataclass(frozen=True)
class TaskSpec:
    """A task to raise; ``occurrence_key`` makes raising it again a no-op."""

    occurrence_key: str
    kind: str
    title: str
    body: str
    account_id: int | None
    assignee_id: int | None
    role: str | None
    due_on: dt.date | None
    priority: str
    source: str


def raise_tasks(
    session: Session, specs: Sequence[TaskSpec], created_on: dt.date, actor: str
) -> list[Task]:
    """Insert the tasks whose occurrence key is new; return only those."""
    keys = [spec.occurrence_key for spec in specs]
    known: set[str] = set()
    for start in range(0, len(keys), 500):
        known.update(
            session.scalars(
                select(Task.occurrence_key).where(
                    Task.occurrence_key.in_(keys[start : start + 500])
                )
            )
        )
    created = []
    for spec in specs:
        if spec.occurrence_key in known:
            continue
        known.add(spec.occurrence_key)
        task = Task(
            occurrence_key=spec.occurrence_key,
            kind=spec.kind,
            title=spec.title,
            body=spec.body,
            account_id=spec.account_id,
            assignee_id=spec.assignee_id,
            role=spec.role,
            due_on=spec.due_on,
            priority=spec.priority,
            source=spec.source,
            created_on=created_on,
        )
        session.add(task)
        created.append(task)
    session.flush()
    for task in created:
        session.add(
            AuditEntry(
                actor=actor,
                action="task.created",
                entity="task",
                entity_id=str(task.id),
                detail={"key": task.occurrence_key, "title": task.title},
            )
        )
    return created


def manager_of(session: Session, csm_id: int | None) -> int | None:
    """The CSM's manager, else the first active manager, else nobody."""
    if csm_id is not None:
        manager = session.scalar(select(User.manager_id).where(User.id == csm_id))
        if manager is not None:
            return manager
    return session.scalar(
        select(User.id)
        .where(User.role == "manager", User.is_active.is_(True))
        .order_by(User.id)
        .limit(1)
    )


def open_tasks(
    session: Session,
    *,
    assignee_email: str | None = None,
    account_external_id: str | None = None,
    include_done: bool = False,
    limit: int = 200,
) -> list[Task]:
    """Tasks, overdue first (earliest due date first), then by creation.

    An unknown assignee or account is an error, not an empty list that looks
    like a clear inbox.
    """
    query = select(Task).outerjoin(Task.assignee).outerjoin(Task.account)
    if not include_done:
        query = query.where(Task.status.in_(["open", "snoozed"]))
    if assignee_email:
        query = query.where(Task.assignee_id == _assignee_id(session, assignee_email))
    if account_external_id:
        account = session.scalar(
            select(Account.id).where(Account.external_id == account_external_id)
        )
        if account is None:
            raise AccountNotFound(
                f"no account with id {account_external_id!r}; "
                "`steward accounts` lists them"
            )
        query = query.where(Task.account_id == account)
    query = query.order_by(Task.due_on.is_(None), Task.due_on, Task.id).limit(limit)
    return list(session.scalars(query))


def _assignee_id(session: Session, email: str) -> int:
    wanted = email.strip().casefold()
    found = session.scalar(select(User.id).where(func.lower(User.email) == wanted))
    if found is not None:
        return found
    emails = session.scalars(
        select(User.email)
        .join(Task, Task.assignee_id == User.id)
        .where(Task.status.in_(["open", "snoozed"]))
        .distinct()
        .order_by(User.email)
    ).all()
    shown = ", ".join(emails[:5]) + (
        f" and {len(emails) - 5} more" if len(emails) > 5 else ""
    )
    hint = f"users with open tasks: {shown}" if emails else "no task is assigned yet"
    raise InputInvalid(f"no user with email {email!r}; {hint}", field="assignee")
