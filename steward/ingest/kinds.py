"""How each kind of operational file is stored: accounts, users, contracts..."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from steward.ingest import loaders
from steward.ingest.convert import Prepared
from steward.ingest.loaders import Changes, Record
from steward.ingest.mapping import Source
from steward.ingest.report import ImportReport
from steward.store.coverage import CsmEffort
from steward.store.models import (
    Account,
    AccountTag,
    Contact,
    Contract,
    LifecycleChange,
    NpsResponse,
    Outcome,
    Ticket,
    User,
)

Columns = dict[str, list[Any]]
Store = Callable[[Session, Prepared, Source, Columns, list[int], str], Changes]


def load(
    session: Session,
    prepared: Prepared,
    source: Source,
    actor: str,
    report: ImportReport,
) -> None:
    """Store the kept rows of one operational file; count and audit them."""
    if "account" in prepared.fields:
        account_ids = resolve_accounts(session, prepared, source, actor, report)
    positions = prepared.kept().tolist()
    columns = {name: array.to_pylist() for name, array in prepared.fields.items()}
    if "account" in prepared.fields:
        columns["account_id"] = account_ids
    changes = _STORE[prepared.kind](
        session, prepared, source, columns, positions, actor
    )
    changes.count(report)
    changes.audit(session, actor, prepared)


def resolve_accounts(
    session: Session,
    prepared: Prepared,
    source: Source,
    actor: str,
    report: ImportReport,
) -> list[int | None]:
    """Account ids by row; an unknown account rejects its row."""
    names = account_names(session, prepared, source)
    wanted = {names[p] for p in prepared.kept() if names[p] is not None}
    ids = loaders.ids_by_key(session, Account, "external_id", wanted)
    unknown = wanted - set(ids)
    if unknown and source.create_accounts:
        ids |= loaders.create_accounts(session, unknown, actor, prepared.name)
        report.accounts_created = len(unknown)
    elif unknown:
        for position in prepared.kept():
            if names[position] in unknown:
                rule = (
                    f"unknown account '{names[position]}'; import its account first "
                    "or set create_accounts: true for this file"
                )
                prepared.flag(int(position), "account", rule)
    return [ids.get(name) if name is not None else None for name in names]


def account_names(session: Session, prepared: Prepared, source: Source) -> list[Any]:
    """Account external ids by row, through the contract when the mapping says so."""
    names = prepared.fields["account"].to_pylist()
    if source.specs["account"].lookup != "contract":
        return names
    kept = prepared.kept()
    via = loaders.contract_accounts(session, {names[p] for p in kept} - {None})
    for position in kept:
        contract = names[position]
        if contract is not None and contract not in via:
            rule = f"unknown contract '{contract}'; import its contracts first"
            prepared.flag(int(position), "account", rule)
        names[position] = via.get(contract)
    return names


def _values(columns: Columns, position: int, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: columns[name][position] for name in names if name in columns}


def _users(
    session: Session,
    prepared: Prepared,
    source: Source,
    columns: Columns,
    positions: list[int],
    actor: str,
) -> Changes:
    records = [
        Record(
            p,
            columns["email"][p],
            _values(columns, p, ("name", "role", "capacity_hours")),
        )
        for p in positions
    ]
    changes, existing = loaders.upsert(
        session, User, "email", records, "user", insert_defaults={"name": "email"}
    )
    if "manager_email" not in columns:
        return changes
    wanted = {p: columns["manager_email"][p] for p in positions}
    found = loaders.ids_by_key(session, User, "email", set(wanted.values()) - {None})
    managers: dict[str, int | None] = {}
    for position, email in wanted.items():
        if email is not None and email not in found:
            rule = f"unknown manager '{email}'; stored without a manager"
            prepared.flag(position, "manager_email", rule, level="warning")
        managers[columns["email"][position]] = found.get(email)
    loaders.set_late_field(session, User, changes, existing, "manager_id", managers)
    return changes


_ACCOUNT_FIELDS = (
    "name",
    "industry",
    "country",
    "region",
    "timezone",
    "arr",
    "seats",
    "custom_integrations",
    "tier",
    "coverage",
    "segment",
    "plan",
    "lifecycle_stage",
    "signed_on",
)


def _accounts(
    session: Session,
    prepared: Prepared,
    source: Source,
    columns: Columns,
    positions: list[int],
    actor: str,
) -> Changes:
    for role in ("csm", "ae"):
        if f"{role}_email" in columns:
            emails = {columns[f"{role}_email"][p] for p in positions} - {None}
            ids = loaders.users_by_email(session, emails, actor, prepared.name)
            columns[f"{role}_id"] = [ids.get(e) for e in columns[f"{role}_email"]]
    attributes = {
        name: [_attribute(value) for value in array.to_pylist()]
        for name, array in prepared.attributes.items()
    }
    records = []
    for p in positions:
        values = _values(columns, p, (*_ACCOUNT_FIELDS, "csm_id", "ae_id"))
        if attributes:
            values["attributes"] = {
                name: cells[p] for name, cells in attributes.items()
            }
        records.append(Record(p, columns["external_id"][p], values))
    changes, existing = loaders.upsert(
        session, Account, "external_id", records, "account", merge=("attributes",)
    )
    for key in changes.changed:
        existing[key].updated_at = dt.datetime.now(dt.UTC)
    if "tags" in columns:
        split = source.specs["tags"].split or ","
        tags = {
            columns["external_id"][p]: _tags(columns["tags"][p], split)
            for p in positions
        }
        _add_tags(session, changes, tags, actor)
    if "lifecycle_stage" in columns:
        _record_stages(session, changes, records, existing, actor)
    return changes


def _attribute(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _tags(cell: str | None, split: str) -> list[str]:
    if cell is None:
        return []
    return [tag.strip() for tag in cell.split(split) if tag.strip()]


def _add_tags(
    session: Session, changes: Changes, tags: dict[str, list[str]], actor: str
) -> None:
    """Add the file's tags; never remove one (playbooks add tags too)."""
    ids = [changes.ids[key] for key in tags]
    held: dict[int, set[str]] = {}
    query = select(AccountTag.account_id, AccountTag.tag).where(
        AccountTag.account_id.in_(ids)
    )
    for account_id, tag in session.execute(query):
        held.setdefault(account_id, set()).add(tag)
    rows = []
    for key, wanted in tags.items():
        account_id = changes.ids[key]
        old = held.get(account_id, set())
        new = [tag for tag in dict.fromkeys(wanted) if tag not in old]
        if new:
            changes.change(key, "tags", sorted(old), sorted(old | set(new)))
            rows.extend(
                {"account_id": account_id, "tag": t, "added_by": actor} for t in new
            )
    if rows:
        session.execute(insert(AccountTag.__table__), rows)


