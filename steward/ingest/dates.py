"""Dates and times from cells of text, the reading decided column by column.

What a cell can hold, in the order tried:

- ISO 8601 (``2024-03-05``, ``2024-03-05T14:30:00+02:00``, ``20240305``),
  always read as ISO;
- a number of days from Excel's epoch (``45356``), for numbers between 20000
  and 80000 (years 1954 to 2119);
- day and month with ``/``, ``.`` or ``-`` (``05/03/2024``, ``5.3.24``),
  read day-first or month-first for the whole column: a cell whose first
  part is above 12 proves day-first, one whose second part is, month-first; a
  column with both is refused (``ColumnConflict``); a column with neither
  uses the mapping's ``dayfirst``, else day-first for dots and month-first for
  slashes and hyphens;
- a month name (``5 Mar 2024``, ``March 5, 2024``), read by dateutil.

With ``unit`` (``s`` or ``ms``) cells are seconds or milliseconds since
1970-01-01 UTC; with ``format`` they are read by ``strptime`` alone.

Time zones: a time with an offset is converted to UTC; a time without one is
taken to be UTC already. A date field keeps the date as written, ignoring any
time of day. Two-digit years below 69 are 20xx, others 19xx.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import dateutil.parser
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from steward.ingest.values import (
    ColumnConflict,
    Converted,
    convert_each,
    distinct_texts,
    flag_cells,
    number_column,
    try_cast,
)

EXCEL_EPOCH = dt.datetime(1899, 12, 30)
SERIAL_RANGE = (20_000, 80_000)
UTC_TYPE = pa.timestamp("us", tz="UTC")
_UNITS = {"s": (1_000_000, "seconds"), "ms": (1_000, "milliseconds")}
# Seconds since 1970 of 1900-01-01 and 2200-01-01: outside is a wrong unit.
_EPOCH_RANGE = (-2_208_988_800, 7_258_118_400)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}|^\d{8}(?:T|$)")
_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
_DAY_MONTH = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?:[ T]+(.+))?$")
_YEAR_FIRST = re.compile(r"^(\d{4})([/.])(\d{1,2})\2(\d{1,2})(?:[ T]+(.+))?$")
_NAMED = re.compile(r"[A-Za-z]{3}")
_NAMED_YEAR = re.compile(r"\d{4}|^\d{1,2}[- ][A-Za-z]{3,}[- ]\d{2}$")


def date_column(
    array: pa.Array,
    *,
    dayfirst: bool | None = None,
    default_dayfirst: bool | None = None,
    format: str | None = None,
    unit: str | None = None,
) -> Converted:
    """Calendar dates (``date32``), the date as written in each cell.

    ``dayfirst`` binds this column; ``default_dayfirst`` applies only when the
    cells do not decide it themselves.
    """
    if pa.types.is_timestamp(array.type) or pa.types.is_date(array.type):
        return Converted(array.cast(pa.date32()))
    if unit:
        moments = timestamp_column(array, unit=unit)
        return Converted(moments.values.cast(pa.date32()), moments.bad)
    if format is None and pa.types.is_string(array.type):
        cast = try_cast(array, pa.date32())
        if cast is not None:
            return Converted(cast)
    parse = _parser(array, dayfirst, default_dayfirst, format)
    return convert_each(array, lambda text: parse(text).date(), pa.date32())


def timestamp_column(
    array: pa.Array,
    *,
    dayfirst: bool | None = None,
    default_dayfirst: bool | None = None,
    format: str | None = None,
    unit: str | None = None,
) -> Converted:
    """Instants in UTC (``timestamp[us, UTC]``); see the module notes on zones.

    An instant before 1970 is a bad cell: no usage, ticket or answer is that
    old, and such a cell is a typing slip (year 0001) more often than not.
    """
    return _since_1970(_timestamps(array, dayfirst, default_dayfirst, format, unit))


def _timestamps(
    array: pa.Array,
    dayfirst: bool | None,
    default_dayfirst: bool | None,
    format: str | None,
    unit: str | None,
) -> Converted:
    if pa.types.is_timestamp(array.type):
        if array.type.tz is None:  # naive: taken to be UTC
            array = array.cast(pa.timestamp("us"))
        return Converted(array.cast(UTC_TYPE))
    if pa.types.is_date(array.type):
        return Converted(array.cast(pa.timestamp("us")).cast(UTC_TYPE))
    if unit:
        return _epoch_column(array, unit)
    if format is None and pa.types.is_string(array.type):
        fast = _iso_cast(array)
        if fast is not None:
            return fast
    parse = _parser(array, dayfirst, default_dayfirst, format)
    return convert_each(array, lambda text: to_utc(parse(text)), UTC_TYPE)


def _since_1970(converted: Converted) -> Converted:
    early = pc.fill_null(pc.less(converted.values, pa.scalar(0, UTC_TYPE)), False)
    mask = early.to_numpy(zero_copy_only=False)
    return flag_cells(converted, mask, "before 1970-01-01")


def to_utc(moment: dt.datetime) -> dt.datetime:
    """Aware UTC; a naive time is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _iso_cast(array: pa.Array) -> Converted | None:
    """The whole column at once when every cell is ISO, all naive or all offset."""
    for type in (pa.timestamp("us"), UTC_TYPE):
        cast = try_cast(array, type)
        if cast is not None:
            return Converted(cast.cast(UTC_TYPE))
    return None


