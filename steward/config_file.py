"""Reading a YAML config file's top level, with errors that name the file.

The loaders of journeys, templates, sequences and settings files share this;
each passes its own error class and says what the file holds, and validates
the mapping it gets back with its own model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from steward.errors import ConfigInvalid, yaml_problem


def read_mapping(
    path: Path,
    error: type[ConfigInvalid],
    what: str,
    model: type[BaseModel],
    *,
    empty_ok: bool = False,
) -> dict[str, Any]:
    """The mapping at the top of ``path``; raises ``error`` naming the file.

    ``what`` names the file in the unreadable-file message ("journey file"),
    ``model`` lists the fields a person should write at the top level, and
    ``empty_ok`` reads an empty file as no fields (every one has a default).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as problem:
        reason = problem.strerror or problem
        raise error(f"{path}: cannot read {what}: {reason}") from problem
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as problem:
        raise error(f"{path}: not valid YAML: {yaml_problem(problem)}") from None
    if raw is None and empty_ok:
        return {}
    if not isinstance(raw, dict):
        fields = model.model_fields.items()
        names = ", ".join(field.alias or name for name, field in fields)
        raise error(
            f"{path}: the top level is {_kind(raw)}, not a mapping; write its "
            f"fields ({names}) as key: value lines"
        )
    return raw


def _kind(value: object) -> str:
    if value is None:
        return "empty"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a text value"
    return f"a single value ({value!r})"
