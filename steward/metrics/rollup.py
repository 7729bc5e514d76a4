"""The daily metric step done incrementally: a summary kept as event files land.

Event files are immutable, so what each adds up to can be folded into a
summary once, instead of scanning the whole window every day. The summary
(under ``events/rollup/``) holds, from every file folded in so far:

* the accounts seen (``accounts.arrow``; an account's position is its index
  in every array below) and each one's last active day;
* per UTC day with events, the running totals of every account's additive
  counts up to and including that day (``cum/DAY.npy``), so a window's sums
  are two reads and a subtraction, whatever its length; value sums, which
  are floating point, are kept per day for the accounts that have any
  (``value/DAY.npy``) and added over the window;
* per account and user, and per account and feature, the last day seen:
  a main part sorted by a 64-bit hash of the pair, updated in place, and a
  small sorted tail of pairs new since the main part was last rewritten, so
  a new day costs a binary search per pair and a window's distinct count is
  one pass.

For a day ``D`` on or after every event folded, the window metrics follow
exactly. ``usage_as_of`` answers only then, and returns ``None`` otherwise (a
day in the past, a window longer than the days kept), so the caller computes
from the events. Two different pairs with the same hash would be counted
once: with 64 bits and ten million pairs the chance is about one in three
hundred thousand.

The summary is a cache. It is rebuilt from the event files when it is
missing, unreadable, kept for another event vocabulary or another DuckDB
(whose ``hash`` makes the pair keys), or when an update was cut short: a
``dirty`` mark is written before anything is changed in place and removed
after, so a process killed mid-update leaves a summary that is thrown away,
never one that is wrong. The mark is fsynced before the first change and
everything written is fsynced before it is lifted, so a power cut does the
same. Calls still in tracking segments are added for the one answer, never
kept: they reach the summary once compacted into a file.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import cache
from pathlib import Path

import duckdb
import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlglot
from filelock import FileLock

from steward.events.records import EVENT_SCHEMA
from steward.events.store import EventStore
from steward.metrics.catalogue import ADDITIVE, EventTaxonomy, _row_parts, day_number
from steward.metrics.pairs import Seen
from steward.metrics.summary import (
    COUNTS,
    KEEP_DAYS,
    KINDS,
    Summary,
    clear,
    load_summary,
    mark_dirty,
    padded,
    save,
    summary_key,
    write_days,
    zeros,
)

# The tail is merged into the main part once it holds this share of it.
TAIL_SHARE = 0.05
TAIL_MIN = 10_000
# Event rows folded in at a time.
BATCH_ROWS = 2**21
_NO_DAY = np.iinfo(np.int32).min
_DISTINCT = ("active_users", "feature_breadth")


def usage_as_of(
    events: EventStore, as_of: dt.date, window_days: int, tx: EventTaxonomy
) -> pd.DataFrame | None:
    """The usage frame of ``metrics_as_of`` from the summary, or None if it cannot.

    Brings the summary up to date with new event files first. Reads under the
    summary's lock, so another process's update cannot change a file this
    answer is reading.
    """
    if window_days > KEEP_DAYS:
        return None
    with _lock(events):
        # The files the pending calls were checked against, and only those:
        # a compaction after this finds its calls in a file folded next time.
        pending = events.pending()
        summary = _brought_up_to_date(events, tx, pending.files)
        if pending.events.num_rows:
            summary = _with_pending(summary, pending.events, tx)
        end = day_number(as_of)
        latest = summary.latest
        if latest is not None and latest > end:
            return None
        return _usage(summary, end, window_days)


def update(events: EventStore, tx: EventTaxonomy) -> Summary:
    """Fold every event file not yet in the summary into it, and keep it."""
    with _lock(events):
        return _brought_up_to_date(events, tx, events.files())


def _lock(events: EventStore) -> FileLock:
    folder = events.root / "rollup"
    folder.mkdir(parents=True, exist_ok=True)
    return FileLock(str(folder / ".lock"))


def _brought_up_to_date(
    events: EventStore, tx: EventTaxonomy, files: list[Path]
) -> Summary:
    """The kept summary with every one of ``files`` folded in."""
    folder = events.root / "rollup"
    summary = load_summary(folder, summary_key(tx))
    known = set(summary.files)
    new = [path for path in files if _file_key(path) not in known]
    # A folded file gone (an import whose store refused it removes its
    # files): its events are in the summary, so it starts again.
    gone = known - {_file_key(path) for path in files}
    if not new and not gone:
        return summary
    try:
        if gone:
            raise _Rebuild
        _fold_files(folder, summary, new, tx)
    except _Rebuild:
        clear(folder)
        summary = Summary(summary.key, folder=folder)
        _fold_files(folder, summary, files, tx)
    return summary


def _fold_files(
    folder: Path, summary: Summary, paths: list[Path], tx: EventTaxonomy
) -> None:
    """Fold ``paths`` into ``summary`` and keep it, under the dirty mark."""
    mark_dirty(folder)
    for kind in KINDS:
        seen: Seen = getattr(summary, kind)
        if isinstance(seen.main_last, np.memmap):
            path = folder / f"{kind}_main_last.npy"
            seen.main_last = np.load(path, mmap_mode="r+")
    with _connection() as con:
        if not summary.files:
            paths = _without_old_history(con, summary, paths)
        for path in paths:
            # A batch of rows at a time keeps memory to one batch's parts,
            # however large the file (a month of a large book).
            columns = list(_rows_columns(tx.model_dump_json()))
            batches = pq.ParquetFile(path).iter_batches(BATCH_ROWS, columns=columns)
            for batch in batches:
                table = pa.Table.from_batches([batch])
                con.from_arrow(table).create_view("new_events", replace=True)
                _fold(con, summary, tx)
            summary.files.append(_file_key(path))
            write_days(folder, summary)
            for kind in KINDS:
                seen = getattr(summary, kind)
                if _tail_too_long(seen):
                    setattr(summary, kind, seen.compacted(_oldest(summary)))
    save(folder, summary)


def _without_old_history(
    con: duckdb.DuckDBPyConnection, summary: Summary, paths: list[Path]
) -> list[Path]:
    """The files a new summary must fold; older ones give last active days only.

    A file whose every event is more than ``KEEP_DAYS`` days before the
    latest event (by its Parquet statistics) can count in no window kept, so
    a first catch-up reads only each account's last day from it, and marks
    the days before the first folded one as not kept.
    """
    spans = {path: _day_span(path) for path in paths}
    ends = [span[1] for span in spans.values() if span is not None]
    if not ends:
        return paths
    oldest = max(ends) - KEEP_DAYS - 1
    old = [path for path, span in spans.items() if span and span[1] < oldest]
    if not old:
        return paths
    files = ", ".join("'" + str(path).replace("'", "''") + "'" for path in old)
    last = con.sql(
        "select account_id, max(day)::integer as day "
        f"from read_parquet([{files}]) group by account_id order by account_id"
    ).to_arrow_table()
    summary.account_ids = last["account_id"].combine_chunks().cast(pa.string())
    summary.last_day = last["day"].to_numpy().astype(np.int32)
    summary.accounts_changed = True
    summary.files.extend(_file_key(path) for path in old)
    return [path for path in paths if path not in set(old)]


def _day_span(path: Path) -> tuple[int, int] | None:
    """The first and last ``day`` in a Parquet file, from its statistics."""
    metadata = pq.ParquetFile(path).metadata
    names = metadata.schema.names
    if "day" not in names or metadata.num_row_groups == 0:
        return None
    column = names.index("day")
    lows, highs = [], []
    for group in range(metadata.num_row_groups):
        stats = metadata.row_group(group).column(column).statistics
        if stats is None or not stats.has_min_max:
            return None
        lows.append(int(stats.min))
        highs.append(int(stats.max))
    return min(lows), max(highs)


def _oldest(summary: Summary) -> int:
    """The first day a pair must have been seen on to count in any window kept."""
    latest = summary.latest
    return latest - KEEP_DAYS + 1 if latest is not None else 0


def _with_pending(summary: Summary, pending: pa.Table, tx: EventTaxonomy) -> Summary:
    """A copy of ``summary`` with calls still in segments added; nothing kept."""
    copy = replace(
        summary,
        files=list(summary.files),
        last_day=summary.last_day.copy(),
        users=summary.users.copy(),
        features=summary.features.copy(),
        fresh_cum=dict(summary.fresh_cum),
        fresh_value=dict(summary.fresh_value),
        unsynced=set(),
    )
    with _connection() as con:
        events = pending.select(EVENT_SCHEMA.names).cast(EVENT_SCHEMA)
        con.from_arrow(events).create_view("new_events", replace=True)
        _fold(con, copy, tx)
    return copy


def _file_key(path: Path) -> str:
    """A file's name within the event store: its month folder and file name."""
    return f"{path.parent.name}/{path.name}"


