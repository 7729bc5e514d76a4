"""What the API reads and writes: request and response bodies."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field

from steward.api.inputs import In

# Ids are 32-bit on PostgreSQL and fit SQLite's integers: anything larger is
# refused as invalid rather than reaching the database.
ID_MAX = 2**31 - 1
PathId = Annotated[int, Path(ge=1, le=ID_MAX)]
QueryId = Annotated[int | None, Query(ge=1, le=ID_MAX)]


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class AccountOut(Out):
    external_id: str
    name: str
    band: str | None
    score: float | None
    tier: str | None
    coverage: str | None
    csm: str | None
    stage: str
    arr: float | None
    renewal_on: dt.date | None


class AccountPage(BaseModel):
    items: list[AccountOut]
    next_offset: int | None = Field(
        description="Pass as offset for the next page; null on the last page"
    )


class FactorOut(Out):
    metric: str
    label: str
    value: float | str | None
    points: float
    missing: bool
    change: float | None


class ScoreOut(Out):
    as_of: dt.date
    score: float | None
    band: str
    status: str
    churn_probability: float | None


class MilestoneOut(Out):
    journey: str
    milestone: str
    due_on: dt.date
    achieved_on: dt.date | None
    status: str
    days_to_value: int | None
    overdue_business_days: int


class ContactOut(Out):
    name: str | None
    email: str | None
    role: str | None
    title: str | None


class ContractOut(Out):
    external_id: str
    start_date: dt.date
    end_date: dt.date | None
    arr: float | None
    seats: int | None
    outcome: str | None


class NpsOut(Out):
    score: int
    comment: str | None
    responded_at: dt.datetime


class TicketOut(Out):
    external_id: str
    subject: str | None
    priority: str | None
    status: str | None
    opened_at: dt.datetime
    escalated: bool


class TaskOut(Out):
    id: int
    account: str | None = Field(description="The account's external id")
    title: str
    body: str | None
    kind: str
    due_on: dt.date | None
    status: str
    priority: str
    assignee: str | None = Field(description="The assignee's email")
    role: str | None
    snoozed_until: dt.date | None
    completed_at: dt.datetime | None


class AccountDetailOut(BaseModel):
    external_id: str
    name: str
    industry: str | None
    country: str | None
    tier: str | None
    coverage: str | None
    csm: str | None
    stage: str
    arr: float | None
    renewal_on: dt.date | None
    tags: list[str]
    score: ScoreOut | None
    previous_score: ScoreOut | None
    factors: list[FactorOut]
    history: list[ScoreOut]
    milestones: list[MilestoneOut]
    open_tasks: list[TaskOut]
    contacts: list[ContactOut]
    contracts: list[ContractOut]
    nps: list[NpsOut]
    tickets: list[TicketOut]


class TimelineItemOut(Out):
    at: dt.datetime
    kind: str
    title: str
    body: str | None
    who: str | None
    categories: list[str]


class UsageDayOut(Out):
    day: dt.date
    events: int
    active_users: int


class NoteIn(In):
    body: str = Field(min_length=1, max_length=20_000)
    kind: str = "note"
    categories: list[str] = Field(default_factory=list, max_length=20)


class NoteOut(Out):
    id: int
    kind: str
    body: str
    categories: list[str]
    created_at: dt.datetime


class StageIn(In):
    stage: str
    reason: str = Field("", max_length=500)


class TagIn(In):
    tag: str = Field(min_length=1, max_length=100)


class TagsOut(BaseModel):
    stage: str
    tags: list[str]


class SnoozeIn(In):
    until: dt.date


class ReassignIn(In):
    assignee_id: int = Field(ge=1, le=ID_MAX)


class CommentIn(In):
    body: str = Field(min_length=1, max_length=5_000)


class CommentOut(Out):
    id: int
    task_id: int
    body: str
    created_at: dt.datetime


class PortfolioOut(BaseModel):
    as_of: dt.date | None
    accounts: int
    by_band: dict[str, int]
    by_tier: dict[str, dict[str, int]]
    arr_at_risk: float
    renewals_due: int
    renewals_arr: float
    distribution: list[int]
    trend: list[dict[str, Any]]
    overdue_tasks: int


class UserOut(Out):
    id: int
    email: str
    name: str
    role: str
    is_active: bool


class UserIn(In):
    email: str = Field(max_length=320)
    name: str = Field(max_length=200)
    role: str
    password: str = Field(max_length=1000)


class UserPatch(In):
    role: str | None = None
    active: bool | None = None


class TokenIn(In):
    user_id: int = Field(ge=1, le=ID_MAX)
    name: str = Field(min_length=1, max_length=100)


class TokenOut(Out):
    id: int
    name: str
    prefix: str
    user_id: int
    created_at: dt.datetime
    created_by: str
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenIssued(TokenOut):
    token: str = Field(description="The secret; shown only in this response")
