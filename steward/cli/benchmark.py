"""``steward benchmark ACCOUNT``: an account among its peers."""

from __future__ import annotations

import json
from dataclasses import asdict

import typer
from rich.table import Table

from steward.cli.common import console, handles_errors, open_workspace


@handles_errors
def benchmark(
    account: str = typer.Argument(..., help="The account's external id."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """An account's metrics as percentiles among peers: same industry and size band.

    For the Strategic Value Review. A small peer group is widened (same
    industry, then same size band, then everyone) and the output says so.

    Example: steward benchmark A-2e4581
    """
    from steward.accounts.coverage import load_coverage_rules
    from steward.reports.benchmark import account_benchmark

    workspace = open_workspace()
    rules = load_coverage_rules(workspace.coverage_path())
    with workspace.store.session() as session:
        result = account_benchmark(session, rules, account)
    if json_output:
        print(json.dumps(asdict(result), default=str, indent=2))
        return
    console.print(
        f"{result.name} ({result.account}): {result.industry or 'no industry'}, "
        f"{result.size_band or 'no seat count'}. Peers: {result.peer_group} "
        f"({result.peers} accounts, scores of {result.as_of}).",
        markup=False,
    )
    table = Table(title="Percentile among peers (better than: higher is better)")
    for column in ("Metric", "Value", "Peer median", "Percentile", "Better than"):
        table.add_column(column, justify="left" if column == "Metric" else "right")
    for line in result.standings:
        table.add_row(
            line.label,
            _value(line.value),
            _value(line.peer_median),
            f"{line.percentile:.0f}",
            f"{line.better_than:.0f}%",
        )
    console.print(table)


def _value(value: float) -> str:
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
