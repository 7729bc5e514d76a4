"""``steward demo``: a simulated company, imported, fitted and run."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import typer

from steward.cli.common import console, handles_errors, open_workspace, parse_day, steps
from steward.cli.daily import print_report, print_summary
from steward.cli.serve import demo_sign_in, run_server
from steward.errors import StewardError

MAPPING = Path(__file__).parents[1] / "demo" / "mapping.yaml"
MARKER = ".steward-demo"


@handles_errors
def demo(
    accounts: int = typer.Option(400, min=20, max=20_000, help="How many accounts."),
    seed: int = typer.Option(7, help="Same seed, same company."),
    as_of: str = typer.Option(
        None, "--as-of", help="The company's 'today'; default today."
    ),
    serve: bool = typer.Option(
        True, "--serve/--no-serve", help="Serve the web app when the demo is built."
    ),
    host: str = typer.Option("127.0.0.1", help="Address to serve on."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to serve on."),
) -> None:
    """Build a simulated SaaS company, import it, fit its health score, run the day.

    The data folder (STEWARD_HOME, default ./steward-data) is rebuilt if it
    holds an earlier demo; a folder with real data is never touched.

    Then serves the web app (unless --no-serve) and prints how to sign in.

    Example: steward demo --accounts 300
    """
    from steward.demo.company import generate_company
    from steward.ingest import exit_code, import_mapping
    from steward.jobs.fit import fit_workspace
    from steward.jobs.run import run_daily

    day = parse_day(as_of) or dt.datetime.now(dt.UTC).date()
    workspace = open_workspace(must_exist=False)
    home = workspace.settings.home
    _make_room(home, workspace.settings.database_url)
    workspace = open_workspace(must_exist=False)

    names = ("generate", "import", "fit", "run")
    with steps(names, "Demo") as step:
        step("generate")
        workspace.init()
        (home / MARKER).write_text("made by steward demo; safe to delete\n")
        source = home / "demo-source"
        generate_company(source, as_of=day, seed=seed, accounts=accounts)
        step("import")
        reports = import_mapping(workspace.store, workspace.events, MAPPING, source)
        if exit_code(reports) != 0:
            problems = [str(p) for report in reports for p in report.errors][:5]
            raise StewardError(
                "the demo company did not import cleanly: " + "; ".join(problems)
            )
        step("fit")
        result = fit_workspace(workspace, as_of=day)
        step("run")
        summary = run_daily(workspace, day)

    print_report(result.report)
    print_summary(summary)
    rows = sum(report.rows_read for report in reports)
    console.print(f"Imported {rows:,} rows from {source}")
    console.print(
        f"\nLook next (with STEWARD_HOME={home}):\n"
        "  steward accounts --band at_risk       riskiest accounts first\n"
        "  steward account ID                    why an account scores as it does\n"
        "  steward tasks                         what CSMs must do, overdue first\n"
        "  steward accounts --stage onboarding   accounts in their first 90 days\n"
        f"  {home}/config/scorecards/default.yaml: learned weights and backtest",
        markup=False,
        highlight=False,
    )
    console.print(demo_sign_in(workspace), markup=False, highlight=False)
    if serve:
        run_server(workspace, host, port, daily=True)


def _make_room(home: Path, database_url: str | None) -> None:
    if database_url:
        raise StewardError(
            "STEWARD_DATABASE_URL is set: the demo builds its own SQLite store; "
            "unset it (or run `env -u STEWARD_DATABASE_URL steward demo`)"
        )
    if not home.exists() or not any(home.iterdir()):
        return
    if not (home / MARKER).exists():
        raise StewardError(
            f"{home.resolve()} holds data that steward demo did not make; set "
            "STEWARD_HOME to an empty or new folder for the demo"
        )
    shutil.rmtree(home)
