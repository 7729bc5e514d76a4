"""Database tables as import sources, read through Ibis into a ``RawTable``.

``steward import --from-url URL`` (or ``STEWARD_IMPORT_URL``) names the
database: PostgreSQL, a DuckDB or SQLite file, or any other database Ibis has
a backend for. A table is read with one query that selects the mapped columns
in a stated order, fetched as Arrow, and then goes through the same
``from_arrow`` as a Parquet file: from there on a table and a file are alike.

Row numbers are positions in the query's order, from 1. The order is the
source's ``order_by``, else its mapped id column; a table with neither has no
stable row numbers, since a database returns rows in any order it likes.

A table is held whole in memory before its rows are checked, like a file, so
one larger than memory has to be imported in parts (a view per part).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from steward.errors import ImportFailed
from steward.ingest.mapping import Source, Via
from steward.ingest.readers import RawTable, from_arrow
from steward.ingest.targets import KEYS

if TYPE_CHECKING:
    import ibis
    import ibis.expr.types as ir

SHOWN_TABLES = 12
CONNECT_SECONDS = 15
# Local database files: opened only if they exist, so a typo creates nothing.
_FILE_SCHEMES = ("duckdb", "sqlite")


class Database:
    """A database to import tables from, connected on first use.

    ``url`` is an Ibis connection URL (a SQLAlchemy-style driver suffix such
    as ``postgresql+psycopg://`` is accepted and dropped); ``backend`` an Ibis
    connection already open, for callers that built the tables themselves.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        backend: ibis.BaseBackend | None = None,
        label: str | None = None,
    ) -> None:
        if (url is None) == (backend is None):
            raise ValueError("give a URL or an open backend")
        self.url = url
        self.shown = label or (shown_url(url) if url else "the database")
        self._backend = backend
        self._owned = backend is None

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self) -> ibis.BaseBackend:
        """The open connection; ``ImportFailed`` says why there is none."""
        if self._backend is None:
            assert self.url is not None
            self._backend = _open(self.url, self.shown)
        return self._backend

    def close(self) -> None:
        if self._owned and self._backend is not None:
            self._backend.disconnect()
            self._backend = None

    def table(self, name: str, why: str = "") -> ir.Table:
        """The table ``name`` (``schema.table`` allowed), or a one-line error."""
        from ibis.common.exceptions import TableNotFound

        backend = self.connect()
        table_name, database = split_name(name)
        try:
            return backend.table(table_name, database=database)
        except TableNotFound:
            raise ImportFailed(self._unknown(name, database, why)) from None
        except Exception as error:  # the driver's own error types, any backend
            raise ImportFailed(
                f"{name}: cannot read its columns from {self.shown} "
                f"({_first_line(error)})"
            ) from error

    def check(self, name: str, needed: dict[str, str], why: str = "") -> None:
        """Refuse a missing table or column before any row is read.

        ``needed`` maps each column to what names it (``field 'name'``).
        """
        columns = list(self.table(name, why).columns)
        for column, by in needed.items():
            if column not in columns:
                raise ImportFailed(
                    f"{name}: column '{column}' named by {by} is not in the table; "
                    f"its columns are: {', '.join(columns) or 'none'}"
                )

    def read(
        self, name: str, needed: dict[str, str], order: list[tuple[str, bool]]
    ) -> tuple[RawTable, str]:
        """The table's needed columns, in ``order``, and a checksum of the rows."""
        self.check(name, needed)
        expression = _query(self.table(name), list(needed), order)
        try:
            # Ibis fetches through the driver in batches (a server-side cursor
            # on PostgreSQL) and hands back one Arrow table.
            data = expression.to_pyarrow()
        except Exception as error:  # the driver's own error types, any backend
            raise ImportFailed(
                f"{name}: reading it from {self.shown} failed ({_first_line(error)});"
                " nothing from this table was stored"
            ) from error
        digest = hashlib.sha256()
        for batch in data.to_batches():
            digest.update(batch.serialize())
        return from_arrow(data, name, noun="table"), digest.hexdigest()

    def _unknown(self, name: str, database: Any, why: str) -> str:
        try:
            names = self.connect().list_tables(database=database)
        except Exception:  # a schema that does not exist either
            names = []
        listed = ", ".join(sorted(names)[:SHOWN_TABLES])
        if len(names) > SHOWN_TABLES:
            listed += f" and {len(names) - SHOWN_TABLES} more"
        where = f"its tables are: {listed}" if names else "it shows no tables there"
        fix = why or (
            "fix the table: name in the mapping, or the schema in it or in the URL"
        )
        return f"table '{name}' is not in {self.shown} ({where}); {fix}"


