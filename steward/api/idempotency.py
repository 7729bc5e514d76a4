"""``Idempotency-Key`` for API writes: a retried write is answered, not redone.

A client that sends a write (POST, PUT, PATCH or DELETE under ``/api/v1``)
with an ``Idempotency-Key`` header and loses the answer can send it again
with the same key: the first answer is stored with the key and given back
(with ``Idempotent-Replayed: true``), and the write is not carried out a
second time. Keys are kept per credential (the Authorization header) for a
day. The same key with a different request is refused, as is a retry while
the first is still being answered. An answer of 500 or more is not kept, so
a retry after a server error runs again.

Writes that name what they change (a stage, a tag, a plan's version) are
idempotent without a key; the key is what makes creating one (a note, a
comment, a plan, a goal) safe to retry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from steward.api.errors import body as error_body
from steward.store.models import ApiRequest, utcnow

HEADER = "Idempotency-Key"
KEPT_FOR = dt.timedelta(days=1)
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_KEY = re.compile(r"[\x21-\x7e]{1,200}")


class IdempotencyKeys:
    """ASGI middleware: stores and replays the answers of keyed API writes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in WRITES
            or not scope["path"].startswith("/api/v1/")
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get(HEADER)
        if key is None:
            await self.app(scope, receive, send)
            return
        if not _KEY.fullmatch(key):
            message = f"{HEADER}: 1 to 200 printable characters without spaces"
            refusal = JSONResponse(error_body("invalid", message, HEADER), 422)
            await refusal(scope, receive, send)
            return

        content = await _read_body(receive)
        store = scope["app"].state.workspace.store
        credential = _sha256(headers.get("authorization", "").encode())
        fingerprint = _sha256(
            b"\0".join(
                [
                    scope["method"].encode(),
                    scope["path"].encode(),
                    scope.get("query_string", b""),
                    content,
                ]
            )
        )
        found = await run_in_threadpool(_claim, store, credential, key, fingerprint)
        if found is not None:
            await _replay_or_refuse(found, fingerprint)(scope, receive, send)
            return

        answer: dict[str, Any] = {"status": 500, "type": None, "body": bytearray()}

        async def replay_body() -> Message:
            return {"type": "http.request", "body": content, "more_body": False}

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["type"] = Headers(raw=message["headers"]).get("content-type")
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, replay_body, keep)
        except BaseException:
            await run_in_threadpool(_release, store, credential, key)
            raise
        if answer["status"] >= 500:
            await run_in_threadpool(_release, store, credential, key)
        else:
            await run_in_threadpool(_keep, store, credential, key, answer)


def _claim(store: Any, credential: str, key: str, fingerprint: str) -> Any:
    """None once this request holds the key; else the row that holds it."""
    try:
        with store.session() as session:
            session.execute(
                delete(ApiRequest).where(
                    ApiRequest.credential == credential,
                    ApiRequest.created_at < utcnow() - KEPT_FOR,
                )
            )
            held = session.get(ApiRequest, (credential, key))
            if held is not None:
                session.expunge(held)
                return held
            session.add(
                ApiRequest(credential=credential, key=key, fingerprint=fingerprint)
            )
    except IntegrityError:
        # The same key claimed at the same moment by another request.
        with store.session() as session:
            held = session.scalar(
                select(ApiRequest).where(
                    ApiRequest.credential == credential, ApiRequest.key == key
                )
            )
            if held is not None:
                session.expunge(held)
            return held
    return None


def _keep(store: Any, credential: str, key: str, answer: dict[str, Any]) -> None:
    with store.session() as session:
        row = session.get(ApiRequest, (credential, key))
        if row is not None:
            row.status = answer["status"]
            row.content_type = answer["type"]
            row.body = bytes(answer["body"])


def _release(store: Any, credential: str, key: str) -> None:
    with store.session() as session:
        session.execute(
            delete(ApiRequest).where(
                ApiRequest.credential == credential, ApiRequest.key == key
            )
        )


def _replay_or_refuse(held: ApiRequest, fingerprint: str) -> Response:
    """The kept answer, or why the request may not have one."""
    if held.fingerprint != fingerprint:
        message = (
            f"{HEADER}: this key was used for a different request; use a new key "
            "for a new request"
        )
        return JSONResponse(error_body("invalid", message, HEADER), 422)
    if held.status is None:
        message = (
            f"a request with this {HEADER} is still being answered; retry in a moment"
        )
        return JSONResponse(
            error_body("conflict", message, HEADER), 409, {"Retry-After": "1"}
        )
    return Response(
        held.body or b"",
        held.status,
        {"Idempotent-Replayed": "true"},
        media_type=held.content_type,
    )


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
