"""One error body for every API failure: ``{"error": {code, message, field}}``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from steward.errors import (
    AlreadyExists,
    EditConflict,
    InputInvalid,
    NotFound,
    PermissionDenied,
    SignInRequired,
    StewardError,
)

# First match wins: subclasses before their bases.
_STATUS: tuple[tuple[type[StewardError], int, str], ...] = (
    (NotFound, 404, "not_found"),
    (PermissionDenied, 403, "forbidden"),
    (SignInRequired, 401, "unauthorized"),
    (AlreadyExists, 409, "conflict"),
    (EditConflict, 409, "conflict"),
    (InputInvalid, 422, "invalid"),
    (StewardError, 400, "bad_request"),
)

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid",
    500: "server_error",
}


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


def status_of(error: StewardError) -> tuple[int, str]:
    for kind, status, code in _STATUS:
        if isinstance(error, kind):
            return status, code
    return 400, "bad_request"  # pragma: no cover - StewardError is last above


def body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field}}


def validation_body(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """The first problem FastAPI found, with the field it is about."""
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    if first.get("type") == "json_invalid":
        # Its place is a character position in the body, not a field.
        at = first.get("loc", ("body", "?"))[-1]
        reason = (first.get("ctx") or {}).get("error", "")
        return body(
            "invalid",
            f"the body is not valid JSON (at character {at}"
            + (f": {reason})" if reason else ")"),
            None,
        )
    where = [str(part) for part in first.get("loc", ())]
    # The first part says where the value came from (body, query, path...).
    if where and where[0] in ("body", "query", "path", "header", "cookie"):
        where = where[1:]
    field = ".".join(where) or None
    message = str(first.get("msg", "invalid value"))
    if field:
        message = f"{field}: {message}"
    return body("invalid", message, field)


# Shown in the OpenAPI document for every route.
RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": code.replace("_", " ")}
    for status, code in HTTP_CODES.items()
    if status in (401, 403, 404, 409, 422)
}
