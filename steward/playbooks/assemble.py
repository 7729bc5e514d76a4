"""Account states from plain frames: shared by the daily run and the dry run.

Pure: the frames come from the store and the day's results (daily run) or
from history (dry run); this only joins them into :class:`AccountState`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from steward.playbooks.settings import TierRubric
from steward.playbooks.state import (
    AccountState,
    ContactInfo,
    Dated,
    MilestoneFact,
    Person,
)

# The columns of ``Inputs.scores``; missing ones count as unknown.
SCORE_COLUMNS = (
    "health",
    "band",
    "previous_health",
    "previous_band",
    "expansion",
    "previous_expansion",
    "band_since",
)


@dataclass
class Inputs:
    """Everything a day's account states are made of, by account database id.

    ``accounts`` is indexed by id with external_id, name, industry, country,
    tier, coverage, segment, stage, arr, seats, csm_id, ae_id,
    custom_integrations, started_on and renewal_on; ``metrics`` and
    ``scores`` are indexed by id too.
    """

    accounts: pd.DataFrame
    metrics: pd.DataFrame
    scores: pd.DataFrame
    people: Mapping[int, Person] = field(default_factory=dict)
    tags: Mapping[int, Mapping[str, dt.date]] = field(default_factory=dict)
    milestones: Mapping[int, tuple[MilestoneFact, ...]] = field(default_factory=dict)
    nps: Mapping[int, tuple[Dated, ...]] = field(default_factory=dict)
    incidents: Mapping[int, tuple[Dated, ...]] = field(default_factory=dict)
    tag_changes: Mapping[int, tuple[Dated, ...]] = field(default_factory=dict)
    contacts: Mapping[int, tuple[ContactInfo, ...]] = field(default_factory=dict)


def assemble(inputs: Inputs, rubric: TierRubric) -> list[AccountState]:
    """One state per row of ``inputs.accounts``, in its order."""
    metrics = _records(inputs.metrics)
    scores = _records(inputs.scores.reindex(columns=list(SCORE_COLUMNS)))
    states = []
    for row in inputs.accounts.itertuples():
        account_id = int(row.Index)
        score = scores.get(account_id, {})
        tags = inputs.tags.get(account_id, {})
        seats = _number(row.seats)
        states.append(
            AccountState(
                id=account_id,
                external_id=row.external_id,
                name=row.name,
                industry=_text(row.industry),
                country=_text(row.country),
                tier=rubric.tier(_text(row.tier), seats, bool(row.custom_integrations)),
                coverage=_text(row.coverage),
                segment=_text(row.segment),
                stage=row.stage,
                arr=_number(row.arr),
                seats=seats,
                csm_id=_id(row.csm_id),
                ae_id=_id(row.ae_id),
                csm=inputs.people.get(_id(row.csm_id) or -1),
                ae=inputs.people.get(_id(row.ae_id) or -1),
                tags=frozenset(tags),
                tag_added_on=dict(tags),
                started_on=_day(row.started_on),
                renewal_on=_day(row.renewal_on),
                health=_number(score.get("health")),
                band=_text(score.get("band")),
                previous_health=_number(score.get("previous_health")),
                previous_band=_text(score.get("previous_band")),
                expansion=_number(score.get("expansion")),
                previous_expansion=_number(score.get("previous_expansion")),
                band_since=_day(score.get("band_since")),
                metrics=metrics.get(account_id, {}),
                milestones=inputs.milestones.get(account_id, ()),
                nps=inputs.nps.get(account_id, ()),
                incidents=inputs.incidents.get(account_id, ()),
                tag_changes=inputs.tag_changes.get(account_id, ()),
                contacts=inputs.contacts.get(account_id, ()),
            )
        )
    return states


def _records(frame: pd.DataFrame) -> dict[int, dict[str, Any]]:
    if frame.empty:
        return {}
    clean = frame.astype(object).where(frame.notna(), None)
    return {
        int(key): {name: _plain(value) for name, value in row.items()}
        for key, row in clean.to_dict("index").items()
    }


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str | dt.date):
        return value.item()
    return value


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value)
    return text or None


def _id(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def _day(value: Any) -> dt.date | None:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, float) and math.isnan(value):
        return None
    return dt.date.fromisoformat(str(value))
