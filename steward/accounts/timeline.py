"""One timeline per account: notes, calls and emails, stage moves, tasks, tags."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.store.models import AccountTag, LifecycleChange, Note, Task, User


@dataclass(frozen=True)
class TimelineItem:
    at: dt.datetime
    kind: str
    title: str
    body: str | None = None
    who: str | None = None
    categories: tuple[str, ...] = ()


def timeline(session: Session, account_id: int, limit: int = 50) -> list[TimelineItem]:
    """The newest ``limit`` items of every kind, newest first."""
    items = [
        *_notes(session, account_id, limit),
        *_stage_moves(session, account_id, limit),
        *_tasks(session, account_id, limit),
        *_tags(session, account_id, limit),
    ]
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


def _notes(session: Session, account_id: int, limit: int) -> list[TimelineItem]:
    rows = session.execute(
        select(Note, User.name)
        .outerjoin(User, User.id == Note.author_id)
        .where(Note.account_id == account_id)
        .order_by(Note.created_at.desc())
        .limit(limit)
    ).all()
    return [
        TimelineItem(
            at=note.created_at,
            kind=note.kind,
            title=note.kind.capitalize(),
            body=note.body,
            who=author,
            categories=tuple(note.categories or ()),
        )
        for note, author in rows
    ]


def _stage_moves(session: Session, account_id: int, limit: int) -> list[TimelineItem]:
    moves = session.scalars(
        select(LifecycleChange)
        .where(LifecycleChange.account_id == account_id)
        .order_by(LifecycleChange.changed_on.desc(), LifecycleChange.id.desc())
        .limit(limit)
    )
    return [
        TimelineItem(
            at=_start_of(move.changed_on),
            kind="stage",
            title=f"Stage: {_label(move.from_stage)} → {_label(move.stage)}",
            body=move.reason,
            who=move.changed_by,
        )
        for move in moves
    ]


def _tasks(session: Session, account_id: int, limit: int) -> list[TimelineItem]:
    tasks = session.scalars(
        select(Task)
        .where(Task.account_id == account_id)
        .order_by(Task.created_at.desc())
        .limit(limit)
    )
    items = []
    for task in tasks:
        items.append(
            TimelineItem(
                at=task.created_at,
                kind="task",
                title=f"Task raised: {task.title}",
                body=task.body,
                who=task.source,
            )
        )
        if task.completed_at is not None:
            items.append(
                TimelineItem(
                    at=task.completed_at, kind="task_done", title=f"Done: {task.title}"
                )
            )
    return items


def _tags(session: Session, account_id: int, limit: int) -> list[TimelineItem]:
    tags = session.scalars(
        select(AccountTag)
        .where(AccountTag.account_id == account_id)
        .order_by(AccountTag.added_at.desc())
        .limit(limit)
    )
    return [
        TimelineItem(
            at=tag.added_at, kind="tag", title=f"Tagged {tag.tag}", who=tag.added_by
        )
        for tag in tags
    ]


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def _label(stage: str | None) -> str:
    return (stage or "none").replace("_", " ")
