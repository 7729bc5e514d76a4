"""The task inbox: my tasks, overdue first; complete, snooze, reassign, comment."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from steward.accounts.inbox import (
    comment_on_task,
    comments_by_task,
    complete_task,
    inbox,
    reassign_task,
    snooze_task,
    today,
)
from steward.api.schemas import ID_MAX, PathId, QueryId
from steward.auth.users import assignable_users
from steward.errors import UserNotFound
from steward.store.models import Task, User
from steward.web.deps import DB, PageUser
from steward.web.rendering import answer, render

router = APIRouter()


@router.get("/tasks")
def tasks_page(
    request: Request,
    session: DB,
    user: PageUser,
    who: QueryId = None,
    done: bool = False,
) -> Response:
    assignee = session.get(User, who) if who else None
    if who and assignee is None:
        raise UserNotFound(f"no user with id {who}")
    tasks = inbox(session, user, assignee=assignee, include_done=done)
    context = {
        "user": user,
        "tasks": tasks,
        "comments": comments_by_task(session, [task.id for task in tasks]),
        "people": assignable_users(session),
        "who": assignee or user,
        "done": done,
        "today": today(),
        "tomorrow": today() + dt.timedelta(days=1),
    }
    return render(request, "tasks.html", context)


@router.post("/tasks/{task_id}/complete")
def post_complete(request: Request, session: DB, user: PageUser, task_id: PathId):
    task = complete_task(session, user, task_id)
    return _row(request, session, user, task)


@router.post("/tasks/{task_id}/snooze")
def post_snooze(
    request: Request,
    session: DB,
    user: PageUser,
    task_id: PathId,
    until: Annotated[dt.date, Form()],
) -> Response:
    task = snooze_task(session, user, task_id, until)
    return _row(request, session, user, task)


@router.post("/tasks/{task_id}/reassign")
def post_reassign(
    request: Request,
    session: DB,
    user: PageUser,
    task_id: PathId,
    assignee_id: Annotated[int, Form(ge=1, le=ID_MAX)],
) -> Response:
    task = reassign_task(session, user, task_id, assignee_id)
    return _row(request, session, user, task)


@router.post("/tasks/{task_id}/comments")
def post_comment(
    request: Request,
    session: DB,
    user: PageUser,
    task_id: PathId,
    body: Annotated[str, Form(max_length=5_000)],
) -> Response:
    comment_on_task(session, user, task_id, body)
    task = session.get(Task, task_id)
    return _row(request, session, user, task)


def _row(request: Request, session: Session, user: User, task: Task | None) -> Response:
    session.flush()
    context = {
        "user": user,
        "task": task,
        "comments": comments_by_task(session, [task.id] if task else []),
        "people": assignable_users(session),
        "today": today(),
        "tomorrow": today() + dt.timedelta(days=1),
    }
    return answer(request, "_task.html", context, "/tasks")
