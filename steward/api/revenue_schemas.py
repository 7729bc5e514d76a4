"""Request and response bodies of renewals, reports, capacity and benchmarks."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from steward.api.inputs import In


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class RenewalOut(Out):
    contract: str
    account: str
    name: str
    csm: str | None
    tier: str | None
    coverage: str | None
    ends_on: dt.date
    days_left: int
    arr: float | None
    billing_period: str | None
    auto_renew: bool | None
    health: float | None
    band: str | None
    churn_probability: float | None
    expansion: float | None = Field(description="Expansion readiness 0-100")
    outcome: str | None
    new_arr: float | None
    renewal_risk: float | None = Field(
        description="The chance this renewal is lost: the churn probability "
        "calibrated on past renewals, or spread over a term shorter than the "
        "horizon; null where the churn probability is used as it is"
    )
    risk_basis: Literal["calibrated", "per_term"] | None = Field(
        description="How renewal_risk was found"
    )


class WindowOut(Out):
    days: int
    contracts: int
    arr: float
    decided_arr: float
    scored_arr: float
    expected_arr: float = Field(
        description="Decided at their new ARR, others at ARR x (1 - renewal risk, "
        "or churn probability without a calibration)"
    )
    unscored_arr: float


class RenewalsOut(BaseModel):
    as_of: dt.date
    within_days: int
    renewals: list[RenewalOut]
    forecast: list[WindowOut]
    basis: str = Field(description="What expected_arr is weighted by, in a sentence")


class OutcomeIn(In):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["renewed", "expanded", "contracted", "churned"]
    closed_on: dt.date | None = Field(None, description="Default: today")
    new_arr: float | None = Field(None, ge=0)
    reason: str | None = Field(None, max_length=100)
    next_term: bool = Field(
        True, description="Open the next term as a contract (false: the CRM does)"
    )


class OutcomeOut(Out):
    contract: str
    outcome: str
    closed_on: dt.date
    arr: float | None
    new_arr: float
    reason: str | None
    ends_on: dt.date | None
    next_contract: str | None


class ColumnOut(BaseModel):
    key: str
    label: str
    kind: str


class ReportOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    report: str
    title: str
    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")
    by: str | None
    columns: list[ColumnOut]
    rows: list[dict[str, Any]]
    notes: list[str]


class CsmLoadOut(Out):
    id: int
    name: str
    capacity: float = Field(description="Hours a month")
    accounts: int
    hours: float = Field(description="Planned hours a month of their accounts")
    arr: float
    over: bool
    proposed_accounts: int = Field(description="Accounts after the proposed moves")
    proposed_hours: float = Field(
        description="Hours a month after the moves; accounts no CSM can take stay"
    )


class MoveOut(Out):
    account: str
    name: str
    hours: float
    from_csm: str | None
    to_csm: str


class AccountNeedOut(Out):
    account: str
    name: str
    coverage: str | None
    hours: float
    arr: float | None
    csm: str | None


class CapacityOut(Out):
    loads: list[CsmLoadOut]
    moves: list[MoveOut]
    unplaced: list[AccountNeedOut]
    notes: list[str]


class EffortIn(In):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="Your id for this entry: sent again, it is not counted twice",
    )
    hours: float = Field(gt=0, le=24)
    worked_on: dt.date | None = Field(None, description="Default: today")
    csm_email: str | None = Field(None, max_length=320)
    activity: str | None = Field(None, max_length=40)
    note: str | None = Field(None, max_length=5000)


class EffortOut(BaseModel):
    id: int
    account: str
    csm: str | None
    worked_on: dt.date
    hours: float
    activity: str | None
    note: str | None
    source: str


class StandingOut(Out):
    metric: str
    label: str
    value: float
    peers: int
    peer_median: float
    percentile: float
    better_than: float


class BenchmarkOut(Out):
    account: str
    name: str
    industry: str | None
    size_band: str | None
    peer_group: str
    peers: int
    as_of: dt.date | None
    standings: list[StandingOut]
