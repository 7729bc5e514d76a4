"""Mapping sources read from database tables, through the same checks as files.

The connectors' seed CSVs in ``../shared/data/crm`` are landed as tables in
the real PostgreSQL server (every column text, one schema per connector, as a
connector lands them), then imported through the shipped mappings and held
equal to importing the CSV files themselves.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import duckdb
import ibis
import pandas as pd
import pytest
from sqlalchemy import Text, create_engine, func, select, text
from typer.testing import CliRunner

from steward.cli.main import app
from steward.errors import ImportFailed, MappingInvalid
from steward.events.store import EventStore
from steward.ingest import import_mapping, load_mapping
from steward.ingest.tables import Database
from steward.store.db import Store
from steward.store.models import (
    Account,
    Contact,
    Contract,
    NpsResponse,
    Ticket,
    User,
)

MAPPINGS = Path(__file__).parents[1] / "steward" / "ingest" / "mappings"
CONNECTORS = {
    "salesforce": "salesforce_fivetran",
    "hubspot": "hubspot_fivetran",
    "zendesk": "zendesk_fivetran",
    "pendo": "pendo_fivetran",
    "recurly": "recurly_fivetran",
}
# What each connector's seeds must yield, so that "equal" is never "both empty".
YIELDS = {
    "salesforce": ("accounts", "contacts", "contracts"),
    "hubspot": ("accounts",),  # hashed emails, no closed deals: see the linked test
    "zendesk": ("accounts", "tickets"),
    "pendo": (),  # the seed answers are not 0-10 scores; see the scored test
    "recurly": ("accounts", "contracts"),
}
MODELS = (Account, Contact, Contract, Ticket, NpsResponse)
runner = CliRunner()


def land(url: str, schema: str, frames: dict[str, pd.DataFrame]) -> None:
    """Each frame as a table of text columns in ``schema``, replacing it."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    for name, frame in frames.items():
        types = {column: Text() for column in frame.columns}
        frame.to_sql(
            name, engine, schema=schema, index=False, dtype=types, if_exists="replace"
        )
    engine.dispose()


