"""A real Steward server: Segment's own client, kill -9, and imports beside it."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import httpx
import uvicorn
from segment.analytics import Client

from steward.web.app import create_app
from tests.tracking_helpers import (
    REPO,
    free_port,
    start_server,
    stored_ids,
    wait_until_up,
    workspace_with_key,
)


class FlakyNetwork:
    """Loses answers on the way back, as a real network does.

    Every 5th request is stored and then answered 503 (so the client sends
    it again); every 7th is refused before Steward sees it.
    """

    def __init__(self, app) -> None:  # noqa: ANN001 - an ASGI app
        self.app = app
        self.requests = 0
        self.lost = 0

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http" or scope["path"] != "/v1/batch":
            await self.app(scope, receive, send)
            return
        self.requests += 1
        number = self.requests
        if number % 7 == 0:
            await _answer_503(send)
            return
        if number % 5 == 0:
            self.lost += 1

            async def swallow(message) -> None:  # noqa: ANN001
                pass

            await self.app(scope, receive, swallow)
            await _answer_503(send)
            return
        await self.app(scope, receive, send)


async def _answer_503(send) -> None:  # noqa: ANN001
    body = b'{"code": "unavailable", "message": "try again"}'
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def test_segment_client_with_retries_stores_every_event_exactly_once(tmp_path):
    workspace, key = workspace_with_key(tmp_path)
    network = FlakyNetwork(create_app(workspace))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(network, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until_up(port)
    failures = []
    client = Client(
        write_key=key,
        host=f"http://127.0.0.1:{port}",
        max_retries=10,
        upload_size=100,
        gzip=True,
        on_error=lambda error, batch: failures.append(error),
    )

    sent = []
    for n in range(3000):
        _, message = client.track(
            user_id=f"user-{n % 40}",
            event="Report Built",
            properties={"n": n},
            context={"groupId": f"acct-{n % 9}"},
        )
        sent.append(message["messageId"])
    client.flush()
    client.join()
    server.should_exit = True
    thread.join()

    assert failures == []
    assert network.lost > 0  # some batches really were sent twice
    counts = Counter(stored_ids(workspace.events))
    assert counts == Counter(sent)
    assert set(counts.values()) == {1}


def _batches(count: int, prefix: str) -> list[dict]:
    return [
        {
            "batch": [
                {
                    "type": "track",
                    "userId": f"u{i % 13}",
                    "event": "Exported",
                    "messageId": f"{prefix}-{b}-{i}",
                    "timestamp": "2024-06-03T10:00:00Z",
                    "context": {"groupId": f"acct-{b % 5}"},
                    "properties": {"rows": i, "pad": "x" * 250},
                }
                for i in range(100)
            ]
        }
        for b in range(count)
    ]


def _send(port: int, key: str, batches: list[dict], acked: list[str], stop) -> None:
    """Send batches in order, recording the ids of those acknowledged."""
    with httpx.Client(auth=(key, ""), timeout=5) as http:
        for batch in batches:
            if stop.is_set():
                return
            try:
                answer = http.post(f"http://127.0.0.1:{port}/v1/batch", json=batch)
            except httpx.TransportError:
                return
            if answer.status_code == 200:
                acked.extend(call["messageId"] for call in batch["batch"])


def test_acknowledged_events_survive_kill_9_and_resent_ones_are_not_doubled(
    tmp_path,
):
    workspace, key = workspace_with_key(tmp_path)
    port = free_port()
    batches = _batches(400, "k")
    acked: list[str] = []
    stop = threading.Event()
    server = start_server(tmp_path, port, flush_seconds=0.3)
    sender = threading.Thread(target=_send, args=(port, key, batches, acked, stop))

    sender.start()
    while len(acked) < 3000 and sender.is_alive():
        time.sleep(0.01)
    os.kill(server.pid, signal.SIGKILL)  # mid-stream, whatever it was doing
    server.wait()
    sender.join()
    acked_at_kill = list(acked)
    survived = Counter(stored_ids(workspace.events))
    server = start_server(tmp_path, port, flush_seconds=0.3)
    _send(port, key, batches, [], threading.Event())  # the client re-sends all
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=60)

    assert 3000 <= len(acked_at_kill) < 40_000
    assert set(acked_at_kill) <= set(survived)
    final = Counter(stored_ids(workspace.events))
    every = [call["messageId"] for batch in batches for call in batch["batch"]]
    assert final == Counter(every)
    assert list(workspace.events.incoming.glob("seg-*")) == []  # all compacted


def test_an_import_and_the_server_write_events_at_the_same_time(tmp_path, shared_data):
    workspace, key = workspace_with_key(tmp_path)
    port = free_port()
    batches = _batches(150, "s")
    server = start_server(tmp_path, port, flush_seconds=0.2)
    acked: list[str] = []
    sender = threading.Thread(
        target=_send, args=(port, key, batches, acked, threading.Event())
    )
    env = {**os.environ, "STEWARD_HOME": str(tmp_path)}
    command = [sys.executable, "-c", "from steward.cli.main import app; app()"]
    sparkify = shared_data / "events" / "sparkify_eventsim_2018-11.jsonl"

    sender.start()
    imported = subprocess.run(
        [*command, "import", str(sparkify), "--mapping", "sparkify"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    sender.join()
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=60)

    assert imported.returncode == 3, imported.stderr  # logged-out rows rejected
    assert len(acked) == 150 * 100
    with_user = sum(
        1
        for line in sparkify.open()
        if json.loads(line).get("userId") not in ("", None)
    )
    ids = stored_ids(workspace.events)
    assert len(ids) == len(set(ids)) == with_user + 150 * 100


def test_sparkify_events_sent_as_track_calls_are_all_stored(tmp_path, shared_data):
    workspace, key = workspace_with_key(tmp_path)
    lines = (shared_data / "events" / "sparkify_eventsim_2018-11.jsonl").open()
    records = [json.loads(line) for line in lines if line.strip()]
    calls = [_sparkify_call(n, record) for n, record in enumerate(records)]
    app = create_app(workspace)

    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        answers = [
            client.post(
                "/v1/batch", json={"batch": calls[i : i + 100]}, auth=(key, "")
            ).json()
            for i in range(0, len(calls), 100)
        ]

    assert all(answer["success"] for answer in answers)
    assert sum(answer["stored"] for answer in answers) == len(records)
    import ibis

    con = ibis.duckdb.connect()
    table = workspace.events.table(con)
    stored = con.execute(table.group_by("event").aggregate(n=table.count()))
    expected = Counter(record["page"] for record in records)
    assert dict(zip(stored["event"], stored["n"], strict=True)) == expected


def _sparkify_call(n: int, record: dict) -> dict:
    """An eventsim row as a track call: the user is its own account."""
    when = dt.datetime.fromtimestamp(record["ts"] / 1000, dt.UTC)
    user = record.get("userId") or None
    call = {
        "type": "track",
        "event": record["page"],
        "messageId": f"sparkify-{n}",
        "timestamp": when.isoformat(),
        "properties": {k: v for k, v in record.items() if k not in ("ts", "page")},
    }
    if user:
        call["userId"] = user
        call["context"] = {"groupId": user}
    else:
        call["anonymousId"] = f"session-{record['sessionId']}"
    return call
