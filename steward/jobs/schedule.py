"""The daily run inside ``steward serve``: once a day, in a background thread.

The thread only starts the job; web requests are served by other threads and
read the store meanwhile (SQLite in WAL mode lets readers in while the run
writes). A day's run that already happened (by hand, by cron) is not repeated.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from sqlalchemy import select

from steward.store.models import DailyRun
from steward.workspace import Workspace

log = logging.getLogger(__name__)


class DailyScheduler:
    """Runs ``run_daily`` for each new UTC day from ``at`` o'clock on."""

    def __init__(
        self,
        workspace: Workspace,
        at: dt.time = dt.time(2, 0),
        poll_seconds: float = 60,
    ) -> None:
        self.workspace = workspace
        self.at = at
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._loop, name="steward-daily-run", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_if_due(self, now: dt.datetime) -> bool:
        """Run the day of ``now`` when it is past ``at`` and not run yet."""
        from steward.jobs.run import run_daily

        day = now.astimezone(dt.UTC).date()
        if now.astimezone(dt.UTC).time() < self.at or self._has_run(day):
            return False
        log.info("daily_run.scheduled as_of=%s", day)
        run_daily(self.workspace, day)
        return True

    def _has_run(self, day: dt.date) -> bool:
        with self.workspace.store.session() as session:
            found = session.scalar(
                select(DailyRun.id).where(
                    DailyRun.as_of == day, DailyRun.finished_at.is_not(None)
                )
            )
        return found is not None

    def _loop(self) -> None:
        while not self._stop.is_set():
            wait = self.poll_seconds
            try:
                self.run_if_due(dt.datetime.now(dt.UTC))
            except Exception:  # the server stays up and tries again in an hour
                log.exception("daily_run.failed")
                wait = 3600
            self._stop.wait(wait)
