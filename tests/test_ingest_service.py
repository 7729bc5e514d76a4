"""Messy files through the import service: every outcome checked row by row."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select, text

from steward.errors import ImportFailed
from steward.events.store import EventStore
from steward.ingest import exit_code, import_file, import_mapping
from steward.store.db import Store
from steward.store.models import (
    Account,
    AuditEntry,
    Contact,
    Contract,
    ImportRun,
    LifecycleChange,
    NpsResponse,
    User,
)

ACCOUNTS_1252 = (
    "id;name;arr;signed;renewal;seats\r\n"
    "A-1;Société Générale;1.200,50;25/03/2024;03/25/2025;10\r\n"
    'A-2;"Crème\r\nBrûlée SA";950;01/02/2024;02/01/2025;\r\n'
    ";;;;;\r\n"
    "A-3;Acme;2.000,00;31/12/2023;12/31/2024;5\r\n"
    "A-1;Société Générale again;1,00;01/01/2024;01/01/2025;1\r\n"
    "A-4;Bad Date Ltd;10;32/01/2024;01/15/2025;1\r\n"
    "A-5;Bad Number Ltd;12abc;01/01/2024;01/15/2025;1\r\n"
)
ACCOUNT_FIELDS = {
    "external_id": "id",
    "name": "name",
    "arr": "arr",
    "signed_on": "signed",
    "seats": "seats",
    "attributes": {"renewal": {"column": "renewal", "type": "date"}},
}
CONTRACTS_BOM = (
    "\ufeffcontract,account,start,arr,auto_renew\n"
    'C-1,A-1,45292,"$1,200.00",yes\n'
    'C-2,A-9,45293,"$2,500.00",no\n'
    "\n"
    "C-3,A-2,45294,$300.00,Y\n"
    'C-4,A-3,2024-01-05,"$1,000",maybe\n'
)
CONTRACT_FIELDS = {
    "external_id": "contract",
    "account": "account",
    "start_date": "start",
    "arr": "arr",
    "auto_renew": "auto_renew",
}


def write(path: Path, content: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(content.encode(encoding))
    return path


def import_accounts(store: Store, events: EventStore, folder: Path):
    path = write(folder / "accounts.csv", ACCOUNTS_1252, "cp1252")
    return import_file(store, events, path, "accounts", ACCOUNT_FIELDS)


def test_messy_windows_1252_semicolon_file_keeps_good_rows_and_names_bad_ones(
    store: Store, events: EventStore, tmp_path: Path
) -> None:
    report = import_accounts(store, events, tmp_path)

    assert [str(problem) for problem in report.problems] == [
        "accounts.csv, row 3, column 'seats': blank, stored as missing",
        "accounts.csv, row 6, column 'id': duplicate external_id 'A-1', first in row 2",
        "accounts.csv, row 7, column 'signed': not a day-first date "
        "(value '32/01/2024')",
        "accounts.csv, row 8, column 'arr': not a number (value '12abc')",
    ]
    assert [problem.level for problem in report.problems] == [
        "warning",
        "error",
        "error",
        "error",
    ]
    assert (report.encoding, report.delimiter, report.blank_rows) == ("cp1252", ";", 1)
    assert (report.rows_read, report.inserted, report.rejected) == (6, 3, 3)
    assert exit_code([report]) == 3


def test_messy_file_values_are_read_per_column(
    store: Store, events: EventStore, tmp_path: Path
) -> None:
    import_accounts(store, events, tmp_path)

    with store.session() as session:
        accounts = {a.external_id: a for a in session.scalars(select(Account))}
    assert sorted(accounts) == ["A-1", "A-2", "A-3"]
    first, second, third = accounts["A-1"], accounts["A-2"], accounts["A-3"]
    assert first.name == "Société Générale"
    assert second.name == "Crème\r\nBrûlée SA"
    assert (first.arr, second.arr, third.arr) == (1200.5, 950.0, 2000.0)
    # "signed" proves day-first (25/03), "renewal" month-first (03/25).
    assert first.signed_on == dt.date(2024, 3, 25)
    assert second.signed_on == dt.date(2024, 2, 1)
    assert first.attributes == {"renewal": "2025-03-25"}
    assert second.attributes == {"renewal": "2025-02-01"}
    assert (first.seats, second.seats) == (10, None)


def test_bom_file_with_currency_and_excel_dates_rejects_unknown_account(
    store: Store, events: EventStore, tmp_path: Path
) -> None:
    import_accounts(store, events, tmp_path)
    path = write(tmp_path / "contracts.csv", CONTRACTS_BOM)

    report = import_file(store, events, path, "contracts", CONTRACT_FIELDS)

    assert [str(problem) for problem in report.problems] == [
        "contracts.csv, row 3, column 'account': unknown account 'A-9'; import its "
        "account first or set create_accounts: true for this file",
        "contracts.csv, row 6, column 'auto_renew': not a yes/no value "
        "(true/false, yes/no, y/n, 1/0, t/f) (value 'maybe')",
    ]
    assert (report.encoding, report.blank_rows, report.inserted) == ("utf-8-sig", 1, 2)
    with store.session() as session:
        contracts = session.scalars(select(Contract).order_by(Contract.external_id))
        stored = [(c.external_id, c.start_date, c.arr, c.auto_renew) for c in contracts]
    assert stored == [
        ("C-1", dt.date(2024, 1, 1), 1200.0, True),
        ("C-3", dt.date(2024, 1, 3), 300.0, True),
    ]


def test_create_accounts_makes_a_minimal_account_for_an_unknown_id(
    store: Store, events: EventStore, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "contracts.csv", "contract,account,start\nC-1,NEW-1,2024-05-01\n"
    )

    report = import_file(
        store,
        events,
        path,
        "contracts",
        {"external_id": "contract", "account": "account", "start_date": "start"},
        create_accounts=True,
    )

    assert (report.accounts_created, report.inserted, report.problems) == (1, 1, [])
    with store.session() as session:
        account = session.scalars(select(Account)).one()
    assert (account.external_id, account.name) == ("NEW-1", "NEW-1")


def _snapshot(store: Store) -> dict[str, list[tuple]]:
    """Every row of every table but the import log, which grows by design."""
    tables = {}
    metadata = AuditEntry.metadata
    with store.engine.connect() as connection:
        for name in sorted(metadata.tables.keys() - {"import_runs", "alembic_version"}):
            keys = ", ".join(c.name for c in metadata.tables[name].primary_key)
            rows = connection.execute(text(f"select * from {name} order by {keys}"))
            tables[name] = [tuple(row) for row in rows]
    return tables


def test_importing_the_same_files_twice_changes_nothing(
    store: Store, events: EventStore, tmp_path: Path
) -> None:
    contracts = write(tmp_path / "contracts.csv", CONTRACTS_BOM)
    usage = write(
        tmp_path / "usage.csv",
        "account,event,at\nA-1,login,2024-03-01T10:00:00Z\nA-1,login,"
        "2024-03-01T10:00:00Z\nA-2,export,2024-03-02T11:00:00+02:00\n",
    )
    usage_fields = {"account": "account", "event": "event", "ts": "at"}

    def import_all():
        return [
            import_accounts(store, events, tmp_path),
            import_file(store, events, contracts, "contracts", CONTRACT_FIELDS),
            import_file(store, events, usage, "events", usage_fields),
        ]

    import_all()
    before, event_files = _snapshot(store), sorted(events.files())
    second = import_all()

    assert _snapshot(store) == before
    assert sorted(events.files()) == event_files
    assert events.count() == 3
    assert [(r.inserted, r.updated, r.unchanged) for r in second] == [
        (0, 0, 3),
        (0, 0, 2),
        (0, 0, 3),
    ]
    with store.session() as session:
        assert len(session.scalars(select(ImportRun)).all()) == 6


def test_changed_rows_are_updated_and_audited_with_their_fields(
    store: Store, events: EventStore, tmp_path: Path
) -> None:
    import_accounts(store, events, tmp_path)
    changed = ACCOUNTS_1252.replace("A-3;Acme;2.000,00", "A-3;Acme Inc;2.500,00")
    path = write(tmp_path / "accounts.csv", changed, "cp1252")

    report = import_file(store, events, path, "accounts", ACCOUNT_FIELDS)

    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 2)
    with store.session() as session:
        updates = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "import.updated")
        ).all()
    assert [(u.actor, u.entity, u.entity_id) for u in updates] == [
        ("import", "account", "A-3")
    ]
    assert updates[0].detail == {
        "file": "accounts.csv",
        "row": 5,
        "changed": {
            "name": {"from": "Acme", "to": "Acme Inc"},
            "arr": {"from": 2000.0, "to": 2500.0},
        },
    }


def _refuse_third_account(store: Store) -> None:
    """A database rule that refuses one row, as a broken schema or a bad mapping
    would: the import must then store nothing of the file."""
    with store.engine.begin() as connection:
        if store.engine.dialect.name == "sqlite":
            connection.execute(
                text(
                    "create trigger refuse before insert on accounts "
                    "when new.external_id = 'A-3' "
                    "begin select raise(abort, 'refused A-3'); end"
                )
            )
            return
        connection.execute(
            text(
                "create function refuse() returns trigger as $$ begin "
                "if new.external_id = 'A-3' then raise exception 'refused A-3'; "
                "end if; return new; end $$ language plpgsql"
            )
        )
        connection.execute(
            text(
                "create trigger refuse before insert on accounts for each row "
                "execute function refuse()"
            )
        )


def test_a_file_the_database_refuses_half_way_leaves_nothing(
    store: Store, events: EventStore, tmp_path: Path
) -> None:
    _refuse_third_account(store)

    with pytest.raises(ImportFailed) as failure:
        import_accounts(store, events, tmp_path)

    assert str(failure.value).startswith(
        "accounts.csv: nothing from this file was stored: the database refused it ("
    )
    assert "refused A-3" in str(failure.value)
    with store.session() as session:
        assert session.scalars(select(Account)).all() == []
        assert session.scalars(select(AuditEntry)).all() == []
        assert session.scalars(select(ImportRun)).all() == []


def test_a_file_that_cannot_be_read_names_the_file(
    sqlite_store: Store, events: EventStore, tmp_path: Path
) -> None:
    with pytest.raises(ImportFailed) as failure:
        import_file(
            sqlite_store, events, tmp_path / "gone.csv", "accounts", ACCOUNT_FIELDS
        )

    assert str(failure.value) == "gone.csv: cannot be read (No such file or directory)"


def test_a_mapped_column_missing_from_the_file_fails_the_file(
    sqlite_store: Store, events: EventStore, tmp_path: Path
) -> None:
    path = write(tmp_path / "accounts.csv", "id,title\nA-1,Acme\n")

    with pytest.raises(ImportFailed) as failure:
        import_file(sqlite_store, events, path, "accounts", ACCOUNT_FIELDS)

    assert str(failure.value) == (
        "accounts.csv: column 'name' named by field 'name' is not in the file; "
        "its columns are: id, title"
    )


def test_a_date_column_with_both_orders_fails_naming_two_rows(
    sqlite_store: Store, events: EventStore, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "accounts.csv",
        "id,name,signed\nA-1,a,25/03/2024\nA-2,b,01/02/2024\nA-3,c,03/25/2024\n",
    )
    fields = {"external_id": "id", "name": "name", "signed_on": "signed"}

    with pytest.raises(ImportFailed) as failure:
        import_file(sqlite_store, events, path, "accounts", fields)

    assert str(failure.value) == (
        "accounts.csv: column 'signed' mixes day-first dates (row 2: '25/03/2024') "
        "and month-first dates (row 4: '03/25/2024'); set dayfirst or format for "
        "this field in the mapping, or fix the cells"
    )


def test_users_get_their_manager_from_the_same_file(
    store: Store, events: EventStore, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "team.csv",
        "email,name,role,manager\nana@x.io,Ana,CSM,max@x.io\nmax@x.io,Max,manager,\n"
        "bo@x.io,,Read Only,nobody@x.io\n",
    )
    fields = {
        "email": "email",
        "name": "name",
        "role": "role",
        "manager_email": "manager",
    }

    report = import_file(store, events, path, "users", fields)

    assert [str(problem) for problem in report.problems] == [
        "team.csv, row 4, column 'manager': unknown manager 'nobody@x.io'; stored "
        "without a manager"
    ]
    with store.session() as session:
        users = {u.email: u for u in session.scalars(select(User))}
    assert users["ana@x.io"].manager_id == users["max@x.io"].id
    assert (users["bo@x.io"].name, users["bo@x.io"].role) == ("bo@x.io", "read_only")


def test_mapping_sources_are_imported_in_dependency_order(
    sqlite_store: Store, events: EventStore, tmp_path: Path
) -> None:
    write(tmp_path / "contracts.csv", "id,acct,start\nC-1,A-1,2024-01-01\n")
    write(tmp_path / "accounts.csv", "id,name\nA-1,Acme\n")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        "name: test\nsources:\n"
        "  - {kind: contracts, file: contracts.csv,"
        " fields: {external_id: id, account: acct, start_date: start}}\n"
        "  - {kind: accounts, file: 'acc*.csv',"
        " fields: {external_id: id, name: name}}\n"
    )

    reports = import_mapping(sqlite_store, events, mapping, tmp_path)

    assert [(r.file, r.kind, r.inserted) for r in reports] == [
        ("accounts.csv", "accounts", 1),
        ("contracts.csv", "contracts", 1),
    ]
    assert exit_code(reports) == 0


def test_accounts_with_owners_tags_and_stage_then_contacts_and_nps(
    store: Store, events: EventStore, tmp_path: Path
) -> None:
    accounts = write(
        tmp_path / "accounts.csv",
        "id,name,csm,stage,labels,country\n"
        "A-1,Acme,Ana@X.io,Adoption,vip;emea,UK\n"
        "A-2,Beta,ana@x.io,,,Germany\n",
    )
    contacts = write(
        tmp_path / "contacts.csv",
        "account,email,role\nA-1,cto@acme.io,Executive Sponsor\nA-2,,champion\n",
    )
    nps = write(
        tmp_path / "nps.csv",
        "account,who,score,at\nA-1,cto@acme.io,9,2024-05-01\nA-1,ghost@acme.io,11,"
        "2024-05-02\nA-2,nobody@x.io,3,2024-05-03\n",
    )
    account_fields = {
        "external_id": "id",
        "name": "name",
        "csm_email": "csm",
        "lifecycle_stage": "stage",
        "tags": {"column": "labels", "split": ";"},
        "country": "country",
    }

    import_file(store, events, accounts, "accounts", account_fields)
    people = import_file(
        store,
        events,
        contacts,
        "contacts",
        {"account": "account", "email": "email", "role": "role"},
    )
    scores = import_file(
        store,
        events,
        nps,
        "nps",
        {
            "account": "account",
            "contact": "who",
            "score": "score",
            "responded_at": "at",
        },
    )

    assert [str(p) for p in people.problems] == [
        "contacts.csv, row 3, column 'email': required value is missing "
        "(external_id or email)"
    ]
    assert [str(p) for p in scores.problems] == [
        "nps.csv, row 3, column 'score': not between 0 and 10 (value '11')",
        "nps.csv, row 4, column 'who': unknown contact 'nobody@x.io'; stored "
        "without it",
    ]
    with store.session() as session:
        acme = session.scalars(
            select(Account).where(Account.external_id == "A-1")
        ).one()
        beta = session.scalars(
            select(Account).where(Account.external_id == "A-2")
        ).one()
        csm = session.get(User, acme.csm_id)
        contact = session.scalars(select(Contact)).one()
        responses = session.scalars(
            select(NpsResponse).order_by(NpsResponse.score)
        ).all()
        stages = session.scalars(select(LifecycleChange)).all()
        tags = sorted(t.tag for t in acme.tags)
    assert (csm.email, csm.role, beta.csm_id) == ("ana@x.io", "csm", csm.id)
    assert (acme.country, beta.country) == ("GB", "DE")
    assert (acme.lifecycle_stage, beta.lifecycle_stage) == (
        "adoption",
        "contract_signed",
    )
    assert [(s.account_id, s.from_stage, s.stage) for s in stages] == [
        (acme.id, None, "adoption")
    ]
    assert tags == ["emea", "vip"]
    assert (contact.external_id, contact.role) == ("cto@acme.io", "executive_sponsor")
    assert [(r.score, r.contact_id) for r in responses] == [(3, None), (9, contact.id)]
    assert responses[1].external_id.startswith("auto-")
