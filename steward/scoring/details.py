"""A day's explanations as columns: every factor's value and points, the metric
values and the expansion parts of every scored account. Pure.

The daily run keeps a day's explanations as a few Parquet files of
``BLOCK`` accounts each (by account database id), not as a JSON document per
account: at 100,000 accounts the documents were 100 MB a day and most of the
run's writing time. Each file names its own columns, so a day explained by
another scorecard reads back as it was:

* ``value.<metric>``, ``points.<metric>``, ``missing.<metric>`` per factor,
  in the scorecard's order;
* ``metric.<name>`` per catalogue metric, rounded to 6 places;
* ``expansion_value.<key>`` and ``expansion_points.<key>`` per expansion
  readiness component.
"""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# Accounts per file: reading one account's explanation decodes one file
# (about 5 ms at this size); a day of 100,000 accounts is 13 files. Stored
# blocks are found by account id // BLOCK, so changing it needs a migration
# that rewrites every stored day's blocks.
BLOCK = 8192
FORMAT = b"1"


@dataclass(frozen=True)
class Detail:
    """One account's explanation on one day, in the shapes pages and reports use.

    ``contributions`` is ``{metric: {"value", "points", "missing"}}`` in the
    scorecard's order; ``metrics`` is ``{name: value or None}``;
    ``expansion`` is ``{component: {"value", "points"}}``.
    """

    contributions: dict[str, dict[str, Any]] = field(default_factory=dict)
    metrics: dict[str, float | None] = field(default_factory=dict)
    expansion: dict[str, dict[str, Any]] = field(default_factory=dict)


def health_columns(
    factors: list[str],
    metrics: pd.DataFrame,
    scored: pd.DataFrame,
    present: np.ndarray,
    shown: list[str],
) -> dict[str, pa.Array]:
    """The factor and metric columns of the scored accounts, in ``scored``'s order.

    ``factors`` are the scorecard's metric names, ``present`` says per account
    and factor whether the value could be scored (a value that cannot is kept
    as null with ``missing`` true), ``shown`` the catalogue metrics to keep.
    """
    columns: dict[str, pa.Array] = {}
    for i, name in enumerate(factors):
        known = present[:, i]
        columns[f"value.{name}"] = _values(metrics[name], known)
        points = scored[f"points.{name}"].to_numpy(dtype="float64")
        columns[f"points.{name}"] = pa.array(points)
        columns[f"missing.{name}"] = pa.array(~known)
    for name in shown:
        numbers = pd.to_numeric(metrics[name], errors="coerce")
        values = numbers.to_numpy(dtype="float64", na_value=np.nan).round(6)
        columns[f"metric.{name}"] = pa.array(values, mask=~np.isfinite(values))
    return columns


def expansion_columns(
    keys: list[str], values: pd.DataFrame, points: pd.DataFrame
) -> dict[str, pa.Array]:
    """Each readiness component's value (rounded to 4 places) and points."""
    columns: dict[str, pa.Array] = {}
    for key in keys:
        value = values[key].to_numpy(dtype="float64", na_value=np.nan).round(4)
        columns[f"expansion_value.{key}"] = pa.array(value, mask=np.isnan(value))
        columns[f"expansion_points.{key}"] = pa.array(
            points[key].to_numpy(dtype="float64")
        )
    return columns


def columns_from_documents(
    contributions: list[dict[str, Any]],
    metrics: list[dict[str, Any]],
    parts: list[dict[str, Any]],
) -> dict[str, pa.Array]:
    """The columns of accounts explained as JSON documents (one per account),
    as stores before revision 0008 kept them: the upgrade turns each stored
    day into blocks with this."""
    columns: dict[str, pa.Array] = {}
    for name in _keys(contributions):
        parts_of = [document.get(name) or {} for document in contributions]
        values = [part.get("value") for part in parts_of]
        text = any(isinstance(value, str) for value in values)
        columns[f"value.{name}"] = pa.array(
            [None if v is None else str(v) for v in values] if text else values,
            type=pa.string() if text else pa.float64(),
        )
        columns[f"points.{name}"] = pa.array(
            [float(part.get("points") or 0.0) for part in parts_of], pa.float64()
        )
        columns[f"missing.{name}"] = pa.array(
            [bool(part.get("missing", part.get("value") is None)) for part in parts_of],
            pa.bool_(),
        )
    for name in _keys(metrics):
        columns[f"metric.{name}"] = pa.array(
            [document.get(name) for document in metrics], pa.float64()
        )
    for key in _keys(parts):
        columns[f"expansion_value.{key}"] = pa.array(
            [(document.get(key) or {}).get("value") for document in parts],
            pa.float64(),
        )
        columns[f"expansion_points.{key}"] = pa.array(
            [
                float((document.get(key) or {}).get("points") or 0.0)
                for document in parts
            ],
            pa.float64(),
        )
    return columns


