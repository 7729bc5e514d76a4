"""``steward init``: a data folder, its schema and the default config files."""

from __future__ import annotations

from steward.cli.common import console, handles_errors, open_workspace


@handles_errors
def init() -> None:
    """Create the data folder (STEWARD_HOME, default ./steward-data).

    Brings the database schema up to date and writes the default scorecard,
    onboarding journey and event vocabulary into its config folder, leaving
    files you already have alone.

    Example: STEWARD_HOME=/srv/steward steward init
    """
    workspace = open_workspace(must_exist=False)
    written = workspace.init()
    console.print(f"Data folder: {workspace.settings.home.resolve()}")
    console.print(f"Store: {workspace.store.engine.url.render_as_string()}")
    for path in written:
        console.print(f"  wrote {path}")
    console.print(
        "Next: steward import DATA --mapping MAPPING, then steward fit and steward run."
    )
