"""The daily scores and what explains them: written a day at a time, read by
account a day at a time.

``health_scores`` is keyed by (day, account), so a day's rows are appended,
however long the history. One account's history is found by walking the
scored days through that key (a recursive query, one index step a day) and
looking the account up in each: about a millisecond for a quarter.
Explanations are kept per day and block of accounts in ``score_details``
(:mod:`steward.scoring.details`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Select, delete, func, literal, select
from sqlalchemy.orm import Session

from steward.scoring.details import (
    BLOCK,
    Detail,
    blocks,
    detail_of,
    metric_frame,
    read_block,
)
from steward.store.models import HealthScore, ScoreDetail
from steward.store.upsert import upsert_columns

KEY = ["as_of", "account_id"]


def write_scores(
    session: Session,
    as_of: dt.date,
    rows: Mapping[str, Sequence[Any]],
    details: Mapping[str, pa.Array],
) -> None:
    """The day's score rows (as columns) and their explanations.

    A second run of the day that computes the same leaves both as stored; one
    that no longer scores an account (its contract ended, it was removed)
    removes that account's row of the day.
    """
    stored = HealthScore.as_of == as_of
    kept = session.scalars(select(HealthScore.account_id).where(stored)).all()
    gone = np.setdiff1d(
        np.asarray(kept, dtype=np.int64), np.asarray(rows["account_id"], np.int64)
    )
    for start in range(0, len(gone), 10_000):
        chunk = gone[start : start + 10_000].tolist()
        session.execute(
            delete(HealthScore).where(stored, HealthScore.account_id.in_(chunk))
        )
    upsert_columns(session, HealthScore.__table__, rows, KEY, unless_stored=stored)
    write_details(session, as_of, np.asarray(rows["account_id"]), details)


def write_details(
    session: Session,
    as_of: dt.date,
    account_ids: np.ndarray,
    columns: Mapping[str, pa.Array],
) -> None:
    """The day's blocks; an unchanged block is not written again, and a block
    the day no longer has (its accounts gone) is removed."""
    stored = dict(
        session.execute(
            select(ScoreDetail.block, ScoreDetail.data).where(
                ScoreDetail.as_of == as_of
            )
        ).all()
    )
    fresh = dict(blocks(account_ids, dict(columns)))
    gone = set(stored) - set(fresh)
    if gone:
        session.execute(
            delete(ScoreDetail).where(
                ScoreDetail.as_of == as_of, ScoreDetail.block.in_(gone)
            )
        )
    changed = {
        block: data for block, data in fresh.items() if stored.get(block) != data
    }
    if changed:
        upsert_columns(
            session,
            ScoreDetail.__table__,
            {
                "as_of": [as_of] * len(changed),
                "block": list(changed),
                "data": list(changed.values()),
            },
            ["as_of", "block"],
        )


def scored_days(
    first: dt.date | None = None,
    last: dt.date | None = None,
    *,
    newest_first: bool = False,
    limit: int | None = None,
) -> Any:
    """A recursive query of the days with scores from ``first`` to ``last``,
    oldest first (or newest first, at most ``limit`` of them), as ``days.day``.

    Each step is one seek in the (day, account) key, so the cost follows the
    number of days, not of rows.
    """
    table = HealthScore.__table__
    bounds = []
    if first is not None:
        bounds.append(table.c.as_of >= first)
    if last is not None:
        bounds.append(table.c.as_of <= last)
    pick = func.max if newest_first else func.min
    start = select(pick(table.c.as_of).label("day"), literal(1).label("n")).where(
        *bounds
    )
    days = start.cte("days", recursive=True)
    beyond = table.c.as_of < days.c.day if newest_first else table.c.as_of > days.c.day
    step = select(
        select(pick(table.c.as_of)).where(beyond, *bounds).scalar_subquery(),
        days.c.n + 1,
    ).where(days.c.day.is_not(None))
    if limit is not None:
        step = step.where(days.c.n < limit)
    return days.union_all(step)


def score_history(
    session: Session,
    account_id: int,
    first: dt.date | None = None,
    last: dt.date | None = None,
    *,
    newest_first: bool = False,
    limit: int | None = None,
) -> list[HealthScore]:
    """The account's scores on the scored days from ``first`` to ``last``."""
    days = scored_days(first, last, newest_first=newest_first, limit=limit)
    order = HealthScore.as_of.desc() if newest_first else HealthScore.as_of
    query: Select = (
        select(HealthScore)
        .join(
            days,
            (HealthScore.as_of == days.c.day) & (HealthScore.account_id == account_id),
        )
        .order_by(order)
    )
    return list(session.scalars(query))


def details_of(
    session: Session, account_id: int, days: Iterable[dt.date]
) -> dict[dt.date, Detail]:
    """The account's explanation on each of ``days`` that has one."""
    wanted = sorted(set(days))
    if not wanted:
        return {}
    rows = session.execute(
        select(ScoreDetail.as_of, ScoreDetail.data).where(
            ScoreDetail.as_of.in_(wanted), ScoreDetail.block == account_id // BLOCK
        )
    ).all()
    found = {}
    for day, data in rows:
        detail = detail_of(read_block(data), account_id)
        if detail is not None:
            found[day] = detail
    return found


def day_metrics(session: Session, as_of: dt.date) -> pd.DataFrame:
    """Every scored account's metric values on ``as_of``, by account id."""
    data = session.scalars(
        select(ScoreDetail.data)
        .where(ScoreDetail.as_of == as_of)
        .order_by(ScoreDetail.block)
    )
    return metric_frame([read_block(blob) for blob in data])


def latest_day(session: Session) -> dt.date | None:
    return session.scalar(select(func.max(HealthScore.as_of)))
