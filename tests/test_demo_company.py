"""The simulated company of ``steward demo``: deterministic, consistent, importable,
and with renewals that really follow its documented drivers."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from steward.demo import DRIVERS, CompanyFiles, generate_company
from steward.events.store import EventStore
from steward.ingest.service import import_mapping
from steward.journeys.calendar import calendar_for
from steward.journeys.journey import BUILT_IN, load_journey
from steward.journeys.milestones import alerts, evaluate
from steward.metrics.catalogue import CATALOGUE

AS_OF = dt.date(2025, 6, 30)
WINDOW = pd.Timedelta(days=28)
# Renewals are observed this long before the contract ends, inside the 90 days
# whose behaviour decided them.
LEAD = pd.Timedelta(days=14)


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> CompanyFiles:
    return generate_company(tmp_path_factory.mktemp("demo"), as_of=AS_OF)


@pytest.fixture(scope="module")
def tables(company: CompanyFiles) -> dict[str, pd.DataFrame]:
    read = {
        kind: pd.read_csv(path, keep_default_na=False, na_values=[""])
        for kind, path in company.files.items()
        if kind != "events"
    }
    read["events"] = pd.read_parquet(company.files["events"])
    for kind, column in [("tickets", "opened_at"), ("nps", "responded_at")]:
        read[kind][column] = pd.to_datetime(read[kind][column], utc=True)
    for column in ["start_date", "end_date", "closed_on"]:
        read["contracts"][column] = pd.to_datetime(read["contracts"][column])
    return read


def _digests(folder: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.iterdir())
    }


def test_same_seed_and_date_give_byte_identical_files(company, tmp_path):
    # Another interpreter with another hash seed, so no set or dict order can leak.
    script = (
        "import datetime, pathlib, sys; from steward.demo import generate_company; "
        "generate_company(pathlib.Path(sys.argv[1]), "
        "as_of=datetime.date.fromisoformat(sys.argv[2]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    again = tmp_path / "again"
    command = [sys.executable, "-c", script, str(again), AS_OF.isoformat()]
    subprocess.run(command, env=env, check=True)
    other = generate_company(tmp_path / "other", as_of=AS_OF, seed=8, accounts=60)

    first, second = _digests(company.folder), _digests(again)

    assert first == second
    assert len(first) == 9
    changed = {
        name for name, digest in _digests(other.folder).items() if first[name] != digest
    }
    assert changed == set(first) - {"mapping.yaml"}


def test_the_team_has_csms_managers_an_admin_and_read_only_aes(tables):
    users = tables["users"]

    roles = users["role"].value_counts().to_dict()

    assert roles == {"csm": 8, "read_only": 3, "manager": 2, "admin": 1}
    assert "admin@demo.steward.example" in set(users["email"])
    csms = users[users["role"] == "csm"]
    assert set(csms["manager_email"]) == set(
        users.loc[users["role"] == "manager", "email"]
    )
    assert users["email"].is_unique


def test_sizes_are_in_range(company, tables):
    accounts, contacts, events = (
        tables["accounts"],
        tables["contacts"],
        tables["events"],
    )

    per_account = contacts.groupby("account_id")["role"]
    sponsors = (
        contacts[contacts["role"] == "executive_sponsor"].groupby("account_id").size()
    )
    signed = pd.to_datetime(accounts["signed_on"]).dt.date
    recent = ((AS_OF - signed).map(lambda gap: gap.days) < 90).sum()

    assert len(accounts) == 400 and accounts["account_id"].is_unique
    assert per_account.size().between(2, 6).all()
    assert (sponsors == 1).all() and len(sponsors) == len(accounts)
    assert 350 <= recent * 10 <= 450
    assert 800_000 <= len(events) <= 1_500_000
    assert company.rows == {kind: len(table) for kind, table in tables.items()}
    assert len(tables["tickets"]) > 5 * len(accounts)
    assert len(tables["nps"]) > 3 * len(accounts)


def test_accounts_are_classified_by_their_own_rules(tables):
    accounts = tables["accounts"]

    tier_1 = (accounts["seats"] > 500) | accounts["custom_integrations"]
    high_touch = accounts["arr"] >= 50_000

    assert (accounts["tier"] == np.where(tier_1, "Tier 1", "Tier 2")).all()
    assert (accounts.loc[high_touch, "coverage"] == "High-Touch").all()
    assert (accounts["seats"] > 500).any()
    assert set(accounts["coverage"]) == {"High-Touch", "Tech-Touch", "Digital-Led"}
    assert set(accounts["segment"]) == {"SMB", "Mid-Market", "Enterprise"}
    assert accounts["country"].str.fullmatch("[A-Z]{2}").all()
    assert accounts["name"].is_unique


def test_every_reference_resolves(tables):
    accounts = set(tables["accounts"]["account_id"])
    users = set(tables["users"]["email"])
    contacts = tables["contacts"].set_index("contact_id")["account_id"]
    events = tables["events"]

    for kind in ["contacts", "contracts", "outcomes", "tickets", "nps", "events"]:
        assert set(tables[kind]["account_id"]) <= accounts, kind
    assert set(tables["outcomes"]["contract_id"]) <= set(
        tables["contracts"]["contract_id"]
    )
    nps = tables["nps"]
    assert (nps["contact_id"].map(contacts) == nps["account_id"]).all()
    assert (
        set(tables["accounts"]["csm_email"]) | set(tables["accounts"]["ae_email"])
        <= users
    )
    assert set(tables["users"]["manager_email"].dropna()) <= users
    users_seen = events[["account_id", "user_id"]].dropna().drop_duplicates()
    owner = users_seen["user_id"].str.split("-").str[0]
    assert (owner == users_seen["account_id"]).all()
    assert events["message_id"].is_unique


def test_contracts_run_back_to_back_until_churn_or_as_of(tables):
    contracts = tables["contracts"].sort_values(["account_id", "start_date"])

    following = contracts.groupby("account_id")["start_date"].shift(-1)
    decided = contracts["outcome"].notna()
    last = following.isna()

    gaps = (following - contracts["end_date"]).dropna()
    assert (gaps == pd.Timedelta(days=1)).all()
    assert (contracts.loc[decided, "end_date"].dt.date <= AS_OF).all()
    assert (contracts.loc[~decided, "end_date"].dt.date >= AS_OF).all()
    assert (contracts.loc[~last, "outcome"] != "churned").all()
    assert (contracts.loc[last & decided, "outcome"] == "churned").all()


def test_churn_rate_per_renewal_is_between_15_and_25_percent(tables):
    outcomes = tables["outcomes"]

    rate = (outcomes["kind"] == "churned").mean()
    reasons = set(outcomes.loc[outcomes["kind"] == "churned", "reason"])

    assert 0.15 <= rate <= 0.25
    assert set(outcomes["kind"]) == {"renewed", "expanded", "contracted", "churned"}
    assert {"low_adoption", "support"} <= reasons
    assert outcomes["occurred_on"].notna().all()


def test_activity_stops_on_the_churn_date(tables):
    accounts = tables["accounts"].set_index("account_id")
    churned_on = pd.to_datetime(accounts["churned_on"]).dt.tz_localize("UTC")
    events = tables["events"]

    last_event = events.groupby("account_id")["ts"].max().dt.floor("D")
    last_ticket = (
        tables["tickets"].groupby("account_id")["opened_at"].max().dt.floor("D")
    )
    last_answer = (
        tables["nps"].groupby("account_id")["responded_at"].max().dt.floor("D")
    )

    for last in (last_event, last_ticket, last_answer):
        ends = churned_on.reindex(last.index)
        assert (last[ends.notna()] <= ends[ends.notna()]).all()
    first_day = pd.Timestamp(AS_OF - dt.timedelta(days=364), tz="UTC")
    assert events["ts"].min().floor("D") == first_day
    assert events["ts"].max().floor("D") == pd.Timestamp(AS_OF, tz="UTC")


def _pre_renewal_metrics(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The drivers' metrics, as Steward defines them, shortly before each renewal."""
    renewals = tables["outcomes"].merge(
        tables["contracts"][["contract_id", "end_date", "seats"]], on="contract_id"
    )
    renewals["observed"] = (renewals["end_date"] - LEAD).dt.tz_localize("UTC")
    events = tables["events"]
    first = events["ts"].min().floor("D") + WINDOW
    renewals = renewals[renewals["observed"] >= first].reset_index(drop=True)
    renewals["key"] = renewals.index

    def window(frame: pd.DataFrame, column: str, days: pd.Timedelta) -> pd.DataFrame:
        joined = frame.merge(
            renewals[["key", "account_id", "observed"]], on="account_id"
        )
        day = joined[column].dt.floor("D")
        return joined[(day > joined["observed"] - days) & (day <= joined["observed"])]

    recent = window(events, "ts", WINDOW)
    users = recent.groupby("key")["user_id"].nunique()
    errors = recent["errors"] + np.where(
        recent["event"] == "error", recent["quantity"], 0
    )
    error_rate = (
        errors.groupby(recent["key"]).sum() / recent.groupby("key")["quantity"].sum()
    )
    tickets = window(tables["tickets"], "opened_at", pd.Timedelta(days=90))
    answers = window(tables["nps"], "responded_at", pd.Timedelta(days=3650))
    latest = answers.sort_values("responded_at").groupby("key")["score"].last()

    return pd.DataFrame(
        {
            "churned": renewals["kind"] == "churned",
            "seat_utilisation": users.reindex(renewals["key"], fill_value=0).to_numpy()
            / renewals["seats"],
            "tickets_per_month": tickets.groupby("key")
            .size()
            .reindex(renewals["key"], fill_value=0)
            .to_numpy()
            / 3,
            "latest_nps": latest.reindex(renewals["key"]).to_numpy(),
            "error_rate": error_rate.reindex(renewals["key"]).to_numpy(),
        }
    )


