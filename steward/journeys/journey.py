"""Journey files: the onboarding milestones a team expects, and when."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from steward.config_file import read_mapping
from steward.errors import JourneyInvalid

BUILT_IN = Path(__file__).with_name("journeys")

Signal = Literal["first_login", "first_core_workflow", "seat_activation"]


class MilestoneDef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    signal: Signal
    due_days: int = Field(gt=0, description="days after contract start")
    threshold: float | None = Field(
        default=None, gt=0, le=1, description="seat_activation: share of seats"
    )

    @model_validator(mode="after")
    def _threshold_for_seats(self) -> MilestoneDef:
        if self.signal == "seat_activation" and self.threshold is None:
            raise ValueError("seat_activation needs a threshold between 0 and 1")
        return self


class Journey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    window_days: int = Field(default=90, gt=0)
    grace_business_days: int = Field(default=5, ge=0)
    escalate_after_misses: int = Field(default=2, ge=1)
    task_due_business_days: int = Field(default=2, ge=0)
    alert_within_days: int = Field(default=14, ge=0)
    milestones: list[MilestoneDef] = Field(min_length=1)

    @model_validator(mode="after")
    def _inside_window(self) -> Journey:
        keys = [milestone.key for milestone in self.milestones]
        if len(set(keys)) != len(keys):
            raise ValueError(f"milestone keys must be unique, got {keys}")
        for milestone in self.milestones:
            if milestone.due_days > self.window_days:
                raise ValueError(
                    f"milestone {milestone.key!r} is due on day {milestone.due_days}, "
                    f"after the journey's {self.window_days}-day window"
                )
        return self


def load_journey(path: Path) -> Journey:
    """Read and validate a journey file; errors name the file and the field."""
    raw = read_mapping(path, JourneyInvalid, "journey file", Journey)
    try:
        return Journey.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise JourneyInvalid(f"{path}: {where}: {first['msg']}") from error
