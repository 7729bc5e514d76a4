"""The shipped mappings on the real data sets in ../shared/data.

Every expected count is computed here from the file with the csv or json
module, independently of the import code.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import func, select

from steward.events.store import EventStore
from steward.ingest import exit_code, import_mapping, import_source, load_mapping
from steward.store.db import Store
from steward.store.models import Account, Contract, Outcome, Ticket

MAPPINGS = Path(__file__).parents[1] / "steward" / "ingest" / "mappings"


def rows_of(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def count(store: Store, model: type, *where) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture(scope="module")
def ravenstack(shared_data: Path) -> Path:
    return shared_data / "saas_ravenstack"


def test_ravenstack_accounts_and_contracts_on_both_engines(
    store: Store, events: EventStore, ravenstack: Path
) -> None:
    accounts = rows_of(ravenstack / "ravenstack_accounts.csv")
    subscriptions = rows_of(ravenstack / "ravenstack_subscriptions.csv")
    churned = [s for s in subscriptions if s["churn_flag"] == "TRUE"]
    sources = load_mapping(MAPPINGS / "ravenstack.yaml").sources[:2]

    reports = [r for s in sources for r in import_source(store, events, s, ravenstack)]

    assert [(r.kind, r.inserted, r.rejected) for r in reports] == [
        ("accounts", len(accounts), 0),
        ("contracts", len(subscriptions), 0),
    ]
    assert count(store, Account) == len(accounts)
    assert count(store, Account, Account.country == "GB") == sum(
        a["country"] == "UK" for a in accounts
    )
    assert count(store, Contract, Contract.outcome == "churned") == len(churned)
    assert count(store, Contract, Contract.closed_on.is_not(None)) == len(churned)
    with store.session() as session:
        sample = session.scalars(
            select(Contract).where(
                Contract.external_id == churned[0]["subscription_id"]
            )
        ).one()
        owner = session.get(Account, sample.account_id)
    assert owner.external_id == churned[0]["account_id"]
    assert sample.closed_on == dt.date.fromisoformat(churned[0]["end_date"])
    assert sample.arr == float(churned[0]["arr_amount"])


@pytest.mark.slow
def test_ravenstack_all_five_files_import_and_reimport_unchanged(
    sqlite_store: Store, events: EventStore, ravenstack: Path
) -> None:
    usage = rows_of(ravenstack / "ravenstack_feature_usage.csv")
    first_of = {}
    for row in usage:
        first_of.setdefault(row["usage_id"], row)
    expected = {
        "accounts": len(rows_of(ravenstack / "ravenstack_accounts.csv")),
        "contracts": len(rows_of(ravenstack / "ravenstack_subscriptions.csv")),
        "outcomes": len(rows_of(ravenstack / "ravenstack_churn_events.csv")),
        "tickets": len(rows_of(ravenstack / "ravenstack_support_tickets.csv")),
        "events": len(first_of),
    }
    mapping = MAPPINGS / "ravenstack.yaml"

    first = import_mapping(sqlite_store, events, mapping, ravenstack)
    second = import_mapping(sqlite_store, events, mapping, ravenstack)

    assert {r.kind: r.inserted for r in first} == expected
    assert {r.kind: r.unchanged for r in second} == expected
    assert all(r.inserted == r.updated == 0 for r in second)
    duplicates = [r for r in first if r.kind == "events"][0]
    assert duplicates.rejected == len(usage) - len(first_of)
    assert {p.rule.split("'")[0] for p in duplicates.problems} == {
        "duplicate message_id "
    }
    assert exit_code(first) == 3
    assert (
        count(sqlite_store, Outcome, Outcome.kind == "churned") == expected["outcomes"]
    )
    assert count(sqlite_store, Ticket) == expected["tickets"]
    assert events.count() == len(first_of)


@pytest.mark.slow
def test_ravenstack_usage_events_belong_to_the_subscription_account(
    sqlite_store: Store, events: EventStore, ravenstack: Path
) -> None:
    subscriptions = rows_of(ravenstack / "ravenstack_subscriptions.csv")
    owner = {s["subscription_id"]: s["account_id"] for s in subscriptions}
    usage = rows_of(ravenstack / "ravenstack_feature_usage.csv")
    expected = Counter()
    seen = set()
    for row in usage:
        if row["usage_id"] not in seen:
            seen.add(row["usage_id"])
            expected[owner[row["subscription_id"]]] += int(row["usage_count"])

    import_mapping(sqlite_store, events, MAPPINGS / "ravenstack.yaml", ravenstack)

    with duckdb.connect() as con:
        stored = con.execute(
            "select account_id, sum(quantity) from read_parquet($g) group by 1",
            {"g": events.glob},
        ).fetchall()
    assert dict(stored) == dict(expected)


@pytest.mark.slow
def test_telco_accounts_with_blank_total_charges_warned_and_churn_outcomes(
    sqlite_store: Store, events: EventStore, shared_data: Path
) -> None:
    folder = shared_data / "churn"
    customers = rows_of(folder / "ibm_telco_customer_churn.csv")
    blank_rows = [
        i + 2 for i, c in enumerate(customers) if not c["TotalCharges"].strip()
    ]
    churn = Counter(c["Churn"] for c in customers)

    reports = import_mapping(sqlite_store, events, MAPPINGS / "telco.yaml", folder)

    accounts, outcomes = reports
    assert (accounts.inserted, accounts.rejected) == (len(customers), 0)
    assert len(blank_rows) == 11
    assert [(p.row, p.column, p.level) for p in accounts.problems] == [
        (row, "TotalCharges", "warning") for row in blank_rows
    ]
    assert exit_code(reports) == 0
    assert (
        count(sqlite_store, Outcome, Outcome.kind == "churned") == churn["Yes"] == 1869
    )
    assert count(sqlite_store, Outcome, Outcome.kind == "renewed") == churn["No"]
    assert count(sqlite_store, Outcome, Outcome.occurred_on.is_not(None)) == 0
    with sqlite_store.session() as session:
        first = session.scalars(
            select(Account).where(Account.external_id == customers[0]["customerID"])
        ).one()
    assert first.attributes["tenure"] == float(customers[0]["tenure"])
    assert first.attributes["MonthlyCharges"] == float(customers[0]["MonthlyCharges"])
    assert first.attributes["Contract"] == customers[0]["Contract"]


@pytest.mark.slow
def test_cdnow_purchases_create_their_customers(
    sqlite_store: Store, events: EventStore, shared_data: Path
) -> None:
    folder = shared_data / "transactions"
    with open(folder / "cdnow_master.txt") as handle:
        lines = [
            line.split() for line in handle.read().splitlines()[1:] if line.strip()
        ]
    customers = {line[0] for line in lines}
    dollars = sum(float(line[3]) for line in lines)

    (report,) = import_mapping(sqlite_store, events, MAPPINGS / "cdnow.yaml", folder)

    assert (report.rows_read, report.rejected) == (len(lines), 0) == (69_659, 0)
    assert report.accounts_created == len(customers) == 23_570
    assert count(sqlite_store, Account) == len(customers)
    assert events.count() == len(lines)
    with duckdb.connect() as con:
        total, first, last = con.execute(
            "select sum(value), min(ts)::date, max(ts)::date from read_parquet($g)",
            {"g": events.glob},
        ).fetchone()
    assert total == pytest.approx(dollars)
    assert (first, last) == (dt.date(1997, 1, 1), dt.date(1998, 6, 30))


def test_sparkify_page_events_keep_users_and_reject_anonymous_views(
    sqlite_store: Store, events: EventStore, shared_data: Path
) -> None:
    folder = shared_data / "events"
    with open(folder / "sparkify_eventsim_2018-11.jsonl") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    anonymous = [r for r in records if not r["userId"]]
    users = {r["userId"] for r in records if r["userId"]}

    (report,) = import_mapping(sqlite_store, events, MAPPINGS / "sparkify.yaml", folder)

    assert report.rows_read == len(records)
    assert report.rejected == len(anonymous)
    assert {str(p).split(": ", 1)[1] for p in report.problems} == {
        "required value is missing"
    }
    assert report.accounts_created == len(users)
    assert events.count() == len(records) - len(anonymous)
    with duckdb.connect() as con:
        months = con.execute(
            "select distinct strftime(ts, '%Y-%m') from read_parquet($g)",
            {"g": events.glob},
        ).fetchall()
    assert months == [("2018-11",)]