def test_low_utilisation_before_renewal_churns_far_more_often(tables):
    renewals = _pre_renewal_metrics(tables)

    quartile = pd.qcut(renewals["seat_utilisation"], 4, labels=False)
    churn = renewals.groupby(quartile)["churned"].mean()

    assert len(renewals) >= 200
    assert churn[0] >= 0.3
    assert churn[0] >= 4 * churn[3]


def test_a_regression_on_pre_renewal_metrics_recovers_the_drivers_in_order(tables):
    renewals = _pre_renewal_metrics(tables)
    metrics = [driver.metric for driver in DRIVERS]
    features = renewals[metrics].fillna(renewals[metrics].median())
    features["tickets_per_month"] = np.log1p(features["tickets_per_month"])

    standard = (features - features.mean()) / features.std()
    model = LogisticRegression().fit(standard, ~renewals["churned"])
    weights = dict(zip(metrics, model.coef_[0], strict=True))

    for driver in DRIVERS:
        assert np.sign(weights[driver.metric]) == driver.sign, driver.metric
    strengths = [abs(weights[metric]) for metric in metrics]
    assert strengths == sorted(strengths, reverse=True)


def test_drivers_are_ordered_strongest_first_and_name_steward_metrics():
    weights = [driver.weight for driver in DRIVERS]

    assert weights == sorted(weights, reverse=True)
    assert len(set(weights)) == len(weights) >= 3
    assert all(driver.metric in CATALOGUE for driver in DRIVERS)
    assert all(driver.sign in (1, -1) for driver in DRIVERS)


