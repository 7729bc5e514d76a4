"""The actions a playbook file can take, as validated models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from steward.ingest.targets import CONTACT_ROLES
from steward.store.models import LIFECYCLE_STAGES

Priority = Literal["low", "normal", "high", "urgent"]
Stage = Literal[LIFECYCLE_STAGES]  # type: ignore[valid-type]
ASSIGNEES = ("csm", "ae", "manager")


def check_recipients(values: list[str]) -> list[str]:
    """Contact roles (any case), csm, ae or addresses: a misspelt role would
    otherwise find nobody and send nothing, without a word."""
    known = (*CONTACT_ROLES, "csm", "ae")
    for value in values:
        if "@" not in value and value.casefold() not in known:
            raise ValueError(
                f"unknown recipient {value!r}; use a contact role "
                f"({', '.join(CONTACT_ROLES)}), csm, ae or an email address"
            )
    return values


class Due(BaseModel):
    """When a task is due: business days (the account's country), days or months.

    Counted from the day the playbook fires (``from: fired``), the day of the
    event that fired it (``event``: the incident, the NPS answer, the miss) or
    the account's start (``start``). Days and months that land on a weekend or
    public holiday move to the next business day.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    business_days: int | None = Field(default=None, ge=0)
    days: int | None = Field(default=None, ge=0)
    months: int | None = Field(default=None, ge=0)
    from_: Literal["fired", "event", "start"] = Field(default="fired", alias="from")

    @model_validator(mode="after")
    def _one_unit(self) -> Due:
        given = [self.business_days, self.days, self.months]
        if sum(value is not None for value in given) != 1:
            raise ValueError("give exactly one of business_days, days or months")
        return self


class Repeat(BaseModel):
    """Raise the task ``times`` times, the k-th due at k times the ``due`` span."""

    model_config = ConfigDict(extra="forbid")

    times: int = Field(ge=2, le=52)


class When(BaseModel):
    """An extra check for one action, on what the trigger saw."""

    model_config = ConfigDict(extra="forbid")

    min_consecutive_misses: int = Field(ge=1)


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid")

    when: When | None = None
    # CSM hours this action implies, for dry runs; default by type in
    # config/automation.yaml.
    hours: float | None = Field(default=None, ge=0)


class TaskAction(_Action):
    type: Literal["task"]
    title: str = Field(min_length=1)
    body: str = ""
    assignee: str = "csm"
    due: Due = Due(business_days=2)
    priority: Priority = "normal"
    kind: str = "playbook"
    repeat: Repeat | None = None
    # The CSM gets one task per miss: this one takes the place of the task
    # the journey would raise for the same miss or escalation.
    journey_alert: bool = False

    @field_validator("assignee")
    @classmethod
    def _known_assignee(cls, value: str) -> str:
        # Anything else is read as an email, and a typo would leave the task
        # unassigned.
        if value in ASSIGNEES or "@" in value:
            return value
        raise ValueError(
            f"unknown assignee {value!r}; use csm, ae, manager or a user's email"
        )


class EscalateAction(_Action):
    """A task for the CS manager of the account's CSM."""

    type: Literal["escalate"]
    title: str = Field(min_length=1)
    body: str = ""
    due: Due = Due(business_days=1)
    priority: Priority = "urgent"
    journey_alert: bool = False


class EmailAction(_Action):
    """A templated email to the account's contacts by role, its CSM, or an address."""

    type: Literal["email"]
    template: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    to: list[str] = Field(min_length=1)

    _known_recipients = field_validator("to")(check_recipients)


class SlackAction(_Action):
    type: Literal["slack"]
    channel: str = "default"
    text: str = Field(min_length=1)


class WebhookAction(_Action):
    type: Literal["webhook"]
    endpoint: str = Field(min_length=1)
    event: str = Field(pattern=r"^[a-z][a-z0-9_.]*$")


class TagAction(_Action):
    type: Literal["tag"]
    add: str | None = None
    remove: str | None = None

    @model_validator(mode="after")
    def _one_change(self) -> TagAction:
        if (self.add is None) == (self.remove is None):
            raise ValueError("give exactly one of add or remove")
        return self


class StageAction(_Action):
    type: Literal["stage"]
    to: Stage


class SequenceAction(_Action):
    type: Literal["sequence"]
    enrol: str | None = None
    stop: str | None = None

    @model_validator(mode="after")
    def _one_change(self) -> SequenceAction:
        if (self.enrol is None) == (self.stop is None):
            raise ValueError("give exactly one of enrol or stop")
        return self


class TimelineAction(_Action):
    type: Literal["timeline"]
    text: str = Field(min_length=1)


Action = Annotated[
    TaskAction
    | EscalateAction
    | EmailAction
    | SlackAction
    | WebhookAction
    | TagAction
    | StageAction
    | SequenceAction
    | TimelineAction,
    Field(discriminator="type"),
]
ACTION_TYPES = (
    "task",
    "escalate",
    "email",
    "slack",
    "webhook",
    "tag",
    "stage",
    "sequence",
    "timeline",
)
# Actions about one account: a playbook run once for the whole book cannot
# take them.
PER_ACCOUNT = ("escalate", "tag", "stage", "sequence", "timeline")
