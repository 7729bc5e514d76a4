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
