"""The daily metric step done incrementally: summaries kept as events land.

Event files are immutable, so what they add up to can be kept and extended
with each new file instead of scanning the whole window every day. The
summary (under ``events/rollup/``) holds, from every file folded in so far:

* per account and UTC day, the sums of the additive metrics;
* per account and user, and per account and feature, the last day seen;
* per account, the last day seen.

For a day ``D`` on or after every event folded, the window metrics follow
exactly: sums over the window's days, and users (features) whose last day
falls in the window. ``usage_as_of`` answers only then, and returns ``None``
otherwise (a day in the past, a window past the days kept, an engine other
than Steward's own files), so the caller computes from the events.

Calls still in tracking segments are added for the one answer, never kept:
they reach the summary once compacted into a file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from filelock import FileLock

from steward.events.duck import quiet_duckdb
from steward.events.store import EventStore
from steward.metrics.catalogue import ADDITIVE, EventTaxonomy, _row_parts, day_number

KEEP_DAYS = 400
_PARTS = ("daily", "users", "features", "accounts")


@dataclass
class Summary:
    daily: pa.Table
    users: pa.Table
    features: pa.Table
    accounts: pa.Table
    files: list[str]
    taxonomy: str

    @property
    def last_day(self) -> int | None:
        days = self.accounts["last_day"]
        return None if not len(days) else int(pc.max(days).as_py())


def usage_as_of(
    events: EventStore, as_of: dt.date, window_days: int, tx: EventTaxonomy
) -> pd.DataFrame | None:
    """The usage frame of ``metrics_as_of`` from the summary, or None if it cannot.

    Brings the summary up to date with new event files first.
    """
    if window_days > KEEP_DAYS:
        return None
    summary = update(events, tx)
    pending = events.pending().events
    if pending.num_rows:
        summary = _merge(summary, _summarise(_parts_of(pending, tx)))
    end = day_number(as_of)
    if summary.last_day is not None and summary.last_day > end:
        return None
    return _usage(summary, end, window_days)


def update(events: EventStore, tx: EventTaxonomy) -> Summary:
    """Fold every event file not yet in the summary into it, and keep it."""
    folder = events.root / "rollup"
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder / ".lock")):
        summary = _load(folder, _taxonomy_key(tx))
        known = set(summary.files)
        new = [path for path in events.files() if _file_key(path) not in known]
        if not new:
            return summary
        with quiet_duckdb() as con:
            table = con.read_parquet([str(path) for path in new]).to_arrow_table()
        summary = _merge(summary, _summarise(_parts_of(table, tx)))
        summary.files = [*summary.files, *(_file_key(path) for path in new)]
        _save(folder, _pruned(summary))
        return summary


def _file_key(path: Path) -> str:
    """A file's name within the event store: its month folder and file name."""
    return f"{path.parent.name}/{path.name}"


def _parts_of(table: pa.Table, tx: EventTaxonomy) -> pa.Table:
    con = ibis.duckdb.connect()
    events = ibis.memtable(table)
    parts = _row_parts(events, tx)
    columns = ["account_id", "user_id", "day", "feature_key", *ADDITIVE]
    return con.to_pyarrow(parts.select(*columns).mutate(day=parts.day.cast("int64")))


def _summarise(parts: pa.Table) -> Summary:
    sums = ", ".join(f"sum({name}) as {name}" for name in ADDITIVE)
    with quiet_duckdb() as con:
        con.register("parts", parts)
        daily = con.sql(
            f"select account_id, day, {sums} from parts group by all"
        ).to_arrow_table()
        users = con.sql(
            "select account_id, user_id as item, max(day) as last_day from parts "
            "where user_id is not null group by all"
        ).to_arrow_table()
        features = con.sql(
            "select account_id, feature_key as item, max(day) as last_day from parts "
            "where feature_key is not null group by all"
        ).to_arrow_table()
        accounts = con.sql(
            "select account_id, max(day) as last_day from parts group by all"
        ).to_arrow_table()
    return Summary(daily, users, features, accounts, [], "")


