"""CSM workload from the store: load per CSM, the assignment, effort logs.

The accounts that count are those not churned; each needs the hours of its
coverage model (``config/coverage.yaml``). CSMs are the active users with the
csm role; their capacity is the ``capacity_hours`` of their user record, read
per week or per month as the coverage file says.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from steward.accounts.capacity import (
    Assignment,
    Csm,
    Need,
    assign,
    effort_vs_plan,
    months_in,
)
from steward.accounts.coverage import CoverageRules
from steward.accounts.listing import current_contracts
from steward.audit import record
from steward.auth.permissions import CHANGE_ANY, book_of, check_account
from steward.errors import (
    AccountNotFound,
    AlreadyExists,
    InputInvalid,
    PermissionDenied,
    UserNotFound,
)
from steward.store.coverage import CsmEffort
from steward.store.models import Account, Contract, User, utcnow

MAX_HOURS_A_DAY = 24.0


@dataclass(frozen=True)
class CsmLoad:
    """A CSM's book now and after the proposed moves (hours a month).

    Accounts no CSM can take stay where they are, so ``proposed_hours`` can
    still be over ``capacity``.
    """

    id: int
    name: str
    capacity: float
    accounts: int
    hours: float
    arr: float
    proposed_accounts: int
    proposed_hours: float

    @property
    def over(self) -> bool:
        return self.hours > self.capacity + 1e-9


@dataclass(frozen=True)
class AccountNeed:
    account: str
    name: str
    coverage: str | None
    hours: float
    arr: float | None
    csm: str | None


@dataclass(frozen=True)
class Move:
    account: str
    name: str
    hours: float
    from_csm: str | None
    to_csm: str


@dataclass
class CapacityView:
    """Today's load per CSM, and what the assignment rule would change."""

    loads: list[CsmLoad] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    unplaced: list[AccountNeed] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def capacity_view(
    session: Session,
    rules: CoverageRules,
    today: dt.date,
    viewer: User | None = None,
) -> CapacityView:
    """Load per CSM and the proposal; a CSM viewer sees their own row only."""
    csms, needs, accounts = _inputs(session, rules, today)
    plan = assign(csms.values(), needs)
    view = _view(csms, needs, accounts, plan)
    book = book_of(viewer) if viewer is not None else None
    if book is not None:
        mine = set(accounts.index[accounts["csm_id"] == book])
        view.loads = [load for load in view.loads if load.id == book]
        view.moves = [m for m in view.moves if m.account in mine]
        view.unplaced = [u for u in view.unplaced if u.account in mine]
    for name in _without_capacity(session):
        view.notes.append(
            f"{name} has no capacity_hours: no account is assigned to them "
            "(set it on their user record, e.g. by importing users)"
        )
    return view


def apply_assignment(
    session: Session, rules: CoverageRules, today: dt.date, actor: str
) -> CapacityView:
    """Move the accounts the rule moves; each move goes in the audit log."""
    csms, needs, accounts = _inputs(session, rules, today)
    plan = assign(csms.values(), needs)
    view = _view(csms, needs, accounts, plan)
    if plan.moves:
        ids = accounts["id"]
        session.execute(
            update(Account),
            [
                {"id": int(ids[key]), "csm_id": to, "updated_at": utcnow()}
                for key, _, to in plan.moves
            ],
        )
    for move in view.moves:
        record(
            session,
            actor,
            "account.csm_assigned",
            "account",
            move.account,
            **{"from": move.from_csm, "to": move.to_csm, "hours": move.hours},
        )
    return view


def check_may_assign(user: User) -> None:
    if user.role not in CHANGE_ANY:
        raise PermissionDenied(
            f"only a manager or an admin assigns accounts to CSMs; {user.email} is "
            f"{user.role.replace('_', '-')}"
        )


