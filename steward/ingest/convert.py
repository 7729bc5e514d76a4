"""A file's columns read into Steward fields, with a problem for every bad cell.

Conversion is column by column (see ``values`` and ``dates``), so each column's
reading (decimal mark, day-first order) is decided once from all its cells. A
row with any error is marked rejected; warnings leave it kept.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from steward.errors import ImportFailed
from steward.ingest import dates, values
from steward.ingest.mapping import FieldSpec, Source
from steward.ingest.readers import RawTable
from steward.ingest.report import Level, Problem
from steward.ingest.targets import KEY_FALLBACKS, KEYS, TARGETS, Target


@dataclass
class Prepared:
    """Typed columns of one file, all rows, with the rejected ones marked."""

    kind: str
    name: str
    rows: np.ndarray
    fields: dict[str, pa.Array] = field(default_factory=dict)
    attributes: dict[str, pa.Array] = field(default_factory=dict)
    properties: dict[str, pa.Array] = field(default_factory=dict)
    columns: dict[str, str | None] = field(default_factory=dict)
    rejected: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    problems: list[Problem] = field(default_factory=list)

    @property
    def num_rows(self) -> int:
        return len(self.rows)

    def flag(
        self,
        position: int,
        field_name: str | None,
        rule: str,
        value: Any = None,
        level: Level = "error",
    ) -> None:
        """Report a problem at ``position``; an error also rejects the row."""
        column = self.columns.get(field_name) if field_name else None
        text = None if value is None else str(value)
        row = int(self.rows[position])
        self.problems.append(Problem(self.name, row, column, rule, text, level))
        if level == "error":
            self.rejected[position] = True

    def kept(self) -> np.ndarray:
        return np.flatnonzero(~self.rejected)


def prepare(table: RawTable, source: Source) -> Prepared:
    """Read the mapped fields of ``table``; ``ImportFailed`` for a column-wide fault."""
    prepared = Prepared(source.kind, table.name, table.rows)
    prepared.rejected = np.zeros(table.num_rows, dtype=bool)
    targets = TARGETS[source.kind]
    for name, spec in source.specs.items():
        prepared.columns[name] = spec.column
        target = targets[name]
        prepared.fields[name] = _field(prepared, table, source, name, spec, target)
    for name, spec in source.attributes.items():
        key = f"attributes.{name}"
        prepared.columns[key] = spec.column
        target = Target(spec.type or "string")
        prepared.attributes[name] = _field(prepared, table, source, key, spec, target)
    for column in source.properties:
        cells = _column(table, column, "properties")
        prepared.properties[column] = cells.cast(pa.string())
    _fill_keys(prepared)
    _reject_duplicates(prepared, KEYS[source.kind])
    return prepared


def _field(
    prepared: Prepared,
    table: RawTable,
    source: Source,
    name: str,
    spec: FieldSpec,
    target: Target,
) -> pa.Array:
    raw = _input(table, spec, name)
    blank = raw.is_null().to_numpy(zero_copy_only=False)
    bad = np.zeros(len(raw), dtype=bool)
    if spec.values is not None:
        mapped = values.convert_each(raw, _value_map(spec.values), pa.string())
        _report(prepared, name, raw, mapped.bad, bad)
        raw = mapped.values
    try:
        converted = _convert(raw, target, spec, source)
    except values.ColumnConflict as conflict:
        raise ImportFailed(
            _conflict_message(table, spec.column, raw, conflict)
        ) from None
    _report(prepared, name, raw, converted.bad, bad)
    missing = converted.values.is_null().to_numpy(zero_copy_only=False) & ~bad
    return _fill_missing(
        prepared, name, converted.values, blank & missing, missing, target, spec
    )


def _input(table: RawTable, spec: FieldSpec, name: str) -> pa.Array:
    if spec.is_constant:
        text = values_text(spec.value)
        return pa.repeat(pa.scalar(text, pa.string()), table.num_rows)
    return _column(table, spec.input_column, name)


def _column(table: RawTable, column: str | None, name: str) -> pa.Array:
    if column not in table.columns:
        found = ", ".join(table.columns) or "none"
        raise ImportFailed(
            f"{table.name}: column '{column}' named by field '{name}' is not in the "
            f"{table.noun}; its columns are: {found}"
        )
    return table.columns[column]


def values_text(value: Any) -> str | None:
    """A constant or a mapped value as the text of a cell."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _value_map(mapping: dict[str, Any]):
    exact = {key: values_text(value) for key, value in mapping.items()}
    folded = {key.strip().casefold(): value for key, value in exact.items()}
    listed = ", ".join(mapping)

    def translate(text: str) -> str | None:
        if text in exact:
            return exact[text]
        if text.strip().casefold() in folded:
            return folded[text.strip().casefold()]
        raise ValueError(f"not one of the mapped values: {listed}")

    return translate


def _convert(
    raw: pa.Array, target: Target, spec: FieldSpec, source: Source
) -> values.Converted:
    kind = target.type
    if kind in ("date", "timestamp"):
        read = dates.date_column if kind == "date" else dates.timestamp_column
        return read(
            raw,
            dayfirst=spec.dayfirst,
            default_dayfirst=source.default_dayfirst,
            format=spec.format,
            unit=spec.unit,
        )
    if kind in ("number", "integer"):
        read = values.number_column if kind == "number" else values.integer_column
        return values.check_range(read(raw), target.minimum, target.maximum)
    if kind == "choice":
        return values.choice_column(raw, target.choices)
    readers = {
        "boolean": values.boolean_column,
        "email": values.email_column,
        "country": values.country_column,
        "timezone": values.timezone_column,
    }
    return readers.get(kind, values.text_column)(raw)


