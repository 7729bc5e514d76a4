"""Importing files and tables: the functions the CLI and the web app call.

Each file or table is read, converted and written in one transaction: either
all its good rows are stored with one ``ImportRun`` row, or (when the database
refuses something) nothing of it is. A source that cannot be read at all
raises ``ImportFailed``; bad rows are reported and skipped.

Where a source is read from: ``table:`` always from the database (``Database``);
``file:`` from the data folder when there is one, else from the database table
named by the file's name without its extension (``sf_account_data.csv`` is the
table ``sf_account_data``), so one mapping serves a folder and a database.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from steward.errors import ImportFailed
from steward.events.store import EventStore
from steward.ingest import kinds
from steward.ingest.convert import Prepared, prepare
from steward.ingest.event_loader import load_events
from steward.ingest.lookups import apply_lookups
from steward.ingest.mapping import Source, Via, load_mapping, make_source
from steward.ingest.readers import RawTable, read_table
from steward.ingest.report import ImportReport, Problem
from steward.ingest.tables import (
    Database,
    source_columns,
    source_order,
    via_columns,
)
from steward.ingest.targets import ORDER
from steward.store.db import Store
from steward.store.models import ImportRun

log = logging.getLogger(__name__)

# An import run keeps this many problems; the report returned has them all.
STORED_PROBLEMS = 1_000
_GLOB = set("*?[")


def import_mapping(
    store: Store,
    events: EventStore,
    mapping_path: Path,
    data_dir: Path | None,
    actor: str = "import",
    *,
    database: Database | None = None,
) -> list[ImportReport]:
    """Import every source of a mapping, users first and events last.

    ``data_dir`` holds the files, ``database`` the tables (see the module
    notes). Every table and column a source reads is checked before any row
    is read. Stops at the first source that cannot be read (``ImportFailed``);
    the sources before it stay imported, and running it again after the fix
    is safe.
    """
    mapping = load_mapping(Path(mapping_path))
    sources = sorted(mapping.sources, key=lambda source: ORDER[source.kind])
    check_tables(sources, data_dir, database)
    reports: list[ImportReport] = []
    for source in sources:
        reports.extend(
            import_source(store, events, source, data_dir, actor, database=database)
        )
    return reports


def import_source(
    store: Store,
    events: EventStore,
    source: Source,
    data_dir: Path | None,
    actor: str = "import",
    *,
    database: Database | None = None,
) -> list[ImportReport]:
    """Import the table, the file or each file of the glob a source names."""
    table = table_name(source, data_dir, database)
    if table is not None:
        assert database is not None
        return [import_table(store, events, source, database, table, data_dir, actor)]
    assert data_dir is not None
    data_dir = Path(data_dir)
    return [
        import_path(store, events, source, path, _name(path, data_dir), actor)
        for path in source_files(source, data_dir)
    ]


def table_name(
    item: Source | Via, data_dir: Path | None, database: Database | None
) -> str | None:
    """The database table ``item`` is read from, or ``None`` for a file."""
    if item.table is not None:
        if database is None:
            raise ImportFailed(
                f"{item.table}: a table source needs a database; give "
                "steward import --from-url URL (or set STEWARD_IMPORT_URL)"
            )
        return item.table
    assert item.file is not None
    if data_dir is not None:
        return None
    if database is None:
        raise ImportFailed(
            f"{item.file}: say where to read it: a data folder, or --from-url URL "
            "for a database holding it as a table"
        )
    if _GLOB & set(item.file):
        raise ImportFailed(
            f"{item.file}: a glob names files, not a table; give this source "
            "table: NAME to read it from the database"
        )
    return PurePosixPath(item.file).name.rsplit(".", 1)[0]


def check_tables(
    sources: list[Source], data_dir: Path | None, database: Database | None
) -> None:
    """Refuse a missing table, or a column missing from one, before any import."""
    for source in sources:
        name = table_name(source, data_dir, database)
        if name is not None:
            assert database is not None
            database.check(name, source_columns(source), _named_for(source))
        for field, spec in source.specs.items():
            if spec.via is None:
                continue
            if name is None and spec.via.table is not None:
                raise _file_reads_table(source.label, field, spec.via)
            via_table = table_name(spec.via, data_dir, database)
            if via_table is not None:
                assert database is not None
                needed = via_columns(spec.via, field)
                database.check(via_table, needed, _named_for(spec.via))


def _file_reads_table(name: str, field: str, via: Via) -> ImportFailed:
    return ImportFailed(
        f"{name}: field '{field}' reads table {via.table} (via), but this source "
        "is a file; give via file: beside it, or read the source from a table too"
    )


def _named_for(item: Source | Via) -> str:
    """How to fix a table name that came from a file's name."""
    if item.file is None:
        return ""
    what = "source" if isinstance(item, Source) else "via"
    return (
        f"it stands for file: {item.file}; land the table under that name, put "
        f"its schema in the URL, or give the {what} table: NAME"
    )


