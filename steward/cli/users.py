"""``steward user``: add people who sign in, set passwords, issue API tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from steward.cli.common import console, handles_errors, open_workspace
from steward.errors import UserNotFound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from steward.store.models import User

app = typer.Typer(help="Users who sign in to the web app, and API tokens.")
ACTOR = "cli"


def _password(value: str | None) -> str:
    if value is not None:
        return value
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@app.command("add")
@handles_errors
def add(
    email: str = typer.Argument(..., help="Their email; they sign in with it."),
    name: str = typer.Option("", help="Their name (default: the email)."),
    role: str = typer.Option(
        "csm", help="admin, manager, csm or read_only (see docs/web.md)."
    ),
    password: str = typer.Option(
        None, help="At least 10 characters; asked for when left out."
    ),
) -> None:
    """Add a user who signs in to the web app.

    Example: steward user add ana@example.com --name "Ana Lee" --role manager
    """
    from steward.auth.users import add_user

    secret = _password(password)
    workspace = open_workspace()
    with workspace.store.session() as session:
        user = add_user(
            session, email=email, name=name, role=role, password=secret, actor=ACTOR
        )
        console.print(f"Added {user.email} ({user.role}).", markup=False)


@app.command("password")
@handles_errors
def password(
    email: str = typer.Argument(..., help="The user's email."),
    password: str = typer.Option(
        None, help="At least 10 characters; asked for when left out."
    ),
) -> None:
    """Set a user's password (for users that came in by import, too).

    Example: steward user password csm1@example.com
    """
    from steward.auth.users import set_password

    secret = _password(password)
    workspace = open_workspace()
    with workspace.store.session() as session:
        set_password(session, _find(session, email), secret, ACTOR)
    console.print(f"Password set for {email}.", markup=False)


@app.command("token")
@handles_errors
def token(
    email: str = typer.Argument(..., help="The user the token acts as."),
    name: str = typer.Option(..., help="What the token is for."),
) -> None:
    """Issue an API token acting as a user; printed once, stored hashed.

    Example: steward user token ops@example.com --name "warehouse sync"
    """
    from steward.auth.tokens import mint_token

    workspace = open_workspace()
    with workspace.store.session() as session:
        _, secret = mint_token(session, _find(session, email), name, ACTOR)
    print(secret)


def _find(session: Session, email: str) -> User:
    from sqlalchemy import func, select

    from steward.store.models import User

    user = session.scalar(
        select(User).where(func.lower(User.email) == email.strip().lower())
    )
    if user is None:
        raise UserNotFound(
            f"no user with email {email!r}; add one with `steward user add`"
        )
    return user
