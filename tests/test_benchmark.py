"""The peer benchmark on a book worked out by hand: same industry and size band.

T (Retail, 120 seats, band 51-200) has five peers of its industry and band:
P1..P5. R6 is Retail with 1,000 seats (another band); M1..M3 are
Manufacturing with T's seat count. All scored on 2024-06-30; X was scored
only on an earlier day, so it is no one's peer.
"""

import datetime as dt
import json

import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from steward.accounts.coverage import BUILT_IN, load_coverage_rules
from steward.cli.main import app as cli
from steward.config import Settings
from steward.reports.benchmark import account_benchmark
from steward.store.models import Account, HealthScore
from steward.store.scores import write_details
from steward.workspace import Workspace
from tests.web_company import page

DAY = dt.date(2024, 6, 30)
# key: industry, seats, health score, logins, error rate
BOOK = {
    "T": ("Retail", 120, 70, 50, 0.02),
    "P1": ("Retail", 60, 40, 10, 0.01),
    "P2": ("Retail", 80, 60, 20, 0.03),
    "P3": ("Retail", 100, 70, 50, 0.05),
    "P4": ("Retail", 150, 80, 50, 0.02),
    "P5": ("Retail", 200, 90, 100, 0.04),
    "R6": ("Retail", 1000, 10, 900, 0.00),
    "M1": ("Manufacturing", 120, 99, 1, 0.10),
    "M2": ("Manufacturing", 120, 99, 1, 0.10),
    "M3": ("Manufacturing", 120, 99, 1, 0.10),
}


def _add_book(session, rows, day=DAY):
    """The accounts with their scores and metrics on ``day``."""
    ids, logins, errors = [], [], []
    for key, row in rows.items():
        ids.append(_add(session, key, *row, day=day))
        logins.append(row[3])
        errors.append(row[4])
    metrics = {"metric.logins": pa.array(logins), "metric.error_rate": errors}
    write_details(session, day, np.array(ids), metrics)


def _add(session, key, industry, seats, health, logins, errors, day=DAY):
    account = Account(external_id=key, name=f"{key} Co", industry=industry, seats=seats)
    session.add(account)
    session.flush()
    session.add(
        HealthScore(
            account_id=account.id,
            as_of=day,
            status="scored",
            score=health,
            band="neutral",
            scorecard="default",
            scorecard_version=1,
        )
    )
    return account.id


@pytest.fixture
def book(store):
    with store.session() as session:
        _add_book(session, BOOK)
        earlier = {"X": ("Retail", 120, 0, 0, 0.9)}
        _add_book(session, earlier, day=DAY - dt.timedelta(days=7))
    return store


def _standings(result):
    return {s.metric: s for s in result.standings}


def test_percentiles_among_the_same_industry_and_size_band(book):
    rules = load_coverage_rules(BUILT_IN)

    with book.session() as session:
        result = account_benchmark(session, rules, "T")

    assert (result.industry, result.size_band) == ("Retail", "51-200 seats")
    assert (result.peer_group, result.peers, result.as_of) == (
        "Retail, 51-200 seats",
        5,
        DAY,
    )
    got = _standings(result)
    # Health 70 among 40, 60, 70, 80, 90: two below, one equal: (2 + 0.5) / 5.
    assert (got["health_score"].percentile, got["health_score"].peer_median) == (
        50.0,
        70.0,
    )
    # Logins 50 among 10, 20, 50, 50, 100: (2 + 2 / 2) / 5.
    assert got["logins"].percentile == 60.0
    # Error rate 0.02 among 0.01, 0.03, 0.05, 0.02, 0.04: (1 + 0.5) / 5 = 30;
    # lower is better, so T does better than 70% of its peers.
    assert (got["error_rate"].percentile, got["error_rate"].better_than) == (30, 70)
    assert got["error_rate"].peer_median == 0.03


def test_a_small_group_widens_to_the_industry_and_says_so(book, tmp_path):
    path = tmp_path / "coverage.yaml"
    path.write_text(BUILT_IN.read_text().replace("min_peers: 5", "min_peers: 6"))
    rules = load_coverage_rules(path)

    with book.session() as session:
        result = account_benchmark(session, rules, "T")

    # Five in the band are too few: Retail of any size adds R6 (health 10).
    # 70 among 40, 60, 70, 80, 90, 10: (3 + 0.5) / 6.
    assert (result.peer_group, result.peers) == ("Retail, any size", 6)
    assert _standings(result)["health_score"].percentile == pytest.approx(58.3)


def test_then_to_the_size_band_across_industries(book, tmp_path):
    path = tmp_path / "coverage.yaml"
    path.write_text(BUILT_IN.read_text().replace("min_peers: 5", "min_peers: 8"))

    with book.session() as session:
        result = account_benchmark(session, load_coverage_rules(path), "T")

    # Retail has 6 others, too few; the 51-200 band has P1..P5 and M1..M3.
    assert (result.peer_group, result.peers) == ("any industry, 51-200 seats", 8)
    # 70 among 40, 60, 70, 80, 90, 99, 99, 99: (2 + 0.5) / 8.
    assert _standings(result)["health_score"].percentile == pytest.approx(31.2)


def test_the_benchmark_command_prints_the_peer_group_and_json(tmp_path, monkeypatch):
    home = tmp_path / "home"
    workspace = Workspace(Settings(home=home, database_url=None))
    workspace.init()
    with workspace.store.session() as session:
        _add_book(session, BOOK)
    workspace.close()
    monkeypatch.setenv("STEWARD_HOME", str(home))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    runner = CliRunner()

    table = runner.invoke(cli, ["benchmark", "T"])
    as_json = runner.invoke(cli, ["benchmark", "T", "--json"])
    missing = runner.invoke(cli, ["benchmark", "NOPE"])

    assert table.exit_code == 0, table.output
    assert table.output.splitlines()[0] == (
        "T Co (T): Retail, 51-200 seats. Peers: Retail, 51-200 seats (5 accounts, "
        "scores of 2024-06-30)."
    )
    body = json.loads(as_json.output)
    assert [(s["metric"], s["better_than"]) for s in body["standings"]] == [
        ("health_score", 50.0),
        ("logins", 60.0),
        ("error_rate", 70.0),
    ]
    assert missing.exit_code == 1
    assert missing.output.strip() == (
        "Error: no account with id 'NOPE'; `steward accounts` lists them"
    )


def test_the_benchmark_page_shows_the_peer_group_table_and_chart(sqlite_company):
    client = sqlite_company.sign_in("csm1@x.example")

    shown = page(client.get("/accounts/good/benchmark").text)
    other = client.get("/accounts/double/benchmark")

    assert "every account" in shown.select_one(".peer-group").get_text()
    metrics = [row["data-metric"] for row in shown.select("table.benchmark tr")[1:]]
    assert "health_score" in metrics
    assert shown.select_one("canvas[data-chart]") is not None
    # double belongs to the other CSM's book.
    assert other.status_code == 404
