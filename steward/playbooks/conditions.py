"""Condition matching: does a playbook apply to this account? Pure logic."""

from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache

from steward.playbooks.model import Conditions, Range
from steward.playbooks.state import AccountState


def in_range(bounds: Range, value: float | None) -> bool:
    """False for a missing value: an unknown ARR is not inside any range."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    checks = (
        bounds.min is None or value >= bounds.min,
        bounds.max is None or value <= bounds.max,
        bounds.above is None or value > bounds.above,
        bounds.below is None or value < bounds.below,
    )
    return all(checks)


@lru_cache(maxsize=1024)
def _folded(values: tuple[str, ...]) -> frozenset[str]:
    return frozenset(value.casefold() for value in values)


def _one_of(allowed: list[str] | None, value: str | None) -> bool:
    if allowed is None:
        return True
    return value is not None and value.casefold() in _folded(tuple(allowed))


_TEXT = ("tier", "coverage", "segment", "stage", "industry", "country", "band")
_NUMBERS = ("arr", "health", "expansion")


def failed_condition(
    conditions: Conditions, state: AccountState, as_of: dt.date
) -> str | None:
    """The name of the first condition the account fails, or None if all hold."""
    for name in _TEXT:
        allowed = getattr(conditions, name)
        if allowed is not None and not _one_of(allowed, getattr(state, name)):
            return name
    for name in _NUMBERS:
        bounds = getattr(conditions, name)
        if bounds is not None and not in_range(bounds, getattr(state, name)):
            return name
    if conditions.tags is not None and not _tags_match(conditions, state.tags):
        return "tags"
    if conditions.renewal_within_days is not None:
        days = None if state.renewal_on is None else (state.renewal_on - as_of).days
        if days is None or not 0 <= days <= conditions.renewal_within_days:
            return "renewal_within_days"
    for metric, bounds in (conditions.metrics or {}).items():
        if not in_range(bounds, state.metrics.get(metric)):
            return f"metrics.{metric}"
    return None


def _tags_match(conditions: Conditions, tags: frozenset[str]) -> bool:
    rule = conditions.tags
    assert rule is not None
    if not rule.has and not tags:
        return True
    have = {tag.casefold() for tag in tags}
    if any(tag.casefold() not in have for tag in rule.has):
        return False
    return not any(tag.casefold() in have for tag in rule.lacks)
