"""Voice of the customer: the monthly report by category (no I/O).

A customer-voice note is a note on an account's timeline tagged with at least
one category of ``config/voice.yaml``; other tags on notes are not voice. The
store is read by :mod:`steward.reports.voice_service`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from steward.config_file import read_mapping
from steward.errors import ConfigInvalid, InputInvalid
from steward.reports.spreadsheet import safe_cell

BUILT_IN = Path(__file__).with_name("voice.yaml")
QUOTE_CHARS = 280
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


class VoiceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    categories: dict[str, str]
    webhook: str | None = None
    trend_months: int = Field(6, ge=1, le=36)
    quotes: int = Field(3, ge=0, le=20)

    @field_validator("categories")
    @classmethod
    def _names(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("list at least one category, e.g. feature_gap")
        for name in value:
            if not _NAME.match(name):
                raise ValueError(
                    f"category {name!r} must be 2 to 40 lower-case letters, digits "
                    "or underscores, starting with a letter, e.g. pricing_pushback"
                )
        return value


def load_voice_config(path: Path) -> VoiceConfig:
    """Read and check a voice file; a missing file means the built-in one."""
    path = Path(path) if Path(path).exists() else BUILT_IN
    raw = read_mapping(
        path, ConfigInvalid, "the voice settings", VoiceConfig, empty_ok=True
    )
    try:
        return VoiceConfig.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigInvalid(f"{path}: {where}: {message}") from None


@dataclass(frozen=True)
class VoiceNote:
    account_key: str
    account_name: str
    arr: float | None
    at: dt.datetime
    categories: tuple[str, ...]
    body: str


@dataclass(frozen=True)
class Quote:
    account_key: str
    account_name: str
    on: dt.date
    text: str


@dataclass
class CategoryRow:
    category: str
    label: str
    notes: int = 0
    accounts: int = 0
    arr: float = 0.0
    # (first day of month, notes), oldest first, ending with the report's month.
    trend: list[tuple[dt.date, int]] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)

    @property
    def previous(self) -> int:
        return self.trend[-2][1] if len(self.trend) > 1 else 0


@dataclass
class VoiceReport:
    month: dt.date
    rows: list[CategoryRow]
    notes: int
    accounts: int


def parse_month(value: str | None, today: dt.date) -> dt.date:
    """``YYYY-MM`` as its first day; empty means this month."""
    if not value:
        return today.replace(day=1)
    try:
        return dt.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise InputInvalid(
            f"{value!r} is not a month; write it as YYYY-MM, e.g. 2026-06",
            field="month",
        ) from None


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def trend_window(month: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """The first and the last day the report reads, for ``months`` of trend."""
    first = add_months(month_start(month), -(months - 1))
    last = add_months(month_start(month), 1) - dt.timedelta(days=1)
    return first, last


def monthly_report(
    notes: Sequence[VoiceNote], month: dt.date, config: VoiceConfig
) -> VoiceReport:
    """Per category: notes, accounts and ARR affected in ``month``, the trend of
    notes over the months before it, and the newest quotes.

    A note tagged with two categories counts once in each; an account counts
    once per category however many notes it has, and its ARR with it.
    """
    month = month_start(month)
    months = [add_months(month, -k) for k in range(config.trend_months - 1, -1, -1)]
    rows = {name: CategoryRow(name, label) for name, label in config.categories.items()}
    counts = {(name, m): 0 for name in rows for m in months}
    in_month: list[VoiceNote] = []
    for note in notes:
        noted = month_start(note.at.date())
        for name in set(note.categories) & rows.keys():
            if (name, noted) in counts:
                counts[name, noted] += 1
        if noted == month and set(note.categories) & rows.keys():
            in_month.append(note)
    for name, row in rows.items():
        row.trend = [(m, counts[name, m]) for m in months]
        mine = [n for n in in_month if name in n.categories]
        row.notes = len(mine)
        arr = {n.account_key: n.arr or 0.0 for n in mine}
        row.accounts = len(arr)
        row.arr = float(sum(arr.values()))
        newest = sorted(mine, key=lambda n: n.at, reverse=True)[: config.quotes]
        row.quotes = [_quote(n) for n in newest]
    return VoiceReport(
        month=month,
        rows=list(rows.values()),
        notes=len(in_month),
        accounts=len({n.account_key for n in in_month}),
    )


def _quote(note: VoiceNote) -> Quote:
    text = " ".join(note.body.split())
    if len(text) > QUOTE_CHARS:
        text = text[: QUOTE_CHARS - 1].rstrip() + "…"
    return Quote(note.account_key, note.account_name, note.at.date(), text)


CSV_COLUMNS = (
    "month",
    "category",
    "label",
    "notes",
    "notes_previous_month",
    "accounts",
    "arr_affected",
    "trend",
    "quotes",
)


def report_csv(report: VoiceReport) -> Iterator[str]:
    """The report as CSV lines, every cell made safe for spreadsheets."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in report.rows:
        trend = "; ".join(f"{m:%Y-%m} {n}" for m, n in row.trend)
        quotes = " | ".join(f"{q.account_name}: {q.text}" for q in row.quotes)
        values = (
            f"{report.month:%Y-%m}",
            row.category,
            row.label,
            row.notes,
            row.previous,
            row.accounts,
            f"{row.arr:.2f}",
            trend,
            quotes,
        )
        writer.writerow([safe_cell(value) for value in values])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def report_payload(report: VoiceReport) -> dict:
    """The JSON body sent to the product team's webhook."""
    return {
        "event": "voice_of_customer.monthly",
        "month": f"{report.month:%Y-%m}",
        "notes": report.notes,
        "accounts": report.accounts,
        "categories": [
            {
                "category": row.category,
                "label": row.label,
                "notes": row.notes,
                "notes_previous_month": row.previous,
                "accounts": row.accounts,
                "arr_affected": round(row.arr, 2),
                "trend": [{"month": f"{m:%Y-%m}", "notes": n} for m, n in row.trend],
                "quotes": [
                    {
                        "account": q.account_key,
                        "account_name": q.account_name,
                        "on": q.on.isoformat(),
                        "text": q.text,
                    }
                    for q in row.quotes
                ],
            }
            for row in report.rows
        ],
    }
