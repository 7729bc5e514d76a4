"""Who may do what in the knowledge base.

Anyone signed in reads every document and comments on it except read-only
users, who only read; CSMs, managers and admins import, edit and send for
review; managers and admins publish. ``None`` is the CLI's operator, who
holds the data folder and may do everything.
"""

from __future__ import annotations

from steward.errors import PermissionDenied
from steward.store.models import User

WRITERS = frozenset({"admin", "manager", "csm"})
PUBLISHERS = frozenset({"admin", "manager"})
CLI = "cli"


def actor(user: User | None) -> str:
    return user.email if user is not None else CLI


def check_write(user: User | None, what: str) -> None:
    if user is not None and user.role not in WRITERS:
        raise PermissionDenied(f"{user.email} is read-only and may not {what}")


def check_publish(user: User | None, what: str) -> None:
    if user is not None and user.role not in PUBLISHERS:
        raise PermissionDenied(
            f"{user.email} ({user.role}) may not {what}; a manager or an admin may"
        )
