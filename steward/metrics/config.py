"""The event vocabulary file (``config/events.yaml``): which events mean what."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from steward.errors import ConfigInvalid
from steward.metrics.definitions import EventTaxonomy

BUILT_IN = Path(__file__).with_name("events.yaml")


class EventsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: EventTaxonomy = EventTaxonomy()


def load_events_config(path: Path) -> EventsConfig:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        return EventsConfig.model_validate(raw)
    except (OSError, yaml.YAMLError) as error:
        raise ConfigInvalid(f"{path}: cannot read event vocabulary: {error}") from error
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        rule = first["msg"]
        if first["type"] == "extra_forbidden":
            known = EventTaxonomy.model_fields if len(first["loc"]) > 1 else ["events"]
            rule = f"unknown field (check the spelling; known: {', '.join(known)})"
        raise ConfigInvalid(f"{path}: {where}: {rule}") from error