_local = threading.local()


@contextmanager
def _connection() -> Iterator[duckdb.DuckDBPyConnection]:
    """This thread's DuckDB connection for folding, without progress bars.

    Kept between calls: opening and closing one costs more than a day's fold.
    """
    con = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        _local.con = con
    yield con


# -- folding new events in ----------------------------------------------------


@cache
def _rows_sql(tx_json: str) -> str:
    """Per event in ``new_events``: its account, user, feature, day and the
    amounts it adds, as DuckDB SQL.

    Built from the catalogue's own Ibis definitions (``_row_parts``) and
    compiled once per vocabulary, so the summary and the full computation
    cannot disagree on what an event counts for.
    """
    tx = EventTaxonomy.model_validate_json(tx_json)
    events = ibis.table(ibis.Schema.from_pyarrow(EVENT_SCHEMA), name="new_events")
    parts = _row_parts(events, tx)
    rows = parts.select(
        "account_id",
        "user_id",
        "feature_key",
        day=parts.day.cast("int32"),
        **{name: parts[name] for name in ADDITIVE},
    )
    return ibis.to_sql(rows, dialect="duckdb")


@cache
def _rows_columns(tx_json: str) -> tuple[str, ...]:
    """The event columns :func:`_rows_sql` reads: only these are decoded from
    a file (the message ids and properties are most of its bytes)."""
    query = sqlglot.parse_one(_rows_sql(tx_json), read="duckdb")
    used = {column.name for column in query.find_all(sqlglot.exp.Column)}
    return tuple(name for name in EVENT_SCHEMA.names if name in used)