def _merge(old: Summary, new: Summary) -> Summary:
    sums = ", ".join(f"sum({name}) as {name}" for name in ADDITIVE)
    with quiet_duckdb() as con:
        merged = {}
        for part in _PARTS:
            con.register("a", getattr(old, part))
            con.register("b", getattr(new, part).cast(getattr(old, part).schema))
            both = "(select * from a union all by name select * from b)"
            if part == "daily":
                query = f"select account_id, day, {sums} from {both} group by all"
            elif part == "accounts":
                query = f"select account_id, max(last_day) as last_day from {both} "
                query += "group by all"
            else:
                query = "select account_id, item, max(last_day) as last_day from "
                query += f"{both} group by all"
            merged[part] = (
                con.sql(query).to_arrow_table().cast(getattr(old, part).schema)
            )
            con.unregister("a")
            con.unregister("b")
    return Summary(**merged, files=list(old.files), taxonomy=old.taxonomy)


def _usage(summary: Summary, end: int, window_days: int) -> pd.DataFrame:
    start = end - window_days + 1
    sums = ", ".join(f"sum({name}) as {name}" for name in ADDITIVE)
    with quiet_duckdb() as con:
        for part in _PARTS:
            con.register(part, getattr(summary, part))
        window = f"between {start} and {end}"
        recent = con.sql(
            f"""
            select d.account_id, max(d.day) as last_active_day, {sums},
                   coalesce(any_value(u.n), 0) as active_users,
                   coalesce(any_value(f.n), 0) as feature_breadth
            from daily d
            left join (select account_id, count(*) as n from users
                       where last_day {window} group by all) u using (account_id)
            left join (select account_id, count(*) as n from features
                       where last_day {window} group by all) f using (account_id)
            where d.day {window}
            group by d.account_id
            """
        ).df()
        earlier = con.sql(
            f"select account_id, last_day as last_active_day from accounts "
            f"where last_day < {start}"
        ).df()
    usage = pd.concat([recent, earlier], ignore_index=True)
    # DuckDB hands back object columns; the event path gives pandas' text dtype.
    usage["account_id"] = usage["account_id"].astype("str")
    return usage


def _pruned(summary: Summary) -> Summary:
    last = summary.last_day
    if last is None:
        return summary
    keep = pc.greater(summary.daily["day"], last - KEEP_DAYS)
    summary.daily = summary.daily.filter(keep)
    return summary


def _empty(taxonomy: str) -> Summary:
    daily = pa.schema(
        [("account_id", pa.string()), ("day", pa.int64())]
        + [(name, pa.float64() if name == "value_total" else pa.int64())
           for name in ADDITIVE]
    )  # fmt: skip
    seen = pa.schema(
        [("account_id", pa.string()), ("item", pa.string()), ("last_day", pa.int64())]
    )
    accounts = pa.schema([("account_id", pa.string()), ("last_day", pa.int64())])
    return Summary(
        daily.empty_table(),
        seen.empty_table(),
        seen.empty_table(),
        accounts.empty_table(),
        [],
        taxonomy,
    )


def _taxonomy_key(tx: EventTaxonomy) -> str:
    # The format's version goes in the key too: a summary kept by another
    # version is rebuilt rather than misread.
    text = json.dumps({"format": 2, **tx.model_dump()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _load(folder: Path, taxonomy: str) -> Summary:
    """The kept summary, or an empty one if none is kept for this vocabulary."""
    pointer = folder / "current"
    if not pointer.exists():
        return _empty(taxonomy)
    state = folder / pointer.read_text().strip()
    meta = json.loads((state / "meta.json").read_text())
    if meta["taxonomy"] != taxonomy:
        return _empty(taxonomy)  # the vocabulary changed: start again
    tables = {part: pq.read_table(state / f"{part}.parquet") for part in _PARTS}
    return Summary(**tables, files=meta["files"], taxonomy=taxonomy)


def _save(folder: Path, summary: Summary) -> None:
    """Write a new state folder, then point ``current`` at it in one rename."""
    name = f"state-{uuid.uuid4().hex}"
    state = folder / name
    state.mkdir()
    for part in _PARTS:
        pq.write_table(getattr(summary, part), state / f"{part}.parquet")
    meta = {"files": summary.files, "taxonomy": summary.taxonomy}
    (state / "meta.json").write_text(json.dumps(meta))
    pointer = folder / ".current.partial"
    pointer.write_text(name)
    current = folder / "current"
    old = current.read_text().strip() if current.exists() else None
    os.replace(pointer, current)
    if old:
        shutil.rmtree(folder / old, ignore_errors=True)
