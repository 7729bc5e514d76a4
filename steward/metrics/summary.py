"""The incremental metrics' summary, and how it is kept on disk.

What :mod:`steward.metrics.rollup` folds new event files into and answers
windows from: the accounts, their running totals per day, value sums, and
the (account, user) and (account, feature) pairs (:mod:`steward.metrics.pairs`),
under ``events/rollup/``. The files change only under a ``dirty`` mark that
is fsynced before the first change and lifted once everything written is
fsynced, so an update cut short leaves a summary that is thrown away and
rebuilt, never one that is wrong.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from steward.events.segments import fsync_dir
from steward.metrics.catalogue import ADDITIVE, EventTaxonomy
from steward.metrics.pairs import Seen

KEEP_DAYS = 91
FORMAT = 4
COUNTS = tuple(name for name in ADDITIVE if name != "value_total")
KINDS = ("users", "features")


@dataclass
class Summary:
    key: str
    folder: Path | None = None
    files: list[str] = field(default_factory=list)
    # Days with events folded in, ascending; days before the oldest kept
    # were pruned when ``pruned`` is set (their totals live on in the later
    # days' running totals).
    days: list[int] = field(default_factory=list)
    value_days: list[int] = field(default_factory=list)
    pruned: bool = False
    account_ids: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))
    last_day: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    users: Seen = field(default_factory=Seen.empty)
    features: Seen = field(default_factory=Seen.empty)
    # Days changed since loading, not yet written.
    fresh_cum: dict[int, np.ndarray] = field(default_factory=dict)
    fresh_value: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    accounts_changed: bool = False
    # Day files written in this update and not fsynced yet.
    unsynced: set[Path] = field(default_factory=set)

    @property
    def accounts(self) -> list[str]:
        return self.account_ids.to_pylist()

    @property
    def latest(self) -> int | None:
        return self.days[-1] if self.days else None

    def cum(self, number: int) -> np.ndarray | None:
        """Running totals up to ``number`` (one row per account), from the
        latest day with events on or before it; None if that day was pruned."""
        at = int(np.searchsorted(self.days, number, side="right")) - 1
        if at < 0:
            return None if self.pruned else zeros(0)
        day = self.days[at]
        if day in self.fresh_cum:
            return self.fresh_cum[day]
        assert self.folder is not None
        return np.load(self.folder / "cum" / f"{day}.npy", mmap_mode="r")

    def value(self, number: int) -> tuple[np.ndarray, np.ndarray] | None:
        if number in self.fresh_value:
            return self.fresh_value[number]
        if self.folder is None or number not in self.value_days:
            return None
        table = np.load(self.folder / "value" / f"{number}.npy")
        return table["account"], table["value"]


def zeros(size: int) -> np.ndarray:
    return np.zeros((size, 1 + len(COUNTS)), dtype=np.int64)


def padded(totals: np.ndarray, size: int) -> np.ndarray:
    """Running totals for ``size`` accounts: accounts seen later had none yet."""
    if len(totals) == size:
        return totals
    out = zeros(size)
    out[: len(totals)] = totals
    return out


# -- keeping it on disk -------------------------------------------------------


def summary_key(tx: EventTaxonomy) -> str:
    # The format's version and DuckDB's (its hash makes the pair keys) go in
    # the key too: a summary kept by another version is rebuilt, not misread.
    text = json.dumps(
        {"format": FORMAT, "duckdb": duckdb.__version__, **tx.model_dump()},
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


_VALUE = np.dtype([("account", np.int32), ("value", np.float64)])
_PARTS = ("keys", "account", "last")


def load_summary(folder: Path, key: str) -> Summary:
    """The kept summary, or an empty one (and an emptied folder) if none can be used."""
    meta_path = folder / "meta.json"
    try:
        if (folder / "dirty").exists():
            raise ValueError("an update was cut short")
        meta = json.loads(meta_path.read_text())
        if meta["key"] != key:
            raise ValueError("kept for another vocabulary or version")
        with pa.memory_map(str(folder / "accounts.arrow")) as source:
            account_ids = pa.ipc.open_file(source).read_all()["account_id"]
        seen = {}
        for kind in KINDS:
            main = [
                np.load(
                    folder / f"{kind}_main_{part}.npy",
                    mmap_mode="r",
                )
                for part in _PARTS
            ]
            tail = [np.load(folder / f"{kind}_tail_{part}.npy") for part in _PARTS]
            seen[kind] = Seen(*main, *tail)
        last_day = np.load(folder / "last_day.npy")
    except (OSError, KeyError, ValueError, pa.ArrowInvalid):
        clear(folder)  # missing or unreadable: rebuilt from the event files
        return Summary(key, folder=folder)
    return Summary(
        key=key,
        folder=folder,
        files=meta["files"],
        days=meta["days"],
        value_days=meta["value_days"],
        pruned=meta["pruned"],
        account_ids=account_ids.combine_chunks(),
        last_day=last_day,
        users=seen["users"],
        features=seen["features"],
    )


def clear(folder: Path) -> None:
    """Everything but the lock removed: what is left cannot be used."""
    for path in folder.iterdir() if folder.exists() else []:
        if path.name == ".lock":
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def mark_dirty(folder: Path) -> None:
    """The mark on disk before anything is changed: a cut-short update shows."""
    folder.mkdir(parents=True, exist_ok=True)
    durable(folder / "dirty", b"an update is in progress or was cut short\n")
    fsync_dir(folder)


def durable(path: Path, data: bytes | np.ndarray) -> None:
    """``data`` (bytes, or an array as .npy) written to ``path`` and fsynced."""
    with open(path, "wb") as file:
        if isinstance(data, bytes):
            file.write(data)
        else:
            np.save(file, data)
        file.flush()
        os.fsync(file.fileno())


def unsynced(summary: Summary, path: Path, data: np.ndarray) -> None:
    """``data`` written to ``path``, to be fsynced by :func:`_save` if still kept.

    A catch-up writes a year of days and prunes most of them again: syncing
    each as written would cost more than the rest of the catch-up.
    """
    np.save(path, data)
    summary.unsynced.add(path)


def write_days(folder: Path, summary: Summary) -> None:
    """The changed days written and the days too old pruned."""
    for name in ("cum", "value"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    for number, totals in summary.fresh_cum.items():
        unsynced(summary, folder / "cum" / f"{number}.npy", np.asarray(totals))
    for number, (accounts, values) in summary.fresh_value.items():
        table = np.empty(len(accounts), dtype=_VALUE)
        table["account"], table["value"] = accounts, values
        unsynced(summary, folder / "value" / f"{number}.npy", table)
    summary.fresh_cum, summary.fresh_value = {}, {}
    prune(folder, summary)


def save(folder: Path, summary: Summary) -> None:
    """Write the pairs, accounts and list of days, then lift the dirty mark.

    A main part still mapped from its file was changed in place and is only
    flushed; one built in memory (new, or merged with its tail) is written
    whole.
    """
    for kind in KINDS:
        seen: Seen = getattr(summary, kind)
        if isinstance(seen.main_last, np.memmap):
            seen.main_last.flush()
        else:
            for part in _PARTS:
                path = folder / f"{kind}_main_{part}.npy"
                partial = folder / f"{kind}_main_{part}.partial.npy"
                durable(partial, np.asarray(getattr(seen, f"main_{part}")))
                os.replace(partial, path)
        for part in _PARTS:
            tail = np.asarray(getattr(seen, f"tail_{part}"))
            durable(folder / f"{kind}_tail_{part}.npy", tail)
    durable(folder / "last_day.npy", summary.last_day)
    accounts_path = folder / "accounts.arrow"
    if summary.accounts_changed or not accounts_path.exists():
        table = pa.table({"account_id": summary.account_ids})
        with (
            pa.OSFile(str(accounts_path), "wb") as sink,
            pa.ipc.new_file(sink, table.schema) as writer,
        ):
            writer.write_table(table)
        with open(accounts_path, "rb+") as file:
            os.fsync(file.fileno())
        summary.accounts_changed = False
    meta = {
        "key": summary.key,
        "files": summary.files,
        "days": summary.days,
        "value_days": summary.value_days,
        "pruned": summary.pruned,
    }
    for path in sorted(summary.unsynced):
        if path.exists():
            with open(path, "rb+") as file:
                os.fsync(file.fileno())
    summary.unsynced = set()
    partial = folder / "meta.json.partial"
    durable(partial, json.dumps(meta).encode())
    os.replace(partial, folder / "meta.json")
    for synced in (folder / "cum", folder / "value", folder):
        if synced.exists():
            fsync_dir(synced)
    # Only now, with everything above on disk: if this is lost, the
    # summary is merely rebuilt.
    (folder / "dirty").unlink(missing_ok=True)


def prune(folder: Path, summary: Summary) -> None:
    """Drop the days too old for any window kept, but the one just before
    them: its running totals are the base of the oldest window."""
    latest = summary.latest
    if latest is None:
        return
    cutoff = latest - KEEP_DAYS
    older = [d for d in summary.days if d < cutoff]
    for number in older[:-1]:
        (folder / "cum" / f"{number}.npy").unlink(missing_ok=True)
    if len(older) > 1:
        summary.days = summary.days[len(older) - 1 :]
        summary.pruned = True
    for number in [d for d in summary.value_days if d < cutoff]:
        (folder / "value" / f"{number}.npy").unlink(missing_ok=True)
    summary.value_days = [d for d in summary.value_days if d >= cutoff]
