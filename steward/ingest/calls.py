"""Segment tracking calls into event and profile rows: checks, no I/O.

Follows the Segment HTTP tracking spec: ``track``, ``page`` (and ``screen``),
``identify``, ``group`` and ``alias`` calls, alone or in a ``batch``. A bad call is
reported by its position and never stops the good calls of the same batch.

Times: a call's ``timestamp`` (or ``originalTimestamp``) is moved by the
client's clock skew, ``received - sentAt``, when ``sentAt`` is given; offsets
become UTC; a time without an offset is read as UTC; a call with no time gets
the time received. A time still after the time received is clamped to it,
and the stored properties keep a ``$warnings`` entry saying so; one before
1970 is refused, as is a ``sentAt`` too far off to correct by.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zlib
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from steward.errors import PayloadInvalid, PayloadTooLarge

MAX_CALL_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
USAGE_TYPES = {"track": "track", "page": "page", "screen": "page"}
# An alias call is kept as a profile row too: user_id the new id, anonymous_id
# the previous one (see steward.events.store.resolve_aliases).
PROFILE_TYPES = ("identify", "group", "alias")
GZIP_MAGIC = b"\x1f\x8b"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_REPLACEMENT = "\ufffd"


@dataclass
class Failure:
    index: int
    message_id: str | None
    error: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "messageId": self.message_id, "error": self.error}


@dataclass
class Accepted:
    """What a request's calls become: rows to store, and what was refused."""

    events: list[list[Any]] = field(default_factory=list)
    profiles: list[list[Any]] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Accounts learnt from this request's group calls, by user id.
    joined: dict[str, str] = field(default_factory=dict)

    @property
    def stored(self) -> int:
        return len(self.events) + len(self.profiles)


def decompress(body: bytes, encoding: str | None, limit: int) -> bytes:
    """The request body, gunzipped if it says so or starts with gzip's magic bytes.

    Decompression stops as soon as the output passes ``limit``: a small body
    that would inflate to gigabytes is refused after ``limit`` bytes of work.
    """
    if len(body) > limit:
        raise PayloadTooLarge(_too_large("request body", len(body), limit))
    zipped = (encoding or "").strip().lower() == "gzip" or body[:2] == GZIP_MAGIC
    if not zipped:
        return body
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as error:
        raise PayloadInvalid(f"body is not valid gzip ({error})") from error
    if len(data) > limit or inflater.unconsumed_tail:
        raise PayloadTooLarge(
            f"body inflates past {limit:,} bytes; the limit is {_kb(limit)} per "
            f"{'batch' if limit == MAX_BATCH_BYTES else 'call'}; send smaller batches"
        )
    if not inflater.eof:
        raise PayloadInvalid("body is not valid gzip (it ends before the stream does)")
    return data


def parse_json(data: bytes) -> tuple[Any, list[str]]:
    """The body as JSON, with text that is not valid Unicode repaired.

    Invalid UTF-8 bytes, unpaired surrogates and NUL characters become U+FFFD
    and a warning says how many; the rest of the call is kept as sent.
    """
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError:
        parsed = None
    else:
        if b"\\u0000" not in data and b"\x00" not in data:
            return parsed, []
    text = data.decode("utf-8", errors="replace")
    bad_bytes = text.count(_REPLACEMENT) - data.count("\ufffd".encode())
    try:
        parsed = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise PayloadInvalid(f"body is not valid JSON ({error})") from error
    repaired, fixed = _repair(parsed)
    warnings = []
    if bad_bytes:
        warnings.append(
            f"body is not valid UTF-8: {bad_bytes} bytes replaced with U+FFFD"
        )
    if fixed:
        warnings.append(
            f"{fixed} strings held NUL characters or unpaired surrogates; "
            "those characters were replaced with U+FFFD"
        )
    return repaired, warnings


def _repair(value: Any) -> tuple[Any, int]:
    if isinstance(value, str):
        clean = _clean_text(value)
        return clean, int(clean != value)
    if isinstance(value, list):
        items = [_repair(item) for item in value]
        return [item for item, _ in items], sum(count for _, count in items)
    if isinstance(value, dict):
        fixed = 0
        out = {}
        for key, item in value.items():
            new_key, key_fixed = _repair(key)
            new_item, item_fixed = _repair(item)
            out[new_key] = new_item
            fixed += key_fixed + item_fixed
        return out, fixed
    return value, 0


