"""The journey signals of the accounts still in a journey, kept as event files land.

The journey step needs, for every account in its first days, the first day
since its start with a login, with a core workflow, and the day by which
more than a share of its licensed seats had been active
(:func:`steward.metrics.signals.milestone_signals`). Computed from the events
each day, that is a pass over every event since the oldest start in the
journey, and most of the step on a large book.

Every one of these is a minimum, so it folds: the summary kept under
``events/firsts/`` holds, per account in a journey and its start day, the
first login and core-workflow days and each of its users' first day since the
start. A new event file lowers them where it has earlier events (late events
included); an account new to a journey, or whose start moved, is read from
every file once. Calls still in tracking segments count in the answer
without being kept, as in :mod:`steward.metrics.rollup`. A user is known by a
64-bit hash of the account and user ids: two users of one account with the
same hash would count once. The summary is a cache: anything it cannot use
(another event vocabulary or DuckDB, a folded file gone) is rebuilt. The
files folded are those the pending calls were checked against
(:meth:`EventStore.pending`), so a call compacted meanwhile counts once.
"""

from __future__ import annotations

import json
import os
from contextlib import closing
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
from filelock import FileLock

from steward.events.records import EVENT_SCHEMA
from steward.events.segments import fsync_dir
from steward.events.store import EventStore
from steward.metrics.catalogue import EventTaxonomy, _is

FORMAT = 1
NONE = np.iinfo(np.int32).max
_ = ibis._


@dataclass
class _Kept:
    """The summary: accounts with their start and firsts, and their users."""

    account_ids: np.ndarray = field(default_factory=lambda: np.empty(0, object))
    start: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    login: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    core: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    # Users, sorted by pair key: the account's position above, first day.
    pair: np.ndarray = field(default_factory=lambda: np.empty(0, np.uint64))
    owner: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    first: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    files: list[str] = field(default_factory=list)


def journey_signals(
    events: EventStore, scope: pd.DataFrame, tx: EventTaxonomy, thresholds: list[float]
) -> pd.DataFrame:
    """:func:`~steward.metrics.signals.milestone_signals` of ``scope`` (account_id,
    start_day, seats), by account id, from the kept summary brought up to date.
    """
    folder = events.root / "firsts"
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder / ".lock")):
        kept = _load(folder, _key(tx))
        # The files the pending calls were checked against, and only those.
        pending = events.pending()
        current = {_file_key(path): path for path in pending.files}
        if any(name not in current for name in kept.files):
            kept = _Kept()  # a folded file is gone: start again
        new = [path for name, path in current.items() if name not in set(kept.files)]

        scope = scope.reset_index(drop=True)
        starts = scope["start_day"].to_numpy(dtype=np.int64)
        before = len(kept.account_ids)
        kept = _keep_only(kept, scope["account_id"].to_numpy(dtype=object), starts)
        changed = bool(new) or len(kept.account_ids) != before
        with closing(duckdb.connect()) as con:
            con.execute("SET enable_progress_bar = false")
            if new and len(kept.account_ids):
                _fold(con, kept, _files_view(new), tx)
            known = pd.Index(kept.account_ids).get_indexer(scope["account_id"])
            fresh = known < 0
            if fresh.any():
                _add_accounts(con, kept, scope[fresh], list(current.values()), tx)
                changed = True
            kept.files = list(current)
            if changed:
                _save(folder, _key(tx), kept)

            if pending.events.num_rows:
                kept = _with_pending(con, kept, pending.events, scope, tx)
    return _answer(kept, scope, thresholds)


# -- what a batch of events adds ------------------------------------------------


@cache
def _fold_sql(tx_json: str) -> str:
    """Per account in ``scope_accounts`` and user: the first day since the
    start, first login and first core-workflow day, over ``new_events``.

    From the catalogue's own predicates, compiled once per vocabulary.
    """
    tx = EventTaxonomy.model_validate_json(tx_json)
    events = ibis.table(ibis.Schema.from_pyarrow(EVENT_SCHEMA), name="new_events")
    scope = ibis.table(
        {"account_id": "string", "position": "int32", "start_day": "int64"},
        name="scope_accounts",
    )
    dated = events.mutate(day=events.day.cast("int64"))
    joined = dated.join(scope, "account_id")
    since = joined.filter(joined.day >= joined.start_day)
    grouped = since.group_by(["position", "account_id", "user_id"]).aggregate(
        first=_.day.min(),
        login=_.day.min(where=_is(since, tx.login)),
        core=_.day.min(where=_is(since, tx.core_workflow)),
    )
    return ibis.to_sql(grouped, dialect="duckdb")


