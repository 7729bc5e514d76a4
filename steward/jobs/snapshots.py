"""What the daily run keeps: score history rows and lifecycle moves."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy.orm import Session

from steward.jobs.milestones import JourneyOutcome
from steward.journeys.lifecycle import StageColumns, next_stages
from steward.metrics.catalogue import CATALOGUE, day_number
from steward.metrics.facts import AccountFacts, is_in
from steward.scoring.details import expansion_columns, health_columns
from steward.scoring.score import log_odds_matrix
from steward.scoring.scorecard import Scorecard
from steward.store.models import Account, AuditEntry, LifecycleChange
from steward.store.upsert import insert_columns, update_columns


def score_rows(
    card: Scorecard,
    metrics: pd.DataFrame,
    scores: pd.DataFrame,
    ids: pd.Series,
    as_of: dt.date,
    expansion: pd.DataFrame | None = None,
) -> tuple[dict[str, list[Any]], dict[str, pa.Array]]:
    """The scored accounts' ``health_scores`` rows, as columns (no NaN), and
    the columns of their explanations (:mod:`steward.scoring.details`).

    ``expansion`` is the playbook step's readiness by account database id.
    """
    metrics = metrics.loc[scores.index]
    db_ids = ids.reindex(scores.index).astype("int64")
    count = len(scores)
    if expansion is None:
        expansion = pd.DataFrame({"score": np.full(count, np.nan)})
    ready = expansion.reindex(db_ids.to_numpy())
    rows = {
        "as_of": [as_of] * count,
        "account_id": db_ids.tolist(),
        "status": scores["status"].astype(object).tolist(),
        "score": _rounded(scores["score"]),
        "band": scores["band"].astype(object).tolist(),
        "churn_probability": _rounded(scores["churn_probability"]),
        "scorecard": [card.name] * count,
        "scorecard_version": [card.version] * count,
        "expansion": _rounded(ready["score"]),
    }
    factors = [factor.metric for factor in card.factors]
    present = ~np.isnan(log_odds_matrix(card, metrics))
    shown = [name for name in CATALOGUE if name in metrics.columns]
    details = health_columns(factors, metrics, scores, present, shown)
    keys = [name[len("value.") :] for name in ready if name.startswith("value.")]
    if keys:
        values = ready[[f"value.{key}" for key in keys]].set_axis(keys, axis=1)
        points = ready[[f"points.{key}" for key in keys]].set_axis(keys, axis=1)
        details.update(expansion_columns(keys, values, points.fillna(0.0)))
    return rows, details


def _rounded(column: pd.Series) -> list[float | None]:
    """Rounded to 6 places; None where unknown or not finite."""
    numbers = pd.to_numeric(column, errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    values = np.round(numbers, 6).astype(object)
    values[~np.isfinite(numbers)] = None
    return values.tolist()


def stage_changes(
    session: Session,
    facts: AccountFacts,
    live: np.ndarray,
    scores: pd.DataFrame,
    journeys: JourneyOutcome,
    as_of: dt.date,
    actor: str,
) -> int:
    """Apply the lifecycle rules; record every move with its reason.

    ``live`` says which of ``facts.accounts`` are live; ``scores`` are the
    live accounts' scores, in that order.
    """
    accounts = facts.accounts
    ids = accounts["account_id"]
    outcomes, contracts = facts.outcomes, facts.contracts
    # A churn is recorded as an outcome, or as a contract closed as churned.
    churned = pd.concat(
        [
            outcomes.loc[outcomes["kind"] == "churned", "account_id"],
            contracts.loc[contracts["outcome"] == "churned", "account_id"],
        ]
    )
    band = np.full(len(accounts), None, dtype=object)
    band[live] = scores["band"].astype(object).to_numpy()
    current = accounts["lifecycle_stage"].to_numpy(dtype=object)
    moves = next_stages(
        current,
        StageColumns(
            live=live,
            churned=is_in(ids, churned),
            onboarding_open=is_in(ids, list(journeys.open_accounts)),
            band=band,
            days_to_renewal=facts.renewal_days(day_number(as_of)) - day_number(as_of),
        ),
    )
    moved = moves.moved
    rows = list(
        zip(
            accounts["id"].to_numpy()[moved].astype(int).tolist(),
            ids.to_numpy(dtype=object)[moved].tolist(),
            current[moved].tolist(),
            moves.stage[moved].tolist(),
            moves.reason[moved].tolist(),
            strict=True,
        )
    )
    _record_moves(session, rows, as_of, actor)
    return len(rows)


def _record_moves(
    session: Session,
    moves: list[tuple[int, str, str, str, str]],
    as_of: dt.date,
    actor: str,
) -> None:
    """Bulk writes: the first run over a large book may move every account.

    ``moves`` are (database id, external id, from stage, to stage, reason).
    """
    if not moves:
        return
    db_ids, external_ids, before, after, reasons = map(list, zip(*moves, strict=True))
    count = len(moves)
    update_columns(
        session,
        Account.__table__,
        "id",
        {"id": db_ids, "lifecycle_stage": after},
    )
    insert_columns(
        session,
        LifecycleChange.__table__,
        {
            "account_id": db_ids,
            "from_stage": before,
            "stage": after,
            "changed_on": [as_of] * count,
            "changed_by": [actor] * count,
            "reason": reasons,
        },
    )
    insert_columns(
        session,
        AuditEntry.__table__,
        {
            "actor": [actor] * count,
            "action": ["lifecycle.changed"] * count,
            "entity": ["account"] * count,
            "entity_id": external_ids,
            "detail": [
                {"from": old, "to": new, "why": why}
                for old, new, why in zip(before, after, reasons, strict=True)
            ],
        },
    )
