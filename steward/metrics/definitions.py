"""The metric catalogue's names, labels and event vocabulary (no engine needed)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    unit: str
    description: str


_DEFINITIONS = [
    ("active_users", "Active users", "users",
     "distinct users with any event in the window"),
    ("seat_utilisation", "Seat utilisation", "share",
     "active users / licensed seats"),
    ("logins", "Logins", "logins", "login events in the window"),
    ("core_workflows", "Core workflows", "completions",
     "core-workflow completions in the window"),
    ("feature_breadth", "Feature breadth", "features",
     "distinct features used in the window"),
    ("api_calls", "API calls", "calls", "API calls in the window"),
    ("error_rate", "Error rate", "share", "errors / events in the window"),
    ("events_total", "Events", "events", "all events in the window"),
    ("value_total", "Value", "currency",
     "sum of the events' value (e.g. revenue) in the window"),
    ("tickets_per_month", "Support tickets per month", "tickets",
     "tickets opened in the trailing 90 days / 3"),
    ("latest_nps", "Latest NPS", "score 0-10",
     "the most recent NPS answer from the account"),
    ("days_since_last_activity", "Days since last activity", "days",
     "days since the account's last event"),
    ("tenure_days", "Tenure", "days", "days since the first contract started"),
]  # fmt: skip
CATALOGUE: dict[str, Metric] = {row[0]: Metric(*row) for row in _DEFINITIONS}

# The window aggregates that add up across days, and those that count distinct
# things (users, features), which do not.
ADDITIVE = (
    "logins",
    "core_workflows",
    "api_calls",
    "errors",
    "events_total",
    "value_total",
)
DISTINCT = ("active_users", "feature_breadth")


class EventTaxonomy(BaseModel):
    """Which event names count as which kind of use; teams name events their own way."""

    # A misspelt kind (`logins:`) would otherwise leave its events uncounted.
    model_config = ConfigDict(extra="forbid")

    login: list[str] = Field(default_factory=lambda: ["login", "Signed In"])
    core_workflow: list[str] = Field(
        default_factory=lambda: ["core_workflow_completed"]
    )
    api_call: list[str] = Field(default_factory=lambda: ["api_call"])
    error: list[str] = Field(default_factory=lambda: ["error"])
