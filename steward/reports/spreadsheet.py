"""CSV cells that a spreadsheet shows as text, never runs as a formula."""

from __future__ import annotations

import numbers

# A cell starting with one of these is a formula in Excel, Sheets or Calc.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The value as text, with a leading quote where it would start a formula.

    Numbers are written as they are: ``-21.4`` is a number to a spreadsheet,
    not a formula, and quoting it would turn it into text.
    """
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return str(value)
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
