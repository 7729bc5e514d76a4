"""What the tracking tests share: a data folder with a write key, servers, reads."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from steward.auth.writekeys import add_write_key
from steward.config import load_settings
from steward.events.records import encode_frame
from steward.events.segments import SegmentWriter
from steward.events.store import EventStore
from steward.workspace import Workspace

REPO = Path(__file__).parents[1]


def workspace_with_key(home: Path) -> tuple[Workspace, str]:
    """An initialised data folder and a live write key for it."""
    workspace = Workspace(settings=load_settings(home=home))
    workspace.store.upgrade()
    with workspace.store.session() as session:
        _, key = add_write_key(session, "tests", "tests")
    return workspace, key


def stored_ids(events: EventStore) -> list[str]:
    """Every stored event's message id, compacted or still in segments."""
    files = events.files()
    pending = events.pending()
    ids = pending.events["message_id"].to_pylist()
    if files:
        import duckdb

        with duckdb.connect() as con:
            rows = con.execute(
                "select message_id from read_parquet($f)",
                {"f": [str(f) for f in pending.files]},
            ).fetchall()
        ids += [row[0] for row in rows]
    return ids


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(home: Path, port: int, flush_seconds: float = 0.5) -> subprocess.Popen:
    """``steward serve`` in its own process, as a team would run it."""
    env = {
        **os.environ,
        "STEWARD_HOME": str(home),
        "STEWARD_TRACKING_FLUSH_SECONDS": str(flush_seconds),
    }
    command = [
        sys.executable,
        "-c",
        "from steward.cli.main import app; app()",
        "serve",
        "--no-daily",
        "--port",
        str(port),
    ]
    process = subprocess.Popen(
        command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    wait_until_up(port, process)
    return process


def wait_until_up(port: int, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stderr.read().decode()}")
        try:
            httpx.post(f"http://127.0.0.1:{port}/v1/batch", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start within 60 s")


def segment_call(
    events: EventStore,
    account: str,
    user: str,
    event: str,
    when: dt.datetime,
    *,
    feature: str | None = None,
    quantity: int = 1,
) -> SegmentWriter:
    """One tracking call in a segment not yet compacted; the writer holding it."""
    micros = int(when.timestamp() * 1e6)
    row = ["seg-1", account, user, event, feature, micros, quantity, 0]
    writer = events.writer()
    writer.append(encode_frame([[*row, None, None, micros]], []))
    return writer


def compacting_after_first_listing(events: EventStore) -> None:
    """The store's calls compacted into a file right after its files are first
    listed, as ``steward serve`` may do while a day is computed."""
    listing = events.files
    calls = []

    def files() -> list:
        found = listing()
        if not calls:
            calls.append(1)
            events.compact()
        return found

    events.files = files
