"""People who sign in: adding them, their roles, checking their passwords."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from steward.audit import record
from steward.auth.passwords import hash_password, verify_password
from steward.auth.permissions import check_admin
from steward.errors import AlreadyExists, InputInvalid, SignInRequired, UserNotFound
from steward.store.models import ROLES, User

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def add_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    password: str | None,
    actor: str,
) -> User:
    """A new user; ``actor`` is who added them (an admin's email, or ``cli``)."""
    email = _valid_email(email)
    _valid_role(role)
    if session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise AlreadyExists(f"a user with email {email!r} exists already")
    user = User(
        email=email,
        name=name.strip() or email,
        role=role,
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    record(session, actor, "user.added", "user", user.id, email=email, role=role)
    return user


def set_password(session: Session, user: User, password: str, actor: str) -> None:
    user.password_hash = hash_password(password)
    record(session, actor, "user.password_set", "user", user.id, email=user.email)


def authenticate(session: Session, email: str, password: str) -> User:
    """The active user with this email and password; one message for every miss."""
    user = session.scalar(
        select(User).where(func.lower(User.email) == email.strip().lower())
    )
    stored = user.password_hash if user is not None and user.is_active else None
    if not verify_password(stored, password) or user is None:
        raise SignInRequired("wrong email or password")
    return user


def active_user(session: Session, user_id: object) -> User | None:
    """The signed-in user of a session, unless deactivated since."""
    if not isinstance(user_id, int):
        return None
    user = session.get(User, user_id)
    return user if user is not None and user.is_active else None


def list_users(session: Session, viewer: User) -> list[User]:
    check_admin(viewer)
    return list(session.scalars(select(User).order_by(User.role, User.email)))


def assignable_users(session: Session) -> list[User]:
    """People a task may be given to: active, and allowed to change something."""
    return list(
        session.scalars(
            select(User)
            .where(User.is_active.is_(True), User.role != "read_only")
            .order_by(User.name)
        )
    )


def update_user(
    session: Session,
    viewer: User,
    user_id: int,
    *,
    role: str | None = None,
    active: bool | None = None,
) -> User:
    """Change a user's role or switch them off; an admin cannot demote themself."""
    check_admin(viewer)
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound(f"no user with id {user_id}")
    if user.id == viewer.id and (role not in (None, "admin") or active is False):
        raise InputInvalid(
            "an admin cannot remove their own admin role or switch themself off; "
            "ask another admin",
            field="role" if role else "active",
        )
    changes: dict[str, object] = {}
    if role is not None and role != user.role:
        _valid_role(role)
        changes["role"] = {"from": user.role, "to": role}
        user.role = role
    if active is not None and active != user.is_active:
        changes["active"] = {"from": user.is_active, "to": active}
        user.is_active = active
    if changes:
        record(session, viewer.email, "user.updated", "user", user.id, **changes)
    return user


def _valid_email(email: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise InputInvalid(
            f"{email!r} is not an email address; write it as name@example.com",
            field="email",
        )
    return email


def _valid_role(role: str) -> None:
    if role not in ROLES:
        raise InputInvalid(
            f"unknown role {role!r}; use one of {', '.join(ROLES)}", field="role"
        )


def add_user_as(
    session: Session, viewer: User, *, email: str, name: str, role: str, password: str
) -> User:
    """``add_user`` from the web app or the API, where only an admin may."""
    check_admin(viewer)
    return add_user(
        session,
        email=email,
        name=name,
        role=role,
        password=password,
        actor=viewer.email,
    )


DEMO_PASSWORD = "steward-demo"


def give_demo_passwords(session: Session, actor: str) -> list[User]:
    """Every user gets ``DEMO_PASSWORD``: only for the simulated demo company.

    One hash for all of them: the password is printed for anyone to read, so
    a salt per user would protect nothing.
    """
    shared = hash_password(DEMO_PASSWORD)
    users = list(session.scalars(select(User).order_by(User.role, User.email)))
    for user in users:
        user.password_hash = shared
    record(session, actor, "user.demo_passwords_set", "user", None, users=len(users))
    return users
