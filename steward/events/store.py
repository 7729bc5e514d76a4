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

Tracking calls arrive a request at a time, too small for a Parquet file each:
they are first appended to fsynced segment files in ``events/incoming``
(``steward.events.segments``), which ``compact`` moves into the partitions
under the same lock and dedupe. Readers see both: the partitions plus the
segments' calls not yet in them, so an acknowledged call counts at once.
``identify``, ``group`` and ``alias`` calls go to ``events/profiles/<month>/``
the same way (``steward.events.records``).

An ``alias`` call merges a previous id (an anonymous visitor, an old user id)
into a user id. Compaction applies it: events compacted after it carry the
new id, and so the account the new id joined. Events already compacted
before the alias arrived keep the previous id, since files are immutable.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from filelock import FileLock

from steward.events import segments
from steward.events.duck import quiet_duckdb
from steward.events.records import (
    EVENT_SCHEMA,
    PROFILE_SCHEMA,
    decode_frames,
    utc_days,
)

__all__ = ["EVENT_SCHEMA", "PROFILE_SCHEMA", "AppendResult", "EventStore", "utc_days"]


@dataclass(frozen=True)
class AppendResult:
    inserted: int
    duplicates: int
    # The files written, for a caller whose own transaction then fails.
    written: tuple[Path, ...] = ()


@dataclass(frozen=True)
class CompactResult:
    segments: int
    events: AppendResult
    profiles: AppendResult


@dataclass(frozen=True)
class Pending:
    """Calls in segments not yet in the partitions, against a snapshot of files."""

    events: pa.Table
    profiles: pa.Table
    files: list[Path]


