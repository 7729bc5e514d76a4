"""The daily metric step done incrementally: a summary kept as event files land.

Event files are immutable, so what each adds up to can be kept and folded
into a summary once, instead of scanning the whole window every day. The
summary (under ``events/rollup/``) holds, from every file folded in so far:

* the accounts seen, each with the last day it was active;
* per UTC day, one small file of each active account's sums of the additive
  metrics (the last ``KEEP_DAYS`` days only);
* per account and user, and per account and feature, the last day seen:
  arrays sorted by a 64-bit hash of the pair, so a new day's pairs are
  found by binary search and a window's distinct count is one pass.

For a day ``D`` on or after every event folded, the window metrics follow
exactly: sums over the window's day files, and the users (features) whose
last day falls in the window. ``usage_as_of`` answers only then, and returns
``None`` otherwise (a day in the past, a window longer than the days kept),
so the caller computes from the events. Two different pairs with the same
hash would be counted once: with 64 bits and ten million pairs the chance
is about one in three hundred thousand.

The summary is a cache: it is rebuilt from the event files when it is
missing, unreadable, or kept for another event vocabulary. Calls still in
tracking segments are added for the one answer, never kept: they reach the
summary once compacted into a file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
from filelock import FileLock

from steward.events.duck import quiet_duckdb
from steward.events.store import EventStore
from steward.metrics.catalogue import ADDITIVE, EventTaxonomy, _row_parts, day_number

KEEP_DAYS = 91
FORMAT = 3
_COUNTS = tuple(name for name in ADDITIVE if name != "value_total")
_NO_DAY = np.iinfo(np.int32).min


@dataclass(frozen=True)
class Seen:
    """Pairs (account, user or feature) sorted by hash, with their last day."""

    keys: np.ndarray  # uint64, sorted
    account: np.ndarray  # int32, index into Summary.accounts
    last: np.ndarray  # int32 day number

    @classmethod
    def empty(cls) -> Seen:
        none = np.empty(0, dtype=np.int32)
        return cls(np.empty(0, dtype=np.uint64), none, none.copy())


@dataclass(frozen=True)
class Day:
    """One day's sums for the accounts active on it."""

    account: np.ndarray  # int32
    counts: np.ndarray  # int64, one column per name in _COUNTS
    value: np.ndarray  # float64
    rows: np.ndarray  # int64, events that day


@dataclass
class Summary:
    taxonomy: str
    files: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    last_day: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    users: Seen = field(default_factory=Seen.empty)
    features: Seen = field(default_factory=Seen.empty)
    day_files: dict[int, str] = field(default_factory=dict)
    # Days changed since loading, not yet written.
    fresh_days: dict[int, Day] = field(default_factory=dict)
    folder: Path | None = None

    @property
    def latest(self) -> int | None:
        seen = self.last_day[self.last_day != _NO_DAY]
        return int(seen.max()) if len(seen) else None

    def day(self, number: int) -> Day | None:
        if number in self.fresh_days:
            return self.fresh_days[number]
        name = self.day_files.get(number)
        if name is None or self.folder is None:
            return None
        data = np.load(self.folder / "days" / name, mmap_mode="r")
        return Day(data["account"], data["counts"], data["value"], data["rows"])


def usage_as_of(
    events: EventStore, as_of: dt.date, window_days: int, tx: EventTaxonomy
) -> pd.DataFrame | None:
    """The usage frame of ``metrics_as_of`` from the summary, or None if it cannot.

    Brings the summary up to date with new event files first. Reads under the
    summary's lock, so another process's update cannot remove a day file
    this answer is reading.
    """
    if window_days > KEEP_DAYS:
        return None
    with _lock(events):
        summary = _brought_up_to_date(events, tx)
        pending = events.pending().events
        if pending.num_rows:
            summary = _fold(summary, _parts(pending, tx))
        end = day_number(as_of)
        latest = summary.latest
        if latest is not None and latest > end:
            return None
        return _usage(summary, end, window_days)