def _inputs(
    session: Session, rules: CoverageRules, today: dt.date
) -> tuple[dict[int, Csm], list[Need], pd.DataFrame]:
    users = session.execute(
        select(User.id, User.name, User.capacity_hours).where(
            User.role == "csm", User.is_active.is_(True)
        )
    ).all()
    csms = {
        uid: Csm(uid, name, rules.monthly_capacity(hours)) for uid, name, hours in users
    }
    # ARR of the contracts running today; the account's own without contracts.
    running = current_contracts(today)
    rows = session.execute(
        select(
            Account.id,
            Account.external_id,
            Account.name,
            Account.coverage,
            func.coalesce(running.c.arr, Account.arr),
            Account.csm_id,
        )
        .outerjoin(running, running.c.account_id == Account.id)
        .where(Account.lifecycle_stage != "churned")
    ).all()
    accounts = pd.DataFrame(
        rows, columns=["id", "external_id", "name", "coverage", "arr", "csm_id"]
    ).set_index("external_id")
    accounts["hours"] = accounts["coverage"].map(rules.hours).astype(float)
    needs = [
        Need(key, row.hours, _float(row.arr), _int(row.csm_id))
        for key, row in accounts.iterrows()
    ]
    return csms, needs, accounts


def _view(
    csms: dict[int, Csm], needs: list[Need], accounts: pd.DataFrame, plan: Assignment
) -> CapacityView:
    names = {csm.id: csm.name for csm in csms.values()}
    view = CapacityView()
    current = accounts[accounts["csm_id"].isin(list(csms))]
    # After the moves every account not moved stays where it is: Digital-Led
    # ones and those no CSM can take still count in their CSM's book.
    after = accounts["csm_id"].copy()
    for key, _, to in plan.moves:
        after[key] = to
    for csm in sorted(csms.values(), key=lambda c: c.name):
        own = current[current["csm_id"] == csm.id]
        kept = accounts[after == csm.id]
        view.loads.append(
            CsmLoad(
                id=csm.id,
                name=csm.name,
                capacity=round(csm.capacity, 2),
                accounts=len(own),
                hours=round(float(own["hours"].sum()), 2),
                arr=float(own["arr"].fillna(0).sum()),
                proposed_accounts=len(kept),
                proposed_hours=round(float(kept["hours"].sum()), 2),
            )
        )
    for key, before, after in plan.moves:
        row = accounts.loc[key]
        view.moves.append(
            Move(key, row["name"], float(row["hours"]), names.get(before), names[after])
        )
    for key in plan.unplaced:
        row = accounts.loc[key]
        csm = _int(row["csm_id"])
        view.unplaced.append(
            AccountNeed(
                key,
                row["name"],
                row["coverage"],
                float(row["hours"]),
                _float(row["arr"]),
                names.get(csm) if csm is not None else None,
            )
        )
    return view


def _without_capacity(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(User.name).where(
                User.role == "csm",
                User.is_active.is_(True),
                User.capacity_hours.is_(None),
            )
        ).all()
    )


def _customer_since(session: Session, account: Account) -> dt.date | None:
    """Its first contract's start, else its signing date, if either is known."""
    first = session.scalar(
        select(func.min(Contract.start_date)).where(Contract.account_id == account.id)
    )
    return first or account.signed_on