def _fold(con: duckdb.DuckDBPyConnection, summary: Summary, tx: EventTaxonomy) -> None:
    """Add the events of the view ``new_events`` to ``summary``, in place."""
    con.register("known_accounts", _known(summary.account_ids))
    parts = con.sql(
        "select r.*, k.a "
        f"from ({_rows_sql(tx.model_dump_json())}) r "
        "left join known_accounts k using (account_id)"
    ).to_arrow_table()
    con.register("parts", parts)
    missing = pc.is_null(parts["a"])
    if pc.any(missing).as_py():
        first = len(summary.account_ids)
        unknown = pc.unique(parts["account_id"].filter(missing)).cast(pa.string())
        unknown = unknown.take(pc.sort_indices(unknown))
        summary.account_ids = pa.concat_arrays([summary.account_ids, unknown])
        summary.accounts_changed = True
        grown = np.full(len(unknown), _NO_DAY, dtype=np.int32)
        summary.last_day = np.concatenate([summary.last_day, grown])
        added = pc.index_in(parts["account_id"], value_set=unknown)
        a = pc.if_else(missing, pc.add(pc.cast(added, pa.int32()), first), parts["a"])
        parts = parts.set_column(parts.schema.get_field_index("a"), "a", a)
        con.register("parts", parts)
    size = len(summary.account_ids)

    columns = {name: parts[name].to_numpy() for name in ("a", "day", *ADDITIVE)}
    account, day, counts, value = _per_account_day(columns, size)
    np.maximum.at(summary.last_day, account, day)
    _add_to_totals(summary, account, day, counts, size)
    _add_values(summary, account, day, value)

    for kind, item in (("users", "user_id"), ("features", "feature_key")):
        pairs = con.execute(
            f"select a, hash(a, {item}) as key, max(day) as last_day from parts "
            f"where {item} is not null group by a, {item}"
        ).fetchnumpy()
        getattr(summary, kind).touch(
            np.asarray(pairs["key"], dtype=np.uint64),
            np.asarray(pairs["a"], dtype=np.int32),
            np.asarray(pairs["last_day"], dtype=np.int32),
        )
    con.unregister("parts")


# Up to this many (day, account) cells the sums are made by counting into
# every cell; beyond it (a file spanning many days of a large book), by sorting.
_DENSE_CELLS = 20_000_000


