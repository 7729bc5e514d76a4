"""Insert-or-update in one statement on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def upsert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
) -> None:
    """Write ``rows``; where ``keys`` match an existing row, overwrite its values."""
    if not rows:
        return
    names = list(rows[0])
    upsert_columns(session, table, {n: [row[n] for row in rows] for n in names}, keys)


def upsert_columns(
    session: Session,
    table: Table,
    columns: Mapping[str, Sequence[Any]],
    keys: Sequence[str],
) -> None:
    """:func:`upsert` of rows given as equal-length columns, by column name."""
    names = list(columns)
    count = len(columns[names[0]]) if names else 0
    if not count:
        return
    connection = session.connection()
    dialect = connection.dialect
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect.name]
    statement = insert(table)
    updates = {name: statement.excluded[name] for name in names if name not in keys}
    statement = statement.on_conflict_do_update(index_elements=list(keys), set_=updates)
    if dialect.name != "sqlite":
        # A list of parameters runs as executemany: compiled once, then batched.
        rows = zip(*columns.values(), strict=True)
        session.execute(statement, [dict(zip(names, row, strict=True)) for row in rows])
        return

    # SQLite: one executemany of plain tuples on the driver. The values are
    # converted a column at a time by the columns' own types (dates to text,
    # JSON to text), which SQLAlchemy would otherwise do value by value
    # through a dict per row: at 100,000 explained scores, a second a day.
    compiled = statement.compile(dialect=dialect, column_keys=names)
    converted = []
    for name in compiled.positiontup or []:
        column = table.c[name]
        values = columns.get(name)
        if values is None:
            values = [_default(column)] * count
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        converted.append(values if process is None else [process(v) for v in values])
    connection.exec_driver_sql(str(compiled), list(zip(*converted, strict=True)))


def _default(column: Any) -> Any:
    default = column.default
    if default is None or not default.is_scalar:
        raise ValueError(f"upsert into {column.table.name} needs {column.name}")
    return default.arg
