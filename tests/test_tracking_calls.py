"""Tracking calls into rows, without HTTP: times, ids, accounts, pages."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest

from steward.errors import PayloadInvalid
from steward.ingest.calls import accept, decompress

RECEIVED = dt.datetime(2024, 6, 3, 12, 0, 0, tzinfo=dt.UTC)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _time_of(row: list) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=row[5])


def _call(**fields: object) -> dict:
    return {"userId": "u1", "event": "Saved", "context": {"groupId": "a"}, **fields}


def test_clock_skew_is_corrected_from_sent_at():
    # The client's clock is 10 minutes fast: it sent at 12:10 by its clock.
    call = _call(timestamp="2024-06-03T12:05:00Z", sentAt="2024-06-03T12:10:00Z")

    row = accept(call, "track", RECEIVED, {}).events[0]

    assert _time_of(row) == dt.datetime(2024, 6, 3, 11, 55, tzinfo=dt.UTC)


def test_a_batch_sent_at_applies_to_calls_without_their_own():
    payload = {
        "sentAt": "2024-06-03T11:00:00Z",
        "batch": [{"type": "track", **_call(timestamp="2024-06-03T10:30:00Z")}],
    }

    row = accept(payload, "batch", RECEIVED, {}).events[0]

    assert _time_of(row) == dt.datetime(2024, 6, 3, 11, 30, tzinfo=dt.UTC)


def test_offsets_become_utc_and_times_without_offset_are_utc():
    east = {"type": "track", **_call(timestamp="2024-06-03T13:30:00+02:00")}
    bare = {"type": "track", **_call(timestamp="2024-06-03T09:15:00")}

    rows = accept({"batch": [east, bare]}, "batch", RECEIVED, {})

    assert [_time_of(r) for r in rows.events] == [
        dt.datetime(2024, 6, 3, 11, 30, tzinfo=dt.UTC),
        dt.datetime(2024, 6, 3, 9, 15, tzinfo=dt.UTC),
    ]


def test_a_future_time_is_clamped_to_the_time_received_with_a_warning_kept():
    call = _call(timestamp="2024-06-05T00:00:00Z")

    accepted = accept(call, "track", RECEIVED, {})

    row = accepted.events[0]
    assert _time_of(row) == RECEIVED
    warning = (
        "timestamp 2024-06-05T00:00:00+00:00 was after the time received "
        "2024-06-03T12:00:00+00:00 (after clock-skew correction); stored as the "
        "time received"
    )
    assert accepted.warnings == [warning]
    assert orjson.loads(row[9])["$warnings"] == [warning]


def test_times_no_usage_can_have_are_refused_naming_the_field():
    ancient = {"type": "track", **_call(timestamp="0001-01-01T00:00:00Z")}
    far_sent = {
        "type": "track",
        **_call(timestamp="2024-06-01T00:00:00Z", sentAt="9999-12-31T23:59:59Z"),
    }
    good = {"type": "track", **_call(timestamp="2024-06-01T00:00:00Z")}

    accepted = accept({"batch": [ancient, far_sent, good]}, "batch", RECEIVED, {})

    assert [(f.index, f.error) for f in accepted.failed] == [
        (
            0,
            "timestamp: '0001-01-01T00:00:00Z' is before 1970-01-01 (after "
            "clock-skew correction), not a time usage can have",
        ),
        (
            1,
            "sentAt: '9999-12-31T23:59:59Z' is too far from the time received to "
            "correct the timestamp by it",
        ),
    ]
    assert len(accepted.events) == 1


def test_a_call_without_time_gets_the_time_received():
    row = accept(_call(), "track", RECEIVED, {}).events[0]

    assert _time_of(row) == RECEIVED


def test_server_ids_are_stable_for_a_retried_call_and_distinct_for_two_calls():
    call = _call(timestamp="2024-06-03T10:00:00Z")

    first = accept({**call, "sentAt": "2024-06-03T10:00:01Z"}, "track", RECEIVED, {})
    retry = accept({**call, "sentAt": "2024-06-03T10:05:00Z"}, "track", RECEIVED, {})
    untimed_a = accept(_call(), "track", RECEIVED, {})
    later = RECEIVED + dt.timedelta(seconds=1)
    untimed_b = accept(_call(), "track", later, {})

    assert first.events[0][0] == retry.events[0][0]
    assert first.events[0][0].startswith("steward-")
    assert untimed_a.events[0][0] != untimed_b.events[0][0]


def test_account_comes_from_context_then_group_id_then_membership():
    from_context = _call()
    top_level = {"userId": "u2", "event": "E", "groupId": "b"}
    member = {"userId": "u3", "event": "E"}

    rows = [
        accept(c, "track", RECEIVED, {"u3": "c"}).events[0]
        for c in (from_context, top_level, member)
    ]

    assert [row[1] for row in rows] == ["a", "b", "c"]


def test_page_calls_are_events_named_page_with_the_page_as_feature():
    call = {"userId": "u1", "name": "Pricing", "properties": {"path": "/pricing"}}

    row = accept(call, "page", RECEIVED, {"u1": "a"}).events[0]

    assert (row[1], row[3], row[4]) == ("a", "page", "Pricing")


def test_revenue_becomes_the_event_value():
    call = _call(properties={"revenue": 49.5})

    row = accept(call, "track", RECEIVED, {}).events[0]

    assert row[8] == 49.5


def test_truncated_gzip_is_refused():
    import gzip

    body = gzip.compress(b'{"batch": []}')[:-6]

    with pytest.raises(PayloadInvalid) as error:
        decompress(body, None, 1000)

    assert str(error.value) == (
        "body is not valid gzip (it ends before the stream does)"
    )
