"""An account's daily product usage, read from the event store for its chart."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.auth.permissions import check_account
from steward.events.duck import quiet_duckdb
from steward.events.store import EventStore
from steward.store.models import Account, User

EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class UsageDay:
    day: dt.date
    events: int
    active_users: int


def account_usage(
    session: Session,
    events: EventStore,
    viewer: User,
    account_key: str,
    until: dt.date,
    days: int = 90,
) -> list[UsageDay]:
    """Events and distinct active users per UTC day, ``days`` up to ``until``.

    Days without events are included with zeros so the chart has no gaps.
    """
    account = session.scalar(select(Account).where(Account.external_id == account_key))
    check_account(viewer, account, account_key, change=False)
    first = until - dt.timedelta(days=days - 1)
    files = _month_files(events, first, until)
    found: dict[int, tuple[int, int]] = {}
    if files:
        rows = (
            quiet_duckdb()
            .execute(
                """
                select day, count(*), count(distinct user_id)
                from read_parquet($files)
                where account_id = $account and day between $first and $last
                group by day
                """,
                {
                    "files": [str(path) for path in files],
                    "account": account_key,
                    "first": (first - EPOCH).days,
                    "last": (until - EPOCH).days,
                },
            )
            .fetchall()
        )
        found = {day: (count, users) for day, count, users in rows}
    series = []
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        count, users = found.get((day - EPOCH).days, (0, 0))
        series.append(UsageDay(day=day, events=count, active_users=users))
    return series


def _month_files(events: EventStore, first: dt.date, last: dt.date) -> list:
    """Only the month folders the window touches: the rest are never opened."""
    months = set()
    day = first.replace(day=1)
    while day <= last:
        months.add(day.strftime("%Y-%m"))
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return [path for path in events.files() if path.parent.name in months]