def _report(
    prepared: Prepared,
    name: str,
    raw: pa.Array,
    bad: dict[int, str],
    mask: np.ndarray,
) -> None:
    if not bad:
        return
    positions = sorted(bad)
    mask[positions] = True
    cells = raw.take(pa.array(positions, pa.int64())).to_pylist()
    for position, text in zip(positions, cells, strict=True):
        prepared.flag(position, name, bad[position], text)


def _fill_missing(
    prepared: Prepared,
    name: str,
    array: pa.Array,
    blank: np.ndarray,
    missing: np.ndarray,
    target: Target,
    spec: FieldSpec,
) -> pa.Array:
    """Required blanks reject the row; optional number blanks are warned about.

    ``missing`` marks cells with no value (blank, or mapped to nothing);
    ``blank`` those that were blank in the file.
    """
    if target.required:
        for position in np.flatnonzero(missing):
            prepared.flag(int(position), name, "required value is missing")
        return array
    numeric = target.type in ("number", "integer")
    if numeric and not spec.allow_blank:
        stored = (
            "missing" if target.default is None else f"the default {target.default}"
        )
        for position in np.flatnonzero(blank & ~prepared.rejected):
            rule = f"blank, stored as {stored}"
            prepared.flag(int(position), name, rule, level="warning")
    if target.default is None or not missing.any():
        return array
    return array.fill_null(pa.scalar(target.default, array.type))


def _fill_keys(prepared: Prepared) -> None:
    """Where the mapping gives no id: contacts use the email, outcomes and NPS
    responses a stable hash of what identifies them, so re-imports match."""
    fields = prepared.fields
    if prepared.kind == "contacts":
        email = fields.get("email")
        if "external_id" not in fields:
            fields["external_id"] = email
            prepared.columns["external_id"] = prepared.columns.get("email")
        elif email is not None:
            fields["external_id"] = pc.coalesce(fields["external_id"], email)
        missing = fields["external_id"].is_null().to_numpy(zero_copy_only=False)
        for position in np.flatnonzero(missing & ~prepared.rejected):
            rule = "required value is missing (external_id or email)"
            prepared.flag(int(position), "external_id", rule)
    elif prepared.kind in KEY_FALLBACKS:
        fields["external_id"] = _hashed_ids(prepared, KEY_FALLBACKS[prepared.kind])


def _hashed_ids(prepared: Prepared, parts: tuple[str, ...]) -> pa.Array:
    given = prepared.fields.get("external_id")
    ids = given.to_pylist() if given is not None else [None] * prepared.num_rows
    columns = [_texts(prepared.fields.get(part), prepared.num_rows) for part in parts]
    for position, identifier in enumerate(ids):
        if identifier is None:
            key = "\x1f".join(
                [prepared.kind, *(column[position] for column in columns)]
            )
            ids[position] = "auto-" + hashlib.sha256(key.encode()).hexdigest()[:32]
    return pa.array(ids, pa.string())


def _texts(array: pa.Array | None, size: int) -> list[str]:
    if array is None:
        return [""] * size
    return ["" if cell is None else str(cell) for cell in array.to_pylist()]


def _reject_duplicates(prepared: Prepared, key: str) -> None:
    """The first row of each id is kept; later rows with that id are rejected."""
    if key not in prepared.fields:
        return
    kept = prepared.kept()
    ids = pd.Series(prepared.fields[key].take(pa.array(kept)).to_pylist(), dtype=object)
    valid = ids.notna().to_numpy()
    ids, positions = ids[valid].reset_index(drop=True), kept[valid]
    later = ids.duplicated(keep="first").to_numpy()
    if not later.any():
        return
    first = pd.Series(positions).groupby(ids).transform("min").to_numpy()
    for position, origin, identifier in zip(
        positions[later], first[later], ids[later], strict=True
    ):
        row = prepared.rows[origin]
        prepared.flag(
            int(position), key, f"duplicate {key} '{identifier}', first in row {row}"
        )


def typed_property(array: pa.Array) -> pa.Array:
    """A property column as integers, numbers or booleans when every cell is one."""
    if not pa.types.is_string(array.type):
        return array
    for type in (pa.int64(), pa.float64()):
        cast = values.try_cast(array, type)
        if cast is not None:
            return cast
    words = {text.casefold() for text, _ in values.distinct_texts(array)}
    if words and words <= {"true", "false"}:
        return pc.equal(pc.utf8_lower(array), "true")
    return array


def _conflict_message(
    table: RawTable, column: str | None, raw: pa.Array, conflict: values.ColumnConflict
) -> str:
    examples = []
    for label, position in (conflict.first, conflict.second):
        examples.append(f"{label} (row {table.rows[position]}: '{raw[position]}')")
    fix = (
        "set dayfirst or format for this field in the mapping, or fix the cells"
        if "date" in conflict.first[0]
        else "fix the cells so that one decimal mark is used throughout"
    )
    return (
        f"{table.name}: column '{column}' mixes {examples[0]} and {examples[1]}; {fix}"
    )
