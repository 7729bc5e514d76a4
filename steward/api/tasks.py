"""``/api/v1/tasks``: the inbox and what is done with a task."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from steward.accounts.inbox import (
    comment_on_task,
    complete_task,
    get_task,
    inbox,
    reassign_task,
    snooze_task,
)
from steward.api.convert import task_out
from steward.api.schemas import (
    CommentIn,
    CommentOut,
    PathId,
    QueryId,
    ReassignIn,
    SnoozeIn,
    TaskOut,
)
from steward.errors import UserNotFound
from steward.store.models import User
from steward.web.deps import DB, ApiUser

router = APIRouter(tags=["tasks"])


@router.get("/tasks", response_model=list[TaskOut])
def get_tasks(
    session: DB,
    user: ApiUser,
    assignee_id: QueryId = None,
    include_done: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[TaskOut]:
    """A person's tasks (default: the caller's), overdue first."""
    assignee = _user(session, assignee_id)
    tasks = inbox(
        session, user, assignee=assignee, include_done=include_done, limit=limit
    )
    return [task_out(task) for task in tasks]


@router.get("/tasks/{task_id}", response_model=TaskOut)
def get_one(session: DB, user: ApiUser, task_id: PathId) -> TaskOut:
    return task_out(get_task(session, user, task_id))


@router.post("/tasks/{task_id}/complete", response_model=TaskOut)
def post_complete(session: DB, user: ApiUser, task_id: PathId) -> TaskOut:
    return task_out(complete_task(session, user, task_id))


@router.post("/tasks/{task_id}/snooze", response_model=TaskOut)
def post_snooze(session: DB, user: ApiUser, task_id: PathId, body: SnoozeIn) -> TaskOut:
    return task_out(snooze_task(session, user, task_id, body.until))


@router.post("/tasks/{task_id}/reassign", response_model=TaskOut)
def post_reassign(
    session: DB, user: ApiUser, task_id: PathId, body: ReassignIn
) -> TaskOut:
    return task_out(reassign_task(session, user, task_id, body.assignee_id))


@router.post("/tasks/{task_id}/comments", response_model=CommentOut, status_code=201)
def post_comment(
    session: DB, user: ApiUser, task_id: PathId, body: CommentIn
) -> CommentOut:
    return CommentOut.model_validate(comment_on_task(session, user, task_id, body.body))


def _user(session: Session, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    found = session.get(User, user_id)
    if found is None:
        raise UserNotFound(f"no user with id {user_id}")
    return found
