"""The Steward fields each kind of file can fill, with their types and rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from steward.store.models import LIFECYCLE_STAGES, OUTCOMES, ROLES

KINDS = (
    "users",
    "accounts",
    "contacts",
    "contracts",
    "outcomes",
    "tickets",
    "nps",
    "efforts",
    "events",
)
CONTACT_ROLES = ("executive_sponsor", "champion", "admin", "user")
ATTRIBUTE_TYPES = ("string", "number", "integer", "boolean", "date")
DATE_TYPES = ("date", "timestamp")


@dataclass(frozen=True)
class Target:
    """One Steward field: how its cells are read and what they must satisfy.

    ``type`` is one of: string, email, number, integer, boolean, date,
    timestamp, choice, country, timezone, tags, account, properties,
    attributes. ``default`` fills a blank cell or an unmapped field.
    """

    type: str
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    default: Any = None


_S = Target("string")
_ACCOUNT = Target("account", required=True)

TARGETS: dict[str, dict[str, Target]] = {
    "users": {
        "email": Target("email", required=True),
        "name": _S,
        "role": Target("choice", choices=ROLES),
        "manager_email": Target("email"),
        "capacity_hours": Target("number", minimum=0),
    },
    "accounts": {
        "external_id": Target("string", required=True),
        "name": Target("string", required=True),
        "industry": _S,
        "country": Target("country"),
        "region": _S,
        "timezone": Target("timezone"),
        "arr": Target("number", minimum=0),
        "seats": Target("integer", minimum=0),
        "custom_integrations": Target("boolean"),
        "tier": _S,
        "coverage": _S,
        "segment": _S,
        "plan": _S,
        "csm_email": Target("email"),
        "ae_email": Target("email"),
        "lifecycle_stage": Target("choice", choices=LIFECYCLE_STAGES),
        "signed_on": Target("date"),
        "tags": Target("tags"),
        "attributes": Target("attributes"),
    },
    "contacts": {
        "external_id": _S,
        "account": _ACCOUNT,
        "name": _S,
        "email": Target("email"),
        "role": Target("choice", choices=CONTACT_ROLES),
        "title": _S,
    },
    "contracts": {
        "external_id": Target("string", required=True),
        "account": _ACCOUNT,
        "start_date": Target("date", required=True),
        "end_date": Target("date"),
        "arr": Target("number", minimum=0),
        "seats": Target("integer", minimum=0),
        "plan": _S,
        "billing_period": _S,
        "auto_renew": Target("boolean"),
        "outcome": Target("choice", choices=OUTCOMES),
        "outcome_reason": _S,
        "closed_on": Target("date"),
        "new_arr": Target("number", minimum=0),
    },
    "outcomes": {
        "external_id": _S,
        "account": _ACCOUNT,
        "kind": Target("choice", required=True, choices=OUTCOMES),
        "occurred_on": Target("date"),
        "reason": _S,
        "feedback": _S,
        "arr_change": Target("number"),
        "contract": _S,
    },
    "tickets": {
        "external_id": Target("string", required=True),
        "account": _ACCOUNT,
        "opened_at": Target("timestamp", required=True),
        "closed_at": Target("timestamp"),
        "priority": _S,
        "status": _S,
        "subject": _S,
        "satisfaction": Target("number"),
        "escalated": Target("boolean"),
    },
    "nps": {
        "external_id": _S,
        "account": _ACCOUNT,
        "contact": _S,
        "score": Target("integer", required=True, minimum=0, maximum=10),
        "comment": _S,
        "responded_at": Target("timestamp", required=True),
    },
    # CSM effort: hours spent on an account on a day (steward.accounts.workload).
    "efforts": {
        "external_id": _S,
        "account": _ACCOUNT,
        "csm_email": Target("email"),
        "worked_on": Target("date", required=True),
        "hours": Target("number", required=True, minimum=0, maximum=24),
        "activity": _S,
        "note": _S,
    },
    "events": {
        "message_id": _S,
        "account": _ACCOUNT,
        "user_id": _S,
        "event": Target("string", required=True),
        "feature": _S,
        "ts": Target("timestamp", required=True),
        "quantity": Target("integer", minimum=0, default=1),
        "errors": Target("integer", minimum=0, default=0),
        "value": Target("number"),
        "properties": Target("properties"),
    },
}

# The field that identifies a record of each kind. Contacts without an id use
# their email; outcomes and NPS responses a stable hash of the fields below.
KEYS: dict[str, str] = {
    "users": "email",
    "accounts": "external_id",
    "contacts": "external_id",
    "contracts": "external_id",
    "outcomes": "external_id",
    "tickets": "external_id",
    "nps": "external_id",
    "efforts": "external_id",
    "events": "message_id",
}
KEY_FALLBACKS: dict[str, tuple[str, ...]] = {
    "outcomes": ("account", "kind", "occurred_on"),
    "nps": ("account", "contact", "responded_at"),
    "efforts": ("account", "csm_email", "worked_on", "activity"),
}

# Sources are imported in this order, whatever order the mapping lists them:
# each kind refers only to kinds before it.
ORDER = {kind: position for position, kind in enumerate(KINDS)}
