"""Account states from plain frames: shared by the daily run and the dry run.

Pure: the frames come from the store and the day's results (daily run) or
from history (dry run); this only joins them into :class:`AccountState`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
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


class Row(Mapping[str, Any]):
    """One row of a frame as a read-only mapping, without copying it.

    A book of 100,000 accounts gets one of these per account per day; most
    are never read, so building a dict for each would be wasted work.
    """

    __slots__ = ("_columns", "_position")

    def __init__(self, columns: Mapping[str, Sequence[Any]], position: int) -> None:
        self._columns = columns
        self._position = position

    def __getitem__(self, key: str) -> Any:
        return _plain(self._columns[key][self._position])

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)


_EMPTY: Mapping[str, Any] = {}


def _rows(frame: pd.DataFrame) -> Callable[[int], Mapping[str, Any]]:
    """Account id -> its row of ``frame`` (an empty mapping if absent)."""
    columns = {name: frame[name].to_numpy(dtype=object) for name in frame.columns}
    where = {int(key): position for position, key in enumerate(frame.index)}

    def row(account_id: int) -> Mapping[str, Any]:
        position = where.get(account_id)
        return _EMPTY if position is None else Row(columns, position)

    return row


def assemble(
    inputs: Inputs, rubric: TierRubric, only: Collection[int] | None = None
) -> list[AccountState]:
    """One state per row of ``inputs.accounts`` (of those with an id in
    ``only``, if given), in its order.

    Columns are cleaned whole (NaN to None, numbers to floats) and zipped,
    so the per-account cost is little more than building the state.
    """
    accounts = inputs.accounts
    if only is not None:
        accounts = accounts[accounts.index.isin(list(only))]
    ids = [int(key) for key in accounts.index]
    scores = inputs.scores.reindex(index=accounts.index, columns=list(SCORE_COLUMNS))
    chosen = inputs.metrics
    if only is not None:
        chosen = chosen[chosen.index.isin(accounts.index)]
    metrics = _rows(chosen)
    tiers = tiers_of(accounts, rubric)
    people, tags = inputs.people, inputs.tags
    none: dict[str, dt.date] = {}
    columns = zip(
        ids,
        texts(accounts["external_id"]),
        texts(accounts["name"]),
        texts(accounts["industry"]),
        texts(accounts["country"]),
        tiers,
        texts(accounts["coverage"]),
        texts(accounts["segment"]),
        texts(accounts["stage"]),
        _numbers(accounts["arr"]),
        _numbers(accounts["seats"]),
        _ids(accounts["csm_id"]),
        _ids(accounts["ae_id"]),
        _days(accounts["started_on"]),
        _days(accounts["renewal_on"]),
        _numbers(scores["health"]),
        texts(scores["band"]),
        _numbers(scores["previous_health"]),
        texts(scores["previous_band"]),
        _numbers(scores["expansion"]),
        _numbers(scores["previous_expansion"]),
        _days(scores["band_since"]),
        strict=True,
    )
    states = []
    for (
        account_id,
        external_id,
        name,
        industry,
        country,
        tier,
        coverage,
        segment,
        stage,
        arr,
        seats,
        csm_id,
        ae_id,
        started_on,
        renewal_on,
        health,
        band,
        previous_health,
        previous_band,
        expansion,
        previous_expansion,
        band_since,
    ) in columns:
        added = tags.get(account_id, none)
        states.append(
            AccountState(
                id=account_id,
                external_id=external_id or "",
                name=name or "",
                industry=industry,
                country=country,
                tier=tier,
                coverage=coverage,
                segment=segment,
                stage=stage or "contract_signed",
                arr=arr,
                seats=seats,
                csm_id=csm_id,
                ae_id=ae_id,
                csm=people.get(csm_id) if csm_id is not None else None,
                ae=people.get(ae_id) if ae_id is not None else None,
                tags=frozenset(added),
                tag_added_on=added,
                started_on=started_on,
                renewal_on=renewal_on,
                health=health,
                band=band,
                previous_health=previous_health,
                previous_band=previous_band,
                expansion=expansion,
                previous_expansion=previous_expansion,
                band_since=band_since,
                metrics=metrics(account_id),
                milestones=inputs.milestones.get(account_id, ()),
                nps=inputs.nps.get(account_id, ()),
                incidents=inputs.incidents.get(account_id, ()),
                tag_changes=inputs.tag_changes.get(account_id, ()),
                contacts=inputs.contacts.get(account_id, ()),
            )
        )
    return states


def tiers_of(accounts: pd.DataFrame, rubric: TierRubric) -> list[str]:
    """The stored tier, else the rubric's."""
    stored = texts(accounts["tier"])
    seats = pd.to_numeric(accounts["seats"], errors="coerce")
    many = (seats > rubric.tier_1_seats_above).fillna(False).to_numpy(dtype=bool)
    custom = accounts["custom_integrations"].fillna(False).to_numpy(dtype=bool)
    first = many | (custom & rubric.tier_1_if_custom_integrations)
    return [
        tier or (rubric.tier_1 if big else rubric.tier_2)
        for tier, big in zip(stored, first.tolist(), strict=True)
    ]


def texts(column: pd.Series) -> list[str | None]:
    values = column.astype(object).where(column.notna(), None).tolist()
    return [None if value is None or value == "" else str(value) for value in values]


def _numbers(column: pd.Series) -> list[float | None]:
    numbers = pd.to_numeric(column, errors="coerce").astype("float64").to_numpy()
    return [None if value != value else value for value in numbers.tolist()]


def _ids(column: pd.Series) -> list[int | None]:
    return [None if value is None else int(value) for value in _numbers(column)]


def _days(column: pd.Series) -> list[dt.date | None]:
    # Most values are plain dates already (a datetime is a date too, so by type).
    date = dt.date
    return [v if type(v) is date else _day(v) for v in column.tolist()]


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str | dt.date):
        return value.item()
    return value


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
