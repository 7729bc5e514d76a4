"""Condition matching: does a playbook apply to this account? Pure logic."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

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


def _one_of(allowed: Iterable[str] | None, value: str | None) -> bool:
    if allowed is None:
        return True
    return value is not None and value.casefold() in {a.casefold() for a in allowed}


def failed_condition(
    conditions: Conditions, state: AccountState, as_of: dt.date
) -> str | None:
    """The name of the first condition the account fails, or None if all hold."""
    text = {
        "tier": state.tier,
        "coverage": state.coverage,
        "segment": state.segment,
        "stage": state.stage,
        "industry": state.industry,
        "country": state.country,
        "band": state.band,
    }
    for name, value in text.items():
        if not _one_of(getattr(conditions, name), value):
            return name
    numbers = {"arr": state.arr, "health": state.health, "expansion": state.expansion}
    for name, number in numbers.items():
        bounds = getattr(conditions, name)
        if bounds is not None and not in_range(bounds, number):
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
    have = {tag.casefold() for tag in tags}
    rule = conditions.tags
    assert rule is not None
    if any(tag.casefold() not in have for tag in rule.has):
        return False
    return not any(tag.casefold() in have for tag in rule.lacks)