def update(events: EventStore, tx: EventTaxonomy) -> Summary:
    """Fold every event file not yet in the summary into it, and keep it."""
    with _lock(events):
        return _brought_up_to_date(events, tx)


def _lock(events: EventStore) -> FileLock:
    folder = events.root / "rollup"
    folder.mkdir(parents=True, exist_ok=True)
    return FileLock(str(folder / ".lock"))


def _brought_up_to_date(events: EventStore, tx: EventTaxonomy) -> Summary:
    folder = events.root / "rollup"
    summary = _load(folder, _taxonomy_key(tx))
    known = set(summary.files)
    new = [path for path in events.files() if _file_key(path) not in known]
    if not new:
        return summary
    for path in new:  # one file at a time keeps memory to one file's parts
        with quiet_duckdb() as con:
            table = con.read_parquet(str(path)).to_arrow_table()
        summary = _fold(summary, _parts(table, tx))
        summary.files = [*summary.files, _file_key(path)]
    return _save(folder, _pruned(summary))


def _file_key(path: Path) -> str:
    """A file's name within the event store: its month folder and file name."""
    return f"{path.parent.name}/{path.name}"


# -- folding new events in ----------------------------------------------------


@dataclass(frozen=True)
class Parts:
    daily: pd.DataFrame  # account_id, day, rows, the additive sums
    users: pd.DataFrame  # account_id, item, last_day
    features: pd.DataFrame


def _parts(table: pa.Table, tx: EventTaxonomy) -> Parts:
    """What a batch of events adds: per account and day, and per pair."""
    con = ibis.duckdb.connect()
    con.raw_sql("SET enable_progress_bar = false")
    parts = _row_parts(ibis.memtable(table), tx)
    parts = parts.mutate(day=parts.day.cast("int64"))
    daily = parts.group_by(["account_id", "day"]).aggregate(
        rows=parts.count(), **{name: parts[name].sum() for name in ADDITIVE}
    )
    users = (
        parts.filter(parts.user_id.notnull())
        .group_by(["account_id", parts.user_id.name("item")])
        .aggregate(last_day=parts.day.max())
    )
    features = (
        parts.filter(parts.feature_key.notnull())
        .group_by(["account_id", parts.feature_key.name("item")])
        .aggregate(last_day=parts.day.max())
    )
    return Parts(con.execute(daily), con.execute(users), con.execute(features))


def _fold(summary: Summary, parts: Parts) -> Summary:
    """A new summary with ``parts`` added; ``summary`` itself is not changed."""
    accounts = list(summary.accounts)
    index = pd.Index(accounts)
    seen_ids = pd.unique(
        pd.concat(
            [parts.daily["account_id"], parts.users["account_id"]], ignore_index=True
        )
    )
    unknown = list(seen_ids[index.get_indexer(seen_ids) < 0])
    accounts += unknown
    index = pd.Index(accounts)
    last_day = np.concatenate(
        [summary.last_day, np.full(len(unknown), _NO_DAY, dtype=np.int32)]
    )

    daily = parts.daily.assign(a=index.get_indexer(parts.daily["account_id"]))
    latest = daily.groupby("a")["day"].max()
    positions = latest.index.to_numpy()
    last_day[positions] = np.maximum(last_day[positions], latest.to_numpy())

    fresh = dict(summary.fresh_days)
    for number, rows in daily.groupby("day"):
        fresh[int(number)] = _add_day(summary.day(int(number)), rows)

    return replace(
        summary,
        accounts=accounts,
        last_day=last_day,
        users=_add_seen(summary.users, parts.users, index),
        features=_add_seen(summary.features, parts.features, index),
        fresh_days=fresh,
    )