def _clean_text(text: str) -> str:
    text = text.replace("\x00", _REPLACEMENT)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pairs = text.encode("utf-16", "surrogatepass")
        return pairs.decode("utf-16", errors="replace")


def accept(
    payload: Any,
    kind: str,
    received: dt.datetime,
    members: Mapping[str, str],
    warnings: list[str] | None = None,
) -> Accepted:
    """Rows for the calls of one request; ``kind`` is the endpoint's call type.

    For ``batch``, ``payload["batch"]`` lists calls with their own ``type``;
    a top-level ``sentAt`` or ``context`` applies to every call that has none.
    ``members`` maps user ids to accounts from earlier ``group`` calls.
    """
    result = Accepted(warnings=list(warnings or []))
    if not isinstance(payload, dict):
        raise PayloadInvalid("body must be a JSON object")
    if kind != "batch":
        calls, shared = [payload], {}
    else:
        calls = payload.get("batch")
        if not isinstance(calls, list):
            raise PayloadInvalid("batch: must be a list of calls")
        shared = {k: payload[k] for k in ("sentAt", "context") if k in payload}
    # Group calls earlier in the same request count for the calls after them.
    known = ChainMap(result.joined, members)
    for index, call in enumerate(calls):
        try:
            _accept_call(call, kind, shared, received, known, result)
        except CallInvalid as error:
            result.failed.append(Failure(index, _given_id(call), str(error)))
        except (TypeError, ValueError, OverflowError) as error:
            # A shape no rule above foresaw (a 70-digit number, say): this
            # call fails, the batch goes on.
            message = f"cannot be stored as sent ({error})"
            result.failed.append(Failure(index, _given_id(call), message))
    return result


class CallInvalid(ValueError):
    """One call breaks a rule; the message names the field."""


def _given_id(call: Any) -> str | None:
    message_id = call.get("messageId") if isinstance(call, dict) else None
    return message_id if isinstance(message_id, str) else None


def _accept_call(
    call: Any,
    kind: str,
    shared: dict[str, Any],
    received: dt.datetime,
    members: Mapping[str, str],
    result: Accepted,
) -> None:
    if not isinstance(call, dict):
        raise CallInvalid("a call must be a JSON object")
    size = len(orjson.dumps(call))
    if size > MAX_CALL_BYTES:
        raise CallInvalid(_too_large("call", size, MAX_CALL_BYTES))
    call_type = kind if kind != "batch" else call.get("type") or call.get("action")
    known_type = isinstance(call_type, str) and (
        call_type in USAGE_TYPES or call_type in PROFILE_TYPES
    )
    if not known_type:
        raise CallInvalid(
            f"type: {call_type!r} is not a call Steward stores; "
            "send track, page, screen, identify, group or alias"
        )
    user = _identity(call, "userId")
    anonymous = _identity(call, "anonymousId")
    if call_type == "alias":
        # The spec names the earlier id previousId; some libraries send only
        # the anonymousId as the earlier one.
        previous = _identity(call, "previousId") or anonymous
        if user is None or previous is None:
            raise CallInvalid(
                "an alias call needs userId (the new id) and previousId (the one "
                "it replaces)"
            )
        if previous == user:
            raise CallInvalid("previousId: the same as userId, so nothing to merge")
        anonymous = previous
    if user is None and anonymous is None:
        raise CallInvalid("userId or anonymousId is required")
    context = call.get("context", shared.get("context")) or {}
    if not isinstance(context, dict):
        raise CallInvalid("context: must be an object")
    notes: list[str] = []
    when = _time(call, shared, received, notes)
    message_id = _message_id(call, received)
    received_us = _micros(received)

    if call_type in PROFILE_TYPES:
        traits = call.get("traits")
        if traits is not None and not isinstance(traits, dict):
            raise CallInvalid("traits: must be an object")
        group = None
        if call_type == "group":
            group = _identity(call, "groupId")
            if group is None:
                raise CallInvalid("groupId is required for a group call")
            if user is not None:
                result.joined[user] = group
        extra = {"$warnings": notes} if notes else {}
        traits_text = orjson.dumps({**(traits or {}), **extra}).decode()
        result.profiles.append(
            [
                message_id,
                call_type,
                user,
                anonymous,
                group,
                traits_text,
                _micros(when),
                received_us,
            ]
        )
        result.warnings.extend(notes)
        return

    properties = call.get("properties") or {}
    if not isinstance(properties, dict):
        raise CallInvalid("properties: must be an object")
    if USAGE_TYPES[call_type] == "track":
        event = call.get("event")
        if not isinstance(event, str) or not event.strip():
            raise CallInvalid("event: a track call needs the event's name")
        feature = properties.get("feature")
    else:
        event = "page"
        name = call.get("name")
        feature = name if isinstance(name, str) and name else properties.get("path")
    account = _identity(context, "groupId") or _identity(call, "groupId")
    if account is None:
        account = members.get(user, "") if user is not None else ""
    if not account:
        notes.append(
            "no account yet: the call has no groupId or context.groupId and its "
            "user is not in a group; it is linked if a group call for the user "
            "arrives before it is compacted"
        )
    stored = dict(properties)
    if context:
        stored["$context"] = context
    if notes:
        stored["$warnings"] = notes
    result.events.append(
        [
            message_id,
            account,
            user if user is not None else anonymous,
            event,
            feature if isinstance(feature, str) else None,
            _micros(when),
            1,
            0,
            _value(properties),
            orjson.dumps(stored).decode(),
            received_us,
        ]
    )
    result.warnings.extend(notes)


