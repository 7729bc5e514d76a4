"""``steward run`` and ``steward fit``: the daily job and learning its weights."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from steward.cli.common import console, handles_errors, open_workspace, parse_day, steps

if TYPE_CHECKING:
    from steward.jobs.run import RunSummary
    from steward.scoring.scorecard import FitReport

# The jobs import pandas, Ibis and scikit-learn; loading them only when a
# command runs keeps `steward --help` quick.


@handles_errors
def run(
    as_of: str = typer.Option(
        None, "--as-of", help="Day to run for (YYYY-MM-DD); default today."
    ),
    scorecard: str = typer.Option(
        "default", help="Scorecard file in config/scorecards."
    ),
    deliver: bool = typer.Option(
        True, "--deliver/--no-deliver", help="Deliver the outbox after the run."
    ),
) -> None:
    """Run the daily job: metrics, scores, milestones, coverage, playbooks, tasks.

    Running it again for the same day changes nothing. Emails, Slack messages
    and webhooks the day queued are delivered after it commits.

    Example: steward run --as-of 2024-06-30
    """
    from steward.jobs.run import STEPS, run_daily

    day = parse_day(as_of) or dt.datetime.now(dt.UTC).date()
    workspace = open_workspace()
    with steps(STEPS, f"Daily run {day}") as step:
        summary = run_daily(workspace, day, scorecard=scorecard, on_step=step)
    print_summary(summary)
    if deliver:
        from steward.cli.outbox import deliver_now

        deliver_now(workspace)


def print_summary(summary: RunSummary) -> None:
    table = Table(title=f"Daily run for {summary.as_of}", show_header=False)
    table.add_column("what")
    table.add_column("", justify="right")
    table.add_row("Live accounts", f"{summary.accounts:,}")
    for band in ("healthy", "neutral", "at_risk", "insufficient_data"):
        label = band.replace("_", " ").capitalize()
        table.add_row(f"  {label}", f"{summary.bands.get(band, 0):,}")
    table.add_row("ARR at risk", f"{summary.arr_at_risk:,.0f}")
    table.add_row("Milestones newly missed", f"{summary.milestones_missed:,}")
    table.add_row(
        "New tasks", f"{summary.new_tasks:,} (of {summary.tasks_for_day:,} this day)"
    )
    table.add_row("Lifecycle stage changes", f"{summary.stage_changes:,}")
    table.add_row(
        "Tier / coverage changes",
        f"{summary.tier_changes:,} / {summary.coverage_changes:,}",
    )
    table.add_row(
        "Playbooks fired",
        f"{summary.playbooks_fired:,} (of {summary.playbooks_for_day:,} this day)",
    )
    table.add_row("Messages queued", f"{summary.messages_queued:,}")
    table.add_row("Took", f"{summary.seconds:.1f} s")
    console.print(table)
    for note in summary.notes:
        console.print(f"Note: {note}", markup=False, highlight=False)


@handles_errors
def fit(
    scorecard: str = typer.Option(
        "default", help="Scorecard file in config/scorecards."
    ),
    as_of: str = typer.Option(
        None, "--as-of", help="Last day of history to learn from."
    ),
    seed: int = typer.Option(0, help="Seed for the backtest's resampling."),
) -> None:
    """Learn the scorecard's weights from churn history and backtest them.

    Writes the weights and the backtest into the scorecard file; when the
    backtest finds no signal, says so and keeps the current weights.

    Example: steward fit --scorecard default
    """
    from steward.jobs.fit import fit_workspace

    workspace = open_workspace()
    with steps(("history", "fit", "save"), "Fitting") as step:
        result = fit_workspace(
            workspace,
            scorecard=scorecard,
            as_of=parse_day(as_of),
            seed=seed,
            on_step=step,
        )
    print_report(result.report)
    console.print(f"Scorecard: {workspace.scorecard_path(scorecard)}")


def print_report(report: FitReport) -> None:
    table = Table(title="Backtest", show_header=False)
    table.add_column("what")
    table.add_column("", justify="right")
    table.add_row("Method", report.mode.replace("_", " "))
    table.add_row("Observations", f"{report.observations:,}")
    table.add_row("Accounts", f"{report.accounts:,}")
    table.add_row("Churned (positives)", f"{report.churned:,}")
    low, high = report.auc_interval
    table.add_row("AUC (95% interval)", f"{report.auc:.3f} ({low:.3f}-{high:.3f})")
    low, high = report.lift_interval
    table.add_row(
        "Top-decile lift", f"{report.lift_top_decile:.2f}x ({low:.2f}-{high:.2f})"
    )
    challenger = report.challenger
    low, high = challenger.auc_interval
    table.add_row(
        f"Challenger ({challenger.name}) AUC",
        f"{challenger.auc:.3f} ({low:.3f}-{high:.3f})",
    )
    renewals = report.renewals
    table.add_row(
        "Renewal calibration",
        "none (too few past renewals)"
        if renewals is None
        else f"{renewals.observations:,} weeks before renewals: "
        f"{renewals.churn_rate:.0%} churned, mean p {renewals.mean_probability:.0%}",
    )
    console.print(table)
    console.print(report.message)
