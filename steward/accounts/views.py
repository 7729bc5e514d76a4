"""Read models of accounts for the CLI, the web app and the API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.auth.permissions import check_account
from steward.errors import AccountNotFound
from steward.metrics.definitions import CATALOGUE
from steward.scoring.details import Detail
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
from steward.store.scores import details_of, score_history


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
    scores = score_history(session, account.id, newest_first=True, limit=60)
    current = scores[0] if scores else None
    previous = _week_before(scores)
    detail = AccountDetail(
        account=account,
        csm=account.csm.email if account.csm else None,
        score=current,
        previous=previous,
    )
    if current is not None:
        days = [score.as_of for score in (current, previous) if score is not None]
        found = details_of(session, account.id, days)
        now = found.get(current.as_of, Detail())
        then = found.get(previous.as_of) if previous is not None else None
        before = then.contributions if then is not None else None
        detail.factors = explain(now.contributions, before)
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


def explain(
    current: dict[str, dict[str, Any]], previous: dict[str, dict[str, Any]] | None
) -> list[FactorLine]:
    """Each factor's points now, and how they moved since the week before.

    Both are a day's contributions (:class:`steward.scoring.details.Detail`).
    """
    before = previous or {}
    lines = []
    for metric, part in current.items():
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