def _keys(documents: list[dict[str, Any]]) -> list[str]:
    """Every key of the documents, in the order first seen."""
    seen: dict[str, None] = {}
    for document in documents:
        seen.update(dict.fromkeys(document))
    return list(seen)


def _values(column: pd.Series, known: np.ndarray) -> pa.Array:
    """A factor's values as they were scored: numbers, or levels as text."""
    if column.dtype.kind in "biuf":
        numbers = column.to_numpy(dtype="float64", na_value=np.nan)
        return pa.array(numbers, mask=~known)
    pairs = zip(column.tolist(), known.tolist(), strict=True)
    text = [str(value) if k and not pd.isna(value) else None for value, k in pairs]
    return pa.array(text, type=pa.string())


def blocks(
    account_ids: np.ndarray, columns: dict[str, pa.Array]
) -> list[tuple[int, bytes]]:
    """(block number, Parquet bytes) per block of accounts, ordered by account id.

    Blocks are encoded two at a time: the writer releases the GIL.
    """
    ids = np.asarray(account_ids, dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    table = pa.table({"account_id": pa.array(ids), **columns}).take(order)
    table = table.replace_schema_metadata({"steward.details": FORMAT})
    numbers = ids[order] // BLOCK
    starts = np.flatnonzero(np.diff(numbers, prepend=-1))
    ends = [*starts[1:].tolist(), len(numbers)]
    parts = [
        (int(numbers[start]), table.slice(start, end - start))
        for start, end in zip(starts.tolist(), ends, strict=True)
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        encoded = list(pool.map(_encoded, [part for _, part in parts]))
    return [(number, data) for (number, _), data in zip(parts, encoded, strict=True)]


def _encoded(part: pa.Table) -> bytes:
    sink = io.BytesIO()
    # No statistics: a block is read whole.
    pq.write_table(
        part,
        sink,
        compression="zstd",
        compression_level=1,
        write_statistics=False,
    )
    return sink.getvalue()


def read_block(data: bytes) -> pa.Table:
    # One thread: a block is small, and pyarrow's reader threads can abort
    # the interpreter as it exits (apache/arrow#34314; seen here with 26.0).
    return pq.read_table(io.BytesIO(data), use_threads=False)


def detail_of(table: pa.Table, account_id: int) -> Detail | None:
    """The explanation of ``account_id`` in a block, or None if it is not there."""
    found = pc.index(table["account_id"], account_id).as_py()
    if found < 0:
        return None
    row = {name: table[name][found].as_py() for name in table.column_names}
    return detail_from_row(row)


def detail_from_row(row: dict[str, Any]) -> Detail:
    detail = Detail()
    for name, value in row.items():
        kind, _, key = name.partition(".")
        if kind == "value":
            detail.contributions[key] = {
                "value": value,
                "points": row[f"points.{key}"],
                "missing": bool(row[f"missing.{key}"]),
            }
        elif kind == "metric":
            detail.metrics[key] = value
        elif kind == "expansion_value":
            detail.expansion[key] = {
                "value": value,
                "points": row[f"expansion_points.{key}"],
            }
    return detail


def metric_frame(tables: list[pa.Table]) -> pd.DataFrame:
    """The ``metric.*`` columns of a day's blocks, one row per account id."""
    if not tables:
        return pd.DataFrame()
    frames = []
    for table in tables:
        names = [n for n in table.column_names if n.startswith("metric.")]
        frame = table.select(["account_id", *names]).to_pandas()
        frames.append(frame.rename(columns=lambda n: n.removeprefix("metric.")))
    return pd.concat(frames, ignore_index=True).set_index("account_id")
