"""Where the metrics run: DuckDB by default, or the team's own engine by URL.

``STEWARD_EVENTS_URL`` picks the engine (docs/engines.md):

- unset or ``duckdb://``: an in-memory DuckDB over Steward's Parquet files;
- ``postgresql://user@host/db``: PostgreSQL;
- ``pyspark://local[2]`` (or ``pyspark://spark://host:7077``): Spark, with the
  session time zone set to UTC;
- any other Ibis URL (``bigquery://project/dataset``,
  ``snowflake://user:pass@account/db/schema``): that Ibis backend, untested
  here but the same expressions.

``STEWARD_EVENTS_TABLE`` names the team's event table on that engine and
``STEWARD_EVENTS_COLUMNS`` maps Steward's column names to the team's. Without
a table, Spark reads Steward's own Parquet files; PostgreSQL and the
warehouses need one.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from steward.errors import ConfigInvalid
from steward.events.store import EventStore

if TYPE_CHECKING:
    from steward.config import Settings

# Steward's event columns, and what a team's table without one of them gets.
REQUIRED = ("account_id", "event", "ts")
DEFAULTS: dict[str, object] = {
    "message_id": None,
    "user_id": None,
    "feature": None,
    "quantity": 1,
    "errors": 0,
    "value": None,
    "properties": None,
}
TYPES = {
    "message_id": "string",
    "account_id": "string",
    "user_id": "string",
    "event": "string",
    "feature": "string",
    "quantity": "int64",
    "errors": "int64",
    "value": "float64",
    "properties": "string",
}


def engine_name(url: str | None) -> str:
    if not url or url.startswith("duckdb"):
        return "duckdb"
    return url.split("://", 1)[0].split("+", 1)[0]


def connect(settings: Settings) -> ibis.BaseBackend:
    """A fresh connection to the configured engine, working in UTC."""
    url = settings.events_url
    name = engine_name(url)
    if name == "duckdb":
        # The backend's module directly: ibis.duckdb looks it up among every
        # installed package's entry points first.
        from ibis.backends.duckdb import Backend

        con = Backend().connect()
        con.raw_sql("SET TimeZone = 'UTC'")
        con.raw_sql("SET enable_progress_bar = false")
        return con
    if name == "pyspark":
        return ibis.pyspark.connect(spark_session(url.split("://", 1)[1]))
    if name in ("postgresql", "postgres"):
        # Ibis takes postgres://; SQLAlchemy-style driver names are dropped.
        con = ibis.connect("postgres://" + url.split("://", 1)[1])
        con.raw_sql("SET TIME ZONE 'UTC'")
        return con
    return ibis.connect(url)


def spark_session(master: str = "local[2]"):  # noqa: ANN201 - pyspark is optional
    """The process's Spark session, in UTC, without its web UI."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise ConfigInvalid(
            "STEWARD_EVENTS_URL asks for Spark but pyspark is not installed; "
            "install it with: pip install 'steward[spark]'"
        ) from error
    master = master or "local[2]"
    builder = (
        SparkSession.builder.master(master)
        .appName("steward")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if master.startswith("local"):
        # One machine: Spark's 200 shuffle partitions per join cost more in
        # task overhead than the work itself.
        builder = builder.config("spark.driver.host", "127.0.0.1").config(
            "spark.sql.shuffle.partitions", "4"
        )
    return builder.getOrCreate()


class TeamEvents(EventStore):
    """Events read from the team's own table; Steward's files still take writes.

    Tracking calls and imported events are stored in Steward's files as ever;
    the metrics read only the team's table, which the team's pipeline fills.
    """

    def __init__(self, root: Path, table: str, columns: dict[str, str]) -> None:
        super().__init__(root)
        self.table_name = table
        self.columns = dict(columns)

    def table(self, con: ibis.BaseBackend) -> ir.Table:
        return mapped_table(con.table(self.table_name), self.columns, self.table_name)

    def count(self) -> int:  # pragma: no cover - counting a warehouse table is rare
        raise ConfigInvalid("count the team's event table on its own engine")


def mapped_table(raw: ir.Table, columns: dict[str, str], name: str) -> ir.Table:
    """The team's table with Steward's column names and types.

    ``columns`` maps a Steward column to the team's; a Steward column not
    mapped is read from a team column of the same name, else gets its default
    (a missing ``day`` is computed from ``ts`` by the metric catalogue).
    """
    unknown = set(columns) - set(DEFAULTS) - set(REQUIRED) - {"day"}
    if unknown:
        raise ConfigInvalid(
            f"STEWARD_EVENTS_COLUMNS: {', '.join(sorted(unknown))} are not Steward "
            f"event columns; map some of: {', '.join([*REQUIRED, *DEFAULTS, 'day'])}"
        )
    selected = {}
    for column in [*REQUIRED, *DEFAULTS, "day"]:
        source = columns.get(column, column)
        if source in raw.columns:
            value = raw[source]
            if column == "ts":
                selected[column] = value.cast("timestamp('UTC')")
            elif column == "day":
                selected[column] = value.cast("int64")
            else:
                selected[column] = value.cast(TYPES[column])
        elif column in REQUIRED:
            raise ConfigInvalid(
                f"event table {name} has no column {source!r} for Steward's "
                f"'{column}'; map it in STEWARD_EVENTS_COLUMNS, e.g. "
                f'\'{{"{column}": "your_column"}}\''
            )
        elif column != "day":
            selected[column] = ibis.literal(DEFAULTS[column], type=TYPES[column])
    return raw.select(**selected)


def event_store(settings: Settings) -> EventStore:
    """The store the daily run reads: Steward's files, or the team's table."""
    if settings.events_table:
        return TeamEvents(
            settings.events_dir, settings.events_table, settings.events_columns
        )
    if engine_name(settings.events_url) not in ("duckdb", "pyspark"):
        raise ConfigInvalid(
            f"STEWARD_EVENTS_URL points at {engine_name(settings.events_url)}, "
            "which cannot read Steward's own files: set STEWARD_EVENTS_TABLE to "
            "the event table there"
        )
    return EventStore(settings.events_dir)
