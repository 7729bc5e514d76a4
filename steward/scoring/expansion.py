"""Expansion readiness: a 0-100 score of how ready an account is to grow.

Each component gives its points when its metric meets its bound: product
utilisation above 80% of plan (40), NPS above 8 (30), fewer than 2 support
tickets a month (20), an engaged executive sponsor (10). Components, bounds
and points live in ``config/expansion.yaml``. Pure: metrics in, scores out.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from steward.config_file import read_mapping
from steward.errors import ScorecardInvalid

BUILT_IN = Path(__file__).with_name("expansion.yaml")


class Component(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = ""
    metric: str
    above: float | None = None
    below: float | None = None
    min: float | None = None
    max: float | None = None
    points: float = Field(gt=0)

    @model_validator(mode="after")
    def _some_bound(self) -> Component:
        if all(v is None for v in (self.above, self.below, self.min, self.max)):
            raise ValueError(
                f"component {self.key!r} needs a bound: above, below, min or max"
            )
        return self

    def met(self, values: np.ndarray) -> np.ndarray:
        """True where the value meets every bound; NaN never does."""
        with np.errstate(invalid="ignore"):
            ok = ~np.isnan(values)
            if self.above is not None:
                ok &= values > self.above
            if self.below is not None:
                ok &= values < self.below
            if self.min is not None:
                ok &= values >= self.min
            if self.max is not None:
                ok &= values <= self.max
        return ok


class ExpansionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "expansion"
    # Executive-sponsor engagement: a meeting, call or email noted on the
    # account, or an NPS answer from the sponsor, within this many days.
    sponsor_engagement_days: int = Field(default=90, gt=0)
    components: list[Component] = Field(min_length=1)

    @model_validator(mode="after")
    def _points_make_100(self) -> ExpansionConfig:
        keys = [component.key for component in self.components]
        if len(set(keys)) != len(keys):
            raise ValueError(f"component keys must be unique, got {keys}")
        total = sum(component.points for component in self.components)
        if abs(total - 100) > 1e-9:
            raise ValueError(
                f"the components' points add up to {total:g}; make them add up "
                "to 100 so the score runs 0-100"
            )
        return self


def load_expansion_config(path: Path) -> ExpansionConfig:
    raw = read_mapping(path, ScorecardInvalid, "expansion file", ExpansionConfig)
    try:
        return ExpansionConfig.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        where = f"{where}: " if where else ""
        raise ScorecardInvalid(f"{path}: {where}{message}") from error


def expansion_frame(config: ExpansionConfig, metrics: pd.DataFrame) -> pd.DataFrame:
    """Score every row of ``metrics`` (one column per metric the components name).

    Returns ``score`` (NaN only when no component's metric has a value) and
    per component ``points.<key>``. A missing metric column counts as missing
    values, not as an error: data sets differ in what they carry.
    """
    points = {}
    known = np.zeros(len(metrics), dtype=bool)
    for component in config.components:
        if component.metric in metrics.columns:
            values = pd.to_numeric(metrics[component.metric], errors="coerce")
            values = values.to_numpy(dtype=float, na_value=np.nan)
        else:
            values = np.full(len(metrics), np.nan)
        known |= ~np.isnan(values)
        points[f"points.{component.key}"] = np.where(
            component.met(values), component.points, 0.0
        )
    frame = pd.DataFrame(points, index=metrics.index)
    frame.insert(0, "score", np.where(known, frame.sum(axis=1), np.nan))
    return frame


def component_values(config: ExpansionConfig, metrics: pd.DataFrame) -> pd.DataFrame:
    """Per row, the value each component was judged on (NaN where unknown)."""
    values = {}
    for component in config.components:
        if component.metric in metrics.columns:
            column = pd.to_numeric(metrics[component.metric], errors="coerce")
            values[component.key] = column.astype("float64")
        else:
            values[component.key] = pd.Series(np.nan, index=metrics.index)
    return pd.DataFrame(values, index=metrics.index)