def _per_account_day(
    columns: dict[str, np.ndarray], size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sums per (account, day), ordered by day then account: the accounts, the
    days, the row count with the counts (one column each) and the value sums."""
    a = np.asarray(columns["a"], dtype=np.int64)
    day = np.asarray(columns["day"], dtype=np.int64)
    if not len(a):
        empty = np.empty(0, dtype=np.int32)
        return empty, empty, zeros(0), np.empty(0, dtype=np.float64)
    low = int(day.min())
    span = int(day.max()) - low + 1
    key = (day - low) * size + a
    if span * size <= _DENSE_CELLS:
        inverse, groups = key, span * size
        rows = np.bincount(inverse, minlength=groups)
        present = np.flatnonzero(rows)
        pick: np.ndarray | slice = present
    else:
        present, inverse = np.unique(key, return_inverse=True)
        groups = len(present)
        rows = np.bincount(inverse, minlength=groups)
        pick = slice(None)

    def summed(values: np.ndarray) -> np.ndarray:
        return np.bincount(inverse, weights=values, minlength=groups)[pick]

    counts = np.column_stack(
        [rows[pick]]
        + [np.rint(summed(columns[name])).astype(np.int64) for name in COUNTS]
    ).astype(np.int64)
    value = summed(np.nan_to_num(np.asarray(columns["value_total"], np.float64)))
    return (
        (present % size).astype(np.int32),
        (low + present // size).astype(np.int32),
        counts,
        value,
    )


def _known(account_ids: pa.Array) -> pa.Table:
    positions = pa.array(np.arange(len(account_ids), dtype=np.int32))
    return pa.table({"account_id": account_ids, "a": positions})


def _add_to_totals(
    summary: Summary,
    account: np.ndarray,
    day: np.ndarray,
    counts: np.ndarray,
    size: int,
) -> None:
    """Running totals of every day from the first new one on, new days included.

    Rows come ordered by day, each account at most once per day.
    """
    if not len(day):
        return
    new_days, starts = np.unique(day, return_index=True)
    ends = np.append(starts[1:], len(day))
    first = int(new_days[0])
    if summary.pruned and (not summary.days or summary.days[0] > first):
        raise _Rebuild("events older than the oldest day kept")
    bounds = {int(d): (s, e) for d, s, e in zip(new_days, starts, ends, strict=True)}
    every = sorted(set(summary.days) | set(bounds))
    extra = zeros(size)
    updated = {}
    for number in every:
        if number < first:
            continue
        if number in bounds:
            s, e = bounds[number]
            extra[account[s:e]] += counts[s:e]
        # The totals before this batch: of this day, or of the last day before.
        updated[number] = padded(np.asarray(summary.cum(number)), size) + extra
    summary.fresh_cum.update(updated)
    summary.days = every


class _Rebuild(Exception):
    """The summary cannot take these events: build it again from every file."""


def _add_values(
    summary: Summary, account: np.ndarray, day: np.ndarray, value: np.ndarray
) -> None:
    has = value != 0
    for number in np.unique(day[has]).tolist():
        on = has & (day == number)
        accounts, values = account[on], value[on]
        old = summary.value(number)
        if old is not None:
            accounts = np.concatenate([old[0], accounts])
            values = np.concatenate([old[1], values])
        summed = pd.Series(values).groupby(accounts, sort=True).sum()
        summary.fresh_value[number] = (
            summed.index.to_numpy(dtype=np.int32),
            summed.to_numpy(dtype=np.float64),
        )
        if number not in summary.value_days:
            summary.value_days = sorted([*summary.value_days, number])


# -- answering a window -------------------------------------------------------


def _usage(summary: Summary, end: int, window_days: int) -> pd.DataFrame | None:
    start = end - window_days + 1
    size = len(summary.account_ids)
    top, base = summary.cum(end), summary.cum(start - 1)
    if top is None or base is None:
        return None  # the window reaches days no longer kept
    totals = padded(np.asarray(top), size) - padded(np.asarray(base), size)
    rows = totals[:, 0]
    value = np.zeros(size, dtype=np.float64)
    for number in summary.value_days:
        if start <= number <= end:
            accounts, values = summary.value(number)
            value[accounts] += values

    recent = rows > 0
    quiet = ~recent & (summary.last_day != _NO_DAY)
    ids = summary.account_ids.to_numpy(zero_copy_only=False)
    active = {
        "active_users": summary.users.distinct(start, size),
        "feature_breadth": summary.features.distinct(start, size),
    }
    columns: dict[str, np.ndarray] = {
        "account_id": np.concatenate([ids[recent], ids[quiet]]),
        "last_active_day": np.concatenate(
            [summary.last_day[recent], summary.last_day[quiet]]
        ).astype(np.int64),
    }
    quiet_count = int(quiet.sum())
    for i, name in enumerate(COUNTS, start=1):
        columns[name] = _with_gap(totals[recent, i], quiet_count)
    columns["value_total"] = _with_gap(value[recent], quiet_count)
    for name in _DISTINCT:
        columns[name] = _with_gap(active[name][recent], quiet_count)
    usage = pd.DataFrame(columns)
    usage["account_id"] = usage["account_id"].astype("str")
    return usage[["account_id", "last_active_day", *ADDITIVE, *_DISTINCT]]


def _with_gap(values: np.ndarray, missing: int) -> np.ndarray:
    """``values`` then ``missing`` NaNs: quiet accounts have no window sums."""
    return np.concatenate([values.astype(np.float64), np.full(missing, np.nan)])


def _tail_too_long(seen: Seen) -> bool:
    return len(seen.tail_keys) > max(TAIL_MIN, TAIL_SHARE * len(seen.main_keys))