class EventStore:
    """The event partitions under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.incoming = self.root / "incoming"
        self._events = _Partitions(self.root, EVENT_SCHEMA)
        self._profiles = _Partitions(self.root / "profiles", PROFILE_SCHEMA)

    @property
    def glob(self) -> str:
        return self._events.glob

    def files(self) -> list[Path]:
        return self._events.files()

    def _lock(self) -> FileLock:
        self.root.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.root / ".lock"))

    def append(self, events: pa.Table) -> AppendResult:
        """Store the events whose ``message_id`` is new; report the rest as duplicates.

        ``events`` has the columns of ``EVENT_SCHEMA``; ``day`` is always derived
        from ``ts`` here, whatever the caller put in it.
        """
        with self._lock():
            return self._events.append(_with_day(events))

    def writer(self, max_bytes: int = 64 << 20) -> segments.SegmentWriter:
        """A segment writer for tracking calls (one per process)."""
        return segments.SegmentWriter(self.incoming, max_bytes)

    def compact(self) -> CompactResult:
        """Move every segment no live writer holds into the partitions.

        A segment is deleted only after its calls are durable in Parquet; if
        the process dies in between, the next compaction stores the same calls
        again and the dedupe drops them.
        """
        with self._lock(), segments.claimed(self.incoming) as paths:
            frames = [frame for path in paths for frame in segments.read_frames(path)]
            events, profiles = decode_frames(frames)
            known = self._with_stored_profiles(profiles)
            events = resolve_aliases(events, latest_aliases(known))
            events = link_accounts(events, memberships_of(known))
            stored = self._events.append(events)
            linked = self._profiles.append(profiles)
            for path in paths:
                path.unlink(missing_ok=True)
            if paths:
                segments.fsync_dir(self.incoming)
        return CompactResult(len(paths), stored, linked)

    def pending(self) -> Pending:
        """Segment calls not yet compacted, deduplicated against the partitions.

        The segments are read before the partitions are listed: a segment
        compacted meanwhile is then either still read (and its events found
        in the listed files and dropped) or gone with its file listed.
        """
        frames = [
            frame
            for path in segments.segment_files(self.incoming)
            for frame in segments.read_frames(path)
        ]
        events, profiles = decode_frames(frames)
        files = self.files()
        if events.num_rows:
            events = _first_per_message_id(events)
            events = self._events.drop_known(events, files)
        return Pending(events, profiles, files)

    def table(self, con: ibis.BaseBackend) -> ibis.Table:
        """All events as an Ibis table on ``con`` (empty, with the schema, if none)."""
        pending = self.pending()
        if not pending.files:
            return ibis.memtable(pending.events)
        name = f"events_{uuid.uuid4().hex}"
        if not pending.events.num_rows:
            return con.read_parquet(self.glob, table_name=name)
        if con.name != "duckdb":
            # Spark reads a glob, not a list: a compaction between the listing
            # and the read could count its calls twice, until the next read.
            stored = con.read_parquet(self.glob, table_name=name)
            return stored.union(ibis.memtable(pending.events).cast(stored.schema()))
        # The same files the pending calls were deduplicated against.
        stored = con.read_parquet(
            [str(path) for path in pending.files], table_name=name
        )
        fresh = ibis.memtable(pending.events).cast(stored.schema())
        return stored.union(fresh, distinct=False)

    def count(self) -> int:
        pending = self.pending()
        if not pending.files:
            return pending.events.num_rows
        with quiet_duckdb() as con:
            query = "select count(*) from read_parquet($files)"
            files = [str(path) for path in pending.files]
            stored = con.execute(query, {"files": files}).fetchone()[0]
        return stored + pending.events.num_rows

    def profiles(self) -> pa.Table:
        """Every stored ``identify``, ``group`` and ``alias`` call, compacted or not."""
        files = self._profiles.files()
        pending = self.pending().profiles
        if not files:
            return pending
        stored = pq.ParquetDataset([str(path) for path in files]).read()
        return pa.concat_tables([stored.cast(PROFILE_SCHEMA), pending])

    def memberships(self) -> dict[str, str]:
        """Each user's account: the group of their latest ``group`` call, or of
        an id aliased to them."""
        return memberships_of(self.profiles())

    def _with_stored_profiles(self, extra: pa.Table) -> pa.Table:
        files = self._profiles.files()
        if not files:
            return extra
        stored = pq.ParquetDataset([str(p) for p in files]).read()
        return pa.concat_tables([stored.cast(PROFILE_SCHEMA), extra])


class _Partitions:
    """Month folders of immutable Parquet files with one schema, deduped on id."""

    def __init__(self, root: Path, schema: pa.Schema) -> None:
        self.root = root
        self.schema = schema

    @property
    def glob(self) -> str:
        return str(self.root / "*" / "*.parquet")

    def files(self) -> list[Path]:
        if not self.root.exists():
            return []
        return sorted(self.root.glob("[0-9]*/*.parquet"))

    def append(self, rows: pa.Table) -> AppendResult:
        """Write the new rows; the caller holds the store's lock."""
        rows = rows.select(self.schema.names).cast(self.schema)
        offered = rows.num_rows
        rows = _first_per_message_id(rows)
        if rows.num_rows == 0:
            return AppendResult(0, offered)
        fresh = self.drop_known(rows, self.files())
        months = pc.strftime(fresh["ts"], format="%Y-%m")
        written = tuple(
            self._write(fresh.filter(pc.equal(months, month)), month)
            for month in pc.unique(months).to_pylist()
        )
        return AppendResult(fresh.num_rows, offered - fresh.num_rows, written)

    def drop_known(self, rows: pa.Table, files: list[Path]) -> pa.Table:
        """Rows whose id is not in ``files`` of their month or either neighbour."""
        months = pc.strftime(rows["ts"], format="%Y-%m")
        by_month: dict[str, list[str]] = {}
        for path in files:
            by_month.setdefault(path.parent.name, []).append(str(path))
        kept = []
        for month in pc.unique(months).to_pylist():
            batch = rows.filter(pc.equal(months, month))
            near = [f for m in _neighbour_months(month) for f in by_month.get(m, [])]
            kept.append(_drop_ids_in(batch, near))
        return pa.concat_tables(kept) if kept else rows

    def _write(self, batch: pa.Table, month: str) -> Path:
        folder = self.root / month
        folder.mkdir(parents=True, exist_ok=True)
        batch = batch.sort_by(
            [("ts", "ascending"), (batch.column_names[1], "ascending")]
        )
        final = folder / f"{uuid.uuid4().hex}.parquet"
        partial = folder / f".{final.name}.partial"
        pq.write_table(batch, partial, compression="zstd", row_group_size=1 << 20)
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        partial.rename(final)
        # The new name must be durable before a segment holding the same
        # calls may be deleted.
        segments.fsync_dir(folder)
        return final


