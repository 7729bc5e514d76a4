"""Files into columns of text, each row keeping the number a person would see.

Delimited text (CSV, TSV, TXT) is parsed by pyarrow (see ``fastcsv``), or by
the standard library's ``csv`` module when the fast path cannot be trusted or
the columns are separated by runs of spaces; JSON Lines by ``json``; Parquet
by pyarrow. Every column comes back as
a pyarrow array: text with surrounding whitespace trimmed and blank cells as
null (Parquet columns keep their own types). Row numbers are what a
spreadsheet shows (header = row 1, first data row = 2, a quoted newline does
not start a new row); for JSON Lines they are line numbers, for Parquet the
1-based position (``from_arrow``, which database tables share). Blank rows
are skipped and counted.

Files are read whole into memory: a file of several GB needs splitting first.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import charset_normalizer
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from steward.errors import ImportFailed
from steward.ingest.fastcsv import FastRecords, read_records, unique_names
from steward.ingest.report import Problem

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
WHITESPACE = "whitespace"
TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".tab", ".psv"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
_CHUNK_ROWS = 200_000
_SNIFF_CHARS = 64_000
_SNIFF_RECORDS = 50
# A cell larger than this is almost surely a broken quote, not data.
csv.field_size_limit(64 * 1024 * 1024)


@dataclass
class RawTable:
    """A file's cells by column, with the row number of each row kept."""

    name: str
    columns: dict[str, pa.Array]
    rows: np.ndarray
    problems: list[Problem] = field(default_factory=list)
    blank_rows: int = 0
    encoding: str | None = None
    delimiter: str | None = None
    noun: str = "file"  # or "table", in messages

    @property
    def num_rows(self) -> int:
        return len(self.rows)


def file_format(path: Path, format: str = "auto") -> str:
    """``csv``, ``jsonl`` or ``parquet``: as given, else from the file's extension."""
    if format != "auto":
        return format
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in TEXT_SUFFIXES:
        return "csv"
    raise ImportFailed(
        f"{path.name}: cannot tell the format from the extension '{path.suffix}'; "
        "set format: csv, jsonl or parquet for it in the mapping"
    )


def read_table(
    path: Path,
    *,
    name: str | None = None,
    format: str = "auto",
    delimiter: str = "auto",
    header: bool = True,
    columns: list[str] | None = None,
    encoding: str = "auto",
) -> RawTable:
    """Read one file; raise ``ImportFailed`` if it cannot be read at all."""
    name = name or path.name
    kind = file_format(path, format)
    if kind == "parquet":
        return _read_parquet(path, name)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImportFailed(f"{name}: cannot be read ({error.strerror})") from error
    text, used = decode(data, encoding, name)
    if kind == "jsonl":
        return _read_jsonl(text, name, used)
    delimiter = sniff_delimiter(text) if delimiter == "auto" else delimiter
    if delimiter != WHITESPACE:
        utf8 = data if used == "utf-8" else text.encode("utf-8")
        fast = read_records(utf8, delimiter, header, columns)
        if fast is not None:
            return _from_fast(fast, name, used, delimiter)
    return _read_delimited(text, name, used, delimiter, header, columns)


def _from_fast(fast: FastRecords, name: str, encoding: str, delimiter: str) -> RawTable:
    columns = {
        label: _clean(fast.table.column(label).combine_chunks())
        if fast.table.num_columns
        else pa.array([], pa.string())
        for label in fast.names
    }
    width = len(fast.names)
    problems = [
        Problem(name, row, None, f"row has {count} fields, the header has {width}")
        for row, count in fast.wrong_width
    ]
    table = RawTable(name, columns, fast.rows, problems, fast.blank_rows, encoding)
    table.delimiter = delimiter
    return table


