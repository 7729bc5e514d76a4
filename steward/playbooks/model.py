"""Playbook files: a trigger, conditions and actions a team versions as YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from steward.errors import PlaybookInvalid, yaml_problem
from steward.playbooks.actions_model import (
    ACTION_TYPES,
    PER_ACCOUNT,
    Action,
    EmailAction,
    EscalateAction,
    TaskAction,
)
from steward.playbooks.triggers_model import TRIGGER_KINDS, WITH_START, Band, Trigger
from steward.store.models import LIFECYCLE_STAGES

BUILT_IN = Path(__file__).with_name("builtin")


class Range(BaseModel):
    """Bounds on a number: min and max include the bound, above and below do not."""

    model_config = ConfigDict(extra="forbid")

    min: float | None = None
    max: float | None = None
    above: float | None = None
    below: float | None = None

    @model_validator(mode="after")
    def _some_bound(self) -> Range:
        if all(value is None for value in self.model_dump().values()):
            raise ValueError("give at least one of min, max, above or below")
        return self


class Tags(BaseModel):
    model_config = ConfigDict(extra="forbid")

    has: list[str] = Field(default_factory=list)
    lacks: list[str] = Field(default_factory=list)


class Conditions(BaseModel):
    """Which accounts a playbook acts on; every condition given must hold."""

    model_config = ConfigDict(extra="forbid")

    tier: list[str] | None = None
    coverage: list[str] | None = None
    segment: list[str] | None = None
    stage: list[str] | None = None
    industry: list[str] | None = None
    country: list[str] | None = None
    arr: Range | None = None
    tags: Tags | None = None
    band: list[Band] | None = None
    health: Range | None = None
    expansion: Range | None = None
    renewal_within_days: int | None = Field(default=None, gt=0)
    metrics: dict[str, Range] | None = None

    @field_validator(
        "tier", "coverage", "segment", "stage", "industry", "country", mode="before"
    )
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("stage")
    @classmethod
    def _known_stages(cls, value: list[str] | None) -> list[str] | None:
        for stage in value or []:
            if stage not in LIFECYCLE_STAGES:
                raise ValueError(
                    f"unknown lifecycle stage {stage!r}; use one of "
                    f"{', '.join(LIFECYCLE_STAGES)}"
                )
        return value


class Playbook(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)
    description: str = ""
    enabled: bool = True
    trigger: Trigger
    conditions: Conditions = Conditions()
    actions: list[Action] = Field(min_length=1)
    # Values the templates read as ``params``: links, guides, percentages.
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _actions_fit_trigger(self) -> Playbook:
        kind = self.trigger.kind
        portfolio = kind == "schedule" and self.trigger.per == "portfolio"
        for index, action in enumerate(self.actions):
            where = f"actions[{index}]"
            if portfolio and action.type in PER_ACCOUNT:
                raise ValueError(
                    f"{where}.type: a {action.type} action changes one account, "
                    "and a playbook run once for the whole book (schedule per: "
                    "portfolio) has none; use per: account"
                )
            roles = isinstance(action, EmailAction) and any(
                "@" not in to for to in action.to
            )
            if portfolio and roles:
                raise ValueError(
                    f"{where}.to: for the whole book, email goes to addresses, "
                    "not contact roles"
                )
            _check_trigger_fit(where, kind, action)
        return self


def _check_trigger_fit(where: str, kind: str, action: Any) -> None:
    if isinstance(action, TaskAction | EscalateAction):
        if action.journey_alert and kind != "milestone_overdue":
            raise ValueError(
                f"{where}.journey_alert: needs the milestone_overdue trigger, "
                f"not {kind}"
            )
        if action.due.from_ == "start" and kind not in WITH_START:
            raise ValueError(
                f"{where}.due.from: start needs a trigger with a start day "
                f"({', '.join(WITH_START)}), not {kind}; use from: fired"
            )
    if action.when is not None and kind != "milestone_overdue":
        raise ValueError(
            f"{where}.when: min_consecutive_misses needs the milestone_overdue "
            f"trigger, not {kind}"
        )


def load_playbook(path: Path) -> Playbook:
    """Read and validate one playbook file; errors name the file, field and rule."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PlaybookInvalid(f"{path}: cannot read playbook file: {error}") from error
    except yaml.YAMLError as error:
        raise PlaybookInvalid(
            f"{path}: not valid YAML: {yaml_problem(error)}"
        ) from error
    if not isinstance(raw, dict):
        raise PlaybookInvalid(
            f"{path}: a playbook file is a YAML mapping with name, trigger, "
            "conditions and actions"
        )
    odd = _non_text_key(raw)
    if odd is not None:
        parent, _, key = odd.rpartition(".")
        raise PlaybookInvalid(
            f"{path}: {parent or '(top level)'}: a key reads as {key}: YAML takes "
            "an unquoted on, off, yes or no for true or false; quote the key"
        )
    try:
        return Playbook.model_validate(raw)
    except ValidationError as error:
        raise PlaybookInvalid(f"{path}: {describe(error)}") from error


def _non_text_key(value: Any, where: str = "") -> str | None:
    """The path of the first mapping key that is not text, if any."""
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{where}.{key}" if where else str(key)
            if not isinstance(key, str):
                return here
            found = _non_text_key(item, here)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _non_text_key(item, f"{where}[{index}]")
            if found is not None:
                return found
    return None


def describe(error: ValidationError) -> str:
    """The first problem as ``field: rule``, in the file's own words."""
    first = error.errors()[0]
    where = field_path(first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "not a known field here (check the spelling)"
    elif first["type"] in ("union_tag_invalid", "union_tag_not_found"):
        ctx = first.get("ctx", {})
        field = str(ctx.get("discriminator", "kind")).strip("'")
        where = f"{where}.{field}" if where else field
        message = f"missing; use one of {_choices(field)}"
        if first["type"] == "union_tag_invalid":
            message = (
                f"unknown {field} {ctx.get('tag')!r}; use one of {_choices(field)}"
            )
    extra = f" ({len(error.errors()) - 1} more problem(s) after this one)"
    more = extra if len(error.errors()) > 1 else ""
    if not where:
        # Rules across fields name their field in the message itself.
        return f"{message}{more}"
    return f"{where}: {message}{more}"


def _choices(field: str) -> str:
    return ", ".join(TRIGGER_KINDS if field == "kind" else ACTION_TYPES)


def field_path(loc: tuple[Any, ...]) -> str:
    """``('actions', 0, 'task', 'due')`` as ``actions[0].due``."""
    parts: list[str] = []
    previous: Any = None
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif previous in ("trigger",) or isinstance(previous, int):
            # The union's tag (the trigger kind or action type) adds nothing.
            if part in _TAGS:
                previous = part
                continue
            parts.append(f".{part}")
        else:
            parts.append(f".{part}" if parts else str(part))
        previous = part
    return "".join(parts).replace("from_", "from")


_TAGS = set(TRIGGER_KINDS) | set(ACTION_TYPES)


def playbook_paths(folder: Path) -> list[Path]:
    return sorted(Path(folder).glob("*.yaml"))
