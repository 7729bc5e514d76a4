"""The base of every API request body: rules all of them share."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError


class In(BaseModel):
    """A request body. No text in it may hold a NUL character: PostgreSQL
    refuses them, so one would otherwise fail on one store and not the other.
    No number may be NaN or infinite."""

    model_config = ConfigDict(allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any, info: ValidationInfo) -> Any:
        if _has_nul(value):
            raise PydanticCustomError(
                "nul", "the text holds a NUL character (\\0); remove it"
            )
        return value


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple | set):
        return any(_has_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return False
