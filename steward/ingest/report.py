"""What an import tells the person who ran it: counts and every problem row."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Level = Literal["error", "warning"]

# Exit codes of ``steward import``; documented in docs/importing.md.
EXIT_OK = 0
EXIT_NOTHING_IMPORTED = 1
EXIT_ROWS_REJECTED = 3


@dataclass(frozen=True)
class Problem:
    """One cell or row that broke a rule.

    ``level`` "error" means the row was rejected; "warning" means it was kept
    (for example with a blank optional number stored as missing). ``row`` is the
    spreadsheet row number (header = 1), the JSON Lines line number, or a
    table's position in the order it was read (from 1); it is ``None`` for a
    problem about the whole column, file or table.
    """

    file: str
    row: int | None
    column: str | None
    rule: str
    value: str | None = None
    level: Level = "error"

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        text = f"{', '.join(where)}: {self.rule}"
        if self.value is not None:
            text += f" (value {_quote(self.value)})"
        return text

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ImportReport:
    """The outcome of one file: ``rows_read = kept + rejected``."""

    file: str
    kind: str
    rows_read: int = 0
    blank_rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    accounts_created: int = 0
    unknown_accounts: int = 0
    encoding: str | None = None
    delimiter: str | None = None
    seconds: float = 0.0
    import_run_id: int | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def kept(self) -> int:
        return self.inserted + self.updated + self.unchanged

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.level == "warning"]

    def summary(self) -> str:
        return (
            f"{self.file} ({self.kind}): {self.rows_read} rows read, "
            f"{self.inserted} inserted, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.rejected} rejected, "
            f"{len(self.warnings)} warnings"
        )


def exit_code(reports: Iterable[ImportReport]) -> int:
    """0 when every row was kept, 3 when some were rejected, 1 when none was kept.

    A file that could not be read at all raises ``ImportFailed`` instead, which
    the CLI also turns into 1.
    """
    reports = list(reports)
    if not reports:
        return EXIT_NOTHING_IMPORTED
    read = sum(report.rows_read for report in reports)
    kept = sum(report.kept for report in reports)
    if read and not kept:
        return EXIT_NOTHING_IMPORTED
    if any(report.rejected for report in reports):
        return EXIT_ROWS_REJECTED
    return EXIT_OK


def _quote(value: str, limit: int = 60) -> str:
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return repr(value)
