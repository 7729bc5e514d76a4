"""``config/automation.yaml``: CSM hours per action, the tier rubric, the portal."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from steward.config_file import read_mapping
from steward.errors import PlaybookInvalid
from steward.playbooks.actions_model import ACTION_TYPES

BUILT_IN = Path(__file__).with_name("automation.yaml")


class TierRubric(BaseModel):
    """The onboarding tier of an account imported without one."""

    model_config = ConfigDict(extra="forbid")

    tier_1: str = "Tier 1"
    tier_2: str = "Tier 2"
    tier_1_seats_above: int = Field(default=500, ge=0)
    tier_1_if_custom_integrations: bool = True

    def tier(
        self, stored: str | None, seats: float | None, custom_integrations: bool
    ) -> str:
        if stored:
            return stored
        many = seats is not None and seats > self.tier_1_seats_above
        custom = custom_integrations and self.tier_1_if_custom_integrations
        return self.tier_1 if many or custom else self.tier_2


class Portal(BaseModel):
    """Events that mark a step of the self-serve onboarding portal completed.

    ``portal_completion`` is the share of ``steps`` distinct steps (the event's
    feature, else its name) completed since the account's start.
    """

    model_config = ConfigDict(extra="forbid")

    events: list[str] = Field(default_factory=lambda: ["portal_step_completed"])
    steps: int = Field(default=10, gt=0)
    # Steps done longer ago than this are not read (onboarding is long over).
    lookback_days: int = Field(default=365, gt=0)


class AutomationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hours: dict[str, float] = Field(default_factory=dict)
    tiers: TierRubric = TierRubric()
    portal: Portal = Portal()

    def hours_for(self, action_type: str, override: float | None) -> float:
        if override is not None:
            return override
        return self.hours.get(action_type, 0.0)


def load_automation_settings(path: Path) -> AutomationSettings:
    """Read the file; a missing file means the defaults."""
    path = Path(path)
    if not path.exists():
        return AutomationSettings()
    raw = read_mapping(
        path, PlaybookInvalid, "automation settings", AutomationSettings, empty_ok=True
    )
    try:
        settings = AutomationSettings.model_validate(raw)
    except ValidationError as error:
        from steward.playbooks.model import describe

        raise PlaybookInvalid(f"{path}: {describe(error)}") from error
    unknown = sorted(set(settings.hours) - set(ACTION_TYPES))
    if unknown:
        raise PlaybookInvalid(
            f"{path}: hours: unknown action type(s) {', '.join(unknown)}; use "
            f"{', '.join(ACTION_TYPES)}"
        )
    return settings
