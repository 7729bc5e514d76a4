"""The event vocabulary file (``config/events.yaml``): which events mean what."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from steward.config_file import read_mapping
from steward.errors import ConfigInvalid
from steward.metrics.definitions import EventTaxonomy

BUILT_IN = Path(__file__).with_name("events.yaml")


class EventsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: EventTaxonomy = EventTaxonomy()


def load_events_config(path: Path) -> EventsConfig:
    raw = read_mapping(
        path, ConfigInvalid, "event vocabulary", EventsConfig, empty_ok=True
    )
    try:
        return EventsConfig.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        rule = first["msg"]
        if first["type"] == "extra_forbidden":
            known = EventTaxonomy.model_fields if len(first["loc"]) > 1 else ["events"]
            rule = f"unknown field (check the spelling; known: {', '.join(known)})"
        raise ConfigInvalid(f"{path}: {where}: {rule}") from error
