"""Logging a renewal's outcome: renewed, expanded, contracted or churned.

The outcome goes on the contract (with its close date, new ARR and reason
tag), into the outcomes the health model learns from, and into the audit
log. A renewal that keeps the customer (renewed, expanded, contracted) also
opens the next term as a new contract at the new ARR, named
``<first contract>~<start day>`` so the whole chain keeps the first
contract's renewal dates (29 February comes back in leap years). A contract
without an end date is first closed at the end of the term running on the
close date. An outcome is logged once: the same outcome sent again (a retry)
returns what was logged and changes nothing; a different one is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.accounts.renewals import CHAIN, RenewalSettings
from steward.accounts.terms import ONE_DAY, following_term, term_on
from steward.audit import record
from steward.auth.permissions import check_account, may_see_account
from steward.errors import AlreadyExists, ContractNotFound, InputInvalid
from steward.store.models import OUTCOMES, Account, Contract, Outcome, User

KEEPS_CUSTOMER = ("renewed", "expanded", "contracted")
# Outcomes that lose ARR: each needs a reason tag from reason_tags.
LOSES_ARR = ("churned", "contracted")


@dataclass(frozen=True)
class OutcomeLogged:
    contract: str
    outcome: str
    closed_on: dt.date
    arr: float | None
    new_arr: float
    reason: str | None
    ends_on: dt.date | None
    next_contract: str | None


def log_outcome(
    session: Session,
    settings: RenewalSettings,
    contract_key: str,
    outcome: str,
    closed_on: dt.date,
    *,
    today: dt.date,
    new_arr: float | None = None,
    reason: str | None = None,
    next_term: bool = True,
    actor: User | str = "cli",
) -> OutcomeLogged:
    """Record the outcome of a contract's renewal; see the module for what it writes.

    ``actor`` is the person logging it (their permission is checked) or a
    name such as ``cli``. ``next_term=False`` leaves the next contract to an
    import from the CRM.
    """
    contract = _contract(session, contract_key, actor)
    reason = _reason(settings, outcome, reason)
    new_arr = _new_arr(contract, outcome, new_arr)
    if closed_on > today:
        raise InputInvalid(
            f"the close date {closed_on} is in the future; log an outcome once "
            "it is decided",
            field="closed_on",
        )
    if contract.outcome is not None:
        return _logged_before(session, contract, outcome, closed_on, new_arr, reason)
    if contract.start_date is not None and contract.start_date > today:
        raise InputInvalid(
            f"contract {contract.external_id} starts on {contract.start_date}: its "
            "renewal can be logged once it has started",
            field="contract",
        )
    if contract.start_date is not None and closed_on < contract.start_date:
        raise InputInvalid(
            f"the close date {closed_on} is before the contract started "
            f"({contract.start_date}); a renewal is decided during its term",
            field="closed_on",
        )
    open_ended = contract.end_date is None
    if open_ended:
        contract.end_date = _term_end(settings, session, contract, closed_on)

    contract.outcome = outcome
    contract.closed_on = closed_on
    contract.new_arr = new_arr
    contract.outcome_reason = reason
    following = None
    if next_term and outcome in KEEPS_CUSTOMER and contract.end_date is not None:
        following = _open_next_term(session, contract, new_arr, open_ended)
    session.add(
        Outcome(
            external_id=f"renewal:{contract.external_id}",
            account_id=contract.account_id,
            contract_id=contract.id,
            kind=outcome,
            occurred_on=closed_on,
            reason=reason,
            arr_change=new_arr - (contract.arr or 0.0),
        )
    )
    who = actor if isinstance(actor, str) else actor.email
    record(
        session,
        who,
        "contract.outcome_logged",
        "contract",
        contract.external_id,
        outcome=outcome,
        closed_on=closed_on.isoformat(),
        arr=contract.arr,
        new_arr=new_arr,
        reason=reason,
        next_contract=following,
    )
    return OutcomeLogged(
        contract.external_id,
        outcome,
        closed_on,
        contract.arr,
        new_arr,
        reason,
        contract.end_date,
        following,
    )


def _logged_before(
    session: Session,
    contract: Contract,
    outcome: str,
    closed_on: dt.date,
    new_arr: float,
    reason: str | None,
) -> OutcomeLogged:
    """The same outcome sent again (a retry) is the one logged; another is refused."""
    same = (
        contract.outcome == outcome
        and contract.closed_on == closed_on
        and contract.new_arr == new_arr
        and contract.outcome_reason == reason
    )
    if not same:
        raise AlreadyExists(
            f"contract {contract.external_id!r} already has outcome "
            f"{contract.outcome!r} (closed {contract.closed_on or 'on an unknown day'}"
            "); an outcome is logged once"
        )
    following = None
    if contract.end_date is not None:
        first = _first_of_chain(session, contract)
        key = f"{first.external_id}{CHAIN}{(contract.end_date + ONE_DAY).isoformat()}"
        if session.scalar(select(Contract.id).where(Contract.external_id == key)):
            following = key
    return OutcomeLogged(
        contract.external_id,
        outcome,
        closed_on,
        contract.arr,
        new_arr,
        reason,
        contract.end_date,
        following,
    )


def _contract(session: Session, key: str, actor: User | str) -> Contract:
    contract = session.scalar(select(Contract).where(Contract.external_id == key))
    if contract is None:
        raise ContractNotFound(
            f"no contract with id {key!r}; `steward renewals` lists the contracts "
            "coming up for renewal"
        )
    if isinstance(actor, User):
        account = session.get(Account, contract.account_id)
        if account is None or not may_see_account(actor, account):
            raise ContractNotFound(f"no contract with id {key!r}")
        check_account(actor, account, account.external_id, change=True)
    return contract


def _reason(settings: RenewalSettings, outcome: str, reason: str | None) -> str | None:
    if outcome not in OUTCOMES:
        raise InputInvalid(
            f"unknown outcome {outcome!r}; use one of {', '.join(OUTCOMES)}",
            field="outcome",
        )
    tag = (reason or "").strip().lower() or None
    lost = outcome in LOSES_ARR
    allowed = settings.reason_tags + ([] if lost else settings.growth_tags)
    if tag is None and lost:
        raise InputInvalid(
            f"{_a(outcome)} renewal needs a reason tag; use one of "
            f"{', '.join(allowed)}",
            field="reason",
        )
    if tag is not None and tag not in allowed:
        raise InputInvalid(
            f"unknown reason tag {reason!r} for {_a(outcome)} renewal; use one of "
            f"{', '.join(allowed)} (or add it to config/renewals.yaml)",
            field="reason",
        )
    return tag


def _a(word: str) -> str:
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


def _new_arr(contract: Contract, outcome: str, new_arr: float | None) -> float:
    arr = contract.arr or 0.0
    if new_arr is not None and new_arr < 0:
        raise InputInvalid(f"new ARR must be 0 or more, not {new_arr:g}", "new_arr")
    if outcome == "churned":
        if new_arr not in (None, 0):
            raise InputInvalid(
                "a churned renewal has no new ARR; leave it out", field="new_arr"
            )
        return 0.0
    if outcome == "renewed":
        if new_arr is not None and new_arr != arr:
            raise InputInvalid(
                f"renewed means at the same ARR ({arr:,.2f}); log a higher new "
                "ARR as expanded and a lower one as contracted",
                field="new_arr",
            )
        return arr
    if new_arr is None:
        raise InputInvalid(f"an {outcome} renewal needs its new ARR", "new_arr")
    if outcome == "expanded" and new_arr <= arr:
        raise InputInvalid(
            f"expanded needs a new ARR above the current {arr:,.2f}, not "
            f"{new_arr:,.2f}",
            field="new_arr",
        )
    if outcome == "contracted" and not 0 < new_arr < arr:
        raise InputInvalid(
            f"contracted needs a new ARR between 0 and the current {arr:,.2f}, "
            f"not {new_arr:,.2f}; a renewal at 0 is churned",
            field="new_arr",
        )
    return new_arr


def _first_of_chain(session: Session, contract: Contract) -> Contract:
    first_key = contract.external_id.split(CHAIN, 1)[0]
    if first_key == contract.external_id:
        return contract
    first = session.scalar(select(Contract).where(Contract.external_id == first_key))
    return first or contract


def _term_end(
    settings: RenewalSettings, session: Session, contract: Contract, day: dt.date
) -> dt.date | None:
    """The end of the open-ended contract's term running on ``day``."""
    months = settings.months(contract.billing_period)
    if months is None:
        raise InputInvalid(
            f"contract {contract.external_id!r} has no end date and its billing "
            f"period {contract.billing_period!r} is not in term_months of "
            "config/renewals.yaml, so its term end is unknown; add the period "
            "there or import the contract with an end date",
            field="contract",
        )
    anchor = _first_of_chain(session, contract).start_date
    return term_on(anchor, months, max(day, contract.start_date)).ends_on


def _open_next_term(
    session: Session, contract: Contract, new_arr: float, open_ended: bool
) -> str:
    first = _first_of_chain(session, contract)
    end = contract.end_date
    assert end is not None and first.end_date is not None
    if open_ended:
        # An open-ended subscription stays open-ended: its terms renew by
        # themselves, anchored on the first contract's start.
        begins, ends = end + dt.timedelta(days=1), None
    else:
        begins, ends = following_term(first.start_date, first.end_date, end)
    key = f"{first.external_id}{CHAIN}{begins.isoformat()}"
    session.add(
        Contract(
            external_id=key,
            account_id=contract.account_id,
            start_date=begins,
            end_date=ends,
            arr=new_arr,
            seats=contract.seats,
            plan=contract.plan,
            billing_period=contract.billing_period,
            auto_renew=contract.auto_renew,
        )
    )
    return key
