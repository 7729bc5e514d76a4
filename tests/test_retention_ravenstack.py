"""Retention figures on the RavenStack subscriptions, checked against plain pandas.

The expected figures are computed here straight from the CSV file, one
account and one day at a time, not through the store or Steward's frames.
"""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from steward.config import Settings
from steward.ingest import import_mapping
from steward.reports.service import retention_report
from steward.workspace import Workspace

MAPPINGS = Path(__file__).parents[1] / "steward" / "ingest" / "mappings"
PERIODS = [
    (dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
    (dt.date(2023, 7, 1), dt.date(2024, 6, 30)),
    (dt.date(2024, 4, 1), dt.date(2024, 6, 30)),
]
# RavenStack's data ends on 31 December 2024.
DATA_END = dt.date(2024, 12, 31)


@pytest.fixture(scope="module")
def ravenstack(shared_data, tmp_path_factory):
    home = tmp_path_factory.mktemp("ravenstack") / "home"
    workspace = Workspace(Settings(home=home, database_url=None))
    workspace.init()
    folder = shared_data / "saas_ravenstack"
    import_mapping(
        workspace.store, workspace.events, MAPPINGS / "ravenstack.yaml", folder
    )
    yield workspace
    workspace.close()


@pytest.fixture(scope="module")
def subscriptions(shared_data) -> pd.DataFrame:
    path = shared_data / "saas_ravenstack" / "ravenstack_subscriptions.csv"
    return pd.read_csv(path, parse_dates=["start_date", "end_date"])


@pytest.fixture(scope="module")
def industries(shared_data) -> dict[str, str]:
    path = shared_data / "saas_ravenstack" / "ravenstack_accounts.csv"
    accounts = pd.read_csv(path)
    return dict(zip(accounts["account_id"], accounts["industry"], strict=True))


def _arr(subs: pd.DataFrame, account: str, day: dt.date) -> float:
    mine = subs[subs["account_id"] == account]
    day = pd.Timestamp(day)
    running = (mine["start_date"] <= day) & (
        mine["end_date"].isna() | (mine["end_date"] >= day)
    )
    return float(mine.loc[running, "arr_amount"].sum())


def _expected(subs: pd.DataFrame, start: dt.date, end: dt.date) -> dict:
    """The figures by the definitions in docs/reporting.md, account by account."""
    start_arr, end_arr = {}, {}
    for account in subs["account_id"].unique():
        before = _arr(subs, account, start)
        if before > 0:
            start_arr[account] = before
            end_arr[account] = _arr(subs, account, end)
    total = sum(start_arr.values())
    churned = [a for a in start_arr if end_arr[a] == 0]
    kept = sum(min(start_arr[a], end_arr[a]) for a in start_arr)

    paying = subs[subs["arr_amount"] > 0]
    first = paying.groupby("account_id")["start_date"].min()
    new = first[(first >= pd.Timestamp(start)) & (first <= pd.Timestamp(end))]
    judged = [
        a for a, d in new.items() if d + pd.Timedelta(days=90) <= pd.Timestamp(DATA_END)
    ]
    lost_90 = [
        a for a in judged if _arr(subs, a, (new[a] + pd.Timedelta(days=90)).date()) == 0
    ]
    return {
        "accounts_start": len(start_arr),
        "arr_start": total,
        "arr_end": sum(end_arr.values()),
        "churned_accounts": len(churned),
        "grr": kept / total,
        "nrr": sum(end_arr.values()) / total,
        "logo_churn": len(churned) / len(start_arr),
        "revenue_churn": sum(start_arr[a] for a in churned) / total,
        "new_customers": len(new),
        "new_judged": len(judged),
        "new_churned_90d": len(lost_90),
    }


@pytest.mark.slow
@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_retention_matches_an_account_by_account_count(
    ravenstack, subscriptions, start, end
):
    expected = _expected(subscriptions, start, end)

    with ravenstack.store.session() as session:
        table = retention_report(session, start, end, today=DATA_END)

    (everyone,) = table.rows
    assert everyone["group"] == "All"
    for key, value in expected.items():
        assert everyone[key] == pytest.approx(value, rel=1e-12), key
    assert everyone["expansion_deals"] == 0  # RavenStack logs no expansions


@pytest.mark.slow
def test_retention_by_industry_adds_up_and_matches_each_industry(
    ravenstack, subscriptions, industries
):
    start, end = PERIODS[1]

    with ravenstack.store.session() as session:
        table = retention_report(session, start, end, by="industry", today=DATA_END)

    rows = {row["group"]: row for row in table.rows}
    assert set(rows) == set(industries.values()) | {"All"}
    for industry in sorted(set(industries.values())):
        mine = [a for a, name in industries.items() if name == industry]
        subs = subscriptions[subscriptions["account_id"].isin(mine)]
        expected = _expected(subs, start, end)
        for key in ("accounts_start", "arr_start", "grr", "nrr", "logo_churn"):
            assert rows[industry][key] == pytest.approx(expected[key], rel=1e-12)
    assert (
        sum(rows[i]["accounts_start"] for i in rows if i != "All")
        == (rows["All"]["accounts_start"])
    )
