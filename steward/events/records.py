"""The rows the event store keeps, and how tracking calls travel in segment frames.

Usage events (``track`` and ``page`` calls, imported events) have
``EVENT_SCHEMA``. ``identify`` and ``group`` calls are not usage: they are kept
as profile rows (``PROFILE_SCHEMA``) beside the events, deduplicated the same
way, and ``group`` rows link users to accounts.

A frame is one request's accepted calls as JSON: ``{"e": [event rows], "p":
[profile rows]}``, each row a list in the column order below with times as
integer microseconds since 1970-01-01 UTC.
"""

from __future__ import annotations

from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

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

PROFILE_SCHEMA = pa.schema(
    [
        pa.field("message_id", pa.string(), nullable=False),
        # identify, group or alias (user_id the new id, anonymous_id the previous)
        pa.field("type", pa.string(), nullable=False),
        pa.field("user_id", pa.string()),
        pa.field("anonymous_id", pa.string()),
        pa.field("group_id", pa.string()),
        pa.field("traits", pa.string()),
        pa.field("ts", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("received_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)

# Frame rows carry every column but ``day``, which is derived from ``ts``.
EVENT_ROW = [name for name in EVENT_SCHEMA.names if name != "day"]
PROFILE_ROW = PROFILE_SCHEMA.names
_TIMES = ("ts", "received_at")


def encode_frame(events: list[list[Any]], profiles: list[list[Any]]) -> bytes:
    return orjson.dumps({"e": events, "p": profiles})


def decode_frames(frames: list[bytes]) -> tuple[pa.Table, pa.Table]:
    """Events (with ``day``) and profile rows of the frames, in frame order."""
    events: list[list[Any]] = []
    profiles: list[list[Any]] = []
    for frame in frames:
        decoded = orjson.loads(frame)
        events.extend(decoded["e"])
        profiles.extend(decoded["p"])
    table = _columns(events, EVENT_ROW, EVENT_SCHEMA)
    table = table.append_column("day", utc_days(table["ts"]))
    return table, _columns(profiles, PROFILE_ROW, PROFILE_SCHEMA)


def _columns(rows: list[list[Any]], names: list[str], schema: pa.Schema) -> pa.Table:
    arrays = []
    for index, name in enumerate(names):
        cells = [row[index] for row in rows]
        kind = schema.field(name).type
        if name in _TIMES:
            arrays.append(pa.array(cells, pa.int64()).cast(kind))
        else:
            arrays.append(pa.array(cells, kind))
    fields = [schema.field(name) for name in names]
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def utc_days(timestamps: pa.ChunkedArray | pa.Array) -> pa.Array:
    """UTC calendar days since 1970-01-01 of timezone-aware timestamps.

    Through Arrow's date cast, which floors in whole numbers, so any
    timestamp has its day (a year-1 time too: through floats it could not).
    """
    utc = pc.cast(timestamps, pa.timestamp("us", tz="UTC"))
    return pc.cast(pc.cast(utc, pa.date32()), pa.int32())