def _drop_ids_in(batch: pa.Table, files: list[str]) -> pa.Table:
    if not files:
        return batch
    with quiet_duckdb() as con:
        known = con.sql(
            "select distinct message_id from read_parquet($files)",
            params={"files": files},
        ).to_arrow_table()
    keep = pc.invert(pc.is_in(batch["message_id"], known["message_id"]))
    return batch.filter(keep)


def _with_day(events: pa.Table) -> pa.Table:
    if "day" in events.column_names:
        events = events.drop_columns(["day"])
    return events.append_column("day", utc_days(events["ts"]))


def link_accounts(events: pa.Table, members: dict[str, str]) -> pa.Table:
    """Give events stored without an account the account their user joined since."""
    if not events.num_rows or not members:
        return events
    blank = pc.equal(events["account_id"], "")
    if not pc.any(blank).as_py():
        return events
    found = pc.index_in(events["user_id"], pa.array(list(members), pa.string()))
    linked = pc.take(pa.array(list(members.values()), pa.string()), found)
    account = pc.if_else(
        pc.and_kleene(blank, pc.is_valid(linked)), linked, events["account_id"]
    )
    position = events.column_names.index("account_id")
    return events.set_column(position, "account_id", account)


def resolve_aliases(events: pa.Table, aliases: dict[str, str]) -> pa.Table:
    """Events of an aliased previous id given the user id it became."""
    if not events.num_rows or not aliases:
        return events
    found = pc.index_in(events["user_id"], pa.array(list(aliases), pa.string()))
    if not pc.any(pc.is_valid(found)).as_py():
        return events
    merged = pc.take(pa.array(list(aliases.values()), pa.string()), found)
    user = pc.coalesce(merged, events["user_id"])
    position = events.column_names.index("user_id")
    return events.set_column(position, "user_id", user)


def latest_aliases(profiles: pa.Table) -> dict[str, str]:
    """Previous id to the user id it finally became, through every ``alias``.

    The latest alias of a previous id wins; chains (a to b, b to c) are
    followed to their end, and a cycle stops where it would repeat.
    """
    calls = profiles.filter(pc.equal(profiles["type"], "alias"))
    if not calls.num_rows:
        return {}
    ordered = calls.sort_by([("ts", "ascending"), ("received_at", "ascending")])
    step = dict(
        zip(
            ordered["anonymous_id"].to_pylist(),
            ordered["user_id"].to_pylist(),
            strict=True,
        )
    )
    final = {}
    for previous, user in step.items():
        seen = {previous}
        while user in step and user not in seen:
            seen.add(user)
            user = step[user]
        final[previous] = user
    return final


def memberships_of(profiles: pa.Table) -> dict[str, str]:
    """Each user's account: their latest ``group`` call's, else the one an id
    aliased to them had."""
    members = latest_groups(profiles)
    for previous, user in latest_aliases(profiles).items():
        if user not in members and previous in members:
            members[user] = members[previous]
    return members


def latest_groups(profiles: pa.Table) -> dict[str, str]:
    """User id to group id of each user's latest ``group`` call."""
    groups = profiles.filter(
        pc.and_(pc.equal(profiles["type"], "group"), pc.is_valid(profiles["user_id"]))
    )
    groups = groups.filter(pc.is_valid(groups["group_id"]))
    if not groups.num_rows:
        return {}
    ordered = groups.sort_by([("ts", "ascending"), ("received_at", "ascending")])
    users = ordered["user_id"].to_pylist()
    return dict(zip(users, ordered["group_id"].to_pylist(), strict=True))


def _first_per_message_id(rows: pa.Table) -> pa.Table:
    """Keep the first row of each ``message_id``, in the order given."""
    positions = pa.array(range(rows.num_rows), type=pa.int64())
    first = (
        pa.table({"message_id": rows["message_id"], "i": positions})
        .group_by("message_id", use_threads=False)
        .aggregate([("i", "min")])["i_min"]
    )
    return rows.take(pc.take(first, pc.sort_indices(first)))


def _neighbour_months(month: str) -> list[str]:
    year, mon = (int(part) for part in month.split("-"))
    before = f"{year - 1:04d}-12" if mon == 1 else f"{year:04d}-{mon - 1:02d}"
    after = f"{year + 1:04d}-01" if mon == 12 else f"{year:04d}-{mon + 1:02d}"
    return [before, month, after]
