"""Onboarding tiers and coverage models: who gets how much human attention.

Rules come from ``config/coverage.yaml`` (the built-in copy sits beside this
module): an ordered list of tiers and one of coverage models, each rule a
list of alternatives (``when``) whose conditions must all hold; the first
matching rule wins and the last takes everyone else. Each coverage model
carries its engagement cadence and the CSM hours per account per month it
costs. Pure: account frames in, tiers and models out.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from steward.config_file import read_mapping
from steward.errors import CoverageInvalid

BUILT_IN = Path(__file__).with_name("coverage.yaml")
WEEKS_PER_MONTH = 52 / 12


class Condition(BaseModel):
    """One alternative of a rule: every condition given must hold."""

    model_config = ConfigDict(extra="forbid")

    arr_at_least: float | None = None
    arr_below: float | None = None
    seats_above: float | None = None
    seats_at_most: float | None = None
    custom_integrations: bool | None = None
    tier: list[str] | None = None
    segment: list[str] | None = None

    @field_validator("tier", "segment", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _says_something(self) -> Condition:
        if not self.model_dump(exclude_none=True):
            raise ValueError("an empty condition; give at least one, e.g. arr_at_least")
        return self

    def holds(self, frame: pd.DataFrame) -> np.ndarray:
        """True per row where every condition holds; unknown numbers hold none."""
        ok = np.ones(len(frame), dtype=bool)
        arr = _numbers(frame, "arr")
        seats = _numbers(frame, "seats")
        with np.errstate(invalid="ignore"):
            if self.arr_at_least is not None:
                ok &= arr >= self.arr_at_least
            if self.arr_below is not None:
                ok &= arr < self.arr_below
            if self.seats_above is not None:
                ok &= seats > self.seats_above
            if self.seats_at_most is not None:
                ok &= seats <= self.seats_at_most
        if self.custom_integrations is not None:
            custom = frame["custom_integrations"].fillna(False).astype(bool)
            ok &= custom.to_numpy() == self.custom_integrations
        if self.tier is not None:
            ok &= frame["tier"].isin(self.tier).to_numpy()
        if self.segment is not None:
            ok &= frame["segment"].isin(self.segment).to_numpy()
        return ok

    def describe(self, row: Mapping[str, Any]) -> str:
        """The conditions in words, with the account's own figures."""
        parts = []
        if self.arr_at_least is not None:
            parts.append(f"ARR {_figure(row['arr'])} ≥ {_figure(self.arr_at_least)}")
        if self.arr_below is not None:
            parts.append(f"ARR {_figure(row['arr'])} < {_figure(self.arr_below)}")
        if self.seats_above is not None:
            parts.append(f"seats {_figure(row['seats'])} > {_figure(self.seats_above)}")
        if self.seats_at_most is not None:
            parts.append(
                f"seats {_figure(row['seats'])} ≤ {_figure(self.seats_at_most)}"
            )
        if self.custom_integrations is not None:
            parts.append(
                "custom integrations"
                if self.custom_integrations
                else "no custom integrations"
            )
        if self.tier is not None:
            parts.append(str(row["tier"]))
        if self.segment is not None:
            parts.append(f"segment {row['segment']}")
        return " and ".join(parts)


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=50)
    when: list[Condition] = Field(default_factory=list)

    def matches(self, frame: pd.DataFrame) -> np.ndarray:
        if not self.when:
            return np.ones(len(frame), dtype=bool)
        return np.logical_or.reduce([c.holds(frame) for c in self.when])


class CoverageModel(Rule):
    cadence: str = Field(min_length=1)
    hours_per_account_month: float = Field(ge=0)


