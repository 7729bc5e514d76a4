"""What a playbook sees of one account on one day: plain values, no store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True)
class ContactInfo:
    name: str | None
    email: str
    role: str | None
    title: str | None

    @property
    def first_name(self) -> str:
        return (self.name or "").split(" ")[0] or "there"


# Not frozen, for the reason AccountState is not: the journey states of a
# large book are tens of thousands of these a day.
@dataclass(slots=True)
class MilestoneFact:
    journey: str
    key: str
    title: str
    position: int
    started_on: dt.date
    due_on: dt.date
    achieved_on: dt.date | None
    status: str
    # Business days late: so far if not reached, when reached otherwise.
    overdue_business_days: int


@dataclass(frozen=True)
class Dated:
    """Something that happened on a day: an NPS answer, an incident, a tag change."""

    id: str
    on: dt.date
    kind: str
    value: Any = None


# Not frozen: a frozen dataclass sets each of these fields through
# object.__setattr__, which is most of the cost of a day at 100,000 accounts.
# Nothing changes a state once it is built; dry runs use dataclasses.replace.
@dataclass(slots=True)
class AccountState:
    id: int
    external_id: str
    name: str
    industry: str | None = None
    country: str | None = None
    tier: str | None = None
    coverage: str | None = None
    segment: str | None = None
    stage: str = "contract_signed"
    arr: float | None = None
    seats: float | None = None
    csm_id: int | None = None
    ae_id: int | None = None
    csm: Person | None = None
    ae: Person | None = None
    tags: frozenset[str] = frozenset()
    tag_added_on: Mapping[str, dt.date] = field(default_factory=dict)
    started_on: dt.date | None = None
    renewal_on: dt.date | None = None
    health: float | None = None
    band: str | None = None
    previous_health: float | None = None
    previous_band: str | None = None
    expansion: float | None = None
    previous_expansion: float | None = None
    # The first day of the account's current run of scores in ``band``.
    band_since: dt.date | None = None
    metrics: Mapping[str, float | None] = field(default_factory=dict)
    milestones: tuple[MilestoneFact, ...] = ()
    nps: tuple[Dated, ...] = ()
    incidents: tuple[Dated, ...] = ()
    tag_changes: tuple[Dated, ...] = ()
    contacts: tuple[ContactInfo, ...] = ()

    def template_view(self) -> dict[str, Any]:
        """The account as templates see it (``{{ account.name }}``)."""
        return {
            "id": self.external_id,
            "name": self.name,
            "industry": self.industry,
            "country": self.country,
            "tier": self.tier,
            "coverage": self.coverage,
            "segment": self.segment,
            "stage": self.stage,
            "arr": self.arr,
            "seats": self.seats,
            "tags": sorted(self.tags),
            "started_on": self.started_on,
            "renewal_on": self.renewal_on,
            "health": self.health,
            "band": self.band,
            "expansion": self.expansion,
            "metrics": dict(self.metrics),
        }

    def inputs(self) -> dict[str, Any]:
        """What the run log keeps of the account: the values conditions read."""
        view = self.template_view()
        view["previous_health"] = self.previous_health
        view["previous_band"] = self.previous_band
        view["previous_expansion"] = self.previous_expansion
        return {key: _plain(value) for key, value in view.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, float):
        return round(value, 4)
    return value
