"""Scoring: metrics in, a 0-100 health score with additive, explainable points out.

points_i = points_to_double_odds / ln 2 * weight_i * z_i, where z_i is the
factor's transformed value in training standard deviations; score =
clip(base + sum(points), 0, 100). A missing value gives 0 points (the typical
account) and is flagged. Nothing here returns NaN or infinity.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from steward.errors import ScorecardInvalid
from steward.scoring.scorecard import Factor, Scorecard

# A value more than 5 training standard deviations out (a bot account, a unit
# mix-up) counts as 5, so one wild metric cannot swamp every other factor;
# fitting applies the same cap so the model learns on what it scores.
Z_LIMIT = 5.0

STATUSES = ("scored", "insufficient_data")
BANDS = ("healthy", "neutral", "at_risk", "insufficient_data")


@dataclass(frozen=True)
class FactorChange:
    factor: str
    points_then: float | None
    points_now: float | None
    delta: float


@dataclass(frozen=True)
class ScoreChange:
    """What changed since the previous score, largest movement first."""

    score_then: float | None
    score_now: float | None
    score_delta: float | None
    factors: list[FactorChange]


def transform(values: np.ndarray, name: str) -> np.ndarray:
    """Apply a factor transform; infinities and values outside its domain become NaN."""
    values = np.where(np.isfinite(values), values, np.nan)
    if name == "log1p":
        # A negative count or duration is a data error, not a small value.
        return np.log1p(np.where(values >= 0, values, np.nan))
    return values


def untransform(value: float, name: str) -> float:
    """The value on the metric's own scale whose transform is ``value``."""
    if name == "log1p":
        return math.expm1(value) if value < 709 else math.inf
    return value


def level_keys(column: pd.Series) -> pd.Series:
    """Category values as scorecard levels name them (as text); NaN if missing."""
    codes, uniques = pd.factorize(column)
    keys = np.full(len(column), np.nan, dtype=object)
    if len(uniques):
        names = np.array([str(value) for value in uniques], dtype=object)
        known = codes >= 0
        keys[known] = names[codes[known]]
    return pd.Series(keys, index=column.index, dtype=object)


def numeric_values(column: pd.Series) -> np.ndarray:
    numbers = pd.to_numeric(column, errors="coerce")
    return numbers.to_numpy(dtype=float, na_value=np.nan)


def factor_z(factor: Factor, column: pd.Series) -> np.ndarray:
    """Capped standardised values of a number factor; NaN where missing."""
    with np.errstate(over="ignore", invalid="ignore"):
        shifted = transform(numeric_values(column), factor.transform) - factor.mean
        z = shifted / factor.std
    return np.clip(z, -Z_LIMIT, Z_LIMIT)


def factor_log_odds(factor: Factor, column: pd.Series) -> np.ndarray:
    """Log-odds of staying the factor adds per account; NaN where missing."""
    if factor.kind == "number":
        return factor.weight * factor_z(factor, column)
    levels = {key: float(value) for key, value in (factor.levels or {}).items()}
    keys = level_keys(column)
    # An unseen level counts 0: the typical account.
    named = keys.map(levels).to_numpy(dtype=float, na_value=np.nan)
    return np.where(keys.isna().to_numpy(), np.nan, np.nan_to_num(named))


def log_odds_matrix(scorecard: Scorecard, metrics: pd.DataFrame) -> np.ndarray:
    """Per factor (column): log-odds of staying it adds, NaN where missing."""
    absent = [f.metric for f in scorecard.factors if f.metric not in metrics.columns]
    if absent:
        raise ScorecardInvalid(
            f"scorecard {scorecard.name!r} names metric(s) {', '.join(absent)} that "
            f"were not computed (computed: {', '.join(map(str, metrics.columns))}); "
            "fix the metric names in the scorecard"
        )
    columns = [factor_log_odds(f, metrics[f.metric]) for f in scorecard.factors]
    return np.column_stack(columns) if columns else np.empty((len(metrics), 0))


def log_odds_of_staying(scorecard: Scorecard, metrics: pd.DataFrame) -> np.ndarray:
    """intercept + the factors' log-odds, a missing value counting 0."""
    log_odds = log_odds_matrix(scorecard, metrics)
    return scorecard.intercept + np.nansum(log_odds, axis=1)


def coverage(scorecard: Scorecard, present: np.ndarray) -> np.ndarray:
    """Share of the scorecard's total |weight| whose factor has a value.

    With no weight at all (a blank scorecard) every factor counts equally.
    """
    importance = np.array([f.importance for f in scorecard.factors])
    if importance.sum() == 0:
        importance = np.ones_like(importance)
    # Counted from the missing side so that a complete account is exactly 1.0.
    missing = (~present).astype(float) @ importance / importance.sum()
    return np.clip(1.0 - missing, 0.0, 1.0)


