"""The shipped connector mappings on the exact tables connectors land.

Expected counts are worked out here from the CSV files with the standard
library, by the rules each mapping states; the import goes through
``import_mapping`` like any team's files. The connector seeds hash most
values, so some rows are rightly refused (a hashed email is no email).
``tests/test_ingest_tables.py`` lands the same seeds as PostgreSQL tables and
holds the table import equal to this file import.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from steward.events.store import EventStore
from steward.ingest import import_mapping
from steward.ingest.service import import_file
from steward.store.models import Account, Contact, Contract, NpsResponse, Ticket

MAPPINGS = Path(__file__).parents[1] / "steward" / "ingest" / "mappings"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if any(row.values())]


def _import(store, tmp_path, name: str, folder: Path) -> dict:
    events = EventStore(tmp_path / "events")
    reports = import_mapping(store, events, MAPPINGS / f"{name}.yaml", folder)
    return {report.file: report for report in reports}


def _count(store, model, *where) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def _ids(store, model, column) -> set[str]:
    with store.session() as session:
        return set(session.scalars(select(column)))


def test_salesforce_accounts_contacts_and_opportunities(
    sqlite_store, tmp_path, shared_data
):
    folder = shared_data / "crm" / "salesforce_fivetran"
    accounts = _rows(folder / "sf_account_data.csv")
    contacts = [r for r in _rows(folder / "sf_contact_data.csv") if r["account_id"]]
    deals = _rows(folder / "sf_opportunity_data.csv")
    named = {r["id"] for r in accounts}
    referenced = {r["account_id"] for r in contacts + deals}

    reports = _import(sqlite_store, tmp_path, "salesforce", folder)

    assert reports["sf_contact_data.csv"].rejected == 1  # a private contact
    assert _ids(sqlite_store, Account, Account.external_id) == named | referenced
    assert _count(sqlite_store, Contact) == len(contacts)
    assert _count(sqlite_store, Contract) == len({r["id"] for r in deals})
    won = Counter(r["is_won"] for r in deals)
    assert _count(sqlite_store, Contract, Contract.outcome == "renewed") == won["true"]
    assert _count(sqlite_store, Contract, Contract.outcome == "churned") == won["false"]


def test_hubspot_companies_contacts_and_deals(sqlite_store, tmp_path, shared_data):
    folder = shared_data / "crm" / "hubspot_fivetran"
    companies = _rows(folder / "company_data.csv")
    contacts = _rows(folder / "contact_data.csv")
    usable = [
        r for r in contacts if r["property_company"] and "@" in r["property_email"]
    ]
    linked = {r["deal_id"] for r in _rows(folder / "deal_company_data.csv")}
    deals = [
        r
        for r in _rows(folder / "deal_data.csv")
        if r["deal_id"] in linked and r["property_closedate"]
    ]

    reports = _import(sqlite_store, tmp_path, "hubspot", folder)

    assert _count(sqlite_store, Account) == len({r["id"] for r in companies})
    assert _count(sqlite_store, Contact) == len(usable)
    assert reports["contact_data.csv"].rejected == len(contacts) - len(usable)
    assert _count(sqlite_store, Contract) == len(deals)
    refused = reports["deal_data.csv"].problems
    assert {p.column for p in refused} == {"deal_id", "property_closedate"}


def test_a_via_lookup_files_deals_under_their_company(sqlite_store, tmp_path):
    (tmp_path / "deal_company_data.csv").write_text(
        "company_id,deal_id\nc1,d1\nc2,d2\n"
    )
    deals = tmp_path / "deal_data.csv"
    deals.write_text(
        "deal_id,property_closedate,property_amount\n"
        "d1,2024-01-05,100\nd2,2024-02-01,200\nd3,2024-03-01,300\n"
    )
    fields = {
        "external_id": "deal_id",
        "account": {
            "column": "deal_id",
            "via": {"file": "deal_company_data.csv", "key": "deal_id",
                    "value": "company_id"},
        },
        "start_date": "property_closedate",
        "arr": "property_amount",
    }  # fmt: skip
    events = EventStore(tmp_path / "events")

    report = import_file(
        sqlite_store, events, deals, "contracts", fields, create_accounts=True
    )

    assert (report.inserted, report.rejected) == (2, 1)
    assert report.problems[0].row == 4
    assert _ids(sqlite_store, Account, Account.external_id) == {"c1", "c2"}


def test_zendesk_tickets_under_their_organization(sqlite_store, tmp_path, shared_data):
    folder = shared_data / "crm" / "zendesk_fivetran"
    tickets = _rows(folder / "ticket_data.csv")
    with_org = [r for r in tickets if r["organization_id"]]

    reports = _import(sqlite_store, tmp_path, "zendesk", folder)

    assert _count(sqlite_store, Ticket) == len(with_org)
    assert reports["ticket_data.csv"].rejected == len(tickets) - len(with_org)
    assert _ids(sqlite_store, Account, Account.external_id) == {
        r["organization_id"] for r in with_org
    }


def test_pendo_nps_answers(sqlite_store, tmp_path, shared_data):
    folder = shared_data / "crm" / "pendo_fivetran"
    answers = _rows(folder / "poll_event.csv")
    scores = [r for r in answers if r["poll_response"].isdigit()]

    reports = _import(sqlite_store, tmp_path, "pendo", folder)

    assert _count(sqlite_store, NpsResponse) == len(scores)
    report = reports["poll_event.csv"]
    assert report.rejected == len(answers) - len(scores)
    assert {p.rule for p in report.problems} == {"not a number"}


@pytest.mark.parametrize("again", [False, True])
def test_recurly_accounts_and_subscriptions(sqlite_store, tmp_path, shared_data, again):
    folder = shared_data / "crm" / "recurly_fivetran"
    accounts = _rows(folder / "account_history_data.csv")
    subscriptions = _rows(folder / "subscription_history_data.csv")
    first = {}
    for row in subscriptions:
        first.setdefault(row["id"], row)

    _import(sqlite_store, tmp_path, "recurly", folder)
    if again:
        reports = _import(sqlite_store, tmp_path, "recurly", folder)
        assert sum(r.inserted + r.updated for r in reports.values()) == 0

    assert _count(sqlite_store, Account) == len(
        {r["id"] for r in accounts} | {r["account_id"] for r in first.values()}
    )
    assert _count(sqlite_store, Contract) == len(first)
    churned = sum(1 for r in first.values() if r["state"] == "expired")
    assert _count(sqlite_store, Contract, Contract.outcome == "churned") == churned
