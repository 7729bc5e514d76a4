"""Fields read through a second file or table (``via:`` in a mapping)."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

from steward.errors import ImportFailed
from steward.ingest.mapping import Source, Via
from steward.ingest.readers import RawTable

# Reads the lookup a via names; the field's name is for its error messages.
LookupReader = Callable[[Via, str], RawTable]


def apply_lookups(table: RawTable, source: Source, read: LookupReader) -> RawTable:
    """Add a column for each ``via`` field: its cells mapped through the lookup.

    A key the lookup does not hold becomes blank, so the field's own rule
    (required, or not) decides the row. The first row of a key wins.
    """
    for name, spec in source.specs.items():
        if spec.via is None:
            continue
        via = spec.via
        lookup = read(via, name)
        for column in (via.key, via.value):
            if column not in lookup.columns:
                raise ImportFailed(
                    f"{via.label}: column '{column}' named by field '{name}' (via) "
                    f"is not in the {lookup.noun}; its columns are: "
                    f"{', '.join(lookup.columns)}"
                )
        if spec.column not in table.columns:
            raise ImportFailed(
                f"{table.name}: column '{spec.column}' named by field '{name}' is "
                f"not in the {table.noun}; its columns are: {', '.join(table.columns)}"
            )
        keys = lookup.columns[via.key].cast(pa.string())
        found = {}
        for key, value in zip(
            keys.to_pylist(), lookup.columns[via.value].to_pylist(), strict=True
        ):
            found.setdefault(key, value)
        position = pc.index_in(
            table.columns[spec.column].cast(pa.string()),
            pa.array(list(found), pa.string()),
        )
        values = pa.array([None if v is None else str(v) for v in found.values()])
        table.columns[spec.input_column] = pc.take(values.cast(pa.string()), position)
    return table
