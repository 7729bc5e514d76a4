"""A report as a table the CLI prints, the API returns and a spreadsheet opens."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from steward.reports.spreadsheet import safe_cell

Kind = Literal["text", "count", "money", "share", "days", "hours", "score"]
# A table with more columns than this reads better turned round.
WIDE = 10


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: Kind = "text"


@dataclass
class ReportTable:
    name: str
    title: str
    start: dt.date
    end: dt.date
    by: str | None
    columns: list[Column]
    rows: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)

    def csv_lines(self) -> Iterator[str]:
        """The header, then one line per row; cells never run as formulas."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([column.key for column in self.columns])
        for row in self.rows:
            writer.writerow([_csv(row.get(c.key)) for c in self.columns])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    def transposed(self) -> tuple[list[str], list[tuple[Column, list[Any]]]]:
        """One column per row, one line per figure: a wide report that fits.

        Each column is named by the text fields that tell the rows apart
        (group, milestone...); text fields every row shares become lines.
        """
        texts = [c for c in self.columns if c.kind == "text"]
        varying = [c for c in texts if len({r.get(c.key) for r in self.rows}) > 1]
        heads = varying or texts[:1]
        names = [" ".join(str(r.get(c.key)) for c in heads) for r in self.rows]
        lines = [
            (column, [row.get(column.key) for row in self.rows])
            for column in self.columns
            if column not in heads
        ]
        return names, lines

    def as_json(self) -> dict[str, Any]:
        return {
            "report": self.name,
            "title": self.title,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "by": self.by,
            "columns": [
                {"key": c.key, "label": c.label, "kind": c.kind} for c in self.columns
            ],
            "rows": self.rows,
            "notes": self.notes,
        }


def rows_of(frame: pd.DataFrame, columns: list[Column]) -> list[dict[str, Any]]:
    """The frame's rows as plain Python values; NaN becomes None."""
    keys = [column.key for column in columns]
    return [
        {key: _plain(value) for key, value in zip(keys, values, strict=True)}
        for values in frame[keys].itertuples(index=False, name=None)
    ]


def shown(value: Any, kind: Kind) -> str:
    """A cell as people read it: 12.3%, 1,234, 12.5 days."""
    if value is None:
        return ""
    if kind == "share":
        return f"{value * 100:.1f}%"
    if kind == "money":
        return f"{value:,.0f}"
    if kind in ("days", "hours", "score"):
        return f"{value:,.1f}"
    if kind == "count":
        return f"{value:,}"
    return str(value)


def _plain(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _csv(value: Any) -> Any:
    """A cell: numbers in full precision (a spreadsheet formats them, and a
    negative one such as an NPS of -20 stays a number); text never a formula."""
    if value is None:
        return ""
    if isinstance(value, int | float):
        return value
    return safe_cell(value)
