"""The portfolio dashboard's figures, for everything a person may see."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session

from steward.accounts.views import BANDS, _current_contracts, latest_score_day
from steward.auth.permissions import book_of
from steward.store.models import Account, DailyRun, HealthScore, Task, User

TREND_DAYS = 90
RENEWAL_DAYS = 90


@dataclass
class Portfolio:
    as_of: dt.date | None
    accounts: int = 0
    by_band: dict[str, int] = field(default_factory=dict)
    # tier -> band -> accounts
    by_tier: dict[str, dict[str, int]] = field(default_factory=dict)
    arr_at_risk: float = 0.0
    renewals_due: int = 0
    renewals_arr: float = 0.0
    # accounts per ten-point score bucket: 0-9, 10-19, ... 90-100
    distribution: list[int] = field(default_factory=lambda: [0] * 10)
    # (day, band -> accounts), oldest first
    trend: list[tuple[dt.date, dict[str, int]]] = field(default_factory=list)
    overdue_tasks: int = 0


def portfolio(session: Session, viewer: User, today: dt.date) -> Portfolio:
    """Counts per band and tier, ARR at risk, renewals, distribution and trend."""
    day = latest_score_day(session)
    result = Portfolio(as_of=day)
    book = book_of(viewer)
    result.overdue_tasks = _overdue(session, book, today)
    if day is None:
        return result

    contracts = _current_contracts(day)
    arr = func.coalesce(contracts.c.arr, Account.arr)
    base = (
        select(HealthScore.band, Account.tier, arr.label("arr"), HealthScore.score)
        .join(Account, Account.id == HealthScore.account_id)
        .outerjoin(contracts, contracts.c.account_id == Account.id)
        .where(HealthScore.as_of == day)
    )
    if book is not None:
        base = base.where(Account.csm_id == book)
    _bands_and_tiers(session, base.subquery(), result)
    _renewals(session, contracts, book, day, result)
    result.trend = _trend(session, book, day)
    return result


def _bands_and_tiers(session: Session, scored, result: Portfolio) -> None:
    rows = session.execute(
        select(
            scored.c.band,
            scored.c.tier,
            func.count(),
            func.sum(scored.c.arr),
        ).group_by(scored.c.band, scored.c.tier)
    ).all()
    tiers: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(BANDS, 0))
    for band, tier, count, arr in rows:
        result.accounts += count
        result.by_band[band] = result.by_band.get(band, 0) + count
        tiers[tier or "No tier"][band] = tiers[tier or "No tier"].get(band, 0) + count
        if band == "at_risk":
            result.arr_at_risk += float(arr or 0)
    result.by_tier = dict(sorted(tiers.items()))
    # A CASE rather than floor(): SQLite may lack math functions, and a cast
    # rounds on PostgreSQL but truncates on SQLite.
    bucket = case(
        *[(scored.c.score < edge, edge // 10 - 1) for edge in range(10, 100, 10)],
        else_=9,
    )
    buckets = session.execute(
        select(bucket, func.count()).where(scored.c.score.is_not(None)).group_by(bucket)
    ).all()
    for index, count in buckets:
        result.distribution[int(index)] = count


def _renewals(session, contracts, book, day: dt.date, result: Portfolio) -> None:
    until = day + dt.timedelta(days=RENEWAL_DAYS)
    query: Select = (
        select(func.count(), func.sum(contracts.c.arr))
        .select_from(contracts)
        .join(Account, Account.id == contracts.c.account_id)
        .where(contracts.c.renewal_on >= day, contracts.c.renewal_on <= until)
    )
    if book is not None:
        query = query.where(Account.csm_id == book)
    count, arr = session.execute(query).one()
    result.renewals_due = count or 0
    result.renewals_arr = float(arr or 0)


def _trend(
    session: Session, book: int | None, day: dt.date
) -> list[tuple[dt.date, dict[str, int]]]:
    since = day - dt.timedelta(days=TREND_DAYS)
    if book is None:
        # The daily run keeps each day's band counts: no need to scan
        # ninety days of scores for the whole portfolio.
        runs = session.scalars(
            select(DailyRun).where(DailyRun.as_of > since).order_by(DailyRun.as_of)
        )
        return [(run.as_of, dict(run.summary.get("bands", {}))) for run in runs]
    rows = session.execute(
        select(HealthScore.as_of, HealthScore.band, func.count())
        .join(Account, Account.id == HealthScore.account_id)
        .where(Account.csm_id == book, HealthScore.as_of > since)
        .group_by(HealthScore.as_of, HealthScore.band)
        .order_by(HealthScore.as_of)
    ).all()
    days: dict[dt.date, dict[str, int]] = {}
    for as_of, band, count in rows:
        days.setdefault(as_of, {})[band] = count
    return list(days.items())


def _overdue(session: Session, book: int | None, today: dt.date) -> int:
    query = (
        select(func.count(Task.id))
        .outerjoin(Account, Account.id == Task.account_id)
        .where(Task.status == "open", Task.due_on < today)
    )
    if book is not None:
        query = query.where(or_(Task.assignee_id == book, Account.csm_id == book))
    return session.scalar(query) or 0
