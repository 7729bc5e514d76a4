"""Usage events as Parquet files in the data folder, read through DuckDB by Ibis.

Events are appended as immutable Parquet files, one folder per calendar month
of the event time (``events/2024-06/<batch>.parquet``). Any number of processes
can read them at once through an in-memory DuckDB; writers take a file lock, so
``steward serve`` and a ``steward import`` started by hand never fight over a
database file. A file appears under its final name only once complete (it is
written beside it and renamed), so a reader never sees half a batch.

Events are deduplicated on ``message_id``: an id already stored in the event's
month or the months either side of it is dropped, which covers retries whose
timestamps moved by clock-skew correction.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import ibis
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from filelock import FileLock

EVENT_SCHEMA = pa.schema(
    [
        pa.field("message_id", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("user_id", pa.string()),
        pa.field("event", pa.string(), nullable=False),
        pa.field("feature", pa.string()),
        pa.field("ts", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("quantity", pa.int64(), nullable=False),
        pa.field("errors", pa.int64(), nullable=False),
        pa.field("value", pa.float64()),
        pa.field("properties", pa.string()),
        pa.field("received_at", pa.timestamp("us", tz="UTC"), nullable=False),
        # The UTC day of ``ts`` (days since 1970-01-01), written with the event so
        # that windows and buckets are integer arithmetic: converting a
        # timestamp with a time zone per row costs more than the rest of a scan.
        pa.field("day", pa.int32(), nullable=False),
    ]
)


@dataclass(frozen=True)
class AppendResult:
    inserted: int
    duplicates: int


class EventStore:
    """The event partitions under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def glob(self) -> str:
        return str(self.root / "*" / "*.parquet")

    def files(self) -> list[Path]:
        if not self.root.exists():
            return []
        return sorted(self.root.glob("*/*.parquet"))

    def append(self, events: pa.Table) -> AppendResult:
        """Store the events whose ``message_id`` is new; report the rest as duplicates.

        ``events`` has the columns of ``EVENT_SCHEMA``; ``day`` is always derived
        from ``ts`` here, whatever the caller put in it.
        """
        if "day" in events.column_names:
            events = events.drop_columns(["day"])
        events = events.append_column("day", utc_days(events["ts"]))
        events = events.select(EVENT_SCHEMA.names).cast(EVENT_SCHEMA)
        offered = events.num_rows
        events = _first_per_message_id(events)
        if events.num_rows == 0:
            return AppendResult(0, offered)

        self.root.mkdir(parents=True, exist_ok=True)
        inserted = 0
        with FileLock(str(self.root / ".lock")):
            months = pc.strftime(events["ts"], format="%Y-%m")
            for month in pc.unique(months).to_pylist():
                batch = events.filter(pc.equal(months, month))
                fresh = self._drop_known(batch, month)
                if fresh.num_rows:
                    self._write(fresh, month)
                inserted += fresh.num_rows
        return AppendResult(inserted, offered - inserted)

    def _drop_known(self, batch: pa.Table, month: str) -> pa.Table:
        files = [
            str(path)
            for near in _neighbour_months(month)
            for path in (self.root / near).glob("*.parquet")
        ]
        if not files:
            return batch
        with duckdb.connect() as con:
            known = con.sql(
                "select distinct message_id from read_parquet($files)",
                params={"files": files},
            ).to_arrow_table()
        keep = pc.invert(pc.is_in(batch["message_id"], known["message_id"]))
        return batch.filter(keep)

    def _write(self, batch: pa.Table, month: str) -> None:
        folder = self.root / month
        folder.mkdir(exist_ok=True)
        batch = batch.sort_by([("ts", "ascending"), ("account_id", "ascending")])
        final = folder / f"{uuid.uuid4().hex}.parquet"
        partial = folder / f".{final.name}.partial"
        pq.write_table(batch, partial, compression="zstd", row_group_size=1 << 20)
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        partial.rename(final)

    def table(self, con: ibis.BaseBackend) -> ibis.Table:
        """All events as an Ibis table on ``con`` (empty, with the schema, if none)."""
        if not self.files():
            return ibis.memtable(EVENT_SCHEMA.empty_table())
        return con.read_parquet(self.glob, table_name=f"events_{uuid.uuid4().hex}")

    def count(self) -> int:
        if not self.files():
            return 0
        with duckdb.connect() as con:
            query = "select count(*) from read_parquet($glob)"
            return con.execute(query, {"glob": self.glob}).fetchone()[0]


def utc_days(timestamps: pa.ChunkedArray | pa.Array) -> pa.Array:
    """UTC calendar days since 1970-01-01 of timezone-aware timestamps."""
    micros = pc.cast(pc.cast(timestamps, pa.timestamp("us", tz="UTC")), pa.int64())
    return pc.cast(
        pc.floor(pc.divide(pc.cast(micros, pa.float64()), 86_400e6)), pa.int32()
    )


def _first_per_message_id(events: pa.Table) -> pa.Table:
    """Keep the first event of each ``message_id``, in the order given."""
    positions = pa.array(range(events.num_rows), type=pa.int64())
    first = (
        pa.table({"message_id": events["message_id"], "i": positions})
        .group_by("message_id", use_threads=False)
        .aggregate([("i", "min")])["i_min"]
    )
    return events.take(pc.take(first, pc.sort_indices(first)))


def _neighbour_months(month: str) -> list[str]:
    year, mon = (int(part) for part in month.split("-"))
    first = dt.date(year, mon, 1)
    before = (first - dt.timedelta(days=1)).strftime("%Y-%m")
    after = (first + dt.timedelta(days=32)).strftime("%Y-%m")
    return [before, month, after]
