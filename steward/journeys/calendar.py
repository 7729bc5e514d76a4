"""Business days: weekends and the public holidays of an account's country."""

from __future__ import annotations

import datetime as dt
import warnings
from functools import lru_cache

import holidays
import numpy as np

# Holidays are loaded for this many years either side of the dates asked about.
_SPAN_YEARS = 2


class BusinessCalendar:
    """Business-day arithmetic for one country (ISO 3166 alpha-2).

    An unknown or missing country falls back to Monday–Friday with no holidays;
    ``known`` is then False so callers can say so.
    """

    def __init__(self, country: str | None) -> None:
        self.country = (country or "").upper() or None
        self.known = False
        self._weekend = {5, 6}
        self._years: tuple[int, int] | None = None
        self._numpy: np.busdaycalendar | None = None
        self._holidays: dict[dt.date, str] = {}
        if self.country:
            try:
                probe = holidays.country_holidays(self.country)
            except NotImplementedError:
                return
            self.known = True
            self._weekend = set(getattr(probe, "weekend", {5, 6}))

    def holiday_name(self, day: dt.date) -> str | None:
        self._ensure(day.year, day.year)
        return self._holidays.get(day)

    def is_business_day(self, day: dt.date) -> bool:
        self._ensure(day.year, day.year)
        return bool(np.is_busday(np.datetime64(day, "D"), busdaycal=self._numpy))

    def add(self, day: dt.date, business_days: int) -> dt.date:
        """The date ``business_days`` business days after ``day`` (before, if negative).

        Counting starts from ``day`` itself whatever it is: one business day
        after a Saturday is the Monday. Zero gives ``day`` when it is a
        business day, else the next one.
        """
        years_needed = abs(business_days) // 200 + 1
        self._ensure(day.year - years_needed, day.year + years_needed)
        start = np.datetime64(day, "D")
        if business_days == 0:
            moved = np.busday_offset(start, 0, roll="forward", busdaycal=self._numpy)
        elif business_days > 0:
            moved = np.busday_offset(
                start, business_days, roll="backward", busdaycal=self._numpy
            )
        else:
            moved = np.busday_offset(
                start, business_days, roll="forward", busdaycal=self._numpy
            )
        return moved.astype(dt.date)

    def add_many(self, days: np.ndarray, business_days: int) -> np.ndarray:
        """:meth:`add` over an array of ``datetime64[D]`` days (NaT stays NaT)."""
        known = days[~np.isnat(days)]
        if known.size == 0:
            return days.copy()
        first, last = known.min().astype(dt.date), known.max().astype(dt.date)
        spread = abs(business_days) // 200 + 1
        self._ensure(first.year - spread, last.year + spread)
        roll = "backward" if business_days > 0 else "forward"
        moved = np.full(days.shape, np.datetime64("NaT"), dtype="datetime64[D]")
        present = ~np.isnat(days)
        moved[present] = np.busday_offset(
            days[present], business_days, roll=roll, busdaycal=self._numpy
        )
        return moved

    def count_many(self, after: np.ndarray, until: np.ndarray) -> np.ndarray:
        """:meth:`count` over arrays of ``datetime64[D]``; 0 where either is NaT."""
        present = ~(np.isnat(after) | np.isnat(until))
        counts = np.zeros(after.shape, dtype=np.int64)
        if not present.any():
            return counts
        both = np.concatenate([after[present], until[present]])
        first, last = both.min().astype(dt.date), both.max().astype(dt.date)
        self._ensure(first.year, last.year)
        one = np.timedelta64(1, "D")
        # numpy counts [begin, end), negative when begin is later: exactly
        # "business days in (after, until]" shifted by a day.
        counts[present] = np.busday_count(
            after[present] + one, until[present] + one, busdaycal=self._numpy
        )
        return counts

    def count(self, after: dt.date, until: dt.date) -> int:
        """Business days in ``(after, until]``; negative when ``until`` is earlier."""
        if until < after:
            return -self.count(until, after)
        self._ensure(after.year, until.year)
        first = np.datetime64(after + dt.timedelta(days=1), "D")
        end = np.datetime64(until + dt.timedelta(days=1), "D")
        return int(np.busday_count(first, end, busdaycal=self._numpy))

    def _ensure(self, first_year: int, last_year: int) -> None:
        first_year -= _SPAN_YEARS
        last_year += _SPAN_YEARS
        if self._years and self._years[0] <= first_year and last_year <= self._years[1]:
            return
        if self._years:
            first_year = min(first_year, self._years[0])
            last_year = max(last_year, self._years[1])
        years = range(max(first_year, 1), min(last_year, 9998) + 1)
        if self.known:
            # Some countries' tables cover a range of years (India: 2001-2035);
            # outside it only weekends count, which the package warns about.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                table = holidays.country_holidays(self.country, years=years)
            self._holidays = dict(table)
        weekmask = [0 if weekday in self._weekend else 1 for weekday in range(7)]
        self._numpy = np.busdaycalendar(
            weekmask=weekmask,
            holidays=[np.datetime64(day, "D") for day in self._holidays],
        )
        self._years = (years.start, years.stop - 1)


@lru_cache(maxsize=256)
def calendar_for(country: str | None) -> BusinessCalendar:
    """A shared calendar per country (holiday tables are costly to build)."""
    return BusinessCalendar(country)
