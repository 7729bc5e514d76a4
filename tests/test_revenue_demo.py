"""Renewals, reports, capacity and effort on the demo company, through the CLI.

The demo is built once (``steward demo``, seed 7, as of 2026-06-30) with its
health model fitted on its own churn history; tests that write copy it first.
The forecast is checked against churn probabilities recomputed here from the
fitted scorecard file and the metrics stored with each score, not read back
from the renewals code.
"""

import csv
import datetime as dt
import io
import json
import re
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from scipy.special import expit, logit
from typer.testing import CliRunner

from steward.accounts.coverage import load_coverage_rules
from steward.accounts.workload import capacity_view
from steward.cli.main import app
from steward.config import Settings
from steward.scoring.score import score_frame
from steward.scoring.scorecard import load_scorecard
from steward.store.scores import day_metrics
from steward.workspace import Workspace

AS_OF = dt.date(2026, 6, 30)
runner = CliRunner()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("demo") / "steward-data"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STEWARD_HOME", str(home))
        patch.delenv("STEWARD_DATABASE_URL", raising=False)
        result = runner.invoke(
            app, ["demo", "--as-of", AS_OF.isoformat(), "--seed", "7", "--no-serve"]
        )
    assert result.exit_code == 0, result.output
    return home


@pytest.fixture
def demo(built: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo read as built (tests using it must not write)."""
    monkeypatch.setenv("STEWARD_HOME", str(built))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    return built


@pytest.fixture
def copy(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the demo this test may change."""
    home = tmp_path / "steward-data"
    shutil.copytree(built, home)
    monkeypatch.setenv("STEWARD_HOME", str(home))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    return home


def steward(*args: object):
    return runner.invoke(app, [str(arg) for arg in args])


def plain(output: str) -> str:
    """Usage errors come in a box that wraps lines: read them as one line."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", output).split())


def _query(home: Path, sql: str) -> pd.DataFrame:
    with sqlite3.connect(home / "steward.db") as con:
        return pd.read_sql(sql, con)


def _churn_probabilities(home: Path) -> pd.Series:
    """1 − P(stay) of the fitted scorecard, from the metrics stored on AS_OF."""
    card = load_scorecard(home / "config" / "scorecards" / "default.yaml")
    assert card.fit is not None and card.fit.verdict == "new_weights"
    assert card.knows_churn_rate
    keys = _query(home, "SELECT id, external_id FROM accounts").set_index("id")
    workspace = Workspace(Settings(home=home, database_url=None))
    with workspace.store.session() as session:
        metrics = day_metrics(session, AS_OF)
    workspace.close()
    metrics.index = keys.loc[metrics.index, "external_id"].to_numpy()
    scored = score_frame(card, metrics)
    return scored["churn_probability"].astype("float64")


def _renewal_risks(home: Path, p: pd.Series) -> pd.Series:
    """The churn probabilities mapped through the fitted renewal calibration."""
    card = load_scorecard(home / "config" / "scorecards" / "default.yaml")
    calibration = card.fit.renewals
    assert calibration is not None, "the demo's fit learned no renewal calibration"
    return pd.Series(
        expit(calibration.intercept + calibration.slope * logit(p)), index=p.index
    )


def _past_year(home: Path) -> pd.DataFrame:
    return _query(
        home,
        "SELECT arr, outcome FROM contracts WHERE outcome IS NOT NULL "
        f"AND closed_on > '{AS_OF - dt.timedelta(days=365)}' "
        f"AND closed_on <= '{AS_OF}'",
    )


def test_the_forecast_weights_renewing_arr_by_the_calibrated_renewal_risk(demo):
    p = _churn_probabilities(demo)
    risk = _renewal_risks(demo, p)
    contracts = _query(
        demo,
        "SELECT c.external_id AS contract, a.external_id AS account, c.start_date, "
        "c.end_date, c.arr, c.outcome, c.new_arr FROM contracts c JOIN accounts a "
        "ON a.id = c.account_id",
    )
    ends = pd.to_datetime(contracts["end_date"])
    running = (pd.to_datetime(contracts["start_date"]) <= pd.Timestamp(AS_OF)) & (
        ends >= pd.Timestamp(AS_OF)
    )

    result = steward("renewals", "--within", 180, "--format", "json")

    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["as_of"] == AS_OF.isoformat()
    for row in body["renewals"]:
        assert row["churn_probability"] == pytest.approx(p[row["account"]], abs=1e-5)
        assert row["renewal_risk"] == pytest.approx(risk[row["account"]], abs=1e-4)
    assert body["basis"].startswith("Expected = ARR x (1 - renewal risk): calibrated")
    windows = {w["days"]: w for w in body["forecast"]}
    assert sorted(windows) == [30, 60, 90, 180]
    for days, window in windows.items():
        due = contracts[running & (ends <= pd.Timestamp(AS_OF + dt.timedelta(days)))]
        decided = due["outcome"].notna()
        kept = due["new_arr"].where(due["outcome"] != "churned", 0.0)
        chance = 1 - due["account"].map(risk)
        expected = kept[decided].sum() + (due["arr"] * chance)[~decided].sum()
        assert window["contracts"] == len(due)
        assert window["arr"] == pytest.approx(due["arr"].sum())
        # Stored probabilities and risks carry 6 decimals.
        slack = 1e-5 * due["arr"].sum()
        assert window["expected_arr"] == pytest.approx(expected, abs=slack)
        assert window["unscored_arr"] == 0
    # The weighting matters: the riskiest accounts renew for less.
    assert windows[180]["expected_arr"] < windows[180]["arr"]


def test_calibrated_renewal_risk_is_nearer_last_years_losses_than_raw(demo):
    """The health model's 90-day churn probability, averaged over the coming
    renewals, is far below the share of renewing ARR the company lost last
    year; the calibrated renewal risk closes most of that gap."""
    p = _churn_probabilities(demo)
    risk = _renewal_risks(demo, p)
    body = json.loads(steward("renewals", "--within", 180, "--format", "json").output)
    undecided = [row for row in body["renewals"] if row["outcome"] is None]
    arr = sum(row["arr"] for row in undecided)
    raw = sum(row["arr"] * p[row["account"]] for row in undecided) / arr
    calibrated = sum(row["arr"] * risk[row["account"]] for row in undecided) / arr
    past = _past_year(demo)
    lost = past.loc[past["outcome"] == "churned", "arr"].sum() / past["arr"].sum()

    # Seed 7 on 2026-06-30: lost 16.6%, raw 2.2%, calibrated 10.8%.
    print(f"ARR lost: past year {lost:.3f}, raw {raw:.3f}, calibrated {calibrated:.3f}")
    assert len(undecided) >= 100 and len(past) >= 50
    assert raw < calibrated < lost + 0.05
    assert abs(calibrated - lost) < 0.5 * abs(raw - lost)


def test_retention_as_a_table_csv_and_json_agree(demo):
    period = ("--from", "2025-07-01", "--to", "2026-06-30", "--by", "tier")

    table = steward("report", "retention", *period)
    as_csv = steward("report", "retention", *period, "--format", "csv")
    as_json = steward("report", "retention", *period, "--format", "json")

    assert table.exit_code == as_csv.exit_code == as_json.exit_code == 0
    body = json.loads(as_json.output)
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert [r["group"] for r in rows] == [r["group"] for r in body["rows"]]
    assert [r["group"] for r in rows] == ["Tier 1", "Tier 2", "All"]
    for line, row in zip(rows, body["rows"], strict=True):
        assert float(line["nrr"]) == pytest.approx(row["nrr"])
        assert float(line["arr_start"]) == pytest.approx(row["arr_start"])
    everyone = body["rows"][-1]
    assert "Revenue and retention, 2025-07-01 to 2026-06-30" in table.output
    assert f"{everyone['grr'] * 100:.1f}%" in table.output


def test_cohorts_print_one_row_per_signing_month(demo):
    result = steward("report", "cohorts", "--from", "2025-01-01", "--to", "2026-06-30")
    as_json = steward(
        "report",
        "cohorts",
        "--from",
        "2025-01-01",
        "--to",
        "2026-06-30",
        "--format",
        "json",
    )

    assert result.exit_code == 0, result.output
    cohorts = {row["cohort"] for row in json.loads(as_json.output)["rows"]}
    listed = re.findall(r"│ (\d{4}-\d{2}) │", result.output)
    assert listed == sorted(cohorts)
    assert "M0" in result.output and "M12" in result.output
    assert "(months 0-3, then every third)" in plain(result.output)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ("report", "retention", "--from", "2026-06-30", "--to", "2026-01-01"),
            1,
            "Error: the period ends (2026-01-01) before it starts (2026-06-30); swap "
            "from and to",
        ),
        (
            ("report", "effort", "--by", "segment"),
            1,
            "Error: --by: cannot group effort by 'segment'; use one of tier, "
            "coverage, csm",
        ),
        (
            ("report", "nps", "--by", "region"),
            2,
            "Invalid value for '--by': Value error, 'region' is not one of "
            "'segment', 'tier', 'coverage', 'csm', 'industry'.",
        ),
        (
            ("report", "ttv", "--from", "30/06/2026"),
            2,
            "Invalid value for --from: '30/06/2026' is not a date; write it as "
            "YYYY-MM-DD, e.g. 2024-06-30",
        ),
        (
            ("renewals", "--within", "-1"),
            2,
            "Invalid value for '--within': Input should be greater than or equal to 0",
        ),
    ],
)
def test_wrong_flags_are_named_with_the_rule(demo, args, code, message):
    result = steward(*args)

    assert result.exit_code == code
    assert message in plain(result.output)


def test_an_unknown_csm_is_an_error_that_lists_the_csms(demo):
    names = _query(demo, "SELECT name FROM users WHERE role = 'csm' ORDER BY name")

    result = steward("renewals", "--csm", "nobody@example.com")

    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: --csm: no user with email or name 'nobody@example.com'; the CSMs "
        f"are {', '.join(names['name'])}"
    )


def test_an_outcome_logged_from_the_cli_needs_a_reason_when_lost(copy):
    listed = json.loads(steward("renewals", "--within", 30, "--format", "json").output)
    contract = next(r for r in listed["renewals"] if r["outcome"] is None)
    key = contract["contract"]

    refused = steward("renewals", "log", key, "--outcome", "churned")
    growth = steward(
        "renewals", "log", key, "--outcome", "churned", "--reason", "seat_growth"
    )
    logged = steward(
        "renewals",
        "log",
        key,
        "--outcome",
        "churned",
        "--reason",
        "low_adoption",
        "--closed-on",
        AS_OF,
    )
    after = json.loads(steward("renewals", "--within", 30, "--format", "json").output)

    assert refused.exit_code == growth.exit_code == 1
    assert plain(refused.output).startswith(
        "Error: --reason: a churned renewal needs a reason tag; use one of pricing, "
    )
    assert "unknown reason tag 'seat_growth' for a churned renewal" in growth.output
    assert logged.exit_code == 0, logged.output
    assert plain(logged.output) == (
        f"Contract {key}: churned on {AS_OF}, ARR {contract['arr']:,.0f} → 0, "
        f"ends {contract['ends_on']}."
    )
    row = next(r for r in after["renewals"] if r["contract"] == key)
    assert (row["outcome"], row["new_arr"]) == ("churned", 0)
    # Decided: it counts at 0 in the forecast, no longer weighted.
    before_30, after_30 = listed["forecast"][0], after["forecast"][0]
    weighted = contract["arr"] * (1 - contract["renewal_risk"])
    assert after_30["expected_arr"] == pytest.approx(
        before_30["expected_arr"] - weighted, abs=0.02
    )


def test_effort_from_the_cli_and_an_import_against_plan_by_tier(copy, tmp_path):
    accounts = _query(
        copy,
        "SELECT external_id, tier, coverage FROM accounts "
        "WHERE lifecycle_stage != 'churned' ORDER BY external_id",
    )
    tier_1 = accounts[accounts["tier"] == "Tier 1"]["external_id"].iloc[0]
    tier_2 = accounts[accounts["tier"] == "Tier 2"]["external_id"].iloc[0]
    path = tmp_path / "efforts.csv"
    path.write_text(
        "account,worked_on,hours,activity\n"
        f"{tier_1},2026-06-02,2.5,call\n"
        f"{tier_1},2026-06-09,1,prep\n"
        f"{tier_2},2026-06-03,0.5,email\n"
        f"{tier_2},2026-06-04,30,workshop\n"
    )

    cli = steward("effort", "log", tier_1, "--hours", 1.5, "--on", "2026-06-20")
    wrong = steward("effort", "log", tier_1, "--hours", 0, "--on", "2026-06-20")
    imported = steward("import", path, "--kind", "efforts")
    again = steward("import", path, "--kind", "efforts")
    report = steward(
        "report",
        "effort",
        "--from",
        "2026-06-01",
        "--to",
        "2026-06-30",
        "--format",
        "json",
    )

    assert cli.exit_code == 0, cli.output
    assert wrong.exit_code == 1
    assert plain(wrong.output) == (
        "Error: --hours: hours must be more than 0 and at most 24 a day, not 0"
    )
    # The 30-hour row is refused with its row and rule; the other three kept.
    assert imported.exit_code == 3, imported.output
    assert "efforts.csv, row 5, column 'hours'" in plain(imported.output)
    assert again.exit_code == 3
    rows = {r["group"]: r for r in json.loads(report.output)["rows"]}
    assert rows["Tier 1"]["logged_hours"] == 2.5 + 1 + 1.5
    assert rows["Tier 2"]["logged_hours"] == 0.5
    # June is one whole month: the plan is each account's model's hours.
    hours = {"High-Touch": 6, "Tech-Touch": 1.5, "Digital-Led": 0}
    planned = accounts.assign(h=accounts["coverage"].map(hours))
    for tier in ("Tier 1", "Tier 2"):
        mine = planned[planned["tier"] == tier]
        assert rows[tier]["accounts"] == len(mine)
        assert rows[tier]["planned_hours"] == pytest.approx(mine["h"].sum())


def test_capacity_lists_load_per_csm_and_who_no_csm_can_take(copy, tmp_path):
    csms = _query(copy, "SELECT email, name FROM users WHERE role = 'csm'")
    path = tmp_path / "capacity.csv"
    # Two hours a week each (8.67 a month): less than the High-Touch books need.
    path.write_text(
        "email,capacity_hours\n" + "".join(f"{e},2\n" for e in csms["email"])
    )
    assert steward("import", path, "--kind", "users").exit_code == 0

    shown = steward("capacity", "--all")
    workspace = Workspace()
    with workspace.store.session() as session:
        rules = load_coverage_rules(workspace.coverage_path())
        view = capacity_view(session, rules, AS_OF)
    workspace.close()

    assert shown.exit_code == 0, shown.output
    text = plain(shown.output)
    assert "Load per CSM (hours a month)" in text
    assert f"No CSM can take: {len(view.unplaced)} accounts" in text
    assert view.unplaced
    for load in view.loads:
        assert load.name in text
        assert load.capacity == pytest.approx(2 * 52 / 12, abs=0.01)
        # After the moves a CSM carries what fits plus what nobody can take.
        stuck = sum(u.hours for u in view.unplaced if u.csm == load.name)
        assert load.proposed_hours - stuck <= load.capacity + 1e-9
