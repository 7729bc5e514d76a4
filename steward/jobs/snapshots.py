"""What the daily run keeps: score history rows and lifecycle moves."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from steward.jobs.milestones import JourneyOutcome
from steward.journeys.lifecycle import StageFacts, next_stage
from steward.metrics.catalogue import CATALOGUE
from steward.metrics.facts import AccountFacts, day_of, is_in
from steward.scoring.score import contributions_by_account
from steward.scoring.scorecard import Scorecard
from steward.store.models import Account, AuditEntry, LifecycleChange
from steward.store.upsert import insert_columns, update_columns


def health_rows(
    card: Scorecard,
    metrics: pd.DataFrame,
    scores: pd.DataFrame,
    ids: pd.Series,
    as_of: dt.date,
) -> dict[str, list[Any]]:
    """The ``health_scores`` rows of the scored accounts, JSON-safe (no NaN).

    As columns (name -> one value per account), for :func:`upsert_columns`:
    built a column at a time, not as a dict per account.
    """
    shown = [name for name in CATALOGUE if name in metrics.columns]
    metrics = metrics.loc[scores.index]
    parts = contributions_by_account(card, metrics, scores)
    numbers = metrics[shown].apply(pd.to_numeric, errors="coerce")
    numbers = numbers.astype("float64").round(6).to_numpy()
    values = [_finite(numbers[:, i]) for i in range(len(shown))]
    count = len(scores)
    return {
        "account_id": ids.reindex(scores.index).astype("int64").tolist(),
        "as_of": [as_of] * count,
        "status": scores["status"].astype(object).tolist(),
        "score": _rounded(scores["score"]),
        "band": scores["band"].astype(object).tolist(),
        "churn_probability": _rounded(scores["churn_probability"]),
        "scorecard": [card.name] * count,
        "scorecard_version": [card.version] * count,
        "contributions": list(parts.values()),
        "metrics": [dict(zip(shown, row, strict=True)) for row in _rows(values, count)],
    }


def _rows(columns: list[list[Any]], count: int) -> Any:
    return zip(*columns, strict=True) if columns else [()] * count


def _finite(column: np.ndarray) -> list[float | None]:
    return [value if math.isfinite(value) else None for value in column.tolist()]


def _rounded(column: pd.Series) -> list[float | None]:
    """Python's round to 6 places (as stored before); None where unknown."""
    numbers = pd.to_numeric(column, errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan
    )
    return [
        round(value, 6) if math.isfinite(value) else None for value in numbers.tolist()
    ]


def stage_changes(
    session: Session,
    facts: AccountFacts,
    live: pd.DataFrame,
    scores: pd.DataFrame,
    journeys: JourneyOutcome,
    as_of: dt.date,
    actor: str,
) -> int:
    """Apply the lifecycle rules; record every move with its reason."""
    renewal = _days_to_renewal(facts, as_of)
    outcomes = facts.outcomes
    churned = outcomes.loc[outcomes["kind"] == "churned", "account_id"]
    accounts = facts.accounts
    ids = accounts["account_id"]
    bands = ids.map(scores["band"]).astype(object)
    days = [None if pd.isna(day) else int(day) for day in ids.map(renewal)]
    per_account = zip(
        accounts["id"].tolist(),
        ids.tolist(),
        accounts["lifecycle_stage"].tolist(),
        is_in(ids, live.index).tolist(),
        is_in(ids, churned).tolist(),
        is_in(ids, list(journeys.open_accounts)).tolist(),
        bands.where(bands.notna(), None).tolist(),
        days,
        strict=True,
    )
    moves = []
    for (
        db_id,
        external_id,
        stage,
        is_live,
        gone,
        onboarding,
        band,
        to_renewal,
    ) in per_account:
        stage_facts = StageFacts(is_live, gone, onboarding, band, to_renewal)
        change = next_stage(stage, stage_facts)
        if change is not None:
            moves.append((int(db_id), external_id, stage, *change))
    _record_moves(session, moves, as_of, actor)
    return len(moves)


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


def _days_to_renewal(facts: AccountFacts, as_of: dt.date) -> pd.Series:
    """Days from ``as_of`` to the end of each account's current contract."""
    contracts = facts.contracts.assign(
        start=day_of(facts.contracts["start_date"]),
        end=day_of(facts.contracts["end_date"]),
    )
    today = (as_of - dt.date(1970, 1, 1)).days
    current = contracts[(contracts["start"] <= today) & (contracts["end"] >= today)]
    ends = current.groupby("account_id")["end"].max()
    return (ends - today).astype("int64")
