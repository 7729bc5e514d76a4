"""Response bodies of playbooks, their runs, dry runs and the outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from steward.api.inputs import In


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PlaybookOut(Out):
    name: str
    file: str = Field(description="The file's name in config/playbooks")
    origin: str = Field(description="built-in, 'built-in, edited' or team")
    description: str
    enabled: bool
    valid: bool = Field(description="Whether `steward playbook check` passes")
    problem: str | None = Field(description="What `steward playbook check` says")
    trigger: str
    actions: list[str]
    runs: int
    last_fired: dt.date | None


class RunOut(Out):
    id: int
    as_of: dt.date
    playbook: str
    account: str | None
    account_name: str | None
    trigger: str
    occurrence: str = Field(description="Fires once per occurrence key")
    actor: str
    inputs: dict[str, Any] = Field(description="What the playbook saw")
    actions: list[dict[str, Any]] = Field(description="What each action did")


class PlaybookDetailOut(PlaybookOut):
    source: str = Field(description="The playbook file as written")
    conditions: dict[str, Any]
    steps: list[str] = Field(description="Each action in words")
    recent_runs: list[RunOut]


class WeekOut(BaseModel):
    week_ending: dt.date
    fired: int
    accounts: int
    tasks: int
    emails: int
    slack: int
    webhooks: int
    changes: int
    csm_hours: float


class TotalsOut(BaseModel):
    fired: int
    tasks: int
    emails: int
    slack: int
    webhooks: int
    changes: int
    csm_hours: float


class FiringOut(BaseModel):
    day: dt.date
    account: str
    name: str
    occurrence: str
    facts: dict[str, Any]


class DryRunOut(BaseModel):
    playbook: str
    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")
    weeks: list[WeekOut]
    totals: TotalsOut
    notes: list[str]
    firings: list[FiringOut] = Field(description="With detail=true only")
    hidden_firings: int = Field(
        description="Firings on accounts outside the caller's book, not listed"
    )

    model_config = ConfigDict(populate_by_name=True)


class MessageOut(Out):
    id: int
    channel: str
    target: str
    subject: str | None
    status: str
    attempts: int
    last_error: str | None
    account: str | None
    playbook_run_id: int | None
    created_at: dt.datetime
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None


class MessageDetailOut(MessageOut):
    idempotency_key: str
    payload: dict[str, Any]


class OutboxOut(BaseModel):
    counts: dict[str, int] = Field(description="Messages per status")
    messages: list[MessageOut]


class EmailEventIn(In):
    model_config = ConfigDict(extra="forbid")

    address: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    kind: Literal["reply", "unsubscribe"]
    on: dt.date | None = Field(None, description="Default: today")


class EmailEventOut(BaseModel):
    address: str
    kind: str
    on: dt.date
    recorded: bool = Field(description="False when the same was already recorded")
