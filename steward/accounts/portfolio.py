"""The portfolio dashboard's figures, for everything a person may see.

Scores only change when the daily run writes them, so the score-based
figures of a day can be kept (``cache``) until the next run finishes;
overdue tasks are counted afresh on every call.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session

from steward.accounts.listing import BANDS, current_contracts, running_on
from steward.auth.permissions import book_of
from steward.store.models import Account, Contract, DailyRun, HealthScore, Task, User
from steward.store.scores import scored_days

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


def portfolio(
    session: Session,
    viewer: User,
    today: dt.date,
    cache: dict[Any, Portfolio] | None = None,
) -> Portfolio:
    """Counts per band and tier, ARR at risk, renewals, distribution and trend.

    ``cache``, when given, keeps the score-based figures per person's book and
    daily run; pass the same dict on every call (the web app keeps one).
    """
    book = book_of(viewer)
    run = session.execute(
        select(DailyRun.as_of, DailyRun.finished_at, DailyRun.summary)
        .order_by(DailyRun.as_of.desc())
        .limit(1)
    ).first()
    key = (book, run[0], run[1]) if run else None
    figures = cache.get(key) if cache is not None and key else None
    if figures is None:
        figures = _scored(session, book, run)
        if cache is not None and key:
            cache.clear()  # only the newest run's figures are worth keeping
            cache[key] = figures
    return replace(figures, overdue_tasks=_overdue(session, book, today))


def _scored(session: Session, book: int | None, run: Any) -> Portfolio:
    day = session.scalar(select(func.max(HealthScore.as_of)))
    result = Portfolio(as_of=day)
    if day is None:
        return result
    _bands_tiers_and_buckets(session, book, day, result)
    if book is None and run is not None and run[0] == day:
        # The run totalled the running contracts' ARR of at-risk accounts.
        result.arr_at_risk = float(run[2].get("arr_at_risk", 0.0))
    else:
        result.arr_at_risk = _arr_at_risk(session, book, day)
    _renewals(session, book, day, result)
    result.trend = _trend(session, book, day)
    return result


def _bands_tiers_and_buckets(
    session: Session, book: int | None, day: dt.date, result: Portfolio
) -> None:
    """One pass over the day's scores: counts by band, tier and score bucket."""
    score = HealthScore.score
    # A CASE rather than floor(): SQLite may lack math functions, and a cast
    # rounds on PostgreSQL but truncates on SQLite.
    bucket = case(
        (score.is_(None), None),
        *[(score < edge, edge // 10 - 1) for edge in range(10, 100, 10)],
        else_=9,
    )
    query: Select = (
        select(HealthScore.band, Account.tier, bucket, func.count())
        .join(Account, Account.id == HealthScore.account_id)
        .where(HealthScore.as_of == day)
        .group_by(HealthScore.band, Account.tier, bucket)
    )
    if book is not None:
        query = query.where(Account.csm_id == book)
    tiers: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(BANDS, 0))
    for band, tier, index, count in session.execute(query):
        result.accounts += count
        result.by_band[band] = result.by_band.get(band, 0) + count
        tiers[tier or "No tier"][band] = tiers[tier or "No tier"].get(band, 0) + count
        if index is not None:
            result.distribution[int(index)] += count
    result.by_tier = dict(sorted(tiers.items()))


def _arr_at_risk(session: Session, book: int | None, day: dt.date) -> float:
    at_risk = select(HealthScore.account_id).where(
        HealthScore.as_of == day, HealthScore.band == "at_risk"
    )
    if book is not None:
        at_risk = at_risk.join(Account, Account.id == HealthScore.account_id).where(
            Account.csm_id == book
        )
    contracts = current_contracts(day, at_risk)
    query = (
        select(func.sum(func.coalesce(contracts.c.arr, Account.arr)))
        .select_from(Account)
        .outerjoin(contracts, contracts.c.account_id == Account.id)
        .where(Account.id.in_(at_risk))
    )
    return float(session.scalar(query) or 0)


def _renewals(
    session: Session, book: int | None, day: dt.date, result: Portfolio
) -> None:
    """Accounts with a running contract ending in the window, and that ARR."""
    until = day + dt.timedelta(days=RENEWAL_DAYS)
    query: Select = select(
        func.count(func.distinct(Contract.account_id)), func.sum(Contract.arr)
    ).where(running_on(day), Contract.end_date <= until)
    if book is not None:
        query = query.join(Account, Account.id == Contract.account_id).where(
            Account.csm_id == book
        )
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
    # Day by day through the (day, account) key: the book's accounts looked
    # up in each scored day, not every account's rows read.
    days = scored_days(since + dt.timedelta(days=1), day)
    rows = session.execute(
        select(days.c.day, HealthScore.band, func.count())
        .select_from(days)
        .join(Account, Account.csm_id == book)
        .join(
            HealthScore,
            (HealthScore.as_of == days.c.day) & (HealthScore.account_id == Account.id),
        )
        .group_by(days.c.day, HealthScore.band)
        .order_by(days.c.day)
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
