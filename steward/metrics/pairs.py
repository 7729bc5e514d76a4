"""Pairs (account, user) or (account, feature) with the last day each was seen.

The incremental metrics (:mod:`steward.metrics.rollup`) count a window's
distinct users and features per account from these: the pairs whose last day
falls in the window. Kept as a main part sorted by a 64-bit hash of the pair,
changed in place, and a small sorted tail of pairs new since the main part
was last rewritten. Numpy only: reading and writing them is the rollup's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Seen:
    """Pairs sorted by hash, with their account and last day: main part and tail.

    ``main_last`` may be a writable memory map of a kept file: updating it
    changes the file, which the rollup does only under its dirty mark.
    """

    main_keys: np.ndarray  # uint64, sorted
    main_account: np.ndarray  # int32
    main_last: np.ndarray  # int32 day number
    tail_keys: np.ndarray
    tail_account: np.ndarray
    tail_last: np.ndarray

    @classmethod
    def empty(cls) -> Seen:
        keys, ints = np.empty(0, np.uint64), np.empty(0, np.int32)
        return cls(keys, ints, ints.copy(), keys.copy(), ints.copy(), ints.copy())

    def __len__(self) -> int:
        return len(self.main_keys) + len(self.tail_keys)

    def copy(self) -> Seen:
        """A copy whose days can change without touching any kept file."""
        return Seen(
            self.main_keys,
            self.main_account,
            np.array(self.main_last),
            self.tail_keys,
            self.tail_account,
            self.tail_last.copy(),
        )

    def touch(self, keys: np.ndarray, account: np.ndarray, last: np.ndarray) -> None:
        """Each pair's last day raised to ``last``; pairs never seen go in the tail."""
        if not len(keys):
            return
        # A batch may hold a pair twice under one hash: keep its latest day.
        order = np.argsort(keys)
        keys, account, last = keys[order], account[order], last[order]
        starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
        if len(starts) < len(keys):
            last = np.maximum.reduceat(last, starts)
            keys, account = keys[starts], account[starts]

        rest = np.ones(len(keys), dtype=bool)
        for part in ("main", "tail"):
            sorted_keys = getattr(self, f"{part}_keys")
            days = getattr(self, f"{part}_last")
            at = np.searchsorted(sorted_keys, keys)
            found = at < len(sorted_keys)
            found[found] = sorted_keys[at[found]] == keys[found]
            found &= rest
            days[at[found]] = np.maximum(days[at[found]], last[found])
            rest &= ~found
        if rest.any():
            at = np.searchsorted(self.tail_keys, keys[rest])
            self.tail_keys = np.insert(self.tail_keys, at, keys[rest])
            self.tail_account = np.insert(self.tail_account, at, account[rest])
            self.tail_last = np.insert(self.tail_last, at, last[rest])

    def distinct(self, start: int, size: int) -> np.ndarray:
        """Per account, the pairs whose last day is ``start`` or later."""
        main = np.bincount(self.main_account[self.main_last >= start], minlength=size)
        tail = np.bincount(self.tail_account[self.tail_last >= start], minlength=size)
        return (main + tail).astype(np.int64)

    def compacted(self, oldest: int) -> Seen:
        """Main and tail merged into one sorted main part, without pairs older
        than ``oldest``."""
        keys = np.concatenate([self.main_keys, self.tail_keys])
        account = np.concatenate([self.main_account, self.tail_account])
        last = np.concatenate([self.main_last, self.tail_last])
        keep = last >= oldest
        keys, account, last = keys[keep], account[keep], last[keep]
        order = np.argsort(keys, kind="stable")
        empty = Seen.empty()
        return Seen(
            keys[order],
            account[order],
            last[order],
            empty.tail_keys,
            empty.tail_account,
            empty.tail_last,
        )
