"""The /v1 tracking endpoints in-process: auth, limits, bodies, partial batches."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from steward.cli.main import app as cli
from steward.web.app import create_app
from tests.tracking_helpers import stored_ids, workspace_with_key


@pytest.fixture
def tracked(tmp_path: Path):
    workspace, key = workspace_with_key(tmp_path)
    app = create_app(workspace)
    app.state.write_keys.ttl = 0.0  # see revocations at once
    with TestClient(app) as client:
        yield client, key, workspace
    workspace.close()


def _track(n: int, **extra: object) -> dict:
    return {
        "type": "track",
        "userId": f"u{n % 7}",
        "event": "Report Built",
        "messageId": f"m-{n}",
        "timestamp": "2024-06-03T10:00:00Z",
        "context": {"groupId": "acme"},
        "properties": {"rows": n},
        **extra,
    }


def test_a_track_call_with_a_write_key_is_stored(tracked):
    client, key, workspace = tracked

    response = client.post("/v1/track", json=_track(1), auth=(key, ""))

    assert response.status_code == 200
    assert response.json() == {"success": True, "stored": 1}
    assert stored_ids(workspace.events) == ["m-1"]


def test_a_wrong_method_on_the_tracking_api_answers_json(tracked):
    client, key, _ = tracked

    answer = client.get("/v1/track", auth=(key, ""))

    assert answer.status_code == 405
    assert answer.json()["error"]["code"] == "method_not_allowed"


def test_calls_without_a_key_or_with_a_revoked_key_are_refused(tracked):
    client, key, workspace = tracked
    runner = CliRunner()

    missing = client.post("/v1/track", json=_track(1))
    wrong = client.post("/v1/track", json=_track(1), auth=("swk_nope", ""))
    env = {"STEWARD_HOME": str(workspace.settings.home)}
    runner.invoke(cli, ["writekey", "revoke", "1"], env=env)
    revoked = client.post("/v1/track", json=_track(1), auth=(key, ""))

    assert missing.status_code == 401
    assert missing.json()["message"].startswith("send a write key as the HTTP")
    assert wrong.status_code == 401
    assert revoked.status_code == 401
    assert revoked.json()["message"] == "the write key is unknown or revoked"
    assert stored_ids(workspace.events) == []


def test_write_key_in_the_body_is_accepted_as_some_libraries_send_it(tracked):
    client, key, workspace = tracked

    response = client.post("/v1/batch", json={"writeKey": key, "batch": [_track(1)]})

    assert response.status_code == 200
    assert stored_ids(workspace.events) == ["m-1"]


def test_writekey_commands_add_list_and_revoke(tmp_path):
    runner = CliRunner()
    env = {"STEWARD_HOME": str(tmp_path)}
    runner.invoke(cli, ["init"], env=env)

    added = runner.invoke(cli, ["writekey", "add", "web app"], env=env)
    listed = runner.invoke(cli, ["writekey", "list"], env=env)
    revoked = runner.invoke(cli, ["writekey", "revoke", "1"], env=env)
    unknown = runner.invoke(cli, ["writekey", "revoke", "9"], env=env)

    assert added.exit_code == 0 and added.stdout.startswith("swk_")
    assert "web app" in listed.stdout and added.stdout[:10] in listed.stdout
    assert revoked.stdout.strip() == "Revoked write key 1 (web app)."
    assert unknown.exit_code == 1
    assert "no write key with id 9; `steward writekey list` shows them" in (
        unknown.stderr
    )


def test_a_batch_with_bad_calls_stores_the_good_ones_and_names_the_bad(tracked):
    client, key, workspace = tracked
    batch = [
        _track(1),
        {"type": "track", "event": "No One"},
        _track(2, timestamp="yesterday"),
        {"type": "alias", "userId": "u1"},
        _track(3, event=""),
        "not a call",
        _track(4),
    ]

    response = client.post("/v1/batch", json={"batch": batch}, auth=(key, ""))

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is False and body["stored"] == 2
    assert body["failed"] == [
        {"index": 1, "messageId": None, "error": "userId or anonymousId is required"},
        {
            "index": 2,
            "messageId": "m-2",
            "error": "timestamp: 'yesterday' is not an ISO-8601 time, "
            "e.g. 2024-06-01T12:00:00Z",
        },
        {
            "index": 3,
            "messageId": None,
            "error": "an alias call needs userId (the new id) and previousId (the "
            "one it replaces)",
        },
        {
            "index": 4,
            "messageId": "m-3",
            "error": "event: a track call needs the event's name",
        },
        {"index": 5, "messageId": None, "error": "a call must be a JSON object"},
    ]
    assert sorted(stored_ids(workspace.events)) == ["m-1", "m-4"]


def test_gzip_bodies_are_read_with_or_without_the_header(tracked):
    client, key, workspace = tracked
    first = gzip.compress(json.dumps({"batch": [_track(1)]}).encode())
    second = gzip.compress(json.dumps({"batch": [_track(2)]}).encode())

    with_header = client.post(
        "/v1/batch",
        content=first,
        headers={"Content-Encoding": "gzip"},
        auth=(key, ""),
    )
    by_magic_bytes = client.post("/v1/batch", content=second, auth=(key, ""))

    assert with_header.status_code == by_magic_bytes.status_code == 200
    assert sorted(stored_ids(workspace.events)) == ["m-1", "m-2"]


def test_a_zip_bomb_is_refused_without_inflating_it(tracked):
    client, key, workspace = tracked
    bomb = gzip.compress(b"[" + b" " * (200 * 1024 * 1024) + b"]", compresslevel=9)

    response = client.post("/v1/batch", content=bomb, auth=(key, ""))

    assert len(bomb) < 500 * 1024
    assert response.status_code == 413
    assert response.json()["message"] == (
        "body inflates past 512,000 bytes; the limit is 500 KB per batch; "
        "send smaller batches"
    )


def test_segment_size_limits_are_answered_with_the_limit_named(tracked):
    client, key, workspace = tracked
    big = _track(1, properties={"blob": "x" * 33_000})
    many = {"batch": [_track(n, properties={"p": "y" * 2000}) for n in range(300)]}

    one_call = client.post("/v1/track", json=big, auth=(key, ""))
    in_batch = client.post(
        "/v1/batch", json={"batch": [big, _track(2)]}, auth=(key, "")
    )
    whole_batch = client.post("/v1/batch", json=many, auth=(key, ""))

    assert one_call.status_code == 413
    assert one_call.json()["message"].endswith("the limit is 32 KB (32,768 bytes)")
    assert in_batch.status_code == 200
    assert in_batch.json()["failed"][0]["error"].startswith("call is 33,")
    assert whole_batch.status_code == 413
    assert "the limit is 500 KB per batch" in whole_batch.json()["message"]
    assert stored_ids(workspace.events) == ["m-2"]


def test_a_body_that_is_not_json_is_a_400_naming_the_problem(tracked):
    client, key, _ = tracked

    response = client.post("/v1/batch", content=b"{nope", auth=(key, ""))
    no_list = client.post("/v1/batch", json={"batch": 3}, auth=(key, ""))

    assert response.status_code == 400
    assert response.json()["message"].startswith("body is not valid JSON (")
    assert no_list.json()["message"] == "batch: must be a list of calls"


def test_retried_calls_are_stored_once_before_and_after_compaction(tracked):
    client, key, workspace = tracked
    batch = {"batch": [_track(n) for n in range(50)]}

    client.post("/v1/batch", json=batch, auth=(key, ""))
    client.post("/v1/batch", json=batch, auth=(key, ""))
    before = Counter(stored_ids(workspace.events))
    client.app.state.tracker.flush()
    client.post("/v1/batch", json=batch, auth=(key, ""))
    after = Counter(stored_ids(workspace.events))
    client.app.state.tracker.flush()
    compacted = Counter(stored_ids(workspace.events))

    expected = {f"m-{n}": 1 for n in range(50)}
    assert before == after == compacted == expected


def test_invalid_utf8_surrogates_and_nul_are_replaced_and_reported(tracked):
    client, key, workspace = tracked
    body = (
        b'{"batch": [{"type": "track", "userId": "u\xff1", "event": "A\\u0000B",'
        b' "messageId": "x1", "properties": {"q": "\\ud800 lone"},'
        b' "context": {"groupId": "acme"}}]}'
    )

    response = client.post("/v1/batch", content=body, auth=(key, ""))

    assert response.status_code == 200
    assert response.json()["warnings"] == [
        "body is not valid UTF-8: 1 bytes replaced with U+FFFD",
        "2 strings held NUL characters or unpaired surrogates; those characters "
        "were replaced with U+FFFD",
    ]
    row = workspace.events.pending().events.to_pylist()[0]
    assert row["user_id"] == "u\ufffd1"
    assert row["event"] == "A\ufffdB"
    assert orjson.loads(row["properties"])["q"] == "\ufffd lone"


def test_group_calls_link_users_to_accounts_for_later_calls(tracked):
    client, key, workspace = tracked
    early = {"type": "track", "userId": "ana", "event": "Early", "messageId": "e0"}
    join = {"type": "group", "userId": "ana", "groupId": "globex", "messageId": "g1"}
    later = {"type": "track", "userId": "ana", "event": "Later", "messageId": "e1"}

    first = client.post("/v1/track", json=early, auth=(key, ""))
    client.post("/v1/batch", json={"batch": [join, later]}, auth=(key, ""))
    before = {r["message_id"]: r["account_id"] for r in _rows(workspace)}
    client.app.state.tracker.flush()
    after = {r["message_id"]: r["account_id"] for r in _rows(workspace)}

    assert first.json()["warnings"][0].startswith("no account yet: the call has no")
    assert before == {"e0": "", "e1": "globex"}
    assert after == {"e0": "globex", "e1": "globex"}
    assert workspace.events.memberships() == {"ana": "globex"}


def test_an_alias_merges_a_visitor_into_the_user_and_their_account(tracked):
    client, key, workspace = tracked
    visit = {"type": "page", "anonymousId": "v-9", "name": "Pricing", "messageId": "p1"}
    trial = {"type": "track", "anonymousId": "v-9", "event": "Trial", "messageId": "t1"}
    alias = {"type": "alias", "previousId": "v-9", "userId": "ana", "messageId": "a1"}
    join = {"type": "group", "userId": "ana", "groupId": "globex", "messageId": "g1"}
    # A chain: ana's work address becomes her id later on.
    again = {"type": "alias", "previousId": "ana", "userId": "ana@globex.example"}
    after = {"type": "track", "userId": "ana", "event": "Report", "messageId": "r1"}
    stranger = {"type": "track", "anonymousId": "v-1", "event": "X", "messageId": "x1"}

    client.post("/v1/batch", json={"batch": [visit, trial]}, auth=(key, ""))
    answer = client.post("/v1/alias", json=alias, auth=(key, ""))
    client.post("/v1/batch", json={"batch": [join, again, after]}, auth=(key, ""))
    client.post("/v1/track", json=stranger, auth=(key, ""))
    before = {
        r["message_id"]: (r["user_id"], r["account_id"]) for r in _rows(workspace)
    }
    client.app.state.tracker.flush()
    compacted = {
        r["message_id"]: (r["user_id"], r["account_id"]) for r in _rows(workspace)
    }

    assert answer.json() == {"success": True, "stored": 1}
    assert before == {
        "p1": ("v-9", ""),
        "t1": ("v-9", ""),
        "r1": ("ana", "globex"),
        "x1": ("v-1", ""),
    }
    final = ("ana@globex.example", "globex")
    assert compacted == {"p1": final, "t1": final, "r1": final, "x1": ("v-1", "")}
    assert workspace.events.memberships() == {
        "ana": "globex",
        "ana@globex.example": "globex",
    }


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (
            {"previousId": "v-1"},
            "an alias call needs userId (the new id) and previousId (the one it "
            "replaces)",
        ),
        (
            {"userId": "ana", "previousId": "ana"},
            "previousId: the same as userId, so nothing to merge",
        ),
    ],
)
def test_an_alias_without_two_different_ids_is_refused(tracked, call, error):
    client, key, _workspace = tracked

    response = client.post("/v1/alias", json={"type": "alias", **call}, auth=(key, ""))

    assert response.status_code == 400
    assert response.json()["message"] == error


def _rows(workspace) -> list[dict]:
    import ibis

    con = ibis.duckdb.connect()
    return con.execute(workspace.events.table(con)).to_dict("records")


def test_the_segment_spec_examples_are_accepted(tracked, shared_data):
    client, key, workspace = tracked
    folder = shared_data / "events" / "segment_spec_examples"
    lines = (folder / "b2b_saas_events.jsonl").read_text().splitlines()
    tracks = [json.loads(line) for line in lines if line.strip()]

    answers = [client.post("/v1/track", json=t, auth=(key, "")) for t in tracks]
    group = client.post(
        "/v1/group", content=(folder / "group_full.json").read_bytes(), auth=(key, "")
    )
    identify = client.post(
        "/v1/identify",
        content=(folder / "identify_full.json").read_bytes(),
        auth=(key, ""),
    )

    assert [a.json() for a in answers] == [{"success": True, "stored": 1}] * len(tracks)
    assert group.json() == identify.json() == {"success": True, "stored": 1}
    rows = _rows(workspace)
    assert sorted(r["event"] for r in rows) == sorted(t["event"] for t in tracks)
    assert {r["account_id"] for r in rows} == {"acct_123"}
    profiles = workspace.events.profiles().to_pylist()
    assert sorted(p["type"] for p in profiles) == ["group", "identify"]
    assert workspace.events.memberships() == {
        "97980cfea0067": "0e8c78ea9d97a7b8185e8632"
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
call_keys = st.sampled_from(
    ["type", "userId", "anonymousId", "event", "timestamp", "sentAt", "messageId",
     "properties", "context", "groupId", "traits", "name"]
)  # fmt: skip


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(batch=st.lists(st.dictionaries(call_keys, json_values, max_size=8), max_size=5))
def test_no_call_however_malformed_gets_a_500(tracked, batch):
    client, key, _ = tracked

    body = json.dumps({"batch": batch}).encode()  # NaN and huge ints included

    response = client.post("/v1/batch", content=body, auth=(key, ""))

    assert response.status_code in (200, 400, 413)
    assert "message" in response.json() or "stored" in response.json()