def _identity(call: dict[str, Any], name: str) -> str | None:
    value = call.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise CallInvalid(f"{name}: must be a string")
    return str(value)


def _time(
    call: dict[str, Any],
    shared: dict[str, Any],
    received: dt.datetime,
    notes: list[str],
) -> dt.datetime:
    raw = call.get("timestamp") or call.get("originalTimestamp")
    if raw is None:
        return received
    when = _parse_time(raw, "timestamp")
    sent_raw = call.get("sentAt") or shared.get("sentAt")
    if sent_raw is not None:
        try:
            when = when + (received - _parse_time(sent_raw, "sentAt"))
        except OverflowError:
            raise CallInvalid(
                f"sentAt: {str(sent_raw)[:40]!r} is too far from the time received "
                "to correct the timestamp by it"
            ) from None
    if when < _EPOCH:
        raise CallInvalid(
            f"timestamp: {str(raw)[:40]!r} is before 1970-01-01 (after clock-skew "
            "correction), not a time usage can have"
        )
    if when > received:
        notes.append(
            f"timestamp {when.isoformat()} was after the time received "
            f"{received.isoformat()} (after clock-skew correction); stored as the "
            "time received"
        )
        return received
    return when


def _parse_time(raw: Any, name: str) -> dt.datetime:
    if not isinstance(raw, str):
        raise CallInvalid(
            f"{name}: must be an ISO-8601 time, e.g. 2024-06-01T12:00:00Z"
        )
    try:
        value = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        raise CallInvalid(
            f"{name}: {raw[:40]!r} is not an ISO-8601 time, e.g. 2024-06-01T12:00:00Z"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _message_id(call: dict[str, Any], received: dt.datetime) -> str:
    """The call's ``messageId``, or a server id from its content.

    The server id hashes the call without ``sentAt``, so a retry of the same
    call gets the same id; a call without its own time also hashes the time
    received, since two such calls may be equal and still be two events.
    """
    given = call.get("messageId")
    if isinstance(given, str | int) and not isinstance(given, bool) and given != "":
        return str(given)
    content = {k: v for k, v in call.items() if k not in ("sentAt", "messageId")}
    if not (call.get("timestamp") or call.get("originalTimestamp")):
        content["$received"] = received.isoformat()
    digest = hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS))
    return "steward-" + digest.hexdigest()[:32]


def _value(properties: dict[str, Any]) -> float | None:
    for name in ("revenue", "value"):
        value = properties.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def _micros(when: dt.datetime) -> int:
    delta = when - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _kb(limit: int) -> str:
    return f"{limit // 1024} KB"


def _too_large(what: str, size: int, limit: int) -> str:
    return f"{what} is {size:,} bytes; the limit is {_kb(limit)} ({limit:,} bytes)"
