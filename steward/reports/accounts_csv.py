"""The accounts list as CSV, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import astuple, fields

from steward.accounts.listing import AccountRow
from steward.reports.spreadsheet import safe_cell

COLUMNS = tuple(field.name for field in fields(AccountRow))


def account_lines(rows: Iterable[AccountRow]) -> Iterator[str]:
    """The header, then one CSV line per account, every cell through ``safe_cell``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([safe_cell(value) for value in astuple(row)])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