def _batch(
    con: duckdb.DuckDBPyConnection,
    source: str,
    accounts: np.ndarray,
    starts: np.ndarray,
    tx: EventTaxonomy,
) -> dict[str, np.ndarray]:
    """The firsts of ``accounts`` (positions are their order) in ``source``."""
    con.register(
        "scope_accounts",
        pa.table(
            {
                "account_id": pa.array(accounts.tolist(), pa.string()),
                "position": pa.array(np.arange(len(accounts), dtype=np.int32)),
                "start_day": pa.array(starts.astype(np.int64)),
            }
        ),
    )
    con.execute(f"create or replace temp view new_events as {source}")
    query = (
        "select position, "
        "case when user_id is null then null else hash(account_id, user_id) end "
        "as pair, first, login, core "
        f"from ({_fold_sql(tx.model_dump_json())})"
    )
    found = con.execute(query).fetchnumpy()
    con.unregister("scope_accounts")
    return {
        "position": np.asarray(found["position"], dtype=np.int32),
        "pair": _filled(found["pair"], np.uint64, 0),
        "has_user": ~_nulls(found["pair"]),
        "first": _filled(found["first"], np.int32, NONE),
        "login": _filled(found["login"], np.int32, NONE),
        "core": _filled(found["core"], np.int32, NONE),
    }


def _nulls(values: np.ndarray) -> np.ndarray:
    mask = np.ma.getmaskarray(values)
    return mask if mask.shape == values.shape else np.zeros(len(values), dtype=bool)


def _filled(values: np.ndarray, dtype: type, fill: int) -> np.ndarray:
    return np.ma.filled(np.ma.asarray(values).astype(dtype), fill)


def _files_view(paths: list[Path]) -> str:
    files = ", ".join("'" + str(path).replace("'", "''") + "'" for path in paths)
    return f"select * from read_parquet([{files}])"


def _fold(
    con: duckdb.DuckDBPyConnection, kept: _Kept, source: str, tx: EventTaxonomy
) -> None:
    """Lower the kept firsts by what ``source`` adds, in place."""
    batch = _batch(con, source, kept.account_ids, kept.start.astype(np.int64), tx)
    _merge(kept, batch)


def _merge(kept: _Kept, batch: dict[str, np.ndarray]) -> None:
    where = batch["position"]
    np.minimum.at(kept.login, where, batch["login"])
    np.minimum.at(kept.core, where, batch["core"])
    users = batch["has_user"]
    pair, owner, first = batch["pair"][users], where[users], batch["first"][users]
    at = np.searchsorted(kept.pair, pair)
    found = at < len(kept.pair)
    found[found] = kept.pair[at[found]] == pair[found]
    np.minimum.at(kept.first, at[found], first[found])
    fresh = ~found
    if fresh.any():
        order = np.argsort(pair[fresh], kind="stable")
        pair, owner, first = (
            pair[fresh][order],
            owner[fresh][order],
            first[fresh][order],
        )
        # One account's user appears once per batch (grouped); the same hash
        # twice would be two users colliding, kept once.
        pair, index = np.unique(pair, return_index=True)
        owner, first = owner[index], first[index]
        slots = np.searchsorted(kept.pair, pair)
        kept.pair = np.insert(kept.pair, slots, pair)
        kept.owner = np.insert(kept.owner, slots, owner)
        kept.first = np.insert(kept.first, slots, first)


def _add_accounts(
    con: duckdb.DuckDBPyConnection,
    kept: _Kept,
    fresh: pd.DataFrame,
    paths: list[Path],
    tx: EventTaxonomy,
) -> None:
    """Accounts new to the summary, read from every file."""
    accounts = fresh["account_id"].to_numpy(dtype=object)
    starts = fresh["start_day"].to_numpy(dtype=np.int64)
    offset = len(kept.account_ids)
    kept.account_ids = np.concatenate([kept.account_ids, accounts])
    kept.start = np.concatenate([kept.start, starts.astype(np.int32)])
    none = np.full(len(accounts), NONE, dtype=np.int32)
    kept.login = np.concatenate([kept.login, none])
    kept.core = np.concatenate([kept.core, none.copy()])
    if paths:
        batch = _batch(con, _files_view(paths), accounts, starts, tx)
        batch["position"] = batch["position"] + offset
        _merge(kept, batch)


def _keep_only(kept: _Kept, accounts: np.ndarray, starts: np.ndarray) -> _Kept:
    """The kept accounts still in scope with the same start, and their users."""
    if not len(kept.account_ids):
        return kept
    wanted = pd.Series(starts, index=pd.Index(accounts))
    now = wanted.reindex(kept.account_ids).to_numpy(dtype="float64")
    stays = now == kept.start
    if stays.all():
        return kept
    renumber = np.cumsum(stays) - 1
    users = stays[kept.owner]
    return _Kept(
        account_ids=kept.account_ids[stays],
        start=kept.start[stays],
        login=kept.login[stays],
        core=kept.core[stays],
        pair=kept.pair[users],
        owner=renumber[kept.owner[users]].astype(np.int32),
        first=kept.first[users],
        files=kept.files,
    )


