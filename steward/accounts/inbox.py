"""The task inbox: a person's tasks, overdue first, and what they do with them."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from steward.audit import record
from steward.auth.permissions import book_of, check_task
from steward.errors import InputInvalid, UserNotFound
from steward.store.models import Account, Task, TaskComment, User, utcnow

MAX_COMMENT = 5_000


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def inbox(
    session: Session,
    viewer: User,
    *,
    assignee: User | None = None,
    include_done: bool = False,
    limit: int = 100,
) -> list[Task]:
    """Tasks of ``assignee`` (default: the viewer), overdue first.

    A person's tasks are those assigned to them and those raised for their role
    with nobody assigned. Snoozed tasks come back on the day they were snoozed
    to. Only tasks the viewer may see are listed.
    """
    who = assignee or viewer
    query = (
        select(Task)
        .outerjoin(Account, Account.id == Task.account_id)
        .options(selectinload(Task.account), selectinload(Task.assignee))
        .where(
            or_(
                Task.assignee_id == who.id,
                and_(Task.assignee_id.is_(None), Task.role == who.role),
            )
        )
    )
    book = book_of(viewer)
    if book is not None:
        query = query.where(or_(Task.assignee_id == book, Account.csm_id == book))
    if not include_done:
        awake = or_(Task.status == "open", Task.snoozed_until <= today())
        query = query.where(Task.status.in_(["open", "snoozed"]), awake)
    query = query.order_by(Task.due_on.is_(None), Task.due_on, Task.id).limit(limit)
    return list(session.scalars(query))


def get_task(session: Session, viewer: User, task_id: int) -> Task:
    return check_task(viewer, session.get(Task, task_id), task_id, change=False)


def complete_task(session: Session, viewer: User, task_id: int) -> Task:
    task = _changeable(session, viewer, task_id)
    if task.status != "done":
        task.status = "done"
        task.completed_at = utcnow()
        task.snoozed_until = None
        record(session, viewer.email, "task.completed", "task", task.id)
    return task


def snooze_task(session: Session, viewer: User, task_id: int, until: dt.date) -> Task:
    """Hide an open task from the inbox until ``until`` (a day after today)."""
    task = _changeable(session, viewer, task_id)
    if until <= today():
        raise InputInvalid(
            f"snooze until a day after today ({today()}), not {until}", field="until"
        )
    if task.status == "done":
        raise InputInvalid(f"task {task_id} is done; only open tasks snooze", "until")
    task.status = "snoozed"
    task.snoozed_until = until
    record(session, viewer.email, "task.snoozed", "task", task.id, until=str(until))
    return task


def reassign_task(
    session: Session, viewer: User, task_id: int, assignee_id: int
) -> Task:
    task = _changeable(session, viewer, task_id)
    target = session.get(User, assignee_id)
    if target is None or not target.is_active or target.role == "read_only":
        raise UserNotFound(
            f"no active user with id {assignee_id} who may work on tasks",
        )
    if task.assignee_id != target.id:
        before = task.assignee.email if task.assignee else None
        task.assignee_id = target.id
        task.assignee = target
        record(
            session,
            viewer.email,
            "task.reassigned",
            "task",
            task.id,
            **{"from": before, "to": target.email},
        )
    return task


def comment_on_task(
    session: Session, viewer: User, task_id: int, body: str
) -> TaskComment:
    task = _changeable(session, viewer, task_id)
    body = body.strip()
    if not body or len(body) > MAX_COMMENT:
        raise InputInvalid(
            f"a comment has 1 to {MAX_COMMENT:,} characters", field="body"
        )
    comment = TaskComment(task_id=task.id, author_id=viewer.id, body=body)
    session.add(comment)
    session.flush()
    record(session, viewer.email, "task.commented", "task", task.id, comment=comment.id)
    return comment


def comments_by_task(
    session: Session, task_ids: list[int]
) -> dict[int, list[TaskComment]]:
    """Comments of many tasks in one query, oldest first."""
    found: dict[int, list[TaskComment]] = defaultdict(list)
    if not task_ids:
        return found
    rows = session.scalars(
        select(TaskComment)
        .options(selectinload(TaskComment.author))
        .where(TaskComment.task_id.in_(task_ids))
        .order_by(TaskComment.created_at, TaskComment.id)
    )
    for comment in rows:
        found[comment.task_id].append(comment)
    return found


def _changeable(session: Session, viewer: User, task_id: int) -> Task:
    return check_task(viewer, session.get(Task, task_id), task_id, change=True)