def _record_stages(
    session: Session,
    changes: Changes,
    records: list[Record],
    existing: dict[str, Account],
    actor: str,
) -> None:
    """The lifecycle history gets every stage an import sets or changes."""
    today = dt.datetime.now(dt.UTC).date()
    rows = []
    for record in records:
        stage = record.values.get("lifecycle_stage")
        moved = changes.changed.get(record.key, {}).get("lifecycle_stage")
        if record.key in changes.inserted and stage:
            rows.append((record.key, None, stage))
        elif moved:
            rows.append((record.key, moved["from"], moved["to"]))
    if rows:
        session.execute(
            insert(LifecycleChange.__table__),
            [
                {
                    "account_id": changes.ids[key],
                    "from_stage": old,
                    "stage": new,
                    "changed_on": today,
                    "changed_by": actor,
                    "reason": "import",
                }
                for key, old, new in rows
            ],
        )


def _simple(model: type, entity: str, names: tuple[str, ...]) -> Store:
    def store(
        session: Session,
        prepared: Prepared,
        source: Source,
        columns: Columns,
        positions: list[int],
        actor: str,
    ) -> Changes:
        records = [
            Record(p, columns["external_id"][p], _values(columns, p, names))
            for p in positions
        ]
        return loaders.upsert(session, model, "external_id", records, entity)[0]

    return store


