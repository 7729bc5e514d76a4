"""``steward serve``: the web app, and the daily run once a day."""

from __future__ import annotations

import typer

from steward.cli.common import console, handles_errors, open_workspace
from steward.workspace import Workspace


@handles_errors
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    daily: bool = typer.Option(
        True, "--daily/--no-daily", help="Run the daily job once a day in-process."
    ),
) -> None:
    """Serve the web app and the JSON API (/api/v1) until stopped with Ctrl-C.

    With --daily (the default) the daily run happens in a background thread
    for each new UTC day from 02:00 on, unless it already ran that day.

    Example: steward serve --host 0.0.0.0 --port 8080
    """
    run_server(open_workspace(), host, port, daily)


def run_server(workspace: Workspace, host: str, port: int, daily: bool) -> None:
    import uvicorn

    from steward.web.app import create_app

    app = create_app(workspace, daily_run=daily)
    console.print(f"Steward is at http://{host}:{port}/  (Ctrl-C stops it)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def demo_sign_in(workspace: Workspace) -> str:
    """Give the demo's users the demo password; say how to sign in."""
    from steward.auth.users import DEMO_PASSWORD, give_demo_passwords

    with workspace.store.session() as session:
        users = give_demo_passwords(session, actor="demo")
        admin = next((u.email for u in users if u.role == "admin"), None)
        csm = next((u.email for u in users if u.role == "csm"), None)
    return (
        f"Sign in as {admin} (admin) or {csm} (a CSM), password {DEMO_PASSWORD}; "
        "every demo user has that password."
    )
