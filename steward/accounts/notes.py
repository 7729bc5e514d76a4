"""Notes on an account's timeline, tagged by voice-of-customer category."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.audit import record
from steward.auth.permissions import check_account
from steward.errors import InputInvalid
from steward.store.models import Account, Note, User

NOTE_KINDS = ("note", "call", "meeting", "email", "qbr", "escalation")
# The product brief's categories; a team adds its own by using them.
VOC_CATEGORIES = ("feature_gap", "documentation_confusion", "integration_friction")
MAX_BODY = 20_000
_CATEGORY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def add_note(
    session: Session,
    viewer: User,
    account_key: str,
    *,
    body: str,
    kind: str = "note",
    categories: Iterable[str] = (),
) -> Note:
    """Add a note to the account's timeline as ``viewer``.

    The body is kept exactly as written; pages escape it when they show it.
    """
    account = session.scalar(select(Account).where(Account.external_id == account_key))
    check_account(viewer, account, account_key, change=True)
    body = body.strip()
    if not body:
        raise InputInvalid("the note is empty; write what happened", field="body")
    if len(body) > MAX_BODY:
        raise InputInvalid(
            f"the note has {len(body):,} characters; keep it under {MAX_BODY:,}",
            field="body",
        )
    if kind not in NOTE_KINDS:
        raise InputInvalid(
            f"unknown note kind {kind!r}; use one of {', '.join(NOTE_KINDS)}",
            field="kind",
        )
    tags = normalise_categories(categories)
    note = Note(
        account_id=account.id,
        author_id=viewer.id,
        kind=kind,
        body=body,
        categories=tags,
    )
    session.add(note)
    session.flush()
    record(
        session,
        viewer.email,
        "note.added",
        "account",
        account_key,
        note=note.id,
        kind=kind,
        categories=tags,
    )
    return note


def normalise_categories(categories: Iterable[str]) -> list[str]:
    """Lower-case snake_case names, each once, in the order given."""
    seen: list[str] = []
    for raw in categories:
        name = re.sub(r"[\s-]+", "_", raw.strip().lower())
        if not name:
            continue
        if not _CATEGORY.match(name):
            raise InputInvalid(
                f"category {raw!r} must be 2 to 40 letters, digits or underscores, "
                "starting with a letter, e.g. feature_gap",
                field="categories",
            )
        if name not in seen:
            seen.append(name)
    return seen