def decode(data: bytes, encoding: str, name: str) -> tuple[str, str]:
    """The file's text and the encoding used to read it.

    With ``auto``: a byte-order mark wins; then UTF-8; then Windows-1252 when
    charset-normalizer finds it about as plausible as its best guess (exports
    that are not UTF-8 are most often Windows-1252, and short samples make the
    detector's first guess unreliable); else the detector's best guess.
    """
    if encoding != "auto":
        try:
            return data.decode(encoding), encoding
        except (LookupError, UnicodeDecodeError) as error:
            raise ImportFailed(
                f"{name}: cannot be read as {encoding} ({error})"
            ) from error
    boms = [(codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16")]
    boms.append((codecs.BOM_UTF16_BE, "utf-16"))
    for bom, codec in boms:
        if data.startswith(bom):
            return data.decode(codec), codec
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    guess = _guess_encoding(data)
    if guess is None:
        raise ImportFailed(
            f"{name}: cannot tell its text encoding; set encoding: for it in the "
            "mapping (for example windows-1252 or latin-1)"
        )
    return data.decode(guess, errors="replace"), guess


def _guess_encoding(data: bytes) -> str | None:
    matches = list(charset_normalizer.from_bytes(data))
    if not matches:
        return None
    best = matches[0]
    for match in matches:
        plausible = match.chaos <= best.chaos + 0.1
        if plausible and "cp1252" in match.could_be_from_charset:
            return "cp1252"
    return best.encoding


def _read_delimited(
    text: str,
    name: str,
    encoding: str,
    delimiter: str,
    header: bool,
    names: list[str] | None,
) -> RawTable:
    table = RawTable(name, {}, np.empty(0, np.int64), encoding=encoding)
    table.delimiter = delimiter
    records = _records(text, delimiter, name)
    if header:
        names = _header(records, table)
    chunks: list[list[list[str]]] = []
    row_numbers: list[int] = []
    batch: list[list[str]] = []
    for number, record in records:
        if _is_blank(record):
            table.blank_rows += 1
            continue
        if names is None:
            names = [f"column_{i + 1}" for i in range(len(record))]
        if len(record) != len(names):
            table.problems.append(_width_problem(name, number, record, names))
            continue
        batch.append(record)
        row_numbers.append(number)
        if len(batch) == _CHUNK_ROWS:
            chunks.append(batch)
            batch = []
    chunks.append(batch)
    return _finish(table, names or [], chunks, row_numbers)


def _header(records: Iterator[tuple[int, list[str]]], table: RawTable) -> list[str]:
    for _number, record in records:
        if not _is_blank(record):
            return unique_names(record)
        table.blank_rows += 1
    return []


def _records(text: str, delimiter: str, name: str) -> Iterator[tuple[int, list[str]]]:
    """Each record with its spreadsheet row number (header = 1)."""
    if delimiter == WHITESPACE:
        # Runs of spaces separate fields; quotes still protect spaces inside.
        lines = (line.strip(" \t") for line in io.StringIO(text, newline=None))
        reader = csv.reader(lines, delimiter=" ", skipinitialspace=True)
    else:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            yield number, record
    except csv.Error as error:
        raise ImportFailed(
            f"{name}: cannot be parsed after row {number} ({error})"
        ) from error


def _is_blank(record: list[str]) -> bool:
    return not any(map(str.strip, record))


def _width_problem(
    name: str, number: int, record: list[str], names: list[str]
) -> Problem:
    rule = f"row has {len(record)} fields, the header has {len(names)}"
    return Problem(name, number, None, rule)


def _finish(
    table: RawTable,
    names: list[str],
    chunks: list[list[list[str]]],
    row_numbers: list[int],
) -> RawTable:
    parts: list[list[pa.Array]] = [[] for _ in names]
    for chunk in chunks:
        if not chunk:
            continue
        for position, cells in enumerate(zip(*chunk, strict=True)):
            parts[position].append(_clean(pa.array(cells, pa.string())))
    table.columns = {
        label: pa.concat_arrays(part) if part else pa.array([], pa.string())
        for label, part in zip(names, parts, strict=True)
    }
    table.rows = np.asarray(row_numbers, dtype=np.int64)
    return table


def _clean(array: pa.Array) -> pa.Array:
    """Trim whitespace; a blank cell becomes null."""
    trimmed = pc.utf8_trim_whitespace(array)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first records into the most, steady fields.

    Candidates are comma, semicolon, tab and pipe; when none splits the header,
    whitespace-separated columns are tried; a one-column file gets comma.
    """
    sample = text[:_SNIFF_CHARS]
    best, best_width = ",", 1
    for candidate in DELIMITERS:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=candidate)
        widths = _sample_widths(reader)
        width = _steady_width(widths)
        if width > best_width:
            best, best_width = candidate, width
    if best_width > 1:
        return best
    lines = (line.split() for line in io.StringIO(sample))
    if _steady_width(_sample_widths(lines)) > 1:
        return WHITESPACE
    return ","


def _sample_widths(records: Iterable[list[str]]) -> list[int]:
    widths: list[int] = []
    try:
        for record in records:
            if any(cell.strip() for cell in record):
                widths.append(len(record))
            if len(widths) > _SNIFF_RECORDS:
                break
    except csv.Error:
        return []
    # The sample may end inside a record.
    return widths[:-1] if len(widths) > 1 else widths


def _steady_width(widths: list[int]) -> int:
    """The header's width if at least 90% of the sampled records share it."""
    if not widths:
        return 0
    same = sum(1 for width in widths if width == widths[0])
    return widths[0] if same >= 0.9 * len(widths) else 0


def _read_jsonl(text: str, name: str, encoding: str) -> RawTable:
    table = RawTable(name, {}, np.empty(0, np.int64), encoding=encoding)
    records: list[dict[str, str | None]] = []
    row_numbers: list[int] = []
    keys: dict[str, None] = {}
    for number, line in enumerate(io.StringIO(text, newline=None), start=1):
        if not line.strip():
            table.blank_rows += 1
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            table.problems.append(
                Problem(name, number, None, f"not valid JSON ({error.msg})")
            )
            continue
        if not isinstance(record, dict):
            table.problems.append(Problem(name, number, None, "not a JSON object"))
            continue
        keys.update(dict.fromkeys(record))
        records.append({key: _json_text(value) for key, value in record.items()})
        row_numbers.append(number)
    table.columns = {
        key: _clean(pa.array([record.get(key) for record in records], pa.string()))
        for key in keys
    }
    table.rows = np.asarray(row_numbers, dtype=np.int64)
    return table


def _json_text(value: object) -> str | None:
    """A JSON value as the text a CSV export would hold."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _read_parquet(path: Path, name: str) -> RawTable:
    try:
        data = pq.read_table(path)
    except (OSError, pa.ArrowException) as error:
        raise ImportFailed(f"{name}: cannot be read as Parquet ({error})") from error
    return from_arrow(data, name)


def from_arrow(data: pa.Table, name: str, noun: str = "file") -> RawTable:
    """An Arrow table (a Parquet file, a database query) as a ``RawTable``.

    Columns keep their own types, except that text is trimmed with blanks as
    null, like a CSV cell; rows are numbered by position from 1.
    """
    columns: dict[str, pa.Array] = {}
    for label, column in zip(data.column_names, data.columns, strict=True):
        array = column.combine_chunks()
        if pa.types.is_dictionary(array.type):
            array = array.cast(array.type.value_type)
        if pa.types.is_large_string(array.type) or pa.types.is_string_view(array.type):
            array = array.cast(pa.string())
        columns[label] = _clean(array) if pa.types.is_string(array.type) else array
    rows = np.arange(1, data.num_rows + 1, dtype=np.int64)
    return RawTable(name, columns, rows, noun=noun)
