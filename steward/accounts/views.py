"""Read models of accounts for the CLI, the web app and the API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from steward.auth.permissions import book_of, check_account
from steward.errors import AccountNotFound, InputInvalid
from steward.metrics.definitions import CATALOGUE
from steward.store.models import (
    Account,
    AccountTag,
    Contact,
    Contract,
    HealthScore,
    MilestoneState,
    NpsResponse,
    Task,
    Ticket,
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
class FactorLine:
    metric: str
    label: str
    value: float | str | None
    points: float
    missing: bool
    change: float | None


@dataclass
class AccountDetail:
    account: Account
    csm: str | None
    score: HealthScore | None
    previous: HealthScore | None
    factors: list[FactorLine] = field(default_factory=list)
    milestones: list[MilestoneState] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    contracts: list[Contract] = field(default_factory=list)
    renewal_on: dt.date | None = None
    arr: float | None = None
    history: list[HealthScore] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    nps: list[NpsResponse] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)


def latest_score_day(session: Session) -> dt.date | None:
    return session.scalar(select(func.max(HealthScore.as_of)))


def _current_contracts(as_of: dt.date) -> Any:
    """Per account: next contract end, and ARR of the contracts running on the day."""
    running = (Contract.start_date <= as_of) & (
        Contract.end_date.is_(None) | (Contract.end_date >= as_of)
    )
    return (
        select(
            Contract.account_id.label("account_id"),
            func.min(Contract.end_date).label("renewal_on"),
            func.sum(Contract.arr).label("arr"),
        )
        .where(running)
        .group_by(Contract.account_id)
        .subquery()
    )


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

    With ``viewer``, only the accounts that person may see (see
    ``steward.auth.permissions``).
    """
    if band is not None and band not in BANDS:
        raise InputInvalid(
            f"unknown band {band!r}; use one of {', '.join(BANDS)}", field="band"
        )
    day = latest_score_day(session) or dt.date.today()
    renewals = _current_contracts(day)
    # ARR is what the running contracts add up to; an account without
    # contracts keeps the ARR it was imported with.
    arr = func.coalesce(renewals.c.arr, Account.arr)
    csm_user = aliased(User)
    query: Select = (
        select(
            Account.external_id,
            Account.name,
            HealthScore.band,
            HealthScore.score,
            Account.tier,
            Account.coverage,
            csm_user.email,
            Account.lifecycle_stage,
            arr,
            renewals.c.renewal_on,
        )
        .outerjoin(
            HealthScore,
            (HealthScore.account_id == Account.id) & (HealthScore.as_of == day),
        )
        .outerjoin(csm_user, csm_user.id == Account.csm_id)
        .outerjoin(renewals, renewals.c.account_id == Account.id)
    )
    if band:
        query = query.where(HealthScore.band == band)
    book = book_of(viewer) if viewer is not None else None
    if book is not None:
        query = query.where(Account.csm_id == book)
    if tier:
        query = query.where(Account.tier == tier)
    if coverage:
        query = query.where(Account.coverage == coverage)
    if csm:
        query = query.where(or_(csm_user.email == csm, csm_user.name == csm))
    if stage:
        query = query.where(Account.lifecycle_stage == stage)
    if renewal_within_days is not None:
        until = day + dt.timedelta(days=renewal_within_days)
        query = query.where(renewals.c.renewal_on <= until)
    if search:
        query = query.where(Account.name.ilike(f"%{search}%"))

    column = {
        "score": HealthScore.score,
        "name": Account.name,
        "renewal": renewals.c.renewal_on,
        "arr": arr,
    }[sort]
    ordered = column.desc() if descending else column.asc()
    query = query.order_by(column.is_(None), ordered, Account.external_id)
    rows = session.execute(query.limit(limit).offset(offset)).all()
    return [AccountRow(*row) for row in rows]


def find_account(session: Session, external_id: str, viewer: User) -> Account:
    """The account, when ``viewer`` may see it."""
    account = session.scalar(select(Account).where(Account.external_id == external_id))
    return check_account(viewer, account, external_id, change=False)


