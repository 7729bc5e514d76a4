"""Large delimited files through pyarrow's CSV parser, row numbers kept.

The standard ``csv`` module reads about 150,000 rows a second here; pyarrow's
parser reads millions, but does not say which row of the file each record
came from, nor skip blank rows while counting them. So the record boundaries
are found first with numpy: a newline ends a record unless an odd number of
quote characters precedes it (RFC 4180 doubles quotes inside quoted fields,
so parity tells whether a newline is inside one). That gives each record's
row number, its field count and whether it is blank; the good records go to
pyarrow. When pyarrow's count of rows disagrees with this (a stray quote in
an unquoted field, bare carriage-return line ends), the caller falls back to
the ``csv`` module.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

NEWLINE, QUOTE, CR = 10, 34, 13
_SPACE = (32, 9, 13, 10, QUOTE)


def read_records(
    data: bytes, delimiter: str, header: bool, names: list[str] | None
) -> FastRecords | None:
    """The rows of UTF-8 ``data``; ``None`` when the fast path cannot be trusted."""
    if len(delimiter) != 1 or ord(delimiter) > 127:
        return None
    buffer = np.frombuffer(data, dtype=np.uint8)
    starts, ends, quoted_newlines = _records(buffer)
    blank = _blank(buffer, starts, ends, ord(delimiter))
    nonblank = np.flatnonzero(~blank)
    if not len(nonblank):
        empty = np.empty(0, np.int64)
        return FastRecords(names or [], pa.table({}), empty, [], int(blank.sum()))
    first = int(nonblank[0])
    if header:
        names = unique_names(_split(data[starts[first] : ends[first]], delimiter))
        first += 1
    if names is None:
        line = data[starts[first] : ends[first]] if first < len(starts) else b""
        names = [f"column_{i + 1}" for i in range(len(_split(line, delimiter)))]

    keep = (np.arange(len(starts)) >= first) & ~blank
    wrong: list[tuple[int, int]] = []
    if quoted_newlines:  # pyarrow cannot number rows then: count fields here
        fields = _field_counts(buffer, starts, ord(delimiter))
        bad = keep & (fields != len(names))
        wrong = [(int(r) + 1, int(fields[r])) for r in np.flatnonzero(bad)]
        keep &= ~bad
    parsed = _parse(buffer, starts, keep, names, delimiter, quoted_newlines)
    if parsed is None:
        return None
    table, skipped = parsed
    records = np.flatnonzero(keep)
    if skipped:  # line k of what pyarrow read is record records[k - 1]
        wrong = [(int(records[line - 1]) + 1, count) for line, count in skipped]
        records = np.delete(records, [line - 1 for line, _ in skipped])
    if table.num_rows != len(records):
        return None
    rows = records.astype(np.int64) + 1
    return FastRecords(names, table, rows, wrong, int(blank.sum()))


@dataclass
class FastRecords:
    """Column names, good rows as text columns and their row numbers, the (row,
    field count) of rows with the wrong number of fields, and blank rows."""

    names: list[str]
    table: pa.Table
    rows: np.ndarray
    wrong_width: list[tuple[int, int]]
    blank_rows: int


def unique_names(record: list[str]) -> list[str]:
    """Header cells as column names: blanks numbered, repeats suffixed."""
    names: list[str] = []
    for position, raw in enumerate(record, start=1):
        label = raw.strip() or f"column_{position}"
        names.append(label if label not in names else f"{label}_{position}")
    return names


def _split(line: bytes, delimiter: str) -> list[str]:
    return next(csv.reader([line.decode("utf-8")], delimiter=delimiter))


def _records(buffer: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Start and end (exclusive, before CR LF) of every record."""
    newlines = np.flatnonzero(buffer == NEWLINE)
    quotes = np.flatnonzero(buffer == QUOTE)
    inside = (np.searchsorted(quotes, newlines) & 1).astype(bool)
    ends = newlines[~inside]
    if len(buffer) and (not len(ends) or ends[-1] != len(buffer) - 1):
        ends = np.append(ends, len(buffer))
    starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64)
    trimmed = ends.copy()
    has_cr = (ends > starts) & (buffer[np.maximum(ends - 1, 0)] == CR)
    trimmed[has_cr] -= 1
    return starts, trimmed, bool(inside.any())


def _field_counts(buffer: np.ndarray, starts: np.ndarray, delimiter: int) -> np.ndarray:
    marks = np.flatnonzero(buffer == delimiter)
    quotes = np.flatnonzero(buffer == QUOTE)
    marks = marks[(np.searchsorted(quotes, marks) & 1) == 0]
    owner = np.searchsorted(starts, marks, side="right") - 1
    return np.bincount(owner, minlength=len(starts)) + 1


def _blank(
    buffer: np.ndarray, starts: np.ndarray, ends: np.ndarray, delimiter: int
) -> np.ndarray:
    """Records holding nothing but spaces, delimiters and empty quotes.

    Most records show a letter or digit within their first few bytes, so only
    the rest are scanned whole.
    """
    meaningful = np.ones(256, dtype=bool)
    meaningful[[*_SPACE, delimiter]] = False
    blank = ends <= starts
    undecided = np.flatnonzero(~blank)
    for offset in range(8):
        at = starts[undecided] + offset
        inside = at < ends[undecided]
        blank[undecided[~inside]] = True
        undecided, at = undecided[inside], at[inside]
        undecided = undecided[~meaningful[buffer[at]]]
        if not len(undecided):
            break
    for record in undecided:
        cells = buffer[starts[record] : ends[record]]
        blank[record] = not meaningful[cells].any()
    # A quoted delimiter or space is a value: let the csv module decide those.
    for record in np.flatnonzero(blank & (ends > starts)):
        cells = buffer[starts[record] : ends[record]]
        if (cells == QUOTE).any():
            line = cells.tobytes().decode("utf-8", errors="replace")
            parsed = next(csv.reader([line], delimiter=chr(delimiter)), [])
            blank[record] = not any(cell.strip() for cell in parsed)
    return blank


def _parse(
    buffer: np.ndarray,
    starts: np.ndarray,
    keep: np.ndarray,
    names: list[str],
    delimiter: str,
    quoted_newlines: bool,
) -> tuple[pa.Table, list[tuple[int, int]]] | None:
    """The kept records, every column as text, and the (line, field count) of
    lines pyarrow skipped for having the wrong number of fields."""
    if not keep.any():
        return pa.table({name: pa.array([], pa.string()) for name in names}), []
    first = int(np.argmax(keep))
    if keep[first:].all():  # the usual file: everything after the header
        body = buffer[starts[first] :]
    else:
        spans = np.diff(np.append(starts, len(buffer)))
        body = buffer[np.repeat(keep, spans)]
    skipped: list[tuple[int, int]] = []

    def skip(row: pacsv.InvalidRow) -> str:
        skipped.append((row.number, row.actual_columns))
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.py_buffer(body.tobytes()),
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=quoted_newlines,
                ignore_empty_lines=False,
                invalid_row_handler=None if quoted_newlines else skip,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return None
    if any(line is None for line, _ in skipped):
        return None
    return table, skipped
