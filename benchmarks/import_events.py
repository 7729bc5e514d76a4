"""Time ``import_file`` on a generated CSV of usage events (1,000,000 rows).

    .venv/bin/python -m benchmarks.import_events [ROWS]

The file looks like a product-analytics export: ISO 8601 times with ``Z``,
10,000 accounts, event and feature names, a count and two properties, no
message id (so the stable-hash path runs). Prints the time of the first
import and of a re-import (everything already stored), and peak memory,
against a baseline timed in the same run: the same file parsed by
``pyarrow.csv`` and written as one Parquet file, with no checks, no mapping
and no dedupe.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from steward.events.store import EventStore
from steward.ingest import import_file
from steward.store.db import Store

FIELDS = {
    "account": "account_id",
    "user_id": "user_id",
    "event": "event",
    "feature": "feature",
    "ts": "time",
    "quantity": "count",
    "properties": ["duration_ms", "plan"],
}


def generate(path: Path, rows: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-01-01T00:00:00", "s")
    seconds = np.sort(rng.integers(0, 365 * 86_400, rows))
    times = np.char.add(np.datetime_as_string(start + seconds, unit="s"), "Z")
    events = np.array(["login", "report_run", "api_call", "export", "invite_sent"])
    table = pa.table(
        {
            "time": times,
            "account_id": np.char.add(
                "ACC-", rng.integers(0, 10_000, rows).astype(str)
            ),
            "user_id": np.char.add("U-", rng.integers(0, 200_000, rows).astype(str)),
            "event": events[rng.integers(0, len(events), rows)],
            "feature": np.char.add("feature_", rng.integers(0, 40, rows).astype(str)),
            "count": rng.integers(1, 20, rows),
            "duration_ms": rng.integers(10, 60_000, rows),
            "plan": np.array(["basic", "pro", "enterprise"])[rng.integers(0, 3, rows)],
        }
    )
    pacsv.write_csv(table, path)


def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        path = root / "events.csv"
        generate(path, rows)
        store = Store(f"sqlite:///{root / 'steward.db'}")
        store.upgrade()
        events = EventStore(root / "events")
        started = time.perf_counter()
        pq.write_table(pacsv.read_csv(path), root / "bare.parquet")
        bare = time.perf_counter() - started
        print(f"baseline, pyarrow.csv to Parquet: {rows:,} rows in {bare:.1f} s")
        for label in ("first import", "re-import"):
            started = time.perf_counter()
            report = import_file(store, events, path, "events", FIELDS)
            seconds = time.perf_counter() - started
            print(
                f"{label}: {rows:,} rows in {seconds:.1f} s "
                f"({rows / seconds:,.0f} rows/s, {seconds / bare:.1f}x the baseline); "
                f"inserted {report.inserted:,}, unchanged {report.unchanged:,}, "
                f"rejected {report.rejected:,}"
            )
        store.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:,.0f} MiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
