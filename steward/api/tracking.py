"""The Segment-compatible tracking endpoints under ``/v1`` (see docs/tracking.md).

``POST /v1/track``, ``/v1/page``, ``/v1/screen``, ``/v1/identify``,
``/v1/group``, ``/v1/alias`` and ``/v1/batch``, authenticated by a write key as the HTTP
basic-auth user name. Answers: 200 when the good calls are stored (with the
calls that failed and why, if any), 400 for a body that cannot be read or a
call that breaks a rule, 401 for a missing or revoked key, 413 past Segment's
size limits, 503 when the calls could not be written (retry: nothing was
stored). Error bodies carry ``code`` and ``message`` as Segment's do.
"""

from __future__ import annotations

import base64
import binascii
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from steward.errors import PayloadInvalid, PayloadTooLarge, SignInRequired
from steward.ingest import calls
from steward.ingest.calls import Accepted
from steward.ingest.tracking import Tracker

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["tracking"])
KINDS = ("track", "page", "screen", "identify", "group", "alias", "batch")


def _error(status: int, code: str, message: str, **extra: object) -> JSONResponse:
    body = {"success": False, "code": code, "message": message, **extra}
    return JSONResponse(body, status_code=status)


def basic_user(header: str | None) -> str | None:
    """The user name of an HTTP basic ``Authorization`` header, if any."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.split(":", 1)[0] or None


async def _bounded_body(request: Request, limit: int) -> bytes:
    """The raw body, refused as soon as it passes ``limit`` bytes."""
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(
                f"request body passes {limit:,} bytes; the limit is "
                f"{limit // 1024} KB per batch; send smaller batches"
            )
        parts.append(chunk)
    return b"".join(parts)


def _answer(accepted: Accepted, kind: str) -> JSONResponse:
    failed = [failure.as_dict() for failure in accepted.failed]
    body: dict[str, object] = {"success": not failed, "stored": accepted.stored}
    if failed:
        body["failed"] = failed
    if accepted.warnings:
        body["warnings"] = accepted.warnings
    if failed and not accepted.stored:
        first = accepted.failed[0]
        too_big = first.error.startswith("call is ")
        status, code = (413, "too_large") if too_big else (400, "invalid")
        where = f"call {first.index}: " if kind == "batch" else ""
        return _error(status, code, where + first.error, failed=failed)
    return JSONResponse(body)


def _make_handler(kind: str):  # noqa: ANN202 - a route factory
    async def receive(request: Request) -> JSONResponse:
        tracker: Tracker = request.app.state.tracker
        check = request.app.state.write_keys
        key = basic_user(request.headers.get("authorization"))
        try:
            if key is not None:
                await run_in_threadpool(check.verify, key)
            body = await _bounded_body(request, calls.MAX_BATCH_BYTES)
            accepted = await run_in_threadpool(
                tracker.receive,
                body,
                kind,
                request.headers.get("content-encoding"),
                None if key is not None else check.verify,
            )
        except SignInRequired as error:
            return _error(401, "unauthorized", str(error))
        except PayloadTooLarge as error:
            return _error(413, "too_large", str(error))
        except PayloadInvalid as error:
            return _error(400, "invalid", str(error))
        except OSError as error:
            log.error("tracking.write_failed error=%s", error)
            return _error(503, "unavailable", "calls not stored; send them again")
        return _answer(accepted, kind)

    receive.__name__ = f"tracking_{kind}"
    receive.__doc__ = f"Segment-compatible ``{kind}`` call(s)."
    return receive


for _kind in KINDS:
    router.add_api_route(
        f"/{_kind}",
        _make_handler(_kind),
        methods=["POST"],
        summary=f"Segment {_kind}",
        include_in_schema=True,
    )