def _add_day(old: Day | None, rows: pd.DataFrame) -> Day:
    frame = pd.DataFrame(
        {"a": rows["a"].to_numpy(), "rows": rows["rows"].to_numpy()}
        | {name: rows[name].fillna(0).to_numpy() for name in ADDITIVE}
    )
    if old is not None:
        before = pd.DataFrame(
            {"a": old.account, "rows": old.rows, "value_total": old.value}
            | {name: old.counts[:, i] for i, name in enumerate(_COUNTS)}
        )
        frame = pd.concat([before, frame], ignore_index=True)
    summed = frame.groupby("a", sort=True).sum()
    return Day(
        summed.index.to_numpy(dtype=np.int32),
        summed[list(_COUNTS)].to_numpy(dtype=np.int64),
        summed["value_total"].to_numpy(dtype=np.float64),
        summed["rows"].to_numpy(dtype=np.int64),
    )


def _add_seen(seen: Seen, pairs: pd.DataFrame, index: pd.Index) -> Seen:
    if pairs.empty:
        return seen
    keys = _pair_keys(pairs["account_id"], pairs["item"])
    last = pairs["last_day"].to_numpy(dtype=np.int32)
    account = index.get_indexer(pairs["account_id"]).astype(np.int32)
    # A batch may hold a pair twice under one hash: keep its latest day.
    order = np.lexsort((-last.astype(np.int64), keys))
    keys, last, account = keys[order], last[order], account[order]
    first = np.concatenate([[True], keys[1:] != keys[:-1]])
    keys, last, account = keys[first], last[first], account[first]

    at = np.searchsorted(seen.keys, keys)
    found = at < len(seen.keys)
    found[found] = seen.keys[at[found]] == keys[found]
    merged_last = seen.last.copy()
    merged_last[at[found]] = np.maximum(merged_last[at[found]], last[found])
    new = ~found
    return Seen(
        np.insert(seen.keys, at[new], keys[new]),
        np.insert(seen.account, at[new], account[new]),
        np.insert(merged_last, at[new], last[new]),
    )


def _pair_keys(accounts: pd.Series, items: pd.Series) -> np.ndarray:
    """A stable 64-bit hash of each (account, item) pair (pandas' SipHash)."""
    pairs = pd.DataFrame({"account": accounts.to_numpy(), "item": items.to_numpy()})
    return pd.util.hash_pandas_object(pairs, index=False).to_numpy()


# -- answering a window -------------------------------------------------------


def _usage(summary: Summary, end: int, window_days: int) -> pd.DataFrame:
    start = end - window_days + 1
    size = len(summary.accounts)
    rows = np.zeros(size, dtype=np.int64)
    counts = np.zeros((size, len(_COUNTS)), dtype=np.int64)
    value = np.zeros(size, dtype=np.float64)
    for number in range(start, end + 1):
        day = summary.day(number)
        if day is None:
            continue
        rows[day.account] += day.rows
        counts[day.account] += day.counts
        value[day.account] += day.value

    recent = rows > 0
    ids = np.asarray(summary.accounts, dtype=object)
    frame = pd.DataFrame(
        {"account_id": ids[recent], "last_active_day": summary.last_day[recent]}
        | {name: counts[recent, i] for i, name in enumerate(_COUNTS)}
        | {
            "value_total": value[recent],
            "active_users": _distinct(summary.users, start, size)[recent],
            "feature_breadth": _distinct(summary.features, start, size)[recent],
        }
    )
    quiet = ~recent & (summary.last_day != _NO_DAY) & (summary.last_day < start)
    earlier = pd.DataFrame(
        {"account_id": ids[quiet], "last_active_day": summary.last_day[quiet]}
    )
    usage = pd.concat([frame, earlier], ignore_index=True)
    usage["account_id"] = usage["account_id"].astype("str")
    usage["last_active_day"] = usage["last_active_day"].astype("int64")
    return usage[["account_id", "last_active_day", *ADDITIVE, *_DISTINCT]]


_DISTINCT = ("active_users", "feature_breadth")


def _distinct(seen: Seen, start: int, size: int) -> np.ndarray:
    inside = seen.last >= start
    return np.bincount(seen.account[inside], minlength=size).astype(np.int64)


