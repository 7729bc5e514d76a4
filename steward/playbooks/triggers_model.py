"""The triggers a playbook file can name, as validated models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Band = Literal["healthy", "neutral", "at_risk", "insufficient_data"]
Weekday = Literal[
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
]
WEEKDAYS: tuple[str, ...] = Weekday.__args__  # type: ignore[attr-defined]


class _Trigger(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MilestoneOverdue(_Trigger):
    """A journey milestone not reached more than N business days after its due day."""

    kind: Literal["milestone_overdue"]
    journey: str | None = None
    milestones: list[str] | None = None
    more_than_business_days: int = Field(default=5, ge=0)
    # A lateness first seen longer ago than this raises nothing: it is history.
    within_days: int = Field(default=14, ge=0)


class ScoreCrosses(_Trigger):
    """The health or expansion score moving across a threshold since the last run."""

    kind: Literal["score_crosses"]
    score: Literal["health", "expansion"] = "health"
    below: float | None = Field(default=None, ge=0, le=100)
    at_least: float | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _one_direction(self) -> ScoreCrosses:
        if (self.below is None) == (self.at_least is None):
            raise ValueError("give exactly one of below or at_least")
        return self


class BandChanges(_Trigger):
    kind: Literal["band_changes"]
    to: list[Band] | None = None
    from_: list[Band] | None = Field(default=None, alias="from")


class RenewalWithin(_Trigger):
    """The running contract ends within N days; once per contract end."""

    kind: Literal["renewal_within"]
    days: int = Field(gt=0)


class NpsDetractor(_Trigger):
    kind: Literal["nps_detractor"]
    at_most: int = Field(default=6, ge=0, le=10)
    within_days: int = Field(default=7, ge=0)


class IncidentRecorded(_Trigger):
    kind: Literal["incident"]
    kinds: list[str] | None = None
    within_days: int = Field(default=7, ge=0)


class TagChanged(_Trigger):
    kind: Literal["tag"]
    added: str | None = None
    removed: str | None = None
    within_days: int = Field(default=7, ge=0)

    @model_validator(mode="after")
    def _one_change(self) -> TagChanged:
        if (self.added is None) == (self.removed is None):
            raise ValueError("give exactly one of added or removed")
        return self


class Schedule(_Trigger):
    """Every day, or every week on a weekday; per account, or once for the book."""

    kind: Literal["schedule"]
    every: Literal["day", "week"]
    weekday: Weekday | None = None
    per: Literal["account", "portfolio"] = "account"

    @model_validator(mode="after")
    def _weekday_for_weeks(self) -> Schedule:
        if self.every == "week" and self.weekday is None:
            raise ValueError("a weekly schedule needs weekday: e.g. monday")
        if self.every == "day" and self.weekday is not None:
            raise ValueError("weekday: is for weekly schedules; remove it or use week")
        return self


class OnboardingDay(_Trigger):
    """Day N after the account's start (first contract, else signing date)."""

    kind: Literal["onboarding_day"]
    day: int = Field(ge=0)
    within_days: int = Field(default=14, ge=0)


class BandHeld(_Trigger):
    """The account has stayed in a band for N calendar months."""

    kind: Literal["band_held"]
    band: Band = "healthy"
    months: int = Field(gt=0)
    # Count only from when this tag went on (the Recovery tag, say).
    counting_from_tag: str | None = None


Trigger = Annotated[
    MilestoneOverdue
    | ScoreCrosses
    | BandChanges
    | RenewalWithin
    | NpsDetractor
    | IncidentRecorded
    | TagChanged
    | Schedule
    | OnboardingDay
    | BandHeld,
    Field(discriminator="kind"),
]

TRIGGER_KINDS = (
    "milestone_overdue",
    "score_crosses",
    "band_changes",
    "renewal_within",
    "nps_detractor",
    "incident",
    "tag",
    "schedule",
    "onboarding_day",
    "band_held",
)
# Triggers whose occurrence has a start day (due dates may count from it).
WITH_START = ("milestone_overdue", "onboarding_day")