def log_effort(
    session: Session,
    actor: User | str,
    account_key: str,
    hours: float,
    worked_on: dt.date,
    *,
    today: dt.date,
    csm_email: str | None = None,
    activity: str | None = None,
    note: str | None = None,
    source: str = "cli",
    entry_id: str | None = None,
) -> CsmEffort:
    """Record hours a CSM spent on an account; by default the actor or its CSM.

    ``entry_id`` is the caller's own id for the entry: sending it again (a
    retry) returns the entry already logged instead of counting the hours
    twice. Without one every call logs a new entry.
    """
    account = session.scalar(select(Account).where(Account.external_id == account_key))
    if isinstance(actor, User):
        check_account(actor, account, account_key, change=True)
    elif account is None:
        raise AccountNotFound(
            f"no account with id {account_key!r}; `steward accounts` lists them"
        )
    if not 0 < hours <= MAX_HOURS_A_DAY:
        raise InputInvalid(
            f"hours must be more than 0 and at most {MAX_HOURS_A_DAY:g} a day, "
            f"not {hours:g}",
            field="hours",
        )
    if worked_on > today:
        raise InputInvalid(
            f"{worked_on} is in the future; log effort once it is spent",
            field="worked_on",
        )
    began = _customer_since(session, account)
    if began is not None and worked_on < began:
        raise InputInvalid(
            f"{worked_on} is before {account_key} became a customer ({began}); "
            "log the day the effort was spent",
            field="worked_on",
        )
    csm = _csm(session, actor, account, csm_email)
    who = actor if isinstance(actor, str) else actor.email
    key = f"{source}:{entry_id.strip() if entry_id else uuid.uuid4().hex}"
    earlier = session.scalar(select(CsmEffort).where(CsmEffort.external_id == key))
    if earlier is not None:
        return _same_entry(earlier, account, hours, worked_on, csm, entry_id)
    effort = CsmEffort(
        external_id=key,
        account_id=account.id,
        user_id=csm.id if csm else None,
        worked_on=worked_on,
        hours=hours,
        activity=(activity or "").strip() or None,
        note=(note or "").strip() or None,
        source=source,
        recorded_by=who,
    )
    session.add(effort)
    session.flush()
    record(
        session,
        who,
        "effort.logged",
        "account",
        account_key,
        hours=hours,
        worked_on=worked_on.isoformat(),
        csm=csm.email if csm else None,
    )
    return effort


def _same_entry(
    earlier: CsmEffort,
    account: Account,
    hours: float,
    worked_on: dt.date,
    csm: User | None,
    entry_id: str | None,
) -> CsmEffort:
    same = (
        earlier.account_id == account.id
        and earlier.hours == hours
        and earlier.worked_on == worked_on
        and earlier.user_id == (csm.id if csm else None)
    )
    if not same:
        raise AlreadyExists(
            f"effort entry {entry_id!r} was already logged with other values "
            f"({earlier.hours:g} h on {earlier.worked_on}); use a new id for a "
            "new entry"
        )
    return earlier


def _csm(
    session: Session, actor: User | str, account: Account, email: str | None
) -> User | None:
    if email:
        user = session.scalar(
            select(User).where(func.lower(User.email) == email.strip().lower())
        )
        if user is None:
            raise UserNotFound(
                f"no user with email {email!r}; `steward user add` adds one"
            )
        return user
    if isinstance(actor, User) and actor.role == "csm":
        return actor
    return session.get(User, account.csm_id) if account.csm_id else None


def _float(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _int(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


EFFORT_GROUPS = ("tier", "coverage", "csm")


def effort_report(
    session: Session,
    rules: CoverageRules,
    start: dt.date,
    end: dt.date,
    by: str = "tier",
    viewer: User | None = None,
) -> pd.DataFrame:
    """CSM hours logged from ``start`` to ``end`` against the coverage plan, by group.

    The plan is each account's current coverage model for the whole period;
    see :func:`steward.accounts.capacity.effort_vs_plan` for the columns.
    """
    if by not in EFFORT_GROUPS:
        raise InputInvalid(
            f"cannot group effort by {by!r}; use one of {', '.join(EFFORT_GROUPS)}",
            field="by",
        )
    book = book_of(viewer) if viewer is not None else None
    query = (
        select(Account.id, Account.tier, Account.coverage, User.name)
        .outerjoin(User, User.id == Account.csm_id)
        .where(Account.lifecycle_stage != "churned")
    )
    logs = (
        select(CsmEffort.account_id, CsmEffort.hours)
        .join(Account, Account.id == CsmEffort.account_id)
        .where(CsmEffort.worked_on >= start, CsmEffort.worked_on <= end)
    )
    if book is not None:
        query = query.where(Account.csm_id == book)
        logs = logs.where(Account.csm_id == book)
    accounts = pd.DataFrame(
        session.execute(query).all(), columns=["account_id", "tier", "coverage", "csm"]
    )
    logged = pd.DataFrame(session.execute(logs).all(), columns=["account_id", "hours"])
    accounts["group"] = accounts[by].fillna(f"(no {by})")
    plan = accounts["coverage"].map(rules.hours).astype(float)
    return effort_vs_plan(
        accounts[["account_id", "group"]], logged, plan, months_in(start, end)
    )
