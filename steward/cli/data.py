"""``steward import``: files and tables into the store, through a column mapping."""

from __future__ import annotations

import contextlib
import csv
import os
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
        None,
        help="A folder of files (with --mapping) or one file; leave it out to read "
        "every source from --from-url.",
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
    from_url: str = typer.Option(
        None,
        "--from-url",
        envvar="STEWARD_IMPORT_URL",
        show_envvar=True,
        help="Database to read tables from: postgresql://user@host/db (or "
        "/db/schema), duckdb:///file.duckdb, sqlite:///file.db or any Ibis URL. "
        "It serves the sources with table: and, without DATA, every source: "
        "file: x.csv is then read from the table x.",
    ),
    errors_csv: Path = typer.Option(None, help="Write every problem to this CSV file."),
) -> None:
    """Import accounts, contacts, contracts, events, tickets, NPS and outcomes.

    With --mapping, DATA is the folder its files are in (or one of them, with
    --kind). With --kind alone, the file's columns must be named like
    Steward's fields. With --from-url and no DATA, the mapping's sources are
    read from database tables instead (docs/importing.md). Rejected rows are
    reported with file or table, row, column and rule; good rows are kept;
    importing the same data again changes nothing.
    Exit status: 0 all rows kept, 3 some rows rejected, 1 nothing imported.

    Example: steward import ../shared/data/saas_ravenstack --mapping ravenstack

    Example: steward import --from-url postgresql://me@warehouse/crm --mapping
    salesforce
    """
    if data is not None and not data.exists():
        raise typer.BadParameter(f"{data} does not exist", param_hint="DATA")
    from steward.ingest import exit_code
    from steward.ingest.tables import Database
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
    if data is None and (from_url is None or mapping is None):
        raise typer.BadParameter(
            "give DATA (a folder or a file), or --from-url URL with --mapping to "
            "read the mapping's tables from a database",
            param_hint="DATA",
        )
    if errors_csv is not None:
        _check_writable(errors_csv)
    database = Database(from_url) if from_url else None
    with database or contextlib.nullcontext():
        reports = _run(data, mapping, kind, database)

    _print(reports)
    if errors_csv is not None:
        _write_problems(reports, errors_csv)
    raise typer.Exit(exit_code(reports))


def _run(
    data: Path | None, mapping: str | None, kind: str | None, database
) -> list[ImportReport]:
    from steward.ingest import import_file, import_mapping, load_mapping
    from steward.ingest.service import check_tables

    if database is not None and mapping is not None and (data is None or data.is_dir()):
        # A bad URL, table or column stops here, before the store is touched.
        path = mapping_path(mapping)
        sources = _sources_of_kind(path, kind) if kind else load_mapping(path).sources
        check_tables(sources, data, database)
    workspace = open_workspace(must_exist=False)
    workspace.init()
    store, events = workspace.store, workspace.events

    with console.status("Importing"):
        if mapping is not None and data is None:
            return _from_database(workspace, mapping_path(mapping), kind, database)
        if mapping is not None and data.is_dir() and kind is None:
            return import_mapping(
                store, events, mapping_path(mapping), data, database=database
            )
        if mapping is not None:
            return [_one_of_mapping(workspace, mapping_path(mapping), data, kind)]
        if data.is_dir():
            raise typer.BadParameter(
                "--kind imports one file; give a file, not a folder",
                param_hint="DATA",
            )
        return [import_file(store, events, data, kind, _same_names(data, kind))]


def _from_database(workspace, path: Path, kind: str | None, database) -> list:
    """Every source of the mapping (or the one of --kind) read from the database."""
    from steward.ingest import import_mapping
    from steward.ingest.service import import_source

    store, events = workspace.store, workspace.events
    if kind is None:
        return import_mapping(store, events, path, None, database=database)
    source = _sources_of_kind(path, kind)[0]
    return import_source(store, events, source, None, database=database)


def _sources_of_kind(path: Path, kind: str | None) -> list:
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
    return sources


def _one_of_mapping(
    workspace, path: Path, data: Path, kind: str | None
) -> ImportReport:
    from steward.ingest import import_file

    source = _sources_of_kind(path, kind)[0]
    options = source.model_dump(
        exclude={"kind", "file", "table", "fields", "order_by"}, exclude_none=True
    )
    return import_file(
        workspace.store, workspace.events, data, source.kind, source.fields, **options
    )


def _same_names(path: Path, kind: str) -> dict[str, str]:
    """Map each Steward field to the column of the same name, where there is one."""
    from steward.ingest.readers import read_table
    from steward.ingest.targets import TARGETS

    columns = set(read_table(path).columns)
    if not columns:
        raise StewardError(
            f"{path.name}: the file is empty (it has no columns); nothing was imported"
        )
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


def _check_writable(path: Path) -> None:
    """Refuse a problems file that could not be written, before anything is
    imported: the import would be kept and its problems lost."""
    folder = path.parent
    if path.is_dir():
        problem = "is a folder; name a file in it"
    elif not folder.is_dir():
        problem = f"is in {folder}, which is not a folder that exists"
    elif not os.access(folder, os.W_OK) or (
        path.exists() and not os.access(path, os.W_OK)
    ):
        problem = "cannot be written (permission denied)"
    else:
        return
    raise typer.BadParameter(f"{path} {problem}", param_hint="--errors-csv")


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