def _epoch_column(array: pa.Array, unit: str) -> Converted:
    per_unit, label = _UNITS[unit]
    numbers = number_column(array)
    rule = f"not a number of {label} since 1970"
    bad = dict.fromkeys(numbers.bad, rule)
    floats = numbers.values.fill_null(0.0).to_numpy()
    missing = numbers.values.is_null().to_numpy(zero_copy_only=False)
    low, high = (bound * 1_000_000 / per_unit for bound in _EPOCH_RANGE)
    outside = ~missing & ((floats < low) | (floats > high))
    bad |= dict.fromkeys(outside.nonzero()[0].tolist(), f"{rule} (out of range)")
    micros = np.where(outside, 0, np.round(floats * per_unit)).astype(np.int64)
    moments = pa.array(micros, mask=missing | outside).cast(UTC_TYPE)
    return Converted(moments, bad)


def _parser(
    array: pa.Array,
    dayfirst: bool | None,
    default_dayfirst: bool | None,
    format: str | None,
) -> Callable[[str], dt.datetime]:
    if format is not None:
        return lambda text: _strptime(text, format)
    if dayfirst is None:
        dayfirst = decide_dayfirst(array, default_dayfirst)
    return lambda text: parse_moment(text, dayfirst)


def _strptime(text: str, format: str) -> dt.datetime:
    try:
        return dt.datetime.strptime(text, format)
    except ValueError:
        raise ValueError(f"does not match the format {format}") from None


def decide_dayfirst(array: pa.Array, default: bool | None = None) -> bool:
    """Whether the column's ``a/b/yyyy`` cells are day-first; see the module notes."""
    proof: dict[bool, int] = {}
    dots = False
    for text, position in distinct_texts(array):
        match = _DAY_MONTH.match(text.strip())
        if not match:
            continue
        dots = dots or match.group(2) == "."
        first, second = int(match.group(1)), int(match.group(3))
        if first > 12 >= second:
            proof.setdefault(True, position)
        elif second > 12 >= first:
            proof.setdefault(False, position)
    if len(proof) == 2:
        raise ColumnConflict(
            ("day-first dates", proof[True]), ("month-first dates", proof[False])
        )
    if proof:
        return next(iter(proof))
    return default if default is not None else dots


def parse_moment(text: str, dayfirst: bool) -> dt.datetime:
    """One cell as written (naive, or aware when it carries an offset)."""
    text = text.strip()
    if _ISO.match(text):
        try:
            return dt.datetime.fromisoformat(text.replace(" ", "T", 1))
        except ValueError:
            raise ValueError("not a date") from None
    if _SERIAL.match(text):
        return _excel_serial(float(text))
    if match := _DAY_MONTH.match(text):
        day, month = (match[1], match[3]) if dayfirst else (match[3], match[1])
        order = "day-first" if dayfirst else "month-first"
        return _assemble(_year(match[4]), month, day, match[5], f"not a {order} date")
    if match := _YEAR_FIRST.match(text):
        return _assemble(int(match[1]), match[3], match[4], match[5], "not a date")
    if _NAMED.search(text) and _NAMED_YEAR.search(text):
        return _dateutil(text, dayfirst)
    raise ValueError("not a date")


def _excel_serial(days: float) -> dt.datetime:
    if not SERIAL_RANGE[0] <= days < SERIAL_RANGE[1]:
        raise ValueError("not a date (a number outside the Excel serial-date range)")
    return EXCEL_EPOCH + dt.timedelta(days=days)


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        return 2000 + year if year < 69 else 1900 + year
    return year


def _assemble(
    year: int, month: str, day: str, time: str | None, rule: str
) -> dt.datetime:
    try:
        date = dt.date(year, int(month), int(day))
    except ValueError:
        raise ValueError(rule) from None
    if not time:
        return dt.datetime.combine(date, dt.time())
    iso = f"{date.isoformat()}T{time.strip()}"
    try:
        return dt.datetime.fromisoformat(iso)
    except ValueError:
        return _dateutil(f"{date.isoformat()} {time}", dayfirst=False)


def _dateutil(text: str, dayfirst: bool) -> dt.datetime:
    try:
        return dateutil.parser.parse(
            text, dayfirst=dayfirst, default=dt.datetime(2000, 1, 1)
        )
    except (ValueError, OverflowError):
        raise ValueError("not a date") from None