def account_detail(
    session: Session, external_id: str, viewer: User | None = None
) -> AccountDetail:
    """Everything the account 360 shows; ``viewer`` limits it to what they may see."""
    account = session.scalar(select(Account).where(Account.external_id == external_id))
    if viewer is not None:
        check_account(viewer, account, external_id, change=False)
    if account is None:
        raise AccountNotFound(
            f"no account with id {external_id!r}; `steward accounts` lists them"
        )
    scores = list(
        session.scalars(
            select(HealthScore)
            .where(HealthScore.account_id == account.id)
            .order_by(HealthScore.as_of.desc())
            .limit(60)
        )
    )
    current = scores[0] if scores else None
    previous = _week_before(scores)
    detail = AccountDetail(
        account=account,
        csm=account.csm.email if account.csm else None,
        score=current,
        previous=previous,
    )
    if current is not None:
        detail.factors = explain(current, previous)
    detail.milestones = list(
        session.scalars(
            select(MilestoneState)
            .where(MilestoneState.account_id == account.id)
            .order_by(MilestoneState.journey, MilestoneState.position)
        )
    )
    detail.tasks = list(
        session.scalars(
            select(Task)
            .where(Task.account_id == account.id, Task.status.in_(["open", "snoozed"]))
            .order_by(Task.due_on, Task.id)
        )
    )
    detail.contracts = list(
        session.scalars(
            select(Contract)
            .where(Contract.account_id == account.id)
            .order_by(Contract.start_date.desc())
        )
    )
    day = current.as_of if current else dt.date.today()
    running = [
        contract
        for contract in detail.contracts
        if contract.start_date <= day
        and (contract.end_date is None or day <= contract.end_date)
    ]
    detail.renewal_on = min(
        (contract.end_date for contract in running if contract.end_date),
        default=None,
    )
    detail.arr = (
        sum(contract.arr or 0 for contract in running) if running else account.arr
    )
    detail.history = scores[::-1]
    _add_people_and_signals(session, detail)
    return detail


def _add_people_and_signals(session: Session, detail: AccountDetail) -> None:
    """Tags, contacts, recent NPS answers and support tickets of the account."""
    account_id = detail.account.id
    detail.tags = list(
        session.scalars(
            select(AccountTag.tag)
            .where(AccountTag.account_id == account_id)
            .order_by(AccountTag.tag)
        )
    )
    detail.contacts = list(
        session.scalars(
            select(Contact)
            .where(Contact.account_id == account_id)
            .order_by(Contact.role, Contact.name)
        )
    )
    detail.nps = list(
        session.scalars(
            select(NpsResponse)
            .where(NpsResponse.account_id == account_id)
            .order_by(NpsResponse.responded_at.desc())
            .limit(20)
        )
    )
    detail.tickets = list(
        session.scalars(
            select(Ticket)
            .where(Ticket.account_id == account_id)
            .order_by(Ticket.opened_at.desc())
            .limit(20)
        )
    )


def _week_before(scores: list[HealthScore]) -> HealthScore | None:
    """The newest score at least seven days older than the current one."""
    if not scores:
        return None
    cutoff = scores[0].as_of - dt.timedelta(days=7)
    return next((score for score in scores if score.as_of <= cutoff), None)


def explain(current: HealthScore, previous: HealthScore | None) -> list[FactorLine]:
    """Each factor's points now, and how they moved since the week before."""
    before = (previous.contributions if previous else {}) or {}
    lines = []
    for metric, part in (current.contributions or {}).items():
        label = CATALOGUE[metric].label if metric in CATALOGUE else metric
        was = before.get(metric)
        change = None if was is None else round(part["points"] - was["points"], 1)
        lines.append(
            FactorLine(
                metric=metric,
                label=label,
                value=part.get("value"),
                points=part["points"],
                missing=part.get("missing", False),
                change=change,
            )
        )
    return sorted(lines, key=lambda line: line.points)


@dataclass(frozen=True)
class FilterChoices:
    tiers: list[str]
    coverages: list[str]
    stages: tuple[str, ...]
    csms: list[User]


def filter_choices(session: Session) -> FilterChoices:
    """The values the accounts list can be filtered by (indexed columns)."""
    from steward.store.models import LIFECYCLE_STAGES

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
