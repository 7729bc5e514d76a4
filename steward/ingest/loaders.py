"""Prepared rows into the operational store: insert new, update changed, count all.

Records are matched on their external id (users on email). Only fields the
mapping fills are compared and written; a field it leaves out keeps its
stored value. Every inserted or changed record gets an audit entry naming the
fields that changed. All of it runs in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from steward.ingest.convert import Prepared
from steward.ingest.report import ImportReport
from steward.store.models import Account, AuditEntry, Base, Contract, User

_CHUNK = 500
_SCAN_ABOVE = 5_000


@dataclass
class Record:
    """One kept row: its position in the file, its id and the values to store."""

    position: int
    key: str
    values: dict[str, Any]


@dataclass
class Changes:
    """What an upsert did, by record id; later phases may add to it."""

    entity: str
    ids: dict[str, int] = field(default_factory=dict)
    positions: dict[str, int] = field(default_factory=dict)
    inserted: set[str] = field(default_factory=set)
    changed: dict[str, dict[str, Any]] = field(default_factory=dict)

    def change(self, key: str, name: str, old: Any, new: Any) -> None:
        if key not in self.inserted:
            self.changed.setdefault(key, {})[name] = {
                "from": _json(old),
                "to": _json(new),
            }

    def count(self, report: ImportReport) -> None:
        report.inserted += len(self.inserted)
        report.updated += sum(1 for key in self.positions if self.changed.get(key))
        report.unchanged += sum(
            1
            for key in self.positions
            if key not in self.inserted and not self.changed.get(key)
        )

    def audit(self, session: Session, actor: str, prepared: Prepared) -> None:
        entries = []
        for key, position in self.positions.items():
            detail = {"file": prepared.name, "row": int(prepared.rows[position])}
            if key in self.inserted:
                action = "import.created"
            elif self.changed.get(key):
                action, detail["changed"] = "import.updated", self.changed[key]
            else:
                continue
            entries.append(
                {
                    "actor": actor,
                    "action": action,
                    "entity": self.entity,
                    "entity_id": key,
                    "detail": detail,
                }
            )
        if entries:
            session.execute(insert(AuditEntry.__table__), entries)


def upsert(
    session: Session,
    model: type[Base],
    key_name: str,
    records: Sequence[Record],
    entity: str,
    insert_defaults: dict[str, str] | None = None,
    merge: tuple[str, ...] | None = None,
) -> tuple[Changes, dict[str, Base]]:
    """Insert records whose id is new; update the changed fields of the others.

    Returns the changes and the stored objects of the records that existed.
    ``insert_defaults`` names a field to copy into an empty required field on
    insert (a user's name from the email); ``merge`` names JSON fields whose
    keys are merged into the stored ones rather than replacing them.
    """
    changes = Changes(entity)
    table = model.__table__
    merge = merge or ()
    existing = {
        getattr(obj, key_name): obj
        for obj in _select_in(session, model, key_name, [r.key for r in records])
    }
    fresh: list[dict[str, Any]] = []
    for record in records:
        changes.positions[record.key] = record.position
        values = {
            name: value
            for name, value in record.values.items()
            if value is not None or table.c[name].nullable
        }
        obj = existing.get(record.key)
        if obj is None:
            row = {key_name: record.key, **values}
            for target, origin in (insert_defaults or {}).items():
                row[target] = row.get(target) or row[origin]
            fresh.append(row)
            changes.inserted.add(record.key)
            continue
        for name, value in values.items():
            old = getattr(obj, name)
            if name in merge:
                _merge(changes, record.key, obj, name, value)
            elif old != value:
                changes.change(record.key, name, old, value)
                setattr(obj, name, value)
    # A multi-row insert needs the same columns in every row: a row that left
    # out a column (to take its default) goes with the rows like it.
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in fresh:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for rows in groups.values():
        session.execute(insert(model.__table__), rows)
    session.flush()
    changes.ids = ids_by_key(session, model, key_name, list(changes.positions))
    return changes, existing


def _merge(
    changes: Changes, key: str, obj: Base, name: str, value: dict[str, Any]
) -> None:
    old = dict(getattr(obj, name) or {})
    for item, new in value.items():
        if item not in old or old[item] != new:
            changes.change(key, f"{name}.{item}", old.get(item), new)
    merged = {**old, **value}
    if merged != old:
        setattr(obj, name, merged)


def ids_by_key(
    session: Session, model: type[Base], key_name: str, keys: Iterable[str]
) -> dict[str, int]:
    """Stored ids by key, for the keys that exist."""
    column = getattr(model, key_name)
    keys = list(dict.fromkeys(keys))
    if len(keys) > _SCAN_ABOVE:  # one scan beats hundreds of IN queries
        wanted = set(keys)
        rows = session.execute(select(column, model.id))
        return {key: id_ for key, id_ in rows if key in wanted}
    found: dict[str, int] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        query = select(column, model.id).where(column.in_(chunk))
        found.update({key: value for key, value in session.execute(query)})
    return found


def _select_in(
    session: Session, model: type[Base], key_name: str, keys: list[str]
) -> list[Base]:
    column = getattr(model, key_name)
    found: list[Base] = []
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        found.extend(session.scalars(select(model).where(column.in_(chunk))))
    return found


def set_late_field(
    session: Session,
    model: type[Base],
    changes: Changes,
    existing: dict[str, Base],
    name: str,
    values: dict[str, Any],
) -> None:
    """Set a field that needed the file's own records first (a user's manager)."""
    rows = []
    for key, value in values.items():
        obj = existing.get(key)
        if obj is None:
            rows.append({"id": changes.ids[key], name: value})
        elif getattr(obj, name) != value:
            changes.change(key, name, getattr(obj, name), value)
            setattr(obj, name, value)
    if rows:
        session.execute(update(model), rows)


def create_accounts(
    session: Session, external_ids: Iterable[str], actor: str, file: str
) -> dict[str, int]:
    """Minimal accounts (name = id) for ids a purchase log names, audited."""
    external_ids = sorted(set(external_ids))
    if not external_ids:
        return {}
    rows = [{"external_id": key, "name": key} for key in external_ids]
    for start in range(0, len(rows), 5_000):
        session.execute(insert(Account.__table__), rows[start : start + 5_000])
    audit = [
        {
            "actor": actor,
            "action": "import.created",
            "entity": "account",
            "entity_id": key,
            "detail": {"file": file, "reason": "named by a row; create_accounts"},
        }
        for key in external_ids
    ]
    session.execute(insert(AuditEntry.__table__), audit)
    return ids_by_key(session, Account, "external_id", external_ids)


def contract_accounts(session: Session, contract_ids: Iterable[str]) -> dict[str, str]:
    """Each known contract's account external id, by contract external id."""
    found: dict[str, str] = {}
    keys = list(set(contract_ids))
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        query = (
            select(Contract.external_id, Account.external_id)
            .join(Account, Contract.account_id == Account.id)
            .where(Contract.external_id.in_(chunk))
        )
        found.update({key: value for key, value in session.execute(query)})
    return found


def users_by_email(
    session: Session, emails: Iterable[str], actor: str, file: str
) -> dict[str, int]:
    """User ids for CSM and AE emails; a new email becomes a CSM, audited."""
    emails = set(emails)
    known = ids_by_key(session, User, "email", emails)
    new = sorted(emails - set(known))
    if new:
        session.execute(
            insert(User.__table__),
            [{"email": email, "name": email, "role": "csm"} for email in new],
        )
        entries = [
            {
                "actor": actor,
                "action": "import.created",
                "entity": "user",
                "entity_id": email,
                "detail": {"file": file, "reason": "named as an account's CSM or AE"},
            }
            for email in new
        ]
        session.execute(insert(AuditEntry.__table__), entries)
        known |= ids_by_key(session, User, "email", new)
    return known


def _json(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value
