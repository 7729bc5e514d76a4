"""Scorecards: the YAML file a CS-ops team versions, validated by Pydantic.

A factor's ``weight`` is the log-odds of the account *staying* per standard
deviation of its (transformed) metric; a category factor has one log-odds per
level instead, centred so the training-weighted mean is 0. The bounds on
weights and scale keep every score finite: no factor can add more than
``points_to_double_odds / ln 2 * 20 * 5`` points.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from steward.errors import ScorecardInvalid, yaml_problem

DEFAULT_SCORECARD = Path(__file__).parent / "scorecards" / "default.yaml"

# Log-odds beyond +-20 per standard deviation (odds x 500 million) are a typo or
# a broken fit, and the bound is what keeps points finite.
MAX_LOG_ODDS = 20.0

LogOdds = Annotated[float, Field(ge=-MAX_LOG_ODDS, le=MAX_LOG_ODDS)]
Interval = tuple[float, float]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Scale(_Strict):
    base: float = Field(50.0, ge=0, le=100)
    points_to_double_odds: float = Field(10.0, gt=0, le=100)


class Bands(_Strict):
    healthy: float = Field(60.0, ge=0, le=100)
    at_risk: float = Field(40.0, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> Bands:
        if self.at_risk > self.healthy:
            raise ValueError(
                f"at_risk ({self.at_risk:g}) must not be above healthy "
                f"({self.healthy:g})"
            )
        return self


class Factor(_Strict):
    metric: str = Field(pattern=r"^(attribute\.)?[A-Za-z][A-Za-z0-9_]*$")
    label: str | None = None
    kind: Literal["number", "category"] = "number"
    transform: Literal["none", "log1p"] = "none"
    mean: float | None = None
    std: float | None = Field(None, gt=0)
    weight: LogOdds | None = None
    levels: dict[str, LogOdds] | None = None
    group: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _not_yet_fitted(cls, data: Any) -> Any:
        """A factor named with no numbers at all waits for `steward fit`.

        It scores 0 points until then: a team can list the metrics it wants and
        let fitting learn every weight.
        """
        if not isinstance(data, dict):
            return data
        numbers = ("mean", "std", "weight")
        if data.get("kind", "number") == "number":
            if all(data.get(name) is None for name in numbers):
                return {**data, "mean": 0.0, "std": 1.0, "weight": 0.0}
        elif data.get("levels") is None and all(
            data.get(name) is None for name in numbers
        ):
            return {**data, "levels": {}}
        return data

    @model_validator(mode="after")
    def _fields_match_kind(self) -> Factor:
        if self.kind == "number":
            absent = [f for f in ("mean", "std", "weight") if getattr(self, f) is None]
            if absent:
                raise ValueError(f"a number factor needs {', '.join(absent)}")
            if self.levels is not None:
                raise ValueError("levels belong to category factors only")
        else:
            if self.levels is None:
                raise ValueError("a category factor needs levels (may be {})")
            stray = [
                f for f in ("mean", "std", "weight") if getattr(self, f) is not None
            ]
            if stray or self.transform != "none":
                raise ValueError(
                    "a category factor has levels only, no mean, std, weight or "
                    "transform"
                )
        return self

    @property
    def importance(self) -> float:
        """How much the factor can move the score: |weight|, or the largest |level|."""
        if self.kind == "number":
            return abs(self.weight or 0.0)
        return max((abs(v) for v in (self.levels or {}).values()), default=0.0)


class FoldSummary(_Strict):
    train_observations: int
    test_observations: int
    test_from: str | None = None
    test_to: str | None = None
    trained_until: str | None = None


class Challenger(_Strict):
    name: str
    auc: float
    auc_interval: Interval


class ImputedMetric(_Strict):
    """How many training values were missing, and the value fitting took for
    them (on the metric's own scale). Scorecards fitted before this was the
    training mean name it ``median``, which those fits used."""

    missing: int
    filled_with: float | None = Field(
        validation_alias=AliasChoices("filled_with", "median")
    )


class RenewalCalibration(_Strict):
    """How churn log-odds map to not renewing, learned by ``steward fit``.

    Fitted on the backtest's held-out scores of the observations whose account
    had a contract term ending within the horizon (see
    :mod:`steward.scoring.renewal_risk`); the renewals forecast applies it.
    """

    intercept: float
    slope: float
    # Learned on terms at least this long (the scorecard's horizon), and
    # applied only to them; None (a file written before it was kept) reads
    # as the scorecard's horizon_days.
    horizon_days: int | None = Field(None, gt=0)
    observations: int
    accounts: int
    churned: int
    # Among those observations: the share that churned, and the mean churn
    # probability the model gave them before calibration.
    churn_rate: float
    mean_probability: float


class FitReport(_Strict):
    """What `steward fit` measured and decided; stored under the ``fit:`` key."""

    mode: Literal["time_ordered", "cross_validated"]
    observations: int
    accounts: int
    churned: int
    base_rate: float
    auc: float
    auc_interval: Interval
    lift_top_decile: float
    lift_interval: Interval
    challenger: Challenger
    folds: list[FoldSummary]
    verdict: Literal["new_weights", "no_signal"]
    message: str
    fitted_at: str
    transforms: dict[str, Literal["none", "log1p"]] = {}
    groups: dict[str, list[str]] = {}
    imputed: dict[str, ImputedMetric] = {}
    # correlated groups fitted as separate factors -> AUC averaging would cost
    kept_apart: dict[str, float] = {}
    regularisation_c: float = 1.0
    seed: int = 0
    # None: too few past renewals to learn from, or fitted without dates.
    renewals: RenewalCalibration | None = None


class Scorecard(_Strict):
    name: str = Field(min_length=1)
    version: int = Field(1, ge=1)
    description: str = ""
    window_days: int = Field(28, gt=0)
    horizon_days: int = Field(90, gt=0)
    scale: Scale = Scale()
    bands: Bands = Bands()
    minimum_coverage: float = Field(0.5, ge=0, le=1)
    intercept: float = 0.0
    factors: list[Factor] = Field(min_length=1)
    fit: FitReport | None = None

    @field_validator("factors")
    @classmethod
    def _metrics_unique(cls, factors: list[Factor]) -> list[Factor]:
        seen: set[str] = set()
        for factor in factors:
            if factor.metric in seen:
                raise ValueError(f"metric {factor.metric!r} appears twice")
            seen.add(factor.metric)
        return factors

    @property
    def knows_churn_rate(self) -> bool:
        """A hand-written intercept of 0 means the base churn rate is unknown."""
        learned = self.fit is not None and self.fit.verdict == "new_weights"
        return learned or self.intercept != 0.0


def load_scorecard(path: Path | str) -> Scorecard:
    """Read and validate a scorecard file; every broken rule is named in the error."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScorecardInvalid(f"scorecard file {path} does not exist") from None
    except OSError as error:
        raise ScorecardInvalid(
            f"scorecard file {path} cannot be read: {error.strerror or error}"
        ) from None
    except yaml.YAMLError as error:
        raise ScorecardInvalid(
            f"scorecard {path} is not valid YAML: {yaml_problem(error)}"
        ) from None
    if not isinstance(data, dict):
        raise ScorecardInvalid(
            f"scorecard {path} must be a mapping of fields (name, version, "
            "factors, ...), not a bare value or list"
        )
    try:
        return Scorecard.model_validate(data)
    except ValidationError as error:
        problems = "\n".join(_describe(e, data) for e in error.errors())
        raise ScorecardInvalid(
            f"scorecard {path} breaks {error.error_count()} rule(s); fix these "
            f"fields and load it again:\n{problems}"
        ) from None


def save_scorecard(scorecard: Scorecard, path: Path | str) -> None:
    """Write the scorecard as the YAML a person reads and reviews in git."""
    header = (
        f"# Steward health scorecard {scorecard.name!r}, version {scorecard.version}.\n"
        "# weight = log-odds of the account staying per standard deviation of the\n"
        "# (transformed) metric; points = points_to_double_odds / ln 2 * weight * z.\n"
        "# `steward fit` rewrites weights, means, stds and the fit: report.\n"
    )
    data = scorecard.model_dump(mode="json")
    data["scale"] = _Flow(data["scale"])
    data["bands"] = _Flow(data["bands"])
    if data["fit"] is not None:
        report = data["fit"]
        for key in ("auc_interval", "lift_interval"):
            report[key] = _FlowList(report[key])
        report["challenger"]["auc_interval"] = _FlowList(
            report["challenger"]["auc_interval"]
        )
    # A factor shows only the fields its kind uses; group stays, null or not.
    data["factors"] = [
        {k: v for k, v in factor.items() if v is not None or k == "group"}
        for factor in data["factors"]
    ]
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True)
    Path(path).write_text(header + body, encoding="utf-8")


