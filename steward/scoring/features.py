"""From training metrics to the model's design matrix, and from the model back
to scorecard factors.

A :class:`FeaturePlan` holds the choices that look at the metrics but never at
the outcomes (which metrics are categories, which are log-transformed, which
are grouped); an :class:`Encoder` holds the statistics learned on one slice of
training rows (means, standard deviations, levels), so each backtest
fold learns them from its own training rows only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from scipy.stats import skew

from steward.scoring.score import Z_LIMIT, level_keys, numeric_values, transform
from steward.scoring.scorecard import MAX_LOG_ODDS, Factor, Scorecard

SKEW_FOR_LOG = 1.0
GROUP_CORRELATION = 0.8


@dataclass(frozen=True)
class FeaturePlan:
    metrics: tuple[str, ...]
    categorical: frozenset[str]
    transforms: dict[str, str]
    # group name -> (metric, sign) pairs; signs align members with the first one
    groups: dict[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)

    @property
    def numeric(self) -> list[str]:
        return [m for m in self.metrics if m not in self.categorical]

    @property
    def grouped(self) -> dict[str, str]:
        return {m: name for name, members in self.groups.items() for m, _ in members}

    def without_group(self, name: str) -> FeaturePlan:
        return replace(self, groups={k: v for k, v in self.groups.items() if k != name})


def plan_features(current: Scorecard, features: pd.DataFrame) -> FeaturePlan:
    """Kinds, transforms and candidate groups, decided without looking at outcomes.

    A metric is a category when the current scorecard says so or its values are
    not numbers. A numeric metric is log1p-transformed when it is skewed
    (skewness > 1) and never negative. These choices are made once on all
    training rows, so a time-ordered backtest sees the later rows' spread (never
    their outcomes) when choosing them; per-fold choices would cost a refit each.
    """
    metrics = tuple(f.metric for f in current.factors)
    categorical = frozenset(
        f.metric
        for f in current.factors
        if f.kind == "category" or not _is_numeric(features[f.metric])
    )
    transforms = {}
    for metric in metrics:
        if metric in categorical:
            continue
        values = transform(numeric_values(features[metric]), "none")
        values = values[~np.isnan(values)]
        transforms[metric] = "log1p" if _skewed_counts(values) else "none"
    plan = FeaturePlan(metrics, categorical, transforms)
    return replace(plan, groups=_correlated_groups(plan, features))


def _skewed_counts(values: np.ndarray) -> bool:
    """Never negative and right-skewed; a yes/no flag is left as it is."""
    if values.size < 3 or values.min() < 0 or np.unique(values).size <= 2:
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(skew(values) > SKEW_FOR_LOG)


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)


def _correlated_groups(
    plan: FeaturePlan, features: pd.DataFrame
) -> dict[str, tuple[tuple[str, int], ...]]:
    """Clusters of numeric metrics whose every pair has |Spearman| >= 0.8."""
    numeric = plan.numeric
    if len(numeric) < 2:
        return {}
    values = pd.DataFrame({m: numeric_values(features[m]) for m in numeric})
    rho = values.corr(method="spearman").fillna(0.0).to_numpy()
    distance = np.clip(1.0 - np.abs(rho), 0.0, 2.0)
    np.fill_diagonal(distance, 0.0)
    # Complete linkage: a cluster cut at 0.2 has |rho| >= 0.8 for every pair.
    tree = linkage(squareform(distance, checks=False), method="complete")
    labels = fcluster(tree, t=1.0 - GROUP_CORRELATION, criterion="distance")

    groups = {}
    for label in sorted(set(labels)):
        members = [i for i, own in enumerate(labels) if own == label]
        if len(members) < 2:
            continue
        anchor = members[0]
        signed = tuple((numeric[i], 1 if rho[anchor, i] >= 0 else -1) for i in members)
        groups["+".join(numeric[i] for i in members)] = signed
    return groups


@dataclass
class Encoder:
    plan: FeaturePlan
    means: dict[str, float]
    stds: dict[str, float]
    group_stats: dict[str, tuple[float, float]]
    levels: dict[str, list[str]]
    level_shares: dict[str, np.ndarray]

    def design(self, features: pd.DataFrame) -> np.ndarray:
        """Ungrouped numeric z, then one column per group, then one-hot levels."""
        z = {m: self._z(m, features[m]) for m in self.plan.numeric}
        grouped = self.plan.grouped
        columns = [z[m] for m in self.plan.numeric if m not in grouped]
        for name in self.plan.groups:
            mean, std = self.group_stats[name]
            columns.append((self._group_average(name, z) - mean) / std)
        for metric in self.plan.metrics:
            if metric in self.plan.categorical:
                columns.extend(self._one_hot(metric, features[metric]).T)
        return np.column_stack(columns) if columns else np.empty((len(features), 0))

    def _z(self, metric: str, column: pd.Series) -> np.ndarray:
        values = transform(numeric_values(column), self.plan.transforms[metric])
        # A missing value is the training mean (z = 0): 0 points, as scoring
        # gives it.
        values = np.where(np.isnan(values), self.means[metric], values)
        z = (values - self.means[metric]) / self.stds[metric]
        return np.clip(z, -Z_LIMIT, Z_LIMIT)

    def _group_average(self, name: str, z: dict[str, np.ndarray]) -> np.ndarray:
        members = self.plan.groups[name]
        return sum(sign * z[metric] for metric, sign in members) / len(members)

    def _one_hot(self, metric: str, column: pd.Series) -> np.ndarray:
        keys = level_keys(column)
        codes = pd.Index(self.levels[metric], dtype=object).get_indexer(keys)
        # A missing or unseen level is the training mix of levels: once the
        # levels are centred that is 0 points, as scoring gives it.
        one_hot = np.tile(self.level_shares[metric], (len(column), 1))
        known = np.flatnonzero(codes >= 0)
        one_hot[known] = 0.0
        one_hot[known, codes[known]] = 1.0
        return one_hot

    def factors(
        self, coef: np.ndarray, intercept: float, current: Scorecard
    ) -> tuple[list[Factor], float]:
        """Scorecard factors and intercept from churn-model coefficients.

        The model predicts churning; a scorecard weight is the log-odds of
        staying, hence the sign flips. Category levels are centred on their
        training shares and the shift moves into the intercept. A missing value
        scores 0 points: the training mean, or the mix of levels, which is
        what fitting filled it with.
        """
        weights = dict(zip(self._column_names(), -np.asarray(coef), strict=True))
        stay_intercept = -float(intercept)
        made = {}
        for name, members in self.plan.groups.items():
            mean, std = self.group_stats[name]
            stay_intercept -= weights[name] * mean / std
            for metric, sign in members:
                share = weights[name] * sign / (len(members) * std)
                made[metric] = self._number(metric, share, group=name)
        for metric in self.plan.metrics:
            if metric in self.plan.categorical:
                levels = np.array([weights[(metric, lv)] for lv in self.levels[metric]])
                centre = float(self.level_shares[metric] @ levels) if levels.size else 0
                stay_intercept += centre
                made[metric] = Factor(
                    metric=metric,
                    kind="category",
                    levels={
                        lv: _weight(w - centre)
                        for lv, w in zip(self.levels[metric], levels, strict=True)
                    },
                )
            elif metric not in made:
                made[metric] = self._number(metric, weights[metric], group=None)
        labels = {f.metric: f.label for f in current.factors}
        ordered = [
            made[m].model_copy(update={"label": labels[m]}) for m in self.plan.metrics
        ]
        return ordered, _round(stay_intercept)

    def _number(self, metric: str, weight: float, group: str | None) -> Factor:
        return Factor(
            metric=metric,
            kind="number",
            transform=self.plan.transforms[metric],
            mean=_round(self.means[metric]),
            std=_round(self.stds[metric]),
            weight=_weight(weight),
            group=group,
        )

    def _column_names(self) -> list[str | tuple[str, str]]:
        grouped = self.plan.grouped
        names: list[str | tuple[str, str]] = [
            m for m in self.plan.numeric if m not in grouped
        ]
        names.extend(self.plan.groups)
        for metric in self.plan.metrics:
            if metric in self.plan.categorical:
                names.extend((metric, level) for level in self.levels[metric])
        return names


def fit_encoder(plan: FeaturePlan, features: pd.DataFrame) -> Encoder:
    """Learn means, standard deviations and levels from training rows."""
    means, stds = {}, {}
    for metric in plan.numeric:
        values = transform(numeric_values(features[metric]), plan.transforms[metric])
        observed = values[~np.isnan(values)]
        with np.errstate(over="ignore", invalid="ignore"):
            std = float(observed.std()) if observed.size else 0.0
        means[metric] = centre_of(observed)
        # A constant metric carries no signal; std 1 keeps its z at 0, not 0/0.
        stds[metric] = std if std > 0 and math.isfinite(std) else 1.0

    levels, shares = {}, {}
    for metric in plan.categorical:
        counts = level_keys(features[metric]).dropna().value_counts()
        counts = counts.sort_index()
        levels[metric] = [str(level) for level in counts.index]
        total = counts.sum()
        shares[metric] = counts.to_numpy(dtype=float) / total if total else np.ones(0)

    encoder = Encoder(plan, means, stds, {}, levels, shares)
    z = {m: encoder._z(m, features[m]) for m in plan.numeric}
    for name in plan.groups:
        average = encoder._group_average(name, z)
        std = float(average.std())
        encoder.group_stats[name] = (float(average.mean()), std if std > 0 else 1.0)
    return encoder


def centre_of(observed: np.ndarray) -> float:
    """What a metric is standardised around, and what fills its missing
    values: the mean of its (transformed) observed values, 0 for none."""
    if not observed.size:
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        mean = float(observed.mean())
    # Values near the float limit overflow the mean; the median still holds.
    return mean if math.isfinite(mean) else median_of(observed)


def median_of(values: np.ndarray) -> float:
    """The median, 0 for no values; halves added so 1e308s do not overflow."""
    if not values.size:
        return 0.0
    low, high = (values.size - 1) // 2, values.size // 2
    ordered = np.partition(values, [low, high])
    return float(ordered[low] / 2 + ordered[high] / 2)


def _weight(value: float) -> float:
    return _round(float(np.clip(value, -MAX_LOG_ODDS, MAX_LOG_ODDS)))


def _round(value: float) -> float:
    """Six significant digits: what a person reads in the YAML is what scores."""
    return float(f"{value:.6g}")
