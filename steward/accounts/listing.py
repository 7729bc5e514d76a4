"""The accounts list: filters, sorting and paging that stay fast at 100,000 accounts.

A page is found in two steps. First the ids of its accounts, by the cheapest
query the sort allows: riskiest-first walks the (day, score) index of the
day's scores, name order the name index, a renewal window the contracts'
end-date index. Then the 50 or so rows are filled in, contracts included,
for those ids only. Sorting by renewal date or ARR has to total every
account's running contracts first, and is the slow path (see BENCHMARKS.md).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from steward.auth.permissions import book_of
from steward.errors import InputInvalid
from steward.store.models import (
    LIFECYCLE_STAGES,
    Account,
    Contract,
    HealthScore,
    User,
)

SortKey = Literal["score", "name", "renewal", "arr"]
BANDS = ("healthy", "neutral", "at_risk", "insufficient_data")


@dataclass(frozen=True)
class AccountRow:
    external_id: str
    name: str
    band: str | None
    score: float | None
    tier: str | None
    coverage: str | None
    csm: str | None
    stage: str
    arr: float | None
    renewal_on: dt.date | None


@dataclass(frozen=True)
class _Filters:
    day: dt.date
    band: str | None
    tier: str | None
    coverage: str | None
    csm: str | None
    stage: str | None
    renewal_within_days: int | None
    search: str | None
    book: int | None


def latest_score_day(session: Session) -> dt.date | None:
    return session.scalar(select(func.max(HealthScore.as_of)))


def running_on(as_of: dt.date) -> Any:
    """Contracts running on the day: started, and not ended before it."""
    return (Contract.start_date <= as_of) & (
        Contract.end_date.is_(None) | (Contract.end_date >= as_of)
    )


def current_contracts(as_of: dt.date, account_ids: Any = None) -> Any:
    """Per account: next contract end, and ARR of the contracts running on the day."""
    query = select(
        Contract.account_id.label("account_id"),
        func.min(Contract.end_date).label("renewal_on"),
        func.sum(Contract.arr).label("arr"),
    ).where(running_on(as_of))
    if account_ids is not None:
        query = query.where(Contract.account_id.in_(account_ids))
    return query.group_by(Contract.account_id).subquery()


def list_accounts(
    session: Session,
    *,
    band: str | None = None,
    tier: str | None = None,
    coverage: str | None = None,
    csm: str | None = None,
    stage: str | None = None,
    renewal_within_days: int | None = None,
    search: str | None = None,
    sort: SortKey = "score",
    descending: bool = False,
    limit: int = 50,
    offset: int = 0,
    viewer: User | None = None,
) -> list[AccountRow]:
    """Accounts with their latest score; filters combine with AND.

    Accounts without a value for the sort key come last. With ``viewer``, only
    the accounts that person may see (see ``steward.auth.permissions``).
    """
    if band is not None and band not in BANDS:
        raise InputInvalid(
            f"unknown band {band!r}; use one of {', '.join(BANDS)}", field="band"
        )
    if stage is not None and stage not in LIFECYCLE_STAGES:
        raise InputInvalid(
            f"unknown lifecycle stage {stage!r}; use one of "
            f"{', '.join(LIFECYCLE_STAGES)}",
            field="stage",
        )
    _check_known(session, tier=tier, coverage=coverage, csm=csm)
    filters = _Filters(
        day=latest_score_day(session) or dt.date.today(),
        band=band,
        tier=tier,
        coverage=coverage,
        csm=csm,
        stage=stage,
        renewal_within_days=renewal_within_days,
        search=search,
        book=book_of(viewer) if viewer is not None else None,
    )
    if sort == "score":
        ids = _by_score(session, filters, descending, limit, offset)
    elif sort == "name":
        column = Account.name.desc() if descending else Account.name.asc()
        query = _filtered(select(Account.id), filters)
        query = query.order_by(column, Account.external_id)
        ids = list(session.scalars(query.limit(limit).offset(offset)))
    else:
        ids = _by_contracts(session, filters, sort, descending, limit, offset)
    return _rows(session, ids, filters.day)


def _check_known(
    session: Session, *, tier: str | None, coverage: str | None, csm: str | None
) -> None:
    """A tier, coverage model or CSM no account has is a typing slip: say so
    with the ones there are, rather than answer with an empty list."""
    for name, column, value in (
        ("tier", Account.tier, tier),
        ("coverage", Account.coverage, coverage),
    ):
        if not value:
            continue
        if session.scalar(select(column).where(column == value).limit(1)) is None:
            known = session.scalars(
                select(column).where(column.is_not(None)).distinct().order_by(column)
            ).all()
            raise InputInvalid(
                f"no account has {name} {value!r}; the {name}s in use are: "
                f"{', '.join(known) or 'none'}",
                field=name,
            )
    if csm:
        person = or_(User.email == csm, User.name == csm)
        if session.scalar(select(User.id).where(person).limit(1)) is None:
            raise InputInvalid(
                f"no user with email or name {csm!r}; the admin page lists the team",
                field="csm",
            )


def _filtered(query: Select, f: _Filters, scores: Any = HealthScore) -> Select:
    """``query`` over accounts (and the day's scores) narrowed by the filters."""
    query = query.select_from(Account).outerjoin(
        scores, and_(scores.account_id == Account.id, scores.as_of == f.day)
    )
    if f.book is not None:
        query = query.where(Account.csm_id == f.book)
    if f.band:
        query = query.where(scores.band == f.band)
    for column, value in (
        (Account.tier, f.tier),
        (Account.coverage, f.coverage),
        (Account.lifecycle_stage, f.stage),
    ):
        if value:
            query = query.where(column == value)
    if f.csm:
        people = select(User.id).where(or_(User.email == f.csm, User.name == f.csm))
        query = query.where(Account.csm_id.in_(people))
    if f.renewal_within_days is not None:
        # The next renewal is within the window exactly when some running
        # contract ends in it: an index range over end dates.
        until = f.day + dt.timedelta(days=f.renewal_within_days)
        ending = select(Contract.account_id).where(
            running_on(f.day), Contract.end_date <= until
        )
        query = query.where(Account.id.in_(ending))
    if f.search:
        # The words as typed: % and _ are letters here, not wildcards.
        # Shortcoming: SQLite folds case for ASCII only, so there "JÜTTNER"
        # does not find "Jüttner" (PostgreSQL's ILIKE does).
        typed = re.sub(r"([\\%_])", r"\\\1", f.search)
        query = query.where(Account.name.ilike(f"%{typed}%", escape="\\"))
    return query


def _by_score(
    session: Session, f: _Filters, descending: bool, limit: int, offset: int
) -> list[int]:
    """Scored accounts in score order, then the unscored ones by id.

    Two queries rather than one ``ORDER BY score IS NULL, score``: the scored
    part walks the (day, score) index and stops after the page.
    """
    order = HealthScore.score.desc() if descending else HealthScore.score.asc()
    if f.search:
        # A name search scans every name anyway and matches few: one query
        # that sorts the matches beats walking the score index twice.
        query = _filtered(select(Account.id), f).order_by(
            HealthScore.score.is_(None), order, Account.external_id
        )
        return list(session.scalars(query.limit(limit).offset(offset)))
    scored = _filtered(select(Account.id), f).where(HealthScore.score.is_not(None))
    ids = list(
        session.scalars(
            scored.order_by(order, Account.external_id).limit(limit).offset(offset)
        )
    )
    if len(ids) == limit or (f.band and f.band != "insufficient_data"):
        # A full page, or a band that only scored accounts have.
        return ids
    # Past the last scored account: how many there are says where the
    # unscored ones start.
    total = offset + len(ids) if ids else _count(session, scored)
    unscored = _filtered(select(Account.id), f).where(HealthScore.score.is_(None))
    rest = unscored.order_by(Account.external_id)
    rest = rest.limit(limit - len(ids)).offset(max(0, offset - total))
    return ids + list(session.scalars(rest))


def _count(session: Session, query: Select) -> int:
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _by_contracts(
    session: Session,
    f: _Filters,
    sort: SortKey,
    descending: bool,
    limit: int,
    offset: int,
) -> list[int]:
    renewals = current_contracts(f.day)
    column = {
        "renewal": renewals.c.renewal_on,
        "arr": func.coalesce(renewals.c.arr, Account.arr),
    }[sort]
    ordered = column.desc() if descending else column.asc()
    query = _filtered(select(Account.id), f).outerjoin(
        renewals, renewals.c.account_id == Account.id
    )
    query = query.order_by(column.is_(None), ordered, Account.external_id)
    return list(session.scalars(query.limit(limit).offset(offset)))


def _rows(session: Session, ids: list[int], day: dt.date) -> list[AccountRow]:
    """The shown columns of a page of accounts, in the order of ``ids``."""
    if not ids:
        return []
    renewals = current_contracts(day, ids)
    csm_user = aliased(User)
    query = (
        select(
            Account.id,
            Account.external_id,
            Account.name,
            HealthScore.band,
            HealthScore.score,
            Account.tier,
            Account.coverage,
            csm_user.email,
            Account.lifecycle_stage,
            # ARR is what the running contracts add up to; an account
            # without contracts keeps the ARR it was imported with.
            func.coalesce(renewals.c.arr, Account.arr),
            renewals.c.renewal_on,
        )
        .outerjoin(
            HealthScore,
            (HealthScore.account_id == Account.id) & (HealthScore.as_of == day),
        )
        .outerjoin(csm_user, csm_user.id == Account.csm_id)
        .outerjoin(renewals, renewals.c.account_id == Account.id)
        .where(Account.id.in_(ids))
    )
    found = {row[0]: AccountRow(*row[1:]) for row in session.execute(query)}
    return [found[account_id] for account_id in ids]


@dataclass(frozen=True)
class FilterChoices:
    tiers: list[str]
    coverages: list[str]
    stages: tuple[str, ...]
    csms: list[User]


def filter_choices(session: Session) -> FilterChoices:
    """The values the accounts list can be filtered by (indexed columns)."""

    def distinct(column: Any) -> list[str]:
        query = select(column).where(column.is_not(None)).distinct().order_by(column)
        return list(session.scalars(query))

    csms = session.scalars(
        select(User)
        .where(User.role == "csm", User.is_active.is_(True))
        .order_by(User.name)
    )
    return FilterChoices(
        tiers=distinct(Account.tier),
        coverages=distinct(Account.coverage),
        stages=LIFECYCLE_STAGES,
        csms=list(csms),
    )
