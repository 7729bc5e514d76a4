"""Importing files: the functions the CLI and the web app call.

Each file is read, converted and written in one transaction: either all its
good rows are stored with one ``ImportRun`` row, or (when the database refuses
something) nothing of it is. A file that cannot be read at all raises
``ImportFailed``; bad rows are reported and skipped.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from steward.errors import ImportFailed
from steward.events.store import EventStore
from steward.ingest import kinds
from steward.ingest.convert import Prepared, prepare
from steward.ingest.event_loader import load_events
from steward.ingest.lookups import apply_lookups
from steward.ingest.mapping import Source, load_mapping, make_source
from steward.ingest.readers import read_table
from steward.ingest.report import ImportReport, Problem
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
    data_dir: Path,
    actor: str = "import",
) -> list[ImportReport]:
    """Import every source of a mapping file, users first and events last.

    Stops at the first file that cannot be read (``ImportFailed``); the files
    before it stay imported, and running it again after the fix is safe.
    """
    mapping = load_mapping(Path(mapping_path))
    sources = sorted(mapping.sources, key=lambda source: ORDER[source.kind])
    reports: list[ImportReport] = []
    for source in sources:
        reports.extend(import_source(store, events, source, data_dir, actor=actor))
    return reports


def import_source(
    store: Store,
    events: EventStore,
    source: Source,
    data_dir: Path,
    actor: str = "import",
) -> list[ImportReport]:
    """Import the file (or each file of the glob) a source names, one report each."""
    data_dir = Path(data_dir)
    return [
        import_path(store, events, source, path, _name(path, data_dir), actor)
        for path in source_files(source, data_dir)
    ]


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
    if _GLOB & set(source.file):
        found = sorted(path for path in data_dir.glob(source.file) if path.is_file())
        if not found:
            raise ImportFailed(f"no file matches '{source.file}' in {data_dir}")
        return found
    path = data_dir / source.file
    if not path.is_file():
        raise ImportFailed(f"{source.file}: no such file in {data_dir}")
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
    table = apply_lookups(table, source, path.parent)
    prepared = prepare(table, source)
    report = ImportReport(name, source.kind, blank_rows=table.blank_rows)
    report.encoding, report.delimiter = table.encoding, table.delimiter
    try:
        with store.session() as session:
            if source.kind == "events":
                load_events(session, events, prepared, source, actor, report)
            else:
                kinds.load(session, prepared, source, actor, report)
            _finish(report, table.problems, prepared)
            run = _import_run(report, path)
            session.add(run)
            session.flush()
            report.import_run_id = run.id
    except SQLAlchemyError as error:
        reason = getattr(error, "orig", None) or error
        raise ImportFailed(
            f"{name}: nothing from this file was stored: the database refused it "
            f"({str(reason).splitlines()[0]})"
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


def _import_run(report: ImportReport, path: Path) -> ImportRun:
    return ImportRun(
        kind=report.kind,
        source=str(path),
        checksum=_checksum(path),
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
