"""The tracking service: requests in, durable rows out, compaction behind.

``Tracker.receive`` checks one request's calls (``steward.ingest.calls``),
appends the good ones to this process's segment and returns only once they
are on disk. A background thread closes the segment every
``flush_seconds`` and compacts closed segments into the Parquet partitions;
readers see the calls in between, so nothing waits on it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from steward.events.records import encode_frame
from steward.events.store import EventStore
from steward.ingest import calls
from steward.ingest.calls import Accepted

log = logging.getLogger(__name__)


class Tracker:
    """One process's tracking intake over an event store."""

    def __init__(
        self,
        events: EventStore,
        flush_seconds: float = 300.0,
    ) -> None:
        self.events = events
        self.flush_seconds = flush_seconds
        self.writer = events.writer()
        self._members: dict[str, str] = {}
        # Links learnt while a refresh reads the store, kept over its result.
        self._since: dict[str, str] | None = None
        self._members_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Compact what a previous process left, then flush in the background."""
        self.flush()
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, name="steward-tracking-flush", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.writer.close()
        self.flush()

    def receive(
        self,
        body: bytes,
        kind: str,
        encoding: str | None = None,
        check_key: Callable[[str | None], None] | None = None,
        received: dt.datetime | None = None,
    ) -> Accepted:
        """Store a request's good calls durably; report the bad ones.

        ``check_key`` is called with the body's ``writeKey`` when the request
        carried no basic-auth key (some Segment libraries send it that way).
        Raises ``PayloadInvalid`` or ``PayloadTooLarge`` for the whole body.
        """
        received = received or dt.datetime.now(dt.UTC)
        limit = calls.MAX_BATCH_BYTES if kind == "batch" else calls.MAX_CALL_BYTES
        data = calls.decompress(body, encoding, limit)
        payload, warnings = calls.parse_json(data)
        if check_key is not None:
            key = payload.get("writeKey") if isinstance(payload, dict) else None
            check_key(key if isinstance(key, str) else None)
        with self._members_lock:
            members = self._members
        accepted = calls.accept(payload, kind, received, members, warnings)
        if accepted.stored:
            self.writer.append(encode_frame(accepted.events, accepted.profiles))
        if accepted.joined:
            with self._members_lock:
                # Copied, not changed in place: requests read it unlocked.
                self._members = {**self._members, **accepted.joined}
                if self._since is not None:
                    self._since.update(accepted.joined)
        return accepted

    def flush(self) -> None:
        """Close the open segment and compact every closed one."""
        self.writer.rotate()
        result = self.events.compact()
        if result.segments:
            log.info(
                "tracking.compact segments=%d events=%d duplicates=%d profiles=%d",
                result.segments,
                result.events.inserted,
                result.events.duplicates,
                result.profiles.inserted,
            )
        self.refresh_members()

    def refresh_members(self) -> None:
        """Reload user-to-account links (other processes may have stored some)."""
        with self._members_lock:
            self._since = {}
        members = self.events.memberships()
        with self._members_lock:
            self._members = {**members, **self._since}
            self._since = None

    def _loop(self) -> None:
        waited = 0.0
        tick = min(self.flush_seconds, 1.0)
        while not self._stop.wait(tick):
            waited += tick
            try:
                if waited >= self.flush_seconds:
                    waited = 0.0
                    self.flush()
            except Exception:  # a failed flush is retried; the segments stay
                log.exception("tracking.flush_failed")
