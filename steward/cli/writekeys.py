"""``steward writekey``: keys a product sends tracking calls with."""

from __future__ import annotations

import typer
from rich.table import Table

from steward.cli.common import console, handles_errors, open_workspace

app = typer.Typer(help="Write keys for the Segment-compatible tracking API (/v1).")
ACTOR = "cli"


@app.command("add")
@handles_errors
def add(name: str = typer.Argument(..., help="What the key is for.")) -> None:
    """Create a write key; it is printed once and stored hashed.

    Example: steward writekey add "web app"
    """
    from steward.auth.writekeys import add_write_key

    workspace = open_workspace()
    with workspace.store.session() as session:
        _, secret = add_write_key(session, name, ACTOR)
    print(secret)


@app.command("list")
@handles_errors
def list_() -> None:
    """List write keys: id, name, the key's first characters, state.

    Example: steward writekey list
    """
    from steward.auth.writekeys import list_write_keys

    workspace = open_workspace()
    table = Table("id", "name", "starts with", "created", "state")
    with workspace.store.session() as session:
        for key in list_write_keys(session):
            state = "revoked" if key.revoked_at else "live"
            created = key.created_at.strftime("%Y-%m-%d")
            table.add_row(str(key.id), key.name, key.prefix, created, state)
    console.print(table)


@app.command("revoke")
@handles_errors
def revoke(key_id: int = typer.Argument(..., help="The key's id (see list).")) -> None:
    """Revoke a write key; servers refuse it within seconds.

    Example: steward writekey revoke 3
    """
    from steward.auth.writekeys import revoke_write_key

    workspace = open_workspace()
    with workspace.store.session() as session:
        key = revoke_write_key(session, key_id, ACTOR)
        console.print(f"Revoked write key {key.id} ({key.name}).", markup=False)
