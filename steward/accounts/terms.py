"""Contract terms: renewal dates that stay right at month ends and leap days.

The rule. The k-th renewal of a contract that started on day S with a term of
m months falls on S + k·m months, always counted from S (never from the
previous renewal), and a day of the month that the target month lacks becomes
that month's last day — ``dateutil.relativedelta``'s rule. A term ends the day
before the next renewal. So:

- a yearly contract from 29 February 2024 renews on 28 February 2025, 2026
  and 2027, and on 29 February 2028; its first term ends on 27 February 2025;
- a monthly contract from 31 January 2025 renews on 28 February, 31 March,
  30 April and 31 May 2025 (counting from the previous renewal would drift to
  the 28th for ever); its first term ends on 27 February 2025.

A contract with an end date ends then, whatever its billing period says; one
without (an open-ended subscription) renews every term until it is closed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from dateutil.relativedelta import relativedelta

ONE_DAY = dt.timedelta(days=1)
# A month's average length, to compare a term of months with a span of days.
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class Term:
    """One term of a contract: the days it covers and the renewal after it."""

    number: int
    starts_on: dt.date
    ends_on: dt.date
    renews_on: dt.date


def renewal_on(start: dt.date, months: int, k: int) -> dt.date:
    """The k-th renewal date of a contract starting on ``start`` (k=0: the start)."""
    return start + relativedelta(months=k * months)


def term_on(start: dt.date, months: int, day: dt.date) -> Term:
    """The term running on ``day`` (on or after ``start``) of an open-ended contract."""
    if day < start:
        raise ValueError(f"{day} is before the contract starts on {start}")
    elapsed = (day.year - start.year) * 12 + day.month - start.month
    k = elapsed // months
    # The k-th renewal is in ``day``'s month or before; it may still be after
    # ``day`` within the month, and the one after it is surely later.
    if renewal_on(start, months, k) > day:
        k -= 1
    while renewal_on(start, months, k + 1) <= day:
        k += 1
    begins = renewal_on(start, months, k)
    renews = renewal_on(start, months, k + 1)
    return Term(k + 1, begins, renews - ONE_DAY, renews)


def whole_months(start: dt.date, end: dt.date) -> int | None:
    """The term length in months when ``start``..``end`` is whole months, else None.

    A contract from 2024-02-29 to 2025-02-27 is 12 months (it renews on the
    28th); one from 2024-01-01 to 2024-01-20 is not whole months.
    """
    renews = end + ONE_DAY
    months = (renews.year - start.year) * 12 + renews.month - start.month
    if months > 0 and renewal_on(start, months, 1) == renews:
        return months
    return None


def following_term(
    first_start: dt.date, first_end: dt.date, end: dt.date
) -> tuple[dt.date, dt.date]:
    """The term after one ending on ``end``, in a chain of renewals.

    ``first_start``..``first_end`` is the first contract of the chain: its
    start anchors every later renewal date (so a chain from 29 February comes
    back to the 29th in leap years), and its length gives the term — whole
    months by the rule above, otherwise the same number of days.
    """
    if first_end < first_start:
        raise ValueError(
            f"the contract ends on {first_end}, before it starts on {first_start}"
        )
    begins = end + ONE_DAY
    months = whole_months(first_start, first_end)
    if months is None:
        return begins, begins + (first_end - first_start)
    return begins, term_on(first_start, months, begins).ends_on


def next_renewals(starts: pd.Series, months: pd.Series, day: dt.date) -> pd.Series:
    """Vectorised: the first renewal date after ``day`` of each open-ended contract.

    ``starts`` are dates (datetime64), ``months`` whole months per contract
    (NaN where the term is unknown, giving NaT). Same rule as
    :func:`renewal_on`. Meant for contracts started on or before ``day``.
    """
    start = pd.to_datetime(starts)
    term = pd.to_numeric(months, errors="coerce")
    known = term.notna() & (term > 0) & start.notna()
    out = pd.Series(pd.NaT, index=starts.index, dtype="datetime64[ns]")
    if not known.any():
        return out
    start, term = start[known], term[known].astype("int64")
    base = start.dt.year * 12 + start.dt.month - 1
    elapsed = (day.year * 12 + day.month - 1) - base
    k = np.maximum(elapsed // term, 0)
    candidate = _add_months(start, base, k * term)
    # As in term_on: one step back if needed, then forward past ``day``.
    back = (candidate > pd.Timestamp(day)) & (k > 0)
    k = k - back.astype("int64")
    candidate = _add_months(start, base, k * term)
    for _ in range(2):
        late = candidate <= pd.Timestamp(day)
        k = k + late.astype("int64")
        candidate = _add_months(start, base, k * term)
    out[known] = candidate
    return out


def add_months(dates: pd.Series, months: pd.Series | int) -> pd.Series:
    """Vectorised ``date + relativedelta(months=...)``: the day clipped to the month."""
    start = pd.to_datetime(dates)
    base = start.dt.year * 12 + start.dt.month - 1
    return _add_months(start, base, months)


def _add_months(start: pd.Series, base: pd.Series, months: pd.Series) -> pd.Series:
    """start + months, with the day clipped to the target month's last day."""
    target = base + months
    first = pd.to_datetime(
        pd.DataFrame({"year": target // 12, "month": target % 12 + 1, "day": 1})
    )
    day = np.minimum(start.dt.day, first.dt.days_in_month)
    return first + pd.to_timedelta(day - 1, unit="D")
