"""Tiers and coverage re-evaluated by the daily run, each change in the audit log.

Four accounts through ``steward import`` and ``steward run``; the rubric is
the built-in coverage file (Tier 1: more than 500 seats or custom
integrations; High-Touch from 50,000 ARR, or Tier 1 from 25,000; Tech-Touch
from 10,000, or any Tier 1; Digital-Led otherwise).
"""

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from steward.cli.main import app
from steward.store.models import Account, AuditEntry
from steward.workspace import Workspace

runner = CliRunner()
ACCOUNTS = """external_id,name,country,custom_integrations
big,Big Co,US,false
edge,Edge Co,US,false
custom,Custom Co,US,true
small,Small Co,US,false
"""
CONTRACTS = """external_id,account,start_date,end_date,arr,seats
c-big,big,2024-01-01,2024-12-31,30000,600
c-edge,edge,2024-01-01,2024-12-31,50000,500
c-custom,custom,2024-01-01,2024-12-31,12000,10
c-small,small,2024-01-01,2024-06-30,5000,10
"""
# From 1 July small's new contract has 501 seats and 60,000 ARR.
GROWTH = """external_id,account,start_date,end_date,arr,seats
c-small-2,small,2024-07-01,2025-06-30,60000,501
"""


def steward(*args: object) -> str:
    result = runner.invoke(app, [str(arg) for arg in args])
    assert result.exit_code == 0, result.output
    return result.output


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    steward("import", _write(tmp_path, "accounts.csv", ACCOUNTS), "--kind", "accounts")
    steward(
        "import", _write(tmp_path, "contracts.csv", CONTRACTS), "--kind", "contracts"
    )
    return tmp_path


def _state() -> tuple[dict, list]:
    workspace = Workspace()
    with workspace.store.session() as session:
        accounts = {
            a.external_id: (a.tier, a.coverage)
            for a in session.scalars(select(Account))
        }
        audit = [
            (
                e.entity_id,
                e.action,
                e.detail["from"],
                e.detail["to"],
                e.detail["because"],
            )
            for e in session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action.like("account.%_changed"))
                .order_by(AuditEntry.id)
            )
        ]
    workspace.close()
    return accounts, audit


def test_the_daily_run_sets_tiers_and_models_and_logs_why(home):
    steward("run", "--as-of", "2024-06-30")

    accounts, audit = _state()

    assert accounts == {
        "big": ("Tier 1", "High-Touch"),  # 600 seats; Tier 1 at 30,000 ARR
        "edge": ("Tier 2", "High-Touch"),  # exactly 500 seats; exactly 50,000
        "custom": ("Tier 1", "Tech-Touch"),  # custom integrations, 12,000
        "small": ("Tier 2", "Digital-Led"),
    }
    reasons = {(key, action): because for key, action, _, _, because in audit}
    assert reasons[("big", "account.tier_changed")] == "seats 600 > 500"
    assert reasons[("big", "account.coverage_changed")] == (
        "ARR 30,000 ≥ 25,000 and Tier 1"
    )
    assert reasons[("edge", "account.coverage_changed")] == "ARR 50,000 ≥ 50,000"
    assert reasons[("custom", "account.tier_changed")] == "custom integrations"
    assert reasons[("small", "account.tier_changed")] == "no earlier rule matched"


def test_a_contract_that_grows_moves_the_account_on_its_first_day(home):
    steward("run", "--as-of", "2024-06-30")
    _, before = _state()
    growth = _write(home, "growth.csv", GROWTH)
    steward("import", growth, "--kind", "contracts")

    steward("run", "--as-of", "2024-07-01")
    steward("run", "--as-of", "2024-07-01")  # the same day again changes nothing
    accounts, audit = _state()

    assert accounts["small"] == ("Tier 1", "High-Touch")
    assert audit[len(before) :] == [
        ("small", "account.tier_changed", "Tier 2", "Tier 1", "seats 501 > 500"),
        (
            "small",
            "account.coverage_changed",
            "Digital-Led",
            "High-Touch",
            "ARR 60,000 ≥ 50,000",
        ),
    ]