def import_file(
    store: Store,
    events: EventStore,
    path: Path,
    kind: str,
    fields: dict[str, Any],
    actor: str = "import",
    **options: Any,
) -> ImportReport:
    """A one-off import of one file (``steward import --kind``).

    ``fields`` is what a mapping's source would hold under ``fields``;
    ``options`` are the other source options (delimiter, header, dayfirst...).
    """
    path = Path(path)
    source = make_source(kind, str(path), fields, **options)
    return import_path(store, events, source, path, path.name, actor)


def source_files(source: Source, data_dir: Path) -> list[Path]:
    file = source.label
    if _GLOB & set(file):
        found = sorted(path for path in data_dir.glob(file) if path.is_file())
        if not found:
            raise ImportFailed(f"no file matches '{file}' in {data_dir}")
        return found
    path = data_dir / file
    if not path.is_file():
        raise ImportFailed(f"{file}: no such file in {data_dir}")
    return [path]


def import_path(
    store: Store,
    events: EventStore,
    source: Source,
    path: Path,
    name: str,
    actor: str = "import",
) -> ImportReport:
    """Read, check and store one file; see the module notes."""
    started = time.perf_counter()
    table = read_table(
        path,
        name=name,
        format=source.format,
        delimiter=source.delimiter,
        header=source.header,
        columns=source.columns,
        encoding=source.encoding,
    )

    def lookup(via: Via, field: str) -> RawTable:
        if via.file is None:
            raise _file_reads_table(name, field, via)
        return read_table(path.parent / via.file, name=via.file)

    table = apply_lookups(table, source, lookup)
    return _store(
        store, events, source, table, str(path), _checksum(path), actor, started
    )


def import_table(
    store: Store,
    events: EventStore,
    source: Source,
    database: Database,
    name: str,
    data_dir: Path | None = None,
    actor: str = "import",
) -> ImportReport:
    """Read, check and store one database table, like a file from there on."""
    started = time.perf_counter()
    table, checksum = database.read(name, source_columns(source), source_order(source))

    def lookup(via: Via, field: str) -> RawTable:
        via_table = table_name(via, data_dir, database)
        if via_table is None:
            assert data_dir is not None and via.file is not None
            return read_table(Path(data_dir) / via.file, name=via.file)
        needed = via_columns(via, field)
        return database.read(via_table, needed, [(via.key, False)])[0]

    table = apply_lookups(table, source, lookup)
    where = f"table {name} in {database.shown}"
    return _store(store, events, source, table, where, checksum, actor, started)


def _store(
    store: Store,
    events: EventStore,
    source: Source,
    table: RawTable,
    where: str,
    checksum: str,
    actor: str,
    started: float,
) -> ImportReport:
    """Convert and write one read file or table in one transaction."""
    name = table.name
    prepared = prepare(table, source)
    report = ImportReport(name, source.kind, blank_rows=table.blank_rows)
    report.encoding, report.delimiter = table.encoding, table.delimiter
    written: tuple[Path, ...] = ()
    try:
        try:
            with store.session() as session:
                if source.kind == "events":
                    written = load_events(
                        session, events, prepared, source, actor, report
                    )
                else:
                    kinds.load(session, prepared, source, actor, report)
                _finish(report, table.problems, prepared)
                run = _import_run(report, where, checksum)
                session.add(run)
                session.flush()
                report.import_run_id = run.id
        except BaseException:
            # The store took nothing, so neither do the events: no event
            # counts without its import record (or the accounts it created).
            for path in written:
                path.unlink(missing_ok=True)
            raise
    except SQLAlchemyError as error:
        reason = getattr(error, "orig", None) or error
        raise ImportFailed(
            f"{name}: nothing from this {table.noun} was stored: the database "
            f"refused it ({str(reason).splitlines()[0]})"
        ) from error
    report.seconds = time.perf_counter() - started
    log.info(
        "import.file file=%s kind=%s read=%d inserted=%d updated=%d unchanged=%d "
        "rejected=%d",
        name,
        source.kind,
        report.rows_read,
        report.inserted,
        report.updated,
        report.unchanged,
        report.rejected,
    )
    return report


def _finish(
    report: ImportReport, read_problems: list[Problem], prepared: Prepared
) -> None:
    unreadable = sum(1 for problem in read_problems if problem.row is not None)
    report.rejected = int(prepared.rejected.sum()) + unreadable
    report.rows_read = prepared.num_rows + unreadable
    problems = [*read_problems, *prepared.problems, *report.problems]
    report.problems = sorted(problems, key=lambda problem: problem.row or 0)


def _import_run(report: ImportReport, where: str, checksum: str) -> ImportRun:
    return ImportRun(
        kind=report.kind,
        source=where,
        checksum=checksum,
        rows_read=report.rows_read,
        inserted=report.inserted,
        updated=report.updated,
        unchanged=report.unchanged,
        rejected=report.rejected,
        problems=[problem.as_dict() for problem in report.problems[:STORED_PROBLEMS]],
    )


def _checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _name(path: Path, data_dir: Path) -> str:
    try:
        return path.relative_to(data_dir).as_posix()
    except ValueError:
        return path.name