def _pruned(summary: Summary) -> Summary:
    """Without the days, users and features too old for any window kept."""
    latest = summary.latest
    if latest is None:
        return summary
    oldest = latest - KEEP_DAYS + 1

    def recent(seen: Seen) -> Seen:
        keep = seen.last >= oldest
        return Seen(seen.keys[keep], seen.account[keep], seen.last[keep])

    return replace(
        summary,
        users=recent(summary.users),
        features=recent(summary.features),
        day_files={d: n for d, n in summary.day_files.items() if d >= oldest},
        fresh_days={d: v for d, v in summary.fresh_days.items() if d >= oldest},
    )


# -- keeping it ---------------------------------------------------------------


def _taxonomy_key(tx: EventTaxonomy) -> str:
    # The format's version goes in the key too: a summary kept by another
    # version is rebuilt rather than misread.
    text = json.dumps({"format": FORMAT, **tx.model_dump()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


_SEEN = ("keys", "account", "last")
_DAY = np.dtype(
    [
        ("account", np.int32),
        ("rows", np.int64),
        ("counts", np.int64, (len(_COUNTS),)),
        ("value", np.float64),
    ]
)


def _load(folder: Path, taxonomy: str) -> Summary:
    """The kept summary, or an empty one if none is kept for this vocabulary."""
    pointer = folder / "current"
    if not pointer.exists():
        return Summary(taxonomy)
    state = folder / pointer.read_text().strip()
    try:
        meta = json.loads((state / "meta.json").read_text())
        if meta["taxonomy"] != taxonomy:
            return Summary(taxonomy)  # the vocabulary changed: start again

        def seen(kind: str) -> Seen:
            arrays = [np.load(state / f"{kind}_{part}.npy") for part in _SEEN]
            return Seen(*arrays)

        users, features = seen("users"), seen("features")
        last_day = np.load(state / "last_day.npy")
    except (OSError, KeyError, ValueError):
        return Summary(taxonomy)  # unreadable: rebuilt from the event files
    return Summary(
        taxonomy=taxonomy,
        files=meta["files"],
        accounts=meta["accounts"],
        last_day=last_day,
        users=users,
        features=features,
        day_files={int(day): name for day, name in meta["days"].items()},
        folder=folder,
    )


def _save(folder: Path, summary: Summary) -> Summary:
    """Write the changed days and a new state folder, then switch in one rename.

    Day files are never overwritten: a changed day gets a new file, and the
    files no state refers to any more are removed after the switch. Returns
    the summary as kept.
    """
    days = folder / "days"
    days.mkdir(exist_ok=True)
    day_files = dict(summary.day_files)
    for number, day in summary.fresh_days.items():
        name = f"{number}-{uuid.uuid4().hex[:12]}.npy"
        table = np.empty(len(day.account), dtype=_DAY)
        table["account"], table["rows"] = day.account, day.rows
        table["counts"], table["value"] = day.counts, day.value
        np.save(days / name, table)
        day_files[number] = name

    name = f"state-{uuid.uuid4().hex}"
    state = folder / name
    state.mkdir()
    np.save(state / "last_day.npy", summary.last_day)
    for kind in ("users", "features"):
        seen = getattr(summary, kind)
        for part in _SEEN:
            np.save(state / f"{kind}_{part}.npy", getattr(seen, part))
    meta = {
        "taxonomy": summary.taxonomy,
        "files": summary.files,
        "accounts": summary.accounts,
        "days": {str(day): file for day, file in sorted(day_files.items())},
    }
    (state / "meta.json").write_text(json.dumps(meta))
    partial = folder / ".current.partial"
    partial.write_text(name)
    os.replace(partial, folder / "current")

    for old in folder.glob("state-*"):
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)
    wanted = set(day_files.values())
    for path in days.glob("*"):
        if path.name not in wanted:
            path.unlink(missing_ok=True)
    return replace(summary, day_files=day_files, fresh_days={}, folder=folder)
