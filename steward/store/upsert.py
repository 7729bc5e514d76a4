"""Bulk writes of many rows in one statement: upsert, insert, update by key.

Rows are given as columns (name -> one value per row). On SQLite they run as
one executemany of plain tuples on the driver, each column converted once by
its own type (dates and JSON to text): SQLAlchemy would otherwise convert
value by value through a dict per row, a second a day for 100,000 explained
scores. On PostgreSQL SQLAlchemy's executemany is kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, TypeDecorator, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Executable, sqltypes
from sqlalchemy.types import TypeEngine

Columns = Mapping[str, Sequence[Any]]
KEY = "key_"


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
    columns: Columns,
    keys: Sequence[str],
    *,
    unless_stored: ColumnElement[bool] | None = None,
) -> None:
    """:func:`upsert` of rows given as equal-length columns, by column name.

    With ``unless_stored`` (a condition on ``table`` that picks the rows the
    new ones may repeat, such as the day's scores), a row stored already with
    the very same values is not written again (on SQLite): a second run of a
    day reads its rows instead of rewriting them.
    """
    dialect = session.get_bind().dialect.name
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect]
    statement = insert(table)
    updates = {name: statement.excluded[name] for name in columns if name not in keys}
    statement = statement.on_conflict_do_update(index_elements=list(keys), set_=updates)
    _execute(session, statement, table, columns, "default", unless_stored)


def columns_of(names: Sequence[str], rows: Sequence[tuple]) -> dict[str, list]:
    """Rows as tuples in the order of ``names``, turned into columns."""
    if not rows:
        return {}
    return dict(zip(names, map(list, zip(*rows, strict=True)), strict=True))


def insert_columns(session: Session, table: Table, columns: Columns) -> None:
    """Insert rows given as columns; absent columns take their defaults."""
    _execute(session, table.insert(), table, columns, "default")


def update_columns(session: Session, table: Table, key: str, columns: Columns) -> None:
    """Set the given columns of the rows whose ``key`` column is in ``columns``."""
    statement = update(table).where(table.c[key] == bindparam(KEY))
    values = {KEY if name == key else name: v for name, v in columns.items()}
    _execute(session, statement, table, values, "onupdate")


def _execute(
    session: Session,
    statement: Executable,
    table: Table,
    columns: Columns,
    fill: str,
    unless_stored: ColumnElement[bool] | None = None,
) -> None:
    names = list(columns)
    count = len(columns[names[0]]) if names else 0
    if not count:
        return
    # Objects added to the session go in first, as they would before an ORM
    # statement: ids (audit entries, say) keep the order things happened.
    session.flush()
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "sqlite":
        # A list of parameters runs as executemany: compiled once, then batched.
        rows = zip(*columns.values(), strict=True)
        session.execute(statement, [dict(zip(names, row, strict=True)) for row in rows])
        return

    compiled = statement.compile(dialect=dialect, column_keys=names)
    order = list(compiled.positiontup or [])
    converted = []
    for name in order:
        values = columns.get(name)
        if values is None:
            values = _defaults(table.c[name], fill, count)
        kind = compiled.binds[name].type
        process = kind.dialect_impl(dialect).bind_processor(dialect)
        if process is None:
            converted.append(values)
        elif _repeats(kind):
            converted.append(_converted(values, process))
        else:
            converted.append([process(value) for value in values])
    rows = list(zip(*converted, strict=True))
    if unless_stored is not None:
        rows = _new_or_changed(connection, table, order, unless_stored, rows)
    if rows:
        connection.exec_driver_sql(str(compiled), rows)


def _new_or_changed(
    connection: Connection,
    table: Table,
    order: list[str],
    where: ColumnElement[bool],
    rows: list[tuple],
) -> list[tuple]:
    """The rows not stored already as they are, compared as the driver's values.

    The stored rows come back from SQLite as the converted values went in
    (dates and JSON as text, numbers as numbers), so equal tuples mean an
    equal row.
    """
    query = select(*(table.c[name] for name in order)).where(where)
    compiled = query.compile(
        dialect=connection.dialect, compile_kwargs={"literal_binds": True}
    )
    stored = {tuple(row) for row in connection.exec_driver_sql(str(compiled))}
    if not stored:
        return rows
    return [row for row in rows if row not in stored]


def _repeats(kind: TypeEngine) -> bool:
    """Dates and times: they repeat down a column (the day of the run, a start
    date), and SQLite's conversion of each is string formatting in Python."""
    base = kind.impl_instance if isinstance(kind, TypeDecorator) else kind
    return isinstance(base, sqltypes.Date | sqltypes.DateTime | sqltypes.Time)


def _converted(values: Sequence[Any], process: Any) -> list[Any]:
    """``process`` of each value, computed once per distinct value."""
    once = {value: process(value) for value in set(values)}
    return [once[value] for value in values]


def _defaults(column: Any, fill: str, count: int) -> list[Any]:
    """The column's Python-side default, per row as SQLAlchemy would give it."""
    default = getattr(column, fill)
    if default is None or not (default.is_scalar or default.is_callable):
        raise ValueError(f"a bulk write into {column.table.name} needs {column.name}")
    if default.is_scalar:
        return [default.arg] * count
    return [default.arg(None) for _ in range(count)]
