"""HTTP batch ingest of tracking calls, against a naive endpoint and the ceiling.

    .venv/bin/python -m benchmarks.tracking [--requests N] [--concurrency N]

Every request carries 100 ``track`` calls of about 400 bytes each, and every
answer comes only once its calls are on disk (fsynced). Timed in one run:

* ``steward``: ``POST /v1/batch`` on ``steward serve`` in its own process,
  with N clients at once; events per second at that load (the peak);
* ``naive``: an endpoint that takes one call per request and commits it to
  SQLite (synchronous=FULL, so it is as durable), same clients;
* ``ceiling``: the same batches through ``Tracker.receive`` in this process,
  with as many threads as clients: the parsing and appending without HTTP;
* latency at half the peak: requests sent on a fixed schedule at half the
  peak request rate (open loop: a late answer does not delay the next send),
  each timed from its scheduled start.

The load comes from this process (httpx, asyncio) on the same machine, so
client and server share its cores; the figures are a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import datetime as dt
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import orjson

from benchmarks.daily_run import OUT

EVENTS_PER_BATCH = 100
REPO = Path(__file__).parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    home = OUT / "tracking"
    shutil.rmtree(home, ignore_errors=True)
    key = _write_key(home / "steward")
    batches = [_batch(number) for number in range(args.requests)]
    singles = [
        orjson.dumps(call) for call in _calls(0, args.requests * 2, "single")
    ]  # one call per request for the naive endpoint

    ceiling = _ceiling(home / "ceiling", batches, args.concurrency)
    with _server(_steward_command(), home / "steward") as url:
        steward = asyncio.run(_closed_loop(url + "/v1/batch", batches, key, args))
        rate = 0.5 * steward["requests_per_second"]
        open_loop = asyncio.run(_open_loop(url + "/v1/batch", key, rate, args))
    with _server(_naive_command(home / "naive.db"), home / "naive") as url:
        naive = asyncio.run(_closed_loop(url + "/v1/track", singles, key, args))

    report(args, ceiling, steward, naive, open_loop, rate)


def _write_key(home: Path) -> str:
    from steward.auth.writekeys import add_write_key
    from steward.config import load_settings
    from steward.workspace import Workspace

    workspace = Workspace(settings=load_settings(home=home))
    workspace.store.upgrade()
    with workspace.store.session() as session:
        _, key = add_write_key(session, "benchmark", "benchmark")
    workspace.close()
    return key


def _calls(first: int, count: int, tag: str) -> list[dict]:
    """``count`` track calls of about 400 bytes, each with a fresh message id."""
    now = dt.datetime.now(dt.UTC)
    return [
        {
            "type": "track",
            "event": "Report Exported",
            "userId": f"user-{(first + i) % 5000}",
            "messageId": f"{tag}-{uuid.uuid4()}",
            "timestamp": (now - dt.timedelta(seconds=first + i)).isoformat(),
            "context": {"groupId": f"account-{(first + i) % 700}"},
            "properties": {
                "report": "quarterly-usage-by-team",
                "format": "csv",
                "rows": 1200 + i,
                "filters": ["region:emea", "plan:enterprise", "status:active"],
                "note": "x" * 60,
            },
        }
        for i in range(count)
    ]


def _batch(number: int) -> bytes:
    calls = _calls(number * EVENTS_PER_BATCH, EVENTS_PER_BATCH, f"b{number}")
    return orjson.dumps({"batch": calls, "sentAt": dt.datetime.now(dt.UTC).isoformat()})


# -- the in-process ceiling ----------------------------------------------------


def _ceiling(folder: Path, batches: list[bytes], threads: int) -> dict[str, float]:
    from steward.events.store import EventStore
    from steward.ingest.tracking import Tracker

    tracker = Tracker(EventStore(folder))
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        stored = sum(
            a.stored for a in pool.map(lambda b: tracker.receive(b, "batch"), batches)
        )
    seconds = time.perf_counter() - started
    tracker.writer.close()
    assert stored == len(batches) * EVENTS_PER_BATCH, stored
    return {"events_per_second": stored / seconds}


# -- servers -------------------------------------------------------------------


def _steward_command() -> list[str]:
    run = "from steward.cli.main import app; app()"
    return [sys.executable, "-c", run, "serve", "--no-daily"]


def _naive_command(database: Path) -> list[str]:
    return [sys.executable, "-m", "benchmarks.naive_ingest", str(database)]


class _server:
    """A server process on a free port, stopped on exit."""

    def __init__(self, command: list[str], home: Path) -> None:
        self.command = command
        self.home = home

    def __enter__(self) -> str:
        port = _free_port()
        env = {**os.environ, "STEWARD_HOME": str(self.home)}
        env.pop("STEWARD_DATABASE_URL", None)
        self.process = subprocess.Popen(
            [*self.command, "--port", str(port)],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                httpx.post(url + "/v1/batch", timeout=1)
                return url
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.command} did not start on port {port}")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(30)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- load ----------------------------------------------------------------------


async def _closed_loop(
    url: str, bodies: list[bytes], key: str, args: argparse.Namespace
) -> dict[str, float]:
    """Every body sent by ``concurrency`` clients, each waiting for its answer."""
    queue = list(reversed(bodies))
    latencies: list[float] = []
    events = 0

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal events
        while queue:
            body = queue.pop()
            started = time.perf_counter()
            answer = await http.post(url, content=body, headers=_headers())
            latencies.append(time.perf_counter() - started)
            answer.raise_for_status()
            events += answer.json()["stored"]

    async with _client(key, args.concurrency) as http:
        await http.post(url, content=bodies[-1], headers=_headers())  # warm up
        queue.pop(0)
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(args.concurrency)))
        seconds = time.perf_counter() - started
    return {
        "events_per_second": events / seconds,
        "requests_per_second": len(latencies) / seconds,
        **_percentiles(latencies),
    }


async def _open_loop(
    url: str, key: str, rate: float, args: argparse.Namespace
) -> dict[str, float]:
    """Requests started on a fixed schedule at ``rate`` per second."""
    count = max(1, int(rate * args.seconds))
    bodies = [_batch(100_000 + number) for number in range(count)]
    latencies: list[float] = []

    async def one(http: httpx.AsyncClient, body: bytes, due: float) -> None:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        answer = await http.post(url, content=body, headers=_headers())
        latencies.append(time.perf_counter() - due)
        answer.raise_for_status()

    async with _client(key, 256) as http:
        start = time.perf_counter() + 0.5
        await asyncio.gather(
            *(one(http, body, start + i / rate) for i, body in enumerate(bodies))
        )
    return _percentiles(latencies)


def _client(key: str, connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections)
    return httpx.AsyncClient(auth=(key, ""), limits=limits, timeout=60)


def _headers() -> dict[str, str]:
    return {"content-type": "application/json"}


def _percentiles(latencies: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"p50_ms": cuts[49] * 1e3, "p99_ms": cuts[98] * 1e3}


def report(
    args: argparse.Namespace,
    ceiling: dict[str, float],
    steward: dict[str, float],
    naive: dict[str, float],
    open_loop: dict[str, float],
    rate: float,
) -> None:
    print(
        f"Tracking ingest: {args.requests} batches of {EVENTS_PER_BATCH} calls "
        f"(~400 bytes each), {args.concurrency} clients, fsync before every answer"
    )
    print("| path | events/s | vs naive | vs ceiling | p50 ms | p99 ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    rows = [
        ("ceiling: Tracker.receive in-process", ceiling),
        ("Steward POST /v1/batch", steward),
        ("naive: one call per request, SQLite commit", naive),
    ]
    for name, result in rows:
        eps = result["events_per_second"]
        latency = (
            f"{result['p50_ms']:.1f} | {result['p99_ms']:.1f}"
            if "p50_ms" in result
            else "– | –"
        )
        print(
            f"| {name} | {eps:,.0f} | {eps / naive['events_per_second']:.1f} "
            f"| {eps / ceiling['events_per_second']:.0%} | {latency} |"
        )
    print(
        f"At half the peak ({rate:.0f} requests/s, open loop, {args.seconds:.0f} s): "
        f"p50 {open_loop['p50_ms']:.1f} ms, p99 {open_loop['p99_ms']:.1f} ms"
    )
    print()


if __name__ == "__main__":
    sys.exit(main())
