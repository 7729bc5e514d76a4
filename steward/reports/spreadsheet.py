"""CSV cells that a spreadsheet shows as text, never runs as a formula."""

from __future__ import annotations

# A cell starting with one of these is a formula in Excel, Sheets or Calc.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The value as text, with a leading quote where it would start a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
