"""What a success plan holds, and the changes people make to it (no I/O).

A plan is one document: the customer's goals, each with the KPIs that
measure it, the milestone dates, and each party's responsibilities. Every item
carries a random id, unique across all plans, so an id sent with a change can
only ever name an item of the plan it was checked against.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from steward.errors import InputInvalid, PlanItemNotFound
from steward.metrics.definitions import CATALOGUE

Party = Literal["customer", "vendor"]
# No NUL characters: PostgreSQL refuses them in text.
Text = Annotated[str, Field(min_length=1, max_length=300, pattern=r"^[^\x00]*$")]
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]
Unit = Annotated[str, Field(max_length=40, pattern=r"^[^\x00]*$")]
ItemId = Annotated[str, Field(max_length=40)]
# Finite numbers only: NaN and infinity cannot be stored as JSON.
Number = Annotated[float, Field(allow_inf_nan=False)]


def new_id() -> str:
    """48 random bits in hex: unique across plans without a central counter."""
    return secrets.token_hex(6)


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(default_factory=new_id, pattern=r"^[0-9a-f]{12}$")


class Kpi(_Item):
    """A measure of a goal. With ``metric`` its current value is the daily run's
    value of that Steward metric; without, a person types it in ``current``.
    """

    name: Name
    unit: Unit = ""
    metric: str | None = None
    baseline: Number | None = None
    target: Number | None = None
    current: Number | None = None
    # What one unit of improvement is worth to the customer, agreed with them;
    # the Strategic Value Review adds these up into its ROI figure.
    value_per_unit: Annotated[Number, Field(ge=0)] | None = None

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if value not in CATALOGUE:
            raise ValueError(
                f"unknown metric {value!r}; use one of {', '.join(CATALOGUE)} "
                "or leave it empty and type the value in"
            )
        return value


class Goal(_Item):
    title: Text
    kpis: list[Kpi] = Field(default_factory=list)


class Milestone(_Item):
    title: Text
    due_on: dt.date
    done_on: dt.date | None = None


class Responsibility(_Item):
    party: Party
    owner: Name
    task: Text
    due_on: dt.date | None = None
    done: bool = False


class PlanContent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    goals: list[Goal] = Field(default_factory=list)
    milestones: list[Milestone] = Field(default_factory=list)
    responsibilities: list[Responsibility] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> PlanContent:
        ids = [item.id for item in self.items()]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"item ids must be unique; repeated: {repeated}")
        return self

    def items(self) -> list[_Item]:
        kpis = [kpi for goal in self.goals for kpi in goal.kpis]
        return [*self.goals, *kpis, *self.milestones, *self.responsibilities]


def suggest_metric(name: str) -> str | None:
    """The catalogue metric a KPI's name names exactly (by key or label), if any."""
    wanted = name.strip().casefold().replace("_", " ")
    for key, metric in CATALOGUE.items():
        if wanted in (key.replace("_", " "), metric.label.casefold()):
            return key
    return None


def with_suggested_metrics(content: PlanContent) -> PlanContent:
    """The plan with each unlinked KPI named exactly for a metric linked to it."""
    linked = content.model_copy(deep=True)
    for goal in linked.goals:
        for kpi in goal.kpis:
            if kpi.metric is None:
                kpi.metric = suggest_metric(kpi.name)
    return linked


# The changes, one model each; ``op`` names the change in forms and the API.


class AddGoal(BaseModel):
    op: Literal["add_goal"] = "add_goal"
    title: Text


class AddKpi(BaseModel):
    op: Literal["add_kpi"] = "add_kpi"
    goal_id: ItemId
    name: Name
    unit: Unit = ""
    metric: str | None = None
    baseline: Number | None = None
    target: Number | None = None
    current: Number | None = None
    value_per_unit: Annotated[Number, Field(ge=0)] | None = None


class UpdateKpi(BaseModel):
    """Only the fields sent are changed."""

    op: Literal["update_kpi"] = "update_kpi"
    kpi_id: ItemId
    baseline: Number | None = None
    target: Number | None = None
    current: Number | None = None


class AddMilestone(BaseModel):
    op: Literal["add_milestone"] = "add_milestone"
    title: Text
    due_on: dt.date


class CompleteMilestone(BaseModel):
    """``done_on`` empty reopens the milestone."""

    op: Literal["complete_milestone"] = "complete_milestone"
    milestone_id: ItemId
    done_on: dt.date | None = None


class AddResponsibility(BaseModel):
    op: Literal["add_responsibility"] = "add_responsibility"
    party: Party
    owner: Name
    task: Text
    due_on: dt.date | None = None


class CompleteResponsibility(BaseModel):
    op: Literal["complete_responsibility"] = "complete_responsibility"
    responsibility_id: ItemId
    done: bool = True


class RemoveItem(BaseModel):
    op: Literal["remove"] = "remove"
    item_id: ItemId