def _with_pending(
    con: duckdb.DuckDBPyConnection,
    kept: _Kept,
    pending: pa.Table,
    scope: pd.DataFrame,
    tx: EventTaxonomy,
) -> _Kept:
    """A copy with the calls still in segments folded in; nothing kept."""
    copy = _Kept(
        kept.account_ids,
        kept.start,
        kept.login.copy(),
        kept.core.copy(),
        kept.pair.copy(),
        kept.owner.copy(),
        kept.first.copy(),
        list(kept.files),
    )
    con.register("pending_events", pending.select(EVENT_SCHEMA.names))
    _fold(con, copy, "select * from pending_events", tx)
    con.unregister("pending_events")
    return copy


# -- answering ------------------------------------------------------------------


def _answer(kept: _Kept, scope: pd.DataFrame, thresholds: list[float]) -> pd.DataFrame:
    """The signals of every account of ``scope``, as the events query gives them."""
    position = pd.Index(kept.account_ids).get_indexer(scope["account_id"])
    assert (position >= 0).all(), "every account in scope is kept"

    def days(values: np.ndarray) -> np.ndarray:
        found = values.astype("float64")
        found[values == NONE] = np.nan
        return found

    result = pd.DataFrame(
        {
            "first_login": days(kept.login[position]),
            "first_core_workflow": days(kept.core[position]),
        },
        index=pd.Index(scope["account_id"], name="account_id"),
    )
    # Each account's users' first days in order: the n-th is the day n users
    # had been active since the start.
    ordered = np.sort((kept.owner.astype(np.int64) << 32) | kept.first.astype(np.int64))
    owners = (ordered >> 32).astype(np.int64)
    firsts = (ordered & 0xFFFFFFFF).astype("float64")
    begins = np.searchsorted(owners, position)
    counts = np.searchsorted(owners, position, side="right") - begins
    seats = np.floor(scope["seats"].to_numpy(dtype="float64") + 0.5).astype(np.int64)
    for index, threshold in enumerate(thresholds):
        permille = round(threshold * 1000)
        needed = (seats * permille) // 1000 + 1
        reached = (seats > 0) & (counts >= needed)
        day = np.full(len(scope), np.nan)
        day[reached] = firsts[begins[reached] + needed[reached] - 1]
        result[f"seat_activation_{index}"] = day
    return result


# -- keeping it on disk -----------------------------------------------------------


def _key(tx: EventTaxonomy) -> str:
    return json.dumps(
        {"format": FORMAT, "duckdb": duckdb.__version__, **tx.model_dump()},
        sort_keys=True,
    )


def _file_key(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _load(folder: Path, key: str) -> _Kept:
    """The kept summary, or an empty one if there is none it can use."""
    try:
        meta = json.loads((folder / "meta.json").read_text())
        if meta["key"] != key:
            return _Kept()
        generation = meta["generation"]
        with pa.memory_map(str(folder / f"accounts.{generation}.arrow")) as source:
            accounts = pa.ipc.open_file(source).read_all()
        users = np.load(folder / f"users.{generation}.npy")
    except (OSError, KeyError, ValueError, pa.ArrowInvalid):
        return _Kept()
    return _Kept(
        account_ids=accounts["account_id"]
        .to_numpy(zero_copy_only=False)
        .astype(object),
        start=accounts["start"].to_numpy().astype(np.int32),
        login=accounts["login"].to_numpy().astype(np.int32),
        core=accounts["core"].to_numpy().astype(np.int32),
        pair=users["pair"].copy(),
        owner=users["owner"].copy(),
        first=users["first"].copy(),
        files=meta["files"],
    )


_USERS = np.dtype([("pair", np.uint64), ("owner", np.int32), ("first", np.int32)])


def _save(folder: Path, key: str, kept: _Kept) -> None:
    """A new generation of files, fsynced, then the meta that names it.

    A process killed before the meta is replaced leaves the last generation
    in use; the files of a generation no meta names are removed next time.
    """
    try:
        previous = json.loads((folder / "meta.json").read_text())["generation"]
    except (OSError, KeyError, ValueError):
        previous = 0
    generation = previous + 1
    table = pa.table(
        {
            "account_id": pa.array(kept.account_ids.tolist(), pa.string()),
            "start": pa.array(kept.start),
            "login": pa.array(kept.login),
            "core": pa.array(kept.core),
        }
    )
    path = folder / f"accounts.{generation}.arrow"
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as out:
        out.write_table(table)
    users = np.empty(len(kept.pair), dtype=_USERS)
    users["pair"], users["owner"], users["first"] = kept.pair, kept.owner, kept.first
    np.save(folder / f"users.{generation}.npy", users)
    for name in (f"accounts.{generation}.arrow", f"users.{generation}.npy"):
        with open(folder / name, "rb+") as file:
            os.fsync(file.fileno())
    meta = {"key": key, "generation": generation, "files": kept.files}
    partial = folder / "meta.json.partial"
    partial.write_text(json.dumps(meta))
    with open(partial, "rb+") as file:
        os.fsync(file.fileno())
    os.replace(partial, folder / "meta.json")
    fsync_dir(folder)
    for path in folder.iterdir():
        name = path.name
        if name.startswith(("accounts.", "users.")) and f".{generation}." not in name:
            path.unlink(missing_ok=True)