def read_csv(path: Path) -> pd.DataFrame:
    """A CSV with every cell as text and only empty cells missing."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def landed(pg_url: str, shared_data: Path) -> Iterator[str]:
    """The PostgreSQL URL whose schemas hold every seed table of the connectors."""
    for folder in CONNECTORS.values():
        csvs = sorted((shared_data / "crm" / folder).glob("*.csv"))
        land(pg_url, folder, {path.stem: read_csv(path) for path in csvs})
    yield pg_url
    engine = create_engine(pg_url)
    with engine.begin() as connection:
        for folder in [*CONNECTORS.values(), "pendo_scored", "hubspot_linked"]:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{folder}" CASCADE'))
    engine.dispose()


def new_store(folder: Path) -> Store:
    folder.mkdir(parents=True, exist_ok=True)
    store = Store(f"sqlite:///{folder / 'steward.db'}")
    store.upgrade()
    return store


def import_files(folder: Path, mapping: Path, data: Path) -> tuple[Store, list]:
    store = new_store(folder)
    reports = import_mapping(store, EventStore(folder / "events"), mapping, data)
    return store, reports


def import_tables(folder: Path, mapping: Path, url: str) -> tuple[Store, list]:
    store = new_store(folder)
    with Database(url) as database:
        reports = import_mapping(
            store, EventStore(folder / "events"), mapping, None, database=database
        )
    return store, reports


def snapshot(store: Store) -> dict[str, list[dict]]:
    """Every stored record of each kind, references as external ids, no row ids."""
    with store.session() as session:
        keys = {
            model.__tablename__: dict(session.execute(select(model.id, key)).all())
            for model, key in (
                (Account, Account.external_id),
                (Contact, Contact.external_id),
                (Contract, Contract.external_id),
                (User, User.email),
            )
        }
        shot = {}
        for model in MODELS:
            columns = [
                column
                for column in model.__table__.columns
                if column.name not in ("id", "created_at", "updated_at")
            ]
            records = []
            for row in session.execute(select(*columns)):
                record = {}
                for column, value in zip(columns, row, strict=True):
                    target = next(iter(column.foreign_keys), None)
                    if target is not None and value is not None:
                        value = keys[target.column.table.name][value]
                    record[column.name] = value
                records.append(record)
            shot[model.__tablename__] = sorted(records, key=lambda r: r["external_id"])
    return shot


def outcome(reports: list) -> dict[tuple[str, str], tuple]:
    """Counts and problems of each source, without the names and row numbers.

    A CSV's rows start at 2 (after its header) and a table's at 1, in id order.
    """
    return {
        (report.kind, report.file.rsplit(".", 1)[0]): (
            report.rows_read,
            report.inserted,
            report.updated,
            report.unchanged,
            report.rejected,
            Counter(
                (p.level, p.column, re.sub(r"row \d+", "row N", p.rule), p.value)
                for p in report.problems
            ),
        )
        for report in reports
    }


@pytest.mark.parametrize("name", list(CONNECTORS))
def test_a_connector_mapping_reads_the_same_records_from_its_tables_as_its_files(
    name, landed, shared_data, tmp_path
):
    mapping = MAPPINGS / f"{name}.yaml"
    folder = shared_data / "crm" / CONNECTORS[name]

    files, file_reports = import_files(tmp_path / "files", mapping, folder)
    tables, table_reports = import_tables(
        tmp_path / "tables", mapping, f"{landed}/{CONNECTORS[name]}"
    )

    assert snapshot(tables) == snapshot(files)
    assert outcome(table_reports) == outcome(file_reports)
    stored = snapshot(tables)
    assert [kind for kind in YIELDS[name] if not stored[kind]] == []


@pytest.mark.parametrize("name", list(CONNECTORS))
def test_importing_the_tables_again_changes_nothing(name, landed, tmp_path):
    mapping = MAPPINGS / f"{name}.yaml"
    url = f"{landed}/{CONNECTORS[name]}"
    store, first = import_tables(tmp_path, mapping, url)
    before = snapshot(store)

    with Database(url) as database:
        again = import_mapping(
            store, EventStore(tmp_path / "events"), mapping, None, database=database
        )

    assert [(r.file, r.inserted, r.updated) for r in again] == [
        (r.file, 0, 0) for r in first
    ]
    assert [r.unchanged for r in again] == [r.inserted + r.updated for r in first]
    assert snapshot(store) == before


def test_nps_answers_in_pendos_layout_come_from_a_table(landed, shared_data, tmp_path):
    answers = read_csv(shared_data / "crm" / "pendo_fivetran" / "poll_event.csv")
    answers["poll_response"] = [str(score) for score in (9, 4, 10)][: len(answers)]
    (tmp_path / "csv").mkdir()
    answers.to_csv(tmp_path / "csv" / "poll_event.csv", index=False)
    land(landed, "pendo_scored", {"poll_event": answers})
    mapping = MAPPINGS / "pendo.yaml"

    files, _ = import_files(tmp_path / "files", mapping, tmp_path / "csv")
    tables, reports = import_tables(
        tmp_path / "tables", mapping, f"{landed}/pendo_scored"
    )

    assert snapshot(tables) == snapshot(files)
    scores = sorted(r["score"] for r in snapshot(tables)["nps_responses"])
    assert scores == sorted(int(score) for score in answers["poll_response"])
    assert reports[0].rejected == 0


def test_problems_name_the_table_its_row_in_id_order_the_column_and_rule(
    landed, tmp_path
):
    url = f"{landed}/zendesk_fivetran"
    engine = create_engine(landed)
    with engine.connect() as connection:
        orphans = connection.execute(
            text(
                "SELECT n FROM (SELECT organization_id, row_number() OVER "
                "(ORDER BY id) AS n FROM zendesk_fivetran.ticket_data) AS t "
                "WHERE organization_id IS NULL ORDER BY n"
            )
        ).scalars()
        expected = [
            f"ticket_data, row {n}, column 'organization_id': required value is missing"
            for n in orphans
        ]
    engine.dispose()

    _, reports = import_tables(tmp_path, MAPPINGS / "zendesk.yaml", url)

    assert expected
    assert [str(problem) for problem in reports[0].problems] == expected


@pytest.fixture(scope="module")
def linked(landed: str, shared_data: Path, tmp_path_factory) -> Path:
    """HubSpot's seed tables with three deals closed and two linked to a company,
    as CSV files in a folder and as tables in the schema hubspot_linked."""
    seeds = shared_data / "crm" / "hubspot_fivetran"
    names = ("company_data", "contact_data", "deal_data", "deal_company_data")
    frames = {name: read_csv(seeds / f"{name}.csv") for name in names}
    deals, companies = frames["deal_data"], frames["company_data"]
    deals.loc[:2, "property_closedate"] = ["2024-01-05", "2024-02-01", "2024-03-01"]
    deals.loc[:2, "property_amount"] = ["1200", "800", "500"]
    frames["deal_company_data"] = pd.DataFrame(
        {
            "company_id": list(companies["id"][:2]),
            "deal_id": list(deals["deal_id"][:2]),
            "type_id": ["5", "5"],
            "category": ["HUBSPOT_DEFINED"] * 2,
        }
    )
    folder = tmp_path_factory.mktemp("hubspot_linked")
    for name, frame in frames.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    land(landed, "hubspot_linked", frames)
    return folder


def test_deals_find_their_company_through_a_via_table(landed, linked, tmp_path):
    mapping = MAPPINGS / "hubspot.yaml"
    deals = read_csv(linked / "deal_company_data.csv")

    files, file_reports = import_files(tmp_path / "files", mapping, linked)
    tables, table_reports = import_tables(
        tmp_path / "tables", mapping, f"{landed}/hubspot_linked"
    )

    contracts = snapshot(tables)["contracts"]
    assert sorted(c["external_id"] for c in contracts) == sorted(deals["deal_id"])
    assert snapshot(tables) == snapshot(files)
    assert outcome(table_reports) == outcome(file_reports)


def test_tables_named_with_their_schema_and_a_via_table(landed, linked, tmp_path):
    mapping = tmp_path / "hubspot-tables.yaml"
    mapping.write_text(
        "name: hubspot-tables\n"
        "sources:\n"
        "  - kind: accounts\n"
        "    table: hubspot_linked.company_data\n"
        "    fields: {external_id: id, name: property_name}\n"
        "  - kind: contracts\n"
        "    table: hubspot_linked.deal_data\n"
        "    fields:\n"
        "      external_id: deal_id\n"
        "      account:\n"
        "        column: deal_id\n"
        "        via: {table: hubspot_linked.deal_company_data, key: deal_id,\n"
        "              value: company_id}\n"
        "      start_date: property_closedate\n"
        "      arr: property_amount\n"
    )

    files, _ = import_files(tmp_path / "files", MAPPINGS / "hubspot.yaml", linked)
    tables, reports = import_tables(tmp_path / "tables", mapping, landed)

    contracts = snapshot(tables)["contracts"]
    assert len(contracts) == 2
    assert contracts == snapshot(files)["contracts"]
    assert reports[1].file == "hubspot_linked.deal_data"


def test_a_folder_and_a_database_together_read_table_sources_from_the_database(
    landed, shared_data, tmp_path
):
    mapping = tmp_path / "mixed.yaml"
    mapping.write_text(
        "name: mixed\n"
        "sources:\n"
        "  - kind: accounts\n"
        "    file: sf_account_data.csv\n"
        "    fields: {external_id: id, name: name}\n"
        "  - kind: contacts\n"
        "    table: salesforce_fivetran.sf_contact_data\n"
        "    create_accounts: true\n"
        "    fields: {external_id: id, account: account_id, name: name}\n"
    )
    folder = shared_data / "crm" / "salesforce_fivetran"
    contacts = read_csv(folder / "sf_contact_data.csv")
    store = new_store(tmp_path)

    with Database(landed) as database:
        reports = import_mapping(
            store, EventStore(tmp_path / "events"), mapping, folder, database=database
        )

    assert [r.file for r in reports] == [
        "sf_account_data.csv",
        "salesforce_fivetran.sf_contact_data",
    ]
    with store.session() as session:
        stored = session.scalar(select(func.count()).select_from(Contact))
    assert stored == contacts["account_id"].notna().sum() > 0


def test_order_by_decides_which_version_of_a_history_row_is_kept(tmp_path):
    con = ibis.duckdb.connect()
    accounts = pd.DataFrame({"id": ["A1"], "company": ["Acme"], "updated_at": ["x"]})
    accounts[["code", "state", "account_country"]] = None
    history = pd.DataFrame(
        {
            "id": ["S1", "S1"],
            "account_id": ["A1", "A1"],
            "activated_at": ["2024-01-01", "2024-01-01"],
            "updated_at": ["2024-01-01 00:00:00", "2024-06-01 00:00:00"],
            "quantity": ["5", "8"],  # the older version landed first
            "state": ["active", "active"],
        }
    )
    for column in ("expires_at", "subtotal", "plan_id", "auto_renew", "canceled_at"):
        history[column] = None
    con.create_table("account_history_data", accounts.astype("string"))
    con.create_table("subscription_history_data", history.astype("string"))
    store = new_store(tmp_path)

    database = Database(backend=con, label="duckdb (in memory)")
    reports = import_mapping(
        store,
        EventStore(tmp_path / "events"),
        MAPPINGS / "recurly.yaml",
        None,
        database=database,
    )

    assert snapshot(store)["contracts"][0]["seats"] == 8
    assert [str(p) for p in reports[1].problems if p.level == "error"] == [
        "subscription_history_data, row 2, column 'id': duplicate external_id "
        "'S1', first in row 1"
    ]


def test_a_source_names_a_file_or_a_table_not_both(tmp_path):
    mapping = tmp_path / "both.yaml"
    mapping.write_text(
        "name: both\nsources:\n  - kind: accounts\n    file: a.csv\n    table: a\n"
        "    fields: {external_id: id, name: name}\n"
    )

    with pytest.raises(MappingInvalid) as error:
        load_mapping(mapping)

    assert str(error.value) == (
        "mapping both.yaml, source 1 (a.csv): give file or table, exactly one of "
        "the two"
    )


def test_a_glob_cannot_name_a_table(tmp_path):
    mapping = tmp_path / "glob.yaml"
    mapping.write_text(
        "name: glob\nsources:\n  - kind: accounts\n    file: exports/acc-*.csv\n"
        "    fields: {external_id: id, name: name}\n"
    )
    store = new_store(tmp_path)
    con = ibis.duckdb.connect()

    with pytest.raises(ImportFailed) as error:
        import_mapping(
            store,
            EventStore(tmp_path / "events"),
            mapping,
            None,
            database=Database(backend=con),
        )

    assert str(error.value) == (
        "exports/acc-*.csv: a glob names files, not a table; give this source "
        "table: NAME to read it from the database"
    )


# The command line --------------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    monkeypatch.delenv("STEWARD_IMPORT_URL", raising=False)
    return tmp_path / "home"


def invoke(*args: object):
    return runner.invoke(app, [str(arg) for arg in args])


def test_the_command_imports_a_duckdb_file_of_typed_columns(
    home, tmp_path, shared_data, monkeypatch
):
    seed = shared_data / "crm" / "zendesk_fivetran" / "ticket_data.csv"
    path = tmp_path / "crm.duckdb"
    with duckdb.connect(str(path)) as con:  # DuckDB types the columns itself
        con.execute(f"CREATE TABLE ticket_data AS SELECT * FROM read_csv('{seed}')")
        typed = {
            row[0]: row[1] for row in con.execute("DESCRIBE ticket_data").fetchall()
        }
    monkeypatch.setenv("STEWARD_IMPORT_URL", f"duckdb:///{path}")
    files, _ = import_files(tmp_path / "files", MAPPINGS / "zendesk.yaml", seed.parent)

    result = invoke("import", "--mapping", "zendesk")

    assert (typed["id"], typed["created_at"]) == ("BIGINT", "TIMESTAMP")
    assert result.exit_code == 3, result.output  # a ticket without organization
    stored = snapshot(Store(f"sqlite:///{home / 'steward.db'}"))
    assert stored["tickets"]
    assert stored["tickets"] == snapshot(files)["tickets"]


def test_the_command_imports_a_sqlite_file_and_again_changes_nothing(
    home, tmp_path, shared_data
):
    seed = shared_data / "crm" / "zendesk_fivetran" / "ticket_data.csv"
    path = tmp_path / "crm.db"
    engine = create_engine(f"sqlite:///{path}")
    read_csv(seed).to_sql("ticket_data", engine, index=False)
    engine.dispose()
    files, _ = import_files(tmp_path / "files", MAPPINGS / "zendesk.yaml", seed.parent)
    url = f"sqlite:///{path}"

    first = invoke("import", "--from-url", url, "--mapping", "zendesk")
    stored = snapshot(Store(f"sqlite:///{home / 'steward.db'}"))
    again = invoke("import", "--from-url", url, "--mapping", "zendesk")

    assert first.exit_code == again.exit_code == 3, first.output
    assert stored["tickets"]
    assert stored["tickets"] == snapshot(files)["tickets"]
    assert snapshot(Store(f"sqlite:///{home / 'steward.db'}")) == stored


def test_an_unknown_table_stops_before_anything_is_written(home, landed, tmp_path):
    mapping = tmp_path / "typo.yaml"
    mapping.write_text(
        "name: typo\nsources:\n"
        "  - kind: accounts\n    table: salesforce_fivetran.sf_account_data\n"
        "    fields: {external_id: id, name: name}\n"
        "  - kind: contacts\n    table: salesforce_fivetran.sf_contakt_data\n"
        "    fields: {external_id: id, account: account_id}\n"
    )
    tables = sorted(_tables(landed, "salesforce_fivetran"))

    result = invoke("import", "--from-url", landed, "--mapping", mapping)

    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: table 'salesforce_fivetran.sf_contakt_data' is not in {landed} "
        f"(its tables are: {', '.join(tables)}); fix the table: name in the "
        "mapping, or the schema in it or in the URL"
    )
    assert not (home / "steward.db").exists()


def _tables(url: str, schema: str) -> list[str]:
    """The tables PostgreSQL itself lists in ``schema``."""
    engine = create_engine(url)
    query = text(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = :s"
    )
    with engine.connect() as connection:
        found = list(connection.execute(query, {"s": schema}).scalars())
    engine.dispose()
    return found


def test_a_file_source_reads_the_table_of_its_file_name(home, landed):
    url = f"{landed}/zendesk_fivetran"
    tables = sorted(_tables(landed, "zendesk_fivetran"))

    result = invoke("import", "--from-url", url, "--mapping", "salesforce")

    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: table 'sf_account_data' is not in {url} (its tables are: "
        f"{', '.join(tables)}); it stands for file: sf_account_data.csv; land the "
        "table under that name, put its schema in the URL, or give the source "
        "table: NAME"
    )


def test_a_column_missing_from_a_table_is_named_with_the_fix(
    home, landed, shared_data, tmp_path
):
    mapping = tmp_path / "typo.yaml"
    mapping.write_text(
        "name: typo\nsources:\n"
        "  - kind: accounts\n    table: salesforce_fivetran.sf_account_data\n"
        "    fields: {external_id: id, name: nmae}\n"
    )
    seed = shared_data / "crm" / "salesforce_fivetran" / "sf_account_data.csv"
    with seed.open(newline="") as handle:
        header = next(csv.reader(handle))

    result = invoke("import", "--from-url", landed, "--mapping", mapping)

    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: salesforce_fivetran.sf_account_data: column 'nmae' named by field "
        f"'name' is not in the table; its columns are: {', '.join(header)}"
    )
    assert not (home / "steward.db").exists()


def test_an_unreachable_database_is_an_error_and_creates_nothing(home):
    url = "postgresql://steward:hunter2@127.0.0.1:1/crm"

    result = invoke("import", "--from-url", url, "--mapping", "zendesk")

    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "Error: cannot connect to postgresql://steward:***@127.0.0.1:1/crm ("
    )
    assert lines[0].endswith(
        "; check the host, port, database name and credentials in --from-url or "
        "STEWARD_IMPORT_URL"
    )
    assert "hunter2" not in result.output
    assert not (home / "steward.db").exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "mongodb://127.0.0.1/crm",
            "cannot import from mongodb://127.0.0.1/crm: Ibis knows no database "
            "called 'mongodb'; use postgresql://, duckdb:///file.duckdb, "
            "sqlite:///file.db or another Ibis backend's URL",
        ),
        (
            "warehouse",
            "'warehouse' is not a database URL; give one like "
            "postgresql://user@host/db, duckdb:///path/file.duckdb or "
            "sqlite:///path/file.db",
        ),
        (
            "duckdb:///nowhere/crm.duckdb",
            "cannot import from duckdb:///nowhere/crm.duckdb: no database file "
            "/nowhere/crm.duckdb; check the path (duckdb:///absolute/path or "
            "duckdb://relative/path)",
        ),
    ],
)
def test_a_url_the_library_cannot_use_is_named_with_the_fix(home, url, message):
    result = invoke("import", "--from-url", url, "--mapping", "zendesk")

    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {message}"
    assert not (home / "steward.db").exists()
    assert not Path("/nowhere/crm.duckdb").exists()


def test_a_table_source_needs_a_database(home, tmp_path):
    mapping = tmp_path / "tables.yaml"
    mapping.write_text(
        "name: tables\nsources:\n  - kind: accounts\n    table: crm.accounts\n"
        "    fields: {external_id: id, name: name}\n"
    )

    result = invoke("import", tmp_path, "--mapping", mapping)

    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: crm.accounts: a table source needs a database; give steward "
        "import --from-url URL (or set STEWARD_IMPORT_URL)"
    )


def test_without_data_the_command_needs_a_url_and_a_mapping(home):
    result = invoke("import", "--mapping", "zendesk")

    assert result.exit_code == 2
    assert "give DATA (a folder or a file), or --from-url URL with --mapping" in (
        " ".join(result.output.replace("│", " ").split())
    )


def test_the_help_names_the_url_option_and_its_variable():
    result = invoke("import", "--help")

    assert result.exit_code == 0, result.output
    assert "--from-url" in result.output
    assert "STEWARD_IMPORT_URL" in result.output