def score_frame(scorecard: Scorecard, metrics: pd.DataFrame) -> pd.DataFrame:
    """Score every account (index = account id, columns = metric names).

    Returns status, score, band, churn_probability, coverage and one
    ``points.<metric>`` column per factor. ``score`` and ``churn_probability``
    are nullable (``pd.NA``, never NaN) where they are unknown.
    """
    log_odds = log_odds_matrix(scorecard, metrics)
    present = ~np.isnan(log_odds)
    log_odds = np.where(present, log_odds, 0.0)
    points = points_per_log_odds(scorecard) * log_odds

    covered = coverage(scorecard, present)
    sufficient = covered >= scorecard.minimum_coverage
    score = np.clip(scorecard.scale.base + points.sum(axis=1), 0.0, 100.0)
    probability = 1.0 - expit(scorecard.intercept + log_odds.sum(axis=1))
    knows_probability = sufficient & scorecard.knows_churn_rate

    columns: dict[str, Any] = {
        "status": pd.Categorical.from_codes((~sufficient).astype(np.int8), STATUSES),
        "score": pd.arrays.FloatingArray(score, ~sufficient),
        "band": pd.Categorical.from_codes(
            _band_codes(scorecard, score, sufficient), BANDS
        ),
        "churn_probability": pd.arrays.FloatingArray(probability, ~knows_probability),
        "coverage": covered,
    }
    for i, factor in enumerate(scorecard.factors):
        columns[f"points.{factor.metric}"] = points[:, i]
    return pd.DataFrame(columns, index=metrics.index)


def points_per_log_odds(scorecard: Scorecard) -> float:
    return scorecard.scale.points_to_double_odds / math.log(2)


def _band_codes(
    scorecard: Scorecard, score: np.ndarray, sufficient: np.ndarray
) -> np.ndarray:
    """Codes into BANDS: healthy at or above bands.healthy, at risk below at_risk."""
    bands = scorecard.bands
    codes = np.select([score >= bands.healthy, score < bands.at_risk], [0, 2], 1)
    return np.where(sufficient, codes, 3).astype(np.int8)


def contributions(
    scorecard: Scorecard, metrics_row: Mapping[str, Any], points_row: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """Per factor ``{value, points, missing}`` of one account, JSON-safe.

    ``metrics_row`` is the account's metrics, ``points_row`` its row of
    :func:`score_frame`. A value that cannot be scored (NaN, infinite, negative
    under log1p) is stored as ``None`` with ``missing: true``. For a whole
    portfolio use :func:`contributions_by_account`, which is vectorised.
    """
    metrics = pd.DataFrame(
        {f.metric: [metrics_row.get(f.metric)] for f in scorecard.factors},
        dtype=object,
    )
    points = pd.DataFrame({k: [v] for k, v in points_row.items()})
    return next(iter(contributions_by_account(scorecard, metrics, points).values()))


def contributions_by_account(
    scorecard: Scorecard, metrics: pd.DataFrame, scored: pd.DataFrame
) -> dict[Any, dict[str, dict[str, Any]]]:
    """:func:`contributions` for every account of :func:`score_frame`'s output."""
    present = ~np.isnan(log_odds_matrix(scorecard, metrics))
    per_factor = []
    for i, factor in enumerate(scorecard.factors):
        column = metrics[factor.metric]
        values = column.tolist()
        if column.dtype.kind not in "biuf":
            # Numbers come out of tolist as plain Python values already.
            values = [_plain(value) for value in values]
        points = scored[f"points.{factor.metric}"].to_numpy(dtype=float).tolist()
        known = present[:, i].tolist()
        per_factor.append(
            [
                {"value": v if k else None, "points": p, "missing": not k}
                for v, p, k in zip(values, points, known, strict=True)
            ]
        )
    names = [factor.metric for factor in scorecard.factors]
    rows = zip(*per_factor, strict=True)
    return {
        account: dict(zip(names, row, strict=True))
        for account, row in zip(metrics.index, rows, strict=True)
    }


def _plain(value: Any) -> Any:
    if type(value) in (float, int, str, bool):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def explain_change(
    current: Mapping[str, Any], previous: Mapping[str, Any] | None
) -> ScoreChange:
    """What changed since the previous score (last week's), largest movement first.

    Each argument is a stored score: ``{"score": float | None, "contributions":
    <what contributions() returned>}``. A factor the previous scorecard did not
    have counts from 0 points, with ``points_then`` None.
    """
    score_now = current.get("score")
    now = current.get("contributions") or {}
    if previous is None:
        return ScoreChange(None, score_now, None, [])
    score_then = previous.get("score")
    then = previous.get("contributions") or {}

    changes = []
    for factor in sorted(set(now) | set(then)):
        points_now = now[factor]["points"] if factor in now else None
        points_then = then[factor]["points"] if factor in then else None
        delta = (points_now or 0.0) - (points_then or 0.0)
        changes.append(FactorChange(factor, points_then, points_now, delta))
    changes.sort(key=lambda change: -abs(change.delta))

    both = score_now is not None and score_then is not None
    delta = score_now - score_then if both else None
    return ScoreChange(score_then, score_now, delta, changes)
