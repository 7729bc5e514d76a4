"""Changing an account's lifecycle stage or tags by hand, with its history kept."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.audit import record
from steward.auth.permissions import check_account
from steward.errors import InputInvalid
from steward.store.models import (
    LIFECYCLE_STAGES,
    Account,
    AccountTag,
    LifecycleChange,
    User,
    utcnow,
)


def change_stage(
    session: Session, viewer: User, account_key: str, stage: str, reason: str = ""
) -> Account:
    """Move the account to ``stage``; a move to where it is already is a no-op."""
    account = _account(session, viewer, account_key)
    if stage not in LIFECYCLE_STAGES:
        raise InputInvalid(
            f"unknown lifecycle stage {stage!r}; use one of "
            f"{', '.join(LIFECYCLE_STAGES)}",
            field="stage",
        )
    if stage == account.lifecycle_stage:
        return account
    previous = account.lifecycle_stage
    session.add(
        LifecycleChange(
            account_id=account.id,
            from_stage=previous,
            stage=stage,
            changed_on=dt.datetime.now(dt.UTC).date(),
            changed_by=viewer.email,
            reason=reason.strip() or "changed by hand",
        )
    )
    account.lifecycle_stage = stage
    account.updated_at = utcnow()
    record(
        session,
        viewer.email,
        "account.stage_changed",
        "account",
        account_key,
        **{"from": previous, "to": stage},
    )
    return account


def add_tag(session: Session, viewer: User, account_key: str, tag: str) -> str:
    """Tag the account; a tag it carries already is left as it is.

    Tags are compared as written: "VIP" and "vip" are two tags.
    """
    account = _account(session, viewer, account_key)
    tag = " ".join(tag.split())
    if not tag or len(tag) > 100:
        raise InputInvalid("a tag has 1 to 100 characters, e.g. Recovery", field="tag")
    exists = session.scalar(
        select(AccountTag.id).where(
            AccountTag.account_id == account.id, AccountTag.tag == tag
        )
    )
    if exists is None:
        session.add(AccountTag(account_id=account.id, tag=tag, added_by=viewer.email))
        record(session, viewer.email, "account.tagged", "account", account_key, tag=tag)
    return tag


def remove_tag(session: Session, viewer: User, account_key: str, tag: str) -> None:
    account = _account(session, viewer, account_key)
    row = session.scalar(
        select(AccountTag).where(
            AccountTag.account_id == account.id, AccountTag.tag == tag
        )
    )
    if row is not None:
        session.delete(row)
        record(
            session, viewer.email, "account.untagged", "account", account_key, tag=tag
        )


def _account(session: Session, viewer: User, account_key: str) -> Account:
    account = session.scalar(select(Account).where(Account.external_id == account_key))
    return check_account(viewer, account, account_key, change=True)