class _Flow(dict):
    """A mapping written on one line, like ``scale: {base: 50, ...}``."""


class _FlowList(list):
    """A short list written on one line, like ``auc_interval: [0.71, 0.78]``."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _Flow,
    lambda dumper, data: dumper.represent_mapping(
        "tag:yaml.org,2002:map", data, flow_style=True
    ),
)
_Dumper.add_representer(
    _FlowList,
    lambda dumper, data: dumper.represent_sequence(
        "tag:yaml.org,2002:seq", data, flow_style=True
    ),
)


def _describe(error: Any, data: dict[str, Any]) -> str:
    """One line per broken rule: field path (with the factor's metric), rule, value."""
    where = _field_path(error["loc"], data)
    kind = error["type"]
    if kind == "missing":
        return f"  {where}: required field is missing"
    if kind == "extra_forbidden":
        return f"  {where}: unknown field (check the spelling)"
    rule = error["msg"].removeprefix("Value error, ")
    if kind.startswith(("greater", "less", "float", "int", "string", "literal")):
        rule += f" (got {error['input']!r})"
    return f"  {where}: {rule}"


def _field_path(loc: tuple[Any, ...], data: dict[str, Any]) -> str:
    parts: list[str] = []
    node: Any = data
    for key in loc:
        if isinstance(key, int):
            parts[-1] += f"[{key}]"
            node = node[key] if isinstance(node, list) and key < len(node) else None
            if isinstance(node, dict) and "metric" in node:
                parts[-1] += f" ({node['metric']})"
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts) or "(top level)"