def _achievements(tables: dict[str, pd.DataFrame], account: pd.Series) -> dict:
    events = tables["events"]
    mine = events[events["account_id"] == account["account_id"]]
    day = mine["ts"].dt.date
    logins = day[mine["event"] == "login"]
    cores = day[mine["event"] == "core_workflow_completed"]
    firsts = mine.assign(day=day).groupby("user_id")["day"].min().sort_values()
    needed = int(account["seats"] * 0.7) + 1
    return {
        "first_login": logins.min() if len(logins) else None,
        "first_core_workflow": cores.min() if len(cores) else None,
        "seat_activation": firsts.iloc[needed - 1] if len(firsts) >= needed else None,
    }


def test_onboarding_accounts_miss_each_milestone_on_as_of(tables):
    journey = load_journey(BUILT_IN / "onboarding.yaml")
    accounts = tables["accounts"]
    signed = pd.to_datetime(accounts["signed_on"]).dt.date
    onboarding = accounts[signed > AS_OF - dt.timedelta(days=90)]

    raised = []
    for _, account in onboarding.iterrows():
        calendar = calendar_for(account["country"])
        started = dt.date.fromisoformat(account["signed_on"])
        statuses = evaluate(
            journey, started, _achievements(tables, account), AS_OF, calendar
        )
        raised += [
            (a.kind, a.milestone) for a in alerts(journey, statuses, AS_OF, calendar)
        ]

    for milestone in journey.milestones:
        assert ("missed", milestone.key) in raised, milestone.key
    assert any(kind == "escalation" for kind, _ in raised)
    assert len(raised) < len(onboarding)


def test_some_tier_2_accounts_stall_in_the_onboarding_portal(tables):
    accounts = tables["accounts"].set_index("account_id")
    portal = tables["events"][tables["events"]["event"] == "portal_step_completed"]
    signed = pd.to_datetime(accounts["signed_on"]).dt.date
    settled = accounts[
        (accounts["tier"] == "Tier 2") & ((AS_OF - signed).map(lambda g: g.days) >= 14)
    ]

    steps = portal.groupby("account_id")["step"].max()
    progress = steps.reindex(settled.index).dropna()

    assert (portal["of"] == 10).all() and portal["step"].between(1, 10).all()
    assert (progress == 10).any()
    assert (progress < 4).sum() >= 2


def test_the_generated_folder_imports_with_no_rejected_row(
    company, sqlite_store, tmp_path
):
    events = EventStore(tmp_path / "events")

    reports = import_mapping(sqlite_store, events, company.mapping, company.folder)

    assert {report.kind: report.rejected for report in reports} == dict.fromkeys(
        company.rows, 0
    )
    assert [str(problem) for report in reports for problem in report.problems] == []
    assert {report.kind: report.inserted for report in reports} == company.rows
    assert events.count() == company.rows["events"]


def test_fewer_than_ten_accounts_is_refused(tmp_path):
    with pytest.raises(ValueError, match="at least 10 accounts, got 5"):
        generate_company(tmp_path, as_of=AS_OF, accounts=5)
