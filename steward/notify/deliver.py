"""Delivering the outbox after commit: claim, send, record; retried with backoff.

Guarantees, and their one limit:

- Nothing is lost: a message exists once its run commits, and stays due until
  a send succeeds or its attempts run out (then ``failed``, visible, and
  ``steward outbox retry`` sends it again).
- Nothing is sent twice by Steward: a message is sent only under a claim (a
  committed conditional update), two deliverers never hold the same claim,
  and a sent message is never claimed again.
- A deliverer that dies mid-send leaves its claim to expire (the lease,
  ``STEWARD_OUTBOX_LEASE_SECONDS``), and the message is then sent again. If the
  death fell after the server accepted the message and before Steward
  recorded it, the receiver sees it twice, with the same Message-ID or
  ``X-Steward-Idempotency-Key`` so that it can drop the repeat.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from steward.config import Settings
from steward.notify.email import SmtpSender
from steward.notify.errors import DeliveryError
from steward.notify.http import SlackSender, WebhookSender
from steward.notify.outbox import (
    Claimed,
    claim,
    mark_cancelled,
    mark_failed,
    mark_sent,
    unsubscribed_on,
)
from steward.store.db import Store
from steward.store.models import utcnow

log = logging.getLogger(__name__)

Sender = Callable[[Claimed], None]


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.failed + self.cancelled


def default_senders(settings: Settings) -> dict[str, Sender]:
    return {
        "email": SmtpSender(settings),
        "slack": SlackSender(settings),
        "webhook": WebhookSender(settings),
    }


def deliver_due(
    store: Store,
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    limit: int = 1000,
    batch: int = 50,
    senders: Mapping[str, Sender] | None = None,
) -> DeliveryReport:
    """Send every message due at ``now`` (default: the current time), up to ``limit``.

    Each claim and each result is its own short transaction, so a crash
    loses at most the claims in flight, which expire and are taken again.
    """
    now = now or utcnow()
    senders = senders or default_senders(settings)
    lease = dt.timedelta(seconds=settings.outbox_lease_seconds)
    report = DeliveryReport()
    while report.attempted < limit:
        with store.session() as session:
            taken = claim(session, now, lease, min(batch, limit - report.attempted))
        if not taken:
            break
        for claimed in taken:
            _deliver_one(store, settings, senders, claimed, now, report)
    return report


def _deliver_one(
    store: Store,
    settings: Settings,
    senders: Mapping[str, Sender],
    claimed: Claimed,
    now: dt.datetime,
    report: DeliveryReport,
) -> None:
    if claimed.channel == "email":
        with store.session() as session:
            since = unsubscribed_on(session, claimed.target)
            if since is not None:
                mark_cancelled(session, claimed, f"unsubscribed on {since}")
                report.cancelled += 1
                return
    try:
        senders[claimed.channel](claimed)
    except DeliveryError as error:
        with store.session() as session:
            status = mark_failed(
                session,
                claimed,
                now,
                str(error),
                retry=error.retry,
                max_attempts=settings.outbox_max_attempts,
                backoff=dt.timedelta(seconds=settings.outbox_backoff_seconds),
            )
        setattr(report, status, getattr(report, status) + 1)
        report.errors.append(f"#{claimed.id} {claimed.channel}: {error}")
        log.warning(
            "outbox.%s id=%s channel=%s attempt=%s error=%s",
            status,
            claimed.id,
            claimed.channel,
            claimed.attempts,
            error,
        )
        return
    with store.session() as session:
        recorded = mark_sent(session, claimed, now)
    report.sent += 1
    log.info(
        "outbox.sent id=%s channel=%s key=%s", claimed.id, claimed.channel, claimed.key
    )
    if not recorded:
        log.warning(
            "outbox.claim_lost id=%s: the lease ran out during the send", claimed.id
        )