Change = Annotated[
    AddGoal
    | AddKpi
    | UpdateKpi
    | AddMilestone
    | CompleteMilestone
    | AddResponsibility
    | CompleteResponsibility
    | RemoveItem,
    Field(discriminator="op"),
]
# A customer shapes the plan with the CSM but does not delete what was agreed.
CUSTOMER_OPS = frozenset(
    {
        "add_goal",
        "add_kpi",
        "update_kpi",
        "add_milestone",
        "complete_milestone",
        "add_responsibility",
        "complete_responsibility",
    }
)


def apply_change(content: PlanContent, change: Change) -> tuple[PlanContent, str]:
    """The plan after ``change``, and one line saying what changed."""
    plan = content.model_copy(deep=True)
    summary = _APPLY[change.op](plan, change)
    return PlanContent.model_validate(plan.model_dump()), summary


def _add_goal(plan: PlanContent, change: AddGoal) -> str:
    plan.goals.append(Goal(title=change.title))
    return f"added goal {change.title!r}"


def _add_kpi(plan: PlanContent, change: AddKpi) -> str:
    goal = _find(plan.goals, change.goal_id, "goal")
    values = change.model_dump(exclude={"op", "goal_id"})
    if not values["metric"]:
        values["metric"] = suggest_metric(change.name)
    try:
        kpi = Kpi(**values)
    except ValueError as error:
        raise InputInvalid(_first_error(error), field="metric") from None
    goal.kpis.append(kpi)
    return f"added KPI {kpi.name!r} to goal {goal.title!r}"


def _update_kpi(plan: PlanContent, change: UpdateKpi) -> str:
    kpi = _find([k for g in plan.goals for k in g.kpis], change.kpi_id, "KPI")
    sent = change.model_fields_set - {"op", "kpi_id"}
    if "current" in sent and kpi.metric:
        raise InputInvalid(
            f"KPI {kpi.name!r} takes its current value from the metric "
            f"{kpi.metric!r}; change its baseline or target instead",
            field="current",
        )
    parts = []
    for name in sorted(sent):
        before, after = getattr(kpi, name), getattr(change, name)
        setattr(kpi, name, after)
        parts.append(f"{name} {_number(before)} → {_number(after)}")
    if not parts:
        raise InputInvalid("send a baseline, target or current value", field="kpi_id")
    return f"KPI {kpi.name!r}: " + ", ".join(parts)


def _add_milestone(plan: PlanContent, change: AddMilestone) -> str:
    plan.milestones.append(Milestone(title=change.title, due_on=change.due_on))
    return f"added milestone {change.title!r} due {change.due_on}"


def _complete_milestone(plan: PlanContent, change: CompleteMilestone) -> str:
    milestone = _find(plan.milestones, change.milestone_id, "milestone")
    milestone.done_on = change.done_on
    if change.done_on is None:
        return f"reopened milestone {milestone.title!r}"
    return f"milestone {milestone.title!r} reached on {change.done_on}"


def _add_responsibility(plan: PlanContent, change: AddResponsibility) -> str:
    item = Responsibility(**change.model_dump(exclude={"op"}))
    plan.responsibilities.append(item)
    return f"{item.party} responsibility for {item.owner}: {item.task!r}"


def _complete_responsibility(plan: PlanContent, change: CompleteResponsibility) -> str:
    item = _find(plan.responsibilities, change.responsibility_id, "responsibility")
    item.done = change.done
    return f"{'done' if change.done else 'reopened'}: {item.task!r} ({item.owner})"


def _remove(plan: PlanContent, change: RemoveItem) -> str:
    for goal in plan.goals:
        for kpi in goal.kpis:
            if kpi.id == change.item_id:
                goal.kpis.remove(kpi)
                return f"removed KPI {kpi.name!r}"
    for items, noun in (
        (plan.goals, "goal"),
        (plan.milestones, "milestone"),
        (plan.responsibilities, "responsibility"),
    ):
        for item in items:
            if item.id == change.item_id:
                items.remove(item)
                return f"removed {noun} {_name_of(item)!r}"
    raise PlanItemNotFound(f"no item {change.item_id!r} in this plan")


_APPLY = {
    "add_goal": _add_goal,
    "add_kpi": _add_kpi,
    "update_kpi": _update_kpi,
    "add_milestone": _add_milestone,
    "complete_milestone": _complete_milestone,
    "add_responsibility": _add_responsibility,
    "complete_responsibility": _complete_responsibility,
    "remove": _remove,
}


def _find(items: list, item_id: str, noun: str):  # noqa: ANN202 - any item kind
    for item in items:
        if item.id == item_id:
            return item
    raise PlanItemNotFound(f"no {noun} {item_id!r} in this plan")


def _name_of(item: _Item) -> str:
    return str(getattr(item, "title", None) or getattr(item, "task", item.id))


def _number(value: float | None) -> str:
    return "empty" if value is None else f"{value:g}"


def _first_error(error: ValueError) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        first = errors()[0]
        return str(first.get("msg", error)).removeprefix("Value error, ")
    return str(error)
