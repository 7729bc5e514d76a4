"""Typed values from cells of text, decided column by column.

Pure functions: a column (a pyarrow array, blanks as null) in, a typed array
and the positions that could not be read out. Work is done once per distinct
value, so a column of a million cells with a few thousand distinct values
costs a few thousand conversions. Dates and times are in ``dates.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pycountry
from babel.numbers import NumberFormatError, parse_decimal

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "t"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "f"})
# Common names that are not ISO 3166 alpha-2 codes.
COUNTRY_ALIASES = {
    "UK": "GB",
    "ENGLAND": "GB",
    "SCOTLAND": "GB",
    "WALES": "GB",
    "GREAT BRITAIN": "GB",
    "USA": "US",
    "U.S.": "US",
    "U.S.A.": "US",
    "UNITED STATES OF AMERICA": "US",
    "EL": "GR",
    "UAE": "AE",
    "SOUTH KOREA": "KR",
    "RUSSIA": "RU",
}
_GROUP_SPACES = re.compile(r"(?<=\d)[\s\u00a0\u202f'’](?=\d)")
_CURRENCY = re.compile(r"^[$€£¥₹]|[$€£¥₹]$|^[A-Z]{3}\s+|\s+[A-Z]{3}$")
_BODY = re.compile(r"^(\d[\d.,]*|[.,]\d+)$")
_SCIENTIFIC = re.compile(r"^\d+(?:[.,]\d+)?[eE][-+]?\d+$")
_SAMPLE = 1_000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Converted:
    """Typed values (null where missing or unreadable) and why cells failed."""

    values: pa.Array
    bad: dict[int, str] = field(default_factory=dict)


class ColumnConflict(ValueError):
    """A column's cells disagree on how to read them, e.g. date order.

    ``first`` and ``second`` are (label, position) examples of each reading.
    """

    def __init__(self, first: tuple[str, int], second: tuple[str, int]) -> None:
        super().__init__(f"{first[0]} and {second[0]} in one column")
        self.first = first
        self.second = second


def convert_each(
    array: pa.Array, convert: Callable[[str], Any], type: pa.DataType
) -> Converted:
    """Apply ``convert`` to each distinct text once; ``ValueError`` marks a bad cell."""
    encoded = pc.dictionary_encode(array.cast(pa.string()))
    out: list[Any] = []
    errors: dict[int, str] = {}
    for index, text in enumerate(encoded.dictionary.to_pylist()):
        try:
            out.append(convert(text))
        except ValueError as error:
            out.append(None)
            errors[index] = str(error)
    values = pa.array(out, type).take(encoded.indices)
    return Converted(values, _bad_positions(encoded.indices, errors))


def _bad_positions(indices: pa.Array, errors: dict[int, str]) -> dict[int, str]:
    if not errors:
        return {}
    codes = indices.to_numpy(zero_copy_only=False)
    codes = np.where(indices.is_null().to_numpy(zero_copy_only=False), -1, codes)
    positions = np.flatnonzero(np.isin(codes, list(errors)))
    return {int(p): errors[int(codes[p])] for p in positions}


def distinct_texts(array: pa.Array) -> list[tuple[str, int]]:
    """Each distinct non-null text with the position of its first cell."""
    encoded = pc.dictionary_encode(array.cast(pa.string()))
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    first = np.full(len(encoded.dictionary) + 1, -1, dtype=np.int64)
    # Written back to front, so the earliest position of each code stays.
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    texts = encoded.dictionary.to_pylist()
    return [(text, int(first[code])) for code, text in enumerate(texts)]


# Numbers ---------------------------------------------------------------------


def decide_decimal(array: pa.Array) -> str:
    """The column's decimal separator: "," only when some cell proves it.

    A cell proves its separator when both marks appear (the last one is the
    decimal), when one mark repeats (it groups thousands), or when a single
    mark is not followed by exactly three digits. Cells such as ``1,200`` prove
    nothing. Raises ``ColumnConflict`` when cells prove both.
    """
    seen: dict[str, int] = {}
    for text, position in distinct_texts(array):
        mark = _decimal_evidence(_number_body(text)[0])
        if mark and mark not in seen:
            seen[mark] = position
    if len(seen) == 2:
        raise ColumnConflict(
            ("decimal points", seen["."]), ("decimal commas", seen[","])
        )
    return "," if "," in seen else "."


def _decimal_evidence(body: str) -> str | None:
    dots, commas = body.count("."), body.count(",")
    if dots and commas:
        return "." if body.rfind(".") > body.rfind(",") else ","
    for mark, other, count in ((".", ",", dots), (",", ".", commas)):
        if count > 1:
            return other
        if count == 1:
            whole, fraction = body.split(mark)
            proves = len(fraction) != 3 or whole in ("", "0") or len(whole) > 3
            return mark if proves else None
    return None


def _number_body(text: str) -> tuple[str, bool, bool]:
    """The digits and marks of a number, whether it is negative, and a percent."""
    text = text.strip()
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    percent = text.endswith("%")
    text = text.rstrip("%").strip()
    signed = False
    for _ in range(2):  # sign and currency come in either order: -$5, $-5
        if text and text[0] in "-+−" and not signed:
            signed, negative = True, negative or text[0] != "+"
            text = text[1:].strip()
        text = _CURRENCY.sub("", text).strip()
    return _GROUP_SPACES.sub("", text), negative, percent


def parse_number(text: str, decimal: str = ".") -> Decimal:
    """A number as people write it: ``1.200,50``, ``$1,200.00``, ``(5)``, ``12%``.

    ``decimal`` is the column's decimal separator (see ``decide_decimal``);
    the other mark may group thousands. Percentages are divided by 100.
    """
    body, negative, percent = _number_body(text)
    if _SCIENTIFIC.match(body):
        value = Decimal(body.replace(",", "."))
    elif _BODY.match(body):
        try:
            locale = "en" if decimal == "." else "de"
            value = parse_decimal(body, locale=locale, strict=True)
        except (NumberFormatError, InvalidOperation):
            raise ValueError("not a number") from None
    else:
        raise ValueError("not a number")
    if percent:
        value /= 100
    return -value if negative else value


def number_column(array: pa.Array) -> Converted:
    """Floats; the decimal separator decided over the whole column."""
    if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
        return Converted(array.cast(pa.float64()))
    fast = _plain_cast(array, pa.float64())
    if fast is not None:
        return fast
    decimal = decide_decimal(array)
    return convert_each(array, lambda t: float(parse_number(t, decimal)), pa.float64())


def integer_column(array: pa.Array) -> Converted:
    """Whole numbers; ``12.0`` is 12, ``12.5`` is an error."""
    if pa.types.is_integer(array.type):
        return Converted(array.cast(pa.int64()))
    fast = _plain_cast(array, pa.int64())
    if fast is not None:
        return fast
    decimal = decide_decimal(array) if pa.types.is_string(array.type) else "."

    def whole(text: str) -> int:
        value = parse_number(text, decimal)
        if value != value.to_integral_value():
            raise ValueError("not a whole number")
        return int(value)

    return convert_each(array, whole, pa.int64())


def _plain_cast(array: pa.Array, type: pa.DataType) -> Converted | None:
    """The whole column cast at once when every cell is a plain number."""
    values = try_cast(array, type)
    if values is None:
        return None
    if pa.types.is_floating(type) and not pc.all(pc.is_finite(values)).as_py():
        return None  # "nan", "inf" are not numbers a person meant
    return Converted(values)


def try_cast(array: pa.Array, type: pa.DataType) -> pa.Array | None:
    """``array`` cast to ``type``, or ``None`` when some cell does not fit.

    A failing cast reads the whole column first, so a sample is tried before.
    """
    for part in (array.slice(0, _SAMPLE), array):
        try:
            cast = part.cast(type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
    return cast


def check_range(
    converted: Converted, minimum: float | None, maximum: float | None
) -> Converted:
    """Mark numbers outside ``[minimum, maximum]`` as bad cells."""
    if minimum is None and maximum is None:
        return converted
    values = converted.values
    numbers = values.cast(pa.float64()).fill_null(np.nan).to_numpy()
    outside = np.zeros(len(numbers), dtype=bool)
    if minimum is not None:
        outside |= numbers < minimum
    if maximum is not None:
        outside |= numbers > maximum
    return flag_cells(converted, outside, _range_rule(minimum, maximum))


def flag_cells(converted: Converted, where: np.ndarray, rule: str) -> Converted:
    """The cells at ``where`` (a boolean mask) marked bad by ``rule``, and
    their values made null."""
    if not where.any():
        return converted
    values = converted.values
    bad = dict(converted.bad) | {int(p): rule for p in np.flatnonzero(where)}
    kept = pc.if_else(pa.array(where), pa.scalar(None, values.type), values)
    return Converted(kept, bad)


def _range_rule(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f"not between {minimum:g} and {maximum:g}"
    if minimum is not None:
        return f"below {minimum:g}"
    return f"above {maximum:g}"


# Booleans, text and codes ----------------------------------------------------


def parse_boolean(text: str) -> bool:
    word = text.strip().casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError("not a yes/no value (true/false, yes/no, y/n, 1/0, t/f)")


def boolean_column(array: pa.Array) -> Converted:
    if pa.types.is_boolean(array.type):
        return Converted(array)
    return convert_each(array, parse_boolean, pa.bool_())


def text_column(array: pa.Array) -> Converted:
    if pa.types.is_string(array.type):
        return Converted(array)
    return convert_each(array, str, pa.string())


def choice_column(array: pa.Array, choices: tuple[str, ...]) -> Converted:
    """One of ``choices``; case, spaces and hyphens do not matter."""

    def choose(text: str) -> str:
        word = re.sub(r"[\s\-]+", "_", text.strip().casefold())
        if word not in choices:
            raise ValueError(f"not one of: {', '.join(choices)}")
        return word

    return convert_each(array, choose, pa.string())


def parse_email(text: str) -> str:
    text = text.strip().lower()
    if not _EMAIL.match(text):
        raise ValueError("not an email address")
    return text


def email_column(array: pa.Array) -> Converted:
    return convert_each(array, parse_email, pa.string())


def parse_country(text: str) -> str:
    """An ISO 3166 alpha-2 code from a code (``DE``, ``DEU``), a name or an alias."""
    key = text.strip().upper()
    if key in COUNTRY_ALIASES:
        return COUNTRY_ALIASES[key]
    try:
        return pycountry.countries.lookup(text.strip()).alpha_2
    except LookupError:
        raise ValueError("not a country (an ISO 3166 code or English name)") from None


def country_column(array: pa.Array) -> Converted:
    return convert_each(array, parse_country, pa.string())


def parse_timezone(text: str) -> str:
    name = text.strip()
    if name not in _timezones():
        raise ValueError("not a time zone (an IANA name such as Europe/Paris)")
    return name


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def timezone_column(array: pa.Array) -> Converted:
    return convert_each(array, parse_timezone, pa.string())