def _with_reference(
    model: type,
    entity: str,
    names: tuple[str, ...],
    reference: str,
    resolve: Callable[[Session, set[str]], dict[str, int]],
) -> Store:
    """Like ``_simple``, with one optional reference (an outcome's contract, an
    NPS response's contact) resolved by ``resolve``; an unknown one is a warning."""

    def store(
        session: Session,
        prepared: Prepared,
        source: Source,
        columns: Columns,
        positions: list[int],
        actor: str,
    ) -> Changes:
        if reference in columns:
            cells = columns[reference]
            found = resolve(session, {cells[p] for p in positions} - {None})
            for p in positions:
                if cells[p] is not None and cells[p] not in found:
                    rule = f"unknown {reference} '{cells[p]}'; stored without it"
                    prepared.flag(p, reference, rule, level="warning")
            columns[f"{reference}_id"] = [found.get(c) for c in cells]
        fields = (*names, f"{reference}_id")
        records = [
            Record(p, columns["external_id"][p], _values(columns, p, fields))
            for p in positions
        ]
        return loaders.upsert(session, model, "external_id", records, entity)[0]

    return store


def _contracts_by_id(session: Session, keys: set[str]) -> dict[str, int]:
    return loaders.ids_by_key(session, Contract, "external_id", keys)


def _contacts_by_id_or_email(session: Session, keys: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    keys_list = sorted(keys)
    for start in range(0, len(keys_list), 500):
        chunk = keys_list[start : start + 500]
        query = select(Contact.external_id, Contact.email, Contact.id).where(
            or_(Contact.external_id.in_(chunk), Contact.email.in_(chunk))
        )
        for external_id, email, contact_id in session.execute(query):
            found.setdefault(external_id, contact_id)
            if email:
                found.setdefault(email, contact_id)
    return found


def _efforts(
    session: Session,
    prepared: Prepared,
    source: Source,
    columns: Columns,
    positions: list[int],
    actor: str,
) -> Changes:
    """CSM effort rows; an unknown CSM email is stored without a CSM (a warning)."""
    emails = columns.get("csm_email", [None] * len(prepared.rows))
    found = loaders.ids_by_key(
        session, User, "email", {emails[p] for p in positions} - {None}
    )
    for p in positions:
        if emails[p] is not None and emails[p] not in found:
            rule = f"unknown CSM '{emails[p]}'; stored without a CSM"
            prepared.flag(p, "csm_email", rule, level="warning")
    records = [
        Record(
            p,
            columns["external_id"][p],
            {
                **_values(
                    columns,
                    p,
                    ("account_id", "worked_on", "hours", "activity", "note"),
                ),
                "user_id": found.get(emails[p]),
                "source": "import",
                "recorded_by": actor,
            },
        )
        for p in positions
    ]
    return loaders.upsert(session, CsmEffort, "external_id", records, "csm_effort")[0]


_STORE = {
    "users": _users,
    "accounts": _accounts,
    "contacts": _simple(
        Contact, "contact", ("account_id", "name", "email", "role", "title")
    ),
    "contracts": _simple(
        Contract,
        "contract",
        (
            "account_id",
            "start_date",
            "end_date",
            "arr",
            "seats",
            "plan",
            "billing_period",
            "auto_renew",
            "outcome",
            "outcome_reason",
            "closed_on",
            "new_arr",
        ),
    ),
    "outcomes": _with_reference(
        Outcome,
        "outcome",
        ("account_id", "kind", "occurred_on", "reason", "feedback", "arr_change"),
        "contract",
        _contracts_by_id,
    ),
    "tickets": _simple(
        Ticket,
        "ticket",
        (
            "account_id",
            "opened_at",
            "closed_at",
            "priority",
            "status",
            "subject",
            "satisfaction",
            "escalated",
        ),
    ),
    "nps": _with_reference(
        NpsResponse,
        "nps_response",
        ("account_id", "score", "comment", "responded_at"),
        "contact",
        _contacts_by_id_or_email,
    ),
    "efforts": _efforts,
}
