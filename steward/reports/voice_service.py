"""Voice of the customer from the store: the monthly report, accounts gone quiet,
and sending the report to the product team's webhook through the outbox.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.audit import record
from steward.auth.permissions import book_of
from steward.errors import InputInvalid
from steward.notify.outbox import enqueue
from steward.reports.voice import (
    VoiceConfig,
    VoiceNote,
    VoiceReport,
    monthly_report,
    report_payload,
    trend_window,
)
from steward.store.models import Account, Note, User


def _bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(first, dt.time(), dt.UTC)
    return start, dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.UTC)


def voice_notes(
    session: Session,
    first: dt.date,
    last: dt.date,
    config: VoiceConfig,
    viewer: User | None = None,
) -> list[VoiceNote]:
    """Notes from ``first`` to ``last`` (whole UTC days) with a voice category."""
    start, end = _bounds(first, last)
    query = (
        select(Note.created_at, Note.categories, Note.body, Account)
        .join(Account, Account.id == Note.account_id)
        .where(Note.created_at >= start, Note.created_at < end)
    )
    csm = book_of(viewer) if viewer is not None else None
    if csm is not None:
        query = query.where(Account.csm_id == csm)
    wanted = set(config.categories)
    # Categories are a JSON list; filtering here keeps one query for both engines.
    return [
        VoiceNote(
            account.external_id,
            account.name,
            account.arr,
            at,
            tuple(categories or ()),
            body,
        )
        for at, categories, body, account in session.execute(query)
        if wanted & set(categories or ())
    ]


def voice_report(
    session: Session, month: dt.date, config: VoiceConfig, viewer: User | None = None
) -> VoiceReport:
    first, last = trend_window(month, config.trend_months)
    return monthly_report(
        voice_notes(session, first, last, config, viewer), month, config
    )


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


@dataclass(frozen=True)
class QuietAccount:
    key: str
    name: str
    csm: str | None
    arr: float | None
    last_voice_on: dt.date | None


def quiet_accounts(
    session: Session, today: dt.date, config: VoiceConfig, viewer: User | None = None
) -> list[QuietAccount]:
    """Accounts (not churned) with no customer-voice note this calendar quarter,
    largest ARR first, with the day of their newest voice note ever.
    """
    start, _ = _bounds(quarter_start(today), today)
    wanted = set(config.categories)
    newest: dict[int, dt.datetime] = {}
    rows = session.execute(select(Note.account_id, Note.created_at, Note.categories))
    for account_id, at, categories in rows:
        if not wanted & set(categories or ()):
            continue
        if account_id not in newest or at > newest[account_id]:
            newest[account_id] = at
    query = select(Account).where(Account.lifecycle_stage != "churned")
    csm = book_of(viewer) if viewer is not None else None
    if csm is not None:
        query = query.where(Account.csm_id == csm)
    quiet = [
        QuietAccount(
            account.external_id,
            account.name,
            account.csm.email if account.csm else None,
            account.arr,
            newest[account.id].date() if account.id in newest else None,
        )
        for account in session.scalars(query)
        if account.id not in newest or newest[account.id] < start
    ]
    return sorted(quiet, key=lambda a: (-(a.arr or 0.0), a.key))


def send_report(
    session: Session,
    report: VoiceReport,
    endpoint: str | None,
    actor: str,
) -> bool:
    """Queue the report for the webhook ``endpoint``; False if this month's report
    was already queued for it (the outbox sends it once).
    """
    if not endpoint:
        raise InputInvalid(
            "name the product team's webhook: set `webhook:` in config/voice.yaml "
            "or pass --webhook NAME (an endpoint of STEWARD_WEBHOOKS)",
            field="webhook",
        )
    key = f"voice:{report.month:%Y-%m}:{endpoint}"
    message = enqueue(
        session,
        key=key,
        channel="webhook",
        target=endpoint,
        payload=report_payload(report),
        subject=f"Voice of the customer {report.month:%Y-%m}",
    )
    if message is not None:
        record(session, actor, "voice.sent", "report", key, endpoint=endpoint)
    return message is not None
