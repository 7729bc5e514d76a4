"""``steward import``: files into the store, through a column mapping."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from steward.cli.common import console, handles_errors, open_workspace
from steward.errors import StewardError
from steward.reports.spreadsheet import safe_cell

if TYPE_CHECKING:
    from steward.ingest import ImportReport

SHIPPED = Path(__file__).parents[1] / "ingest" / "mappings"
SHOWN_PROBLEMS = 20


def mapping_path(value: str) -> Path:
    """A mapping file path, or the name of one shipped with Steward."""
    path = Path(value)
    if path.is_file():
        return path
    shipped = SHIPPED / f"{value}.yaml"
    if shipped.is_file():
        return shipped
    names = ", ".join(sorted(p.stem for p in SHIPPED.glob("*.yaml")))
    raise typer.BadParameter(
        f"{value!r} is neither a mapping file nor a shipped mapping ({names})",
        param_hint="--mapping",
    )


@handles_errors
def import_(
    data: Path = typer.Argument(
        ..., help="A folder of files (with --mapping) or one file."
    ),
    mapping: str = typer.Option(
        None,
        help="Mapping file, or a shipped one: ravenstack, telco, cdnow, sparkify, "
        "and the connector layouts salesforce, hubspot, zendesk, pendo, recurly.",
    ),
    kind: str = typer.Option(
        None,
        help="Import one file as this kind: users, accounts, contacts, contracts, "
        "outcomes, tickets, nps, efforts or events.",
    ),
    errors_csv: Path = typer.Option(None, help="Write every problem to this CSV file."),
) -> None:
    """Import accounts, contacts, contracts, events, tickets, NPS and outcomes.

    With --mapping, DATA is the folder its files are in (or one of them, with
    --kind). With --kind alone, the file's columns must be named like
    Steward's fields. Rejected rows are reported with file, row, column and
    rule; good rows are kept; importing the same file again changes nothing.
    Exit status: 0 all rows kept, 3 some rows rejected, 1 nothing imported.

    Example: steward import ../shared/data/saas_ravenstack --mapping ravenstack
    """
    if not data.exists():
        raise typer.BadParameter(f"{data} does not exist", param_hint="DATA")
    from steward.ingest import exit_code, import_file, import_mapping
    from steward.ingest.targets import KINDS

    if kind is not None and kind not in KINDS:
        raise typer.BadParameter(
            f"{kind!r} is not a kind; use one of {', '.join(KINDS)}",
            param_hint="--kind",
        )
    if mapping is None and kind is None:
        raise typer.BadParameter(
            "say how to read the data: --mapping FILE (or a shipped mapping name), "
            "or --kind KIND for a file whose columns are named like Steward's fields",
            param_hint="--mapping",
        )
    workspace = open_workspace(must_exist=False)
    workspace.init()
    store, events = workspace.store, workspace.events

    with console.status("Importing"):
        if mapping is not None and data.is_dir() and kind is None:
            reports = import_mapping(store, events, mapping_path(mapping), data)
        elif mapping is not None:
            reports = [_one_of_mapping(workspace, mapping_path(mapping), data, kind)]
        else:
            if data.is_dir():
                raise typer.BadParameter(
                    "--kind imports one file; give a file, not a folder",
                    param_hint="DATA",
                )
            reports = [import_file(store, events, data, kind, _same_names(data, kind))]

    _print(reports)
    if errors_csv is not None:
        _write_problems(reports, errors_csv)
    raise typer.Exit(exit_code(reports))


def _one_of_mapping(
    workspace, path: Path, data: Path, kind: str | None
) -> ImportReport:
    from steward.ingest import import_file
    from steward.ingest.mapping import load_mapping

    sources = load_mapping(path).sources
    if kind is not None:
        sources = [source for source in sources if source.kind == kind]
    if len(sources) != 1:
        raise StewardError(
            f"{path} has {len(sources)} sources"
            + (f" of kind {kind}" if kind else "")
            + "; give a folder to import them all, or --kind to pick one"
        )
    source = sources[0]
    options = source.model_dump(exclude={"kind", "file", "fields"}, exclude_none=True)
    return import_file(
        workspace.store, workspace.events, data, source.kind, source.fields, **options
    )


def _same_names(path: Path, kind: str) -> dict[str, str]:
    """Map each Steward field to the column of the same name, where there is one."""
    from steward.ingest.readers import read_table
    from steward.ingest.targets import TARGETS

    columns = set(read_table(path).columns)
    fields = {name: name for name in TARGETS[kind] if name in columns}
    missing = [
        name
        for name, target in TARGETS[kind].items()
        if target.required and name not in columns
    ]
    if missing:
        raise StewardError(
            f"{path.name}: no column named {', '.join(missing)}, which {kind} need; "
            "rename the columns or write a mapping file (docs/importing.md)"
        )
    return fields


def _print(reports: list[ImportReport]) -> None:
    table = Table(title="Import")
    for column in (
        "File",
        "Kind",
        "Read",
        "New",
        "Changed",
        "Same",
        "Rejected",
        "Warnings",
    ):
        justify = "left" if column in ("File", "Kind") else "right"
        table.add_column(column, justify=justify, overflow="fold")
    for report in reports:
        table.add_row(
            report.file,
            report.kind,
            f"{report.rows_read:,}",
            f"{report.inserted:,}",
            f"{report.updated:,}",
            f"{report.unchanged:,}",
            f"{report.rejected:,}",
            f"{len(report.warnings):,}",
        )
    console.print(table)
    problems = [problem for report in reports for problem in report.problems]
    for problem in problems[:SHOWN_PROBLEMS]:
        console.print(
            f"{problem.level}: {problem}", markup=False, highlight=False, soft_wrap=True
        )
    if len(problems) > SHOWN_PROBLEMS:
        more = len(problems) - SHOWN_PROBLEMS
        console.print(f"... and {more} more; --errors-csv FILE lists all")


def _write_problems(reports: list[ImportReport], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["level", "file", "row", "column", "rule", "value"])
        for report in reports:
            for problem in report.problems:
                writer.writerow(
                    [
                        problem.level,
                        problem.file,
                        problem.row,
                        problem.column,
                        problem.rule,
                        safe_cell(problem.value),
                    ]
                )
    console.print(f"Problems written to {path}")