def source_columns(source: Source) -> dict[str, str]:
    """Every column a source reads, each with what in the mapping names it."""
    needed: dict[str, str] = {}
    for name, spec in source.specs.items():
        if spec.column is not None:
            needed.setdefault(spec.column, f"field '{name}'")
    for name, spec in source.attributes.items():
        if spec.column is not None:
            needed.setdefault(spec.column, f"attribute '{name}'")
    for column in source.properties:
        needed.setdefault(column, "properties")
    for column, _descending in source.order:
        needed.setdefault(column, "order_by")
    return needed


def via_columns(via: Via, field: str) -> dict[str, str]:
    return {via.key: f"field '{field}' (via)", via.value: f"field '{field}' (via)"}


def source_order(source: Source) -> list[tuple[str, bool]]:
    """``order_by``, else the mapped id column, else no order at all."""
    if source.order:
        return source.order
    key = source.specs.get(KEYS[source.kind])
    if key is None and source.kind == "contacts":
        key = source.specs.get("email")
    if key is None or key.column is None or key.via is not None:
        return []
    return [(key.column, False)]


def split_name(name: str) -> tuple[str, str | tuple[str, str] | None]:
    """``table``, ``schema.table`` or ``catalog.schema.table`` for Ibis."""
    parts = name.split(".")
    if len(parts) == 1:
        return name, None
    if len(parts) == 2:
        return parts[1], parts[0]
    return parts[-1], (".".join(parts[:-2]), parts[-2])


def shown_url(url: str) -> str:
    """The URL with its password replaced by ***, for messages and import runs."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        return url.split("://", 1)[0] + "://..."


def _open(url: str, shown: str) -> ibis.BaseBackend:
    import ibis

    scheme, separator, rest = url.partition("://")
    if not separator or not scheme:
        raise ImportFailed(
            f"'{shown}' is not a database URL; give one like "
            "postgresql://user@host/db, duckdb:///path/file.duckdb or "
            "sqlite:///path/file.db"
        )
    kind = scheme.split("+", 1)[0].lower()
    options: dict[str, Any] = {}
    if kind in _FILE_SCHEMES:
        _check_file(kind, rest, shown)
        options = {"read_only": True} if kind == "duckdb" else {}
    if kind in ("postgres", "postgresql") and "connect_timeout" not in rest:
        # A host that drops packets would otherwise hang for minutes.
        options = {"connect_timeout": CONNECT_SECONDS}
    try:
        return ibis.connect(f"{kind}://{rest}", **options)
    except ImportError:
        raise ImportFailed(
            f"cannot import from {shown}: Ibis's {kind} backend is not installed; "
            f"install it with: pip install 'ibis-framework[{kind}]'"
        ) from None
    except ValueError as error:
        if "know how to connect" not in str(error):
            raise _unreachable(shown, error) from None
        raise ImportFailed(
            f"cannot import from {shown}: Ibis knows no database called '{scheme}'; "
            "use postgresql://, duckdb:///file.duckdb, sqlite:///file.db or another "
            "Ibis backend's URL"
        ) from None
    except Exception as error:  # each driver raises its own connection errors
        raise _unreachable(shown, error) from None


def _check_file(kind: str, rest: str, shown: str) -> None:
    path = rest.split("?", 1)[0]
    if path in ("", ":memory:"):
        raise ImportFailed(
            f"cannot import from {shown}: an in-memory {kind} database holds no "
            f"tables; name its file, e.g. {kind}:///path/to/file.{kind}"
        )
    if not Path(path).is_file():
        raise ImportFailed(
            f"cannot import from {shown}: no database file {path}; check the path "
            f"({kind}:///absolute/path or {kind}://relative/path)"
        )


def _unreachable(shown: str, error: Exception) -> ImportFailed:
    return ImportFailed(
        f"cannot connect to {shown} ({_first_line(error)}); check the host, port, "
        "database name and credentials in --from-url or STEWARD_IMPORT_URL"
    )


def _query(
    table: ir.Table, columns: list[str], order: list[tuple[str, bool]]
) -> ir.Table:
    """The columns, as types the readers know (others as text), in ``order``."""
    schema = table.schema()
    selected = {}
    for column in columns:
        kind = schema[column]
        readable = (
            kind.is_string()
            or kind.is_integer()
            or kind.is_floating()
            or kind.is_boolean()
            or kind.is_timestamp()
            or kind.is_date()
        )
        # Decimals as text keep every digit; uuid, json and the like have no
        # Arrow form every backend can produce.
        selected[column] = table[column] if readable else table[column].cast("string")
    expression = table.select(**selected)
    if order:
        keys = [table[c].desc() if down else table[c].asc() for c, down in order]
        expression = table.order_by(keys).select(**selected)
    return expression


def _first_line(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