class SizeBand(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    up_to: float | None = None


class CoverageRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tiers: list[Rule] = Field(min_length=1)
    coverage: list[CoverageModel] = Field(min_length=1)
    capacity_per: Literal["week", "month"] = "week"
    size_bands: list[SizeBand] = Field(
        default_factory=lambda: [SizeBand(name="any size")]
    )
    min_peers: int = Field(default=5, ge=1)

    @model_validator(mode="after")
    def _well_formed(self) -> CoverageRules:
        for key, rules in (("tiers", self.tiers), ("coverage", self.coverage)):
            _check_order(key, rules)
        tiers = {rule.name for rule in self.tiers}
        for index, model in enumerate(self.coverage):
            for condition in model.when:
                unknown = sorted(set(condition.tier or ()) - tiers)
                if unknown:
                    raise ValueError(
                        f"coverage[{index}] ({model.name}) names tier(s) "
                        f"{', '.join(unknown)}, which the tiers section does not "
                        f"define ({', '.join(sorted(tiers))})"
                    )
        _check_bands(self.size_bands)
        return self

    def model(self, name: str | None) -> CoverageModel | None:
        return next((m for m in self.coverage if m.name == name), None)

    def hours(self, coverage: str | None) -> float:
        """CSM hours per account per month of a model; 0 for an unknown one."""
        model = self.model(coverage)
        return model.hours_per_account_month if model else 0.0

    def monthly_capacity(self, capacity_hours: float | None) -> float:
        """A CSM's capacity in hours per month, from their user record's figure."""
        if capacity_hours is None:
            return 0.0
        if self.capacity_per == "week":
            return capacity_hours * WEEKS_PER_MONTH
        return capacity_hours

    def size_band(self, seats: float | None) -> str | None:
        if seats is None or pd.isna(seats):
            return None
        for band in self.size_bands:
            if band.up_to is None or seats <= band.up_to:
                return band.name
        return None  # pragma: no cover - the last band is open (checked)


def _check_order(key: str, rules: list[Rule]) -> None:
    names = [rule.name for rule in rules]
    if len(set(names)) != len(names):
        raise ValueError(f"{key}: names must be unique, got {', '.join(names)}")
    if rules[-1].when:
        raise ValueError(
            f"{key}: the last rule ({rules[-1].name}) must have no `when`, so "
            "every account gets one; add a catch-all rule at the end"
        )
    for rule in rules[:-1]:
        if not rule.when:
            raise ValueError(
                f"{key}: only the last rule may leave out `when`; {rule.name} "
                "would take every account and hide the rules after it"
            )


def _check_bands(bands: list[SizeBand]) -> None:
    if not bands or bands[-1].up_to is not None:
        raise ValueError("size_bands: the last band must have no up_to (open-ended)")
    limits = [band.up_to for band in bands[:-1]]
    if any(limit is None for limit in limits) or limits != sorted(set(limits)):
        raise ValueError(
            "size_bands: every band but the last needs an up_to, in increasing order"
        )


def load_coverage_rules(path: Path) -> CoverageRules:
    """Read and check a coverage file; a missing file means the built-in rules."""
    path = Path(path)
    if not path.exists():
        path = BUILT_IN
    raw = read_mapping(
        path, CoverageInvalid, "coverage rules", CoverageRules, empty_ok=True
    )
    try:
        return CoverageRules.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "not a known field here (check the spelling)"
        # A rule across sections names its own place in the message.
        prefix = f"{where}: " if where else ""
        raise CoverageInvalid(f"{path}: {prefix}{message}") from error


def classify(rules: CoverageRules, accounts: pd.DataFrame) -> pd.DataFrame:
    """Each account's tier and coverage model, on the index of ``accounts``.

    ``accounts`` has arr, seats, custom_integrations and segment. Coverage
    rules may test the tier just found.
    """
    tiers = _first_match(rules.tiers, accounts)
    with_tier = accounts.assign(tier=tiers)
    models = _first_match(rules.coverage, with_tier)
    return pd.DataFrame({"tier": tiers, "coverage": models}, index=accounts.index)


def explain(rules: CoverageRules, row: pd.Series, tier: str, coverage: str) -> dict:
    """Why an account got its tier and model, in words, for the audit log."""
    frame = row.to_frame().T
    return explain_all(rules, frame, pd.Series([tier]), pd.Series([coverage]))[0]


def explain_all(
    rules: CoverageRules,
    accounts: pd.DataFrame,
    tiers: pd.Series,
    coverages: pd.Series,
) -> list[dict]:
    """``explain`` for every row of ``accounts`` at once, in their order.

    Conditions are tested on whole columns; only the words are made per row.
    """
    tiers = pd.Series(np.asarray(tiers, dtype=object))
    coverages = pd.Series(np.asarray(coverages, dtype=object))
    with_tier = accounts.assign(tier=tiers.to_numpy())
    tier_words = _because_all(rules.tiers, accounts, tiers)
    coverage_words = _because_all(rules.coverage, with_tier, coverages)
    return [
        {"tier": tier, "coverage": coverage}
        for tier, coverage in zip(tier_words, coverage_words, strict=True)
    ]


def _because_all(
    rules: list[Rule] | list[CoverageModel], frame: pd.DataFrame, chosen: pd.Series
) -> list[str]:
    """Per row, the first alternative of its chosen rule that holds, in words."""
    words = np.full(len(frame), "no earlier rule matched", dtype=object)
    for rule in rules:
        rows = np.flatnonzero((chosen == rule.name).to_numpy())
        if not len(rows):
            continue
        subset = frame.iloc[rows]
        records = subset.to_dict("records")
        open_rows = np.ones(len(rows), dtype=bool)
        for condition in rule.when:
            hit = open_rows & condition.holds(subset)
            for i in np.flatnonzero(hit):
                words[rows[i]] = condition.describe(records[i])
            open_rows &= ~hit
    return list(words)


def _first_match(rules: list[Rule] | list[CoverageModel], frame: pd.DataFrame):
    chosen = np.full(len(frame), None, dtype=object)
    open_rows = np.ones(len(frame), dtype=bool)
    for rule in rules:
        hit = open_rows & rule.matches(frame)
        chosen[hit] = rule.name
        open_rows &= ~hit
    return pd.Series(chosen, index=frame.index, dtype=object)


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce")
    return values.to_numpy(dtype=float, na_value=np.nan)


def _figure(value: Any) -> str:
    if value is None or pd.isna(value):
        return "unknown"
    number = float(value)
    return f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}"
