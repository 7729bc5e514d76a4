"""Who may see and change what: the one rule every service function asks.

========== ======================================= ===============================
role       sees                                    changes
========== ======================================= ===============================
admin      every account and task                  everything; users, API tokens
manager    every account and task                  any account's notes, tags,
                                                   stage, and any task
csm        the accounts they own, and tasks        the same accounts and tasks
           assigned to them or on those accounts
read_only  every account and task                  nothing
========== ======================================= ===============================

Something a person may not see does not exist for them (``NotFound``, which
the web app and the API answer with 404, so ids are not confirmed to
outsiders); something they see but may not change is ``PermissionDenied``
(403).
"""

from __future__ import annotations

from steward.errors import (
    AccountNotFound,
    PermissionDenied,
    TaskNotFound,
)
from steward.store.models import Account, Task, User

SEE_ALL = frozenset({"admin", "manager", "read_only"})
CHANGE_ANY = frozenset({"admin", "manager"})


def book_of(user: User) -> int | None:
    """The CSM whose accounts ``user`` is limited to; None when they see all."""
    return None if user.role in SEE_ALL else user.id


def may_see_account(user: User, account: Account) -> bool:
    return user.role in SEE_ALL or account.csm_id == user.id


def may_change_account(user: User, account: Account) -> bool:
    if user.role in CHANGE_ANY:
        return True
    return user.role == "csm" and account.csm_id == user.id


def may_see_task(user: User, task: Task) -> bool:
    if user.role in SEE_ALL or task.assignee_id == user.id:
        return True
    return task.account is not None and task.account.csm_id == user.id


def may_change_task(user: User, task: Task) -> bool:
    if user.role in CHANGE_ANY:
        return True
    return user.role == "csm" and may_see_task(user, task)


def check_account(
    user: User, account: Account | None, key: str, change: bool
) -> Account:
    """The account when ``user`` may see it (and change it, when asked)."""
    if account is None or not may_see_account(user, account):
        raise AccountNotFound(f"no account with id {key!r}")
    if change and not may_change_account(user, account):
        raise PermissionDenied(_refusal(user, f"account {key!r}"))
    return account


def check_task(user: User, task: Task | None, task_id: int, change: bool) -> Task:
    if task is None or not may_see_task(user, task):
        raise TaskNotFound(f"no task with id {task_id}")
    if change and not may_change_task(user, task):
        raise PermissionDenied(_refusal(user, f"task {task_id}"))
    return task


def check_admin(user: User) -> None:
    if user.role != "admin":
        raise PermissionDenied(
            f"only an admin manages users and API tokens; {user.email} is "
            f"{user.role.replace('_', '-')}"
        )


def _refusal(user: User, what: str) -> str:
    if user.role == "read_only":
        return f"{user.email} is read-only and may not change {what}"
    return f"{user.email} ({user.role}) may not change {what}; its CSM or a manager may"
