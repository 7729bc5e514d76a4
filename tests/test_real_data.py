"""The whole path on the public data sets: import, fit, run and the CLI views."""

import csv
import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler
from typer.testing import CliRunner

from steward.cli.main import app
from steward.metrics.config import load_events_config
from steward.metrics.facts import load_facts
from steward.metrics.service import metrics_as_of
from steward.scoring.scorecard import load_scorecard
from steward.workspace import Workspace

EXAMPLES = Path(__file__).parents[1] / "docs" / "examples" / "scorecards"
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(arg) for arg in args])


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    return tmp_path / "home"


def _rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.DictReader(handle))


@pytest.mark.slow
def test_ravenstack_end_to_end(shared_data, home):
    data = shared_data / "saas_ravenstack"

    imported = invoke("import", data, "--mapping", "ravenstack")
    fitted = invoke("fit")
    ran = invoke("run", "--as-of", "2024-12-31")
    listing = invoke("accounts", "--sort", "arr", "--desc", "--limit", "3")
    detail = invoke("account", "A-2e4581")
    tasks = invoke("tasks")

    # 21 usage rows reuse another row's usage_id: reported, the rest kept.
    assert imported.exit_code == 3, imported.output
    assert "duplicate message_id" in imported.output
    card = load_scorecard(home / "config" / "scorecards" / "default.yaml")
    report = card.fit
    assert fitted.exit_code == 0, fitted.output
    assert report.mode == "time_ordered"
    assert report.accounts <= _rows(data / "ravenstack_accounts.csv")
    # Better than chance, barely: the fit must say how little it found.
    assert report.auc_interval[0] > 0.5
    assert report.auc < 0.65
    assert report.message.startswith("weak signal")
    assert "weak signal" in fitted.output
    assert ran.exit_code == 0, ran.output
    assert "Live accounts" in ran.output
    # RavenStack has no logins, core workflows or user ids: milestones on
    # them are reported as not measured, and raise no task.
    assert "milestone first_login is not measured" in ran.output
    assert listing.exit_code == detail.exit_code == tasks.exit_code == 0
    assert "Company_0 (A-2e4581)" in detail.output
    assert "Why: each factor's points" in detail.output


def _plain_logistic_auc(frame: pd.DataFrame, churned: np.ndarray) -> float:
    """A plain one-hot logistic regression, pooled over the same 5 folds."""
    numeric = ["tenure", "MonthlyCharges", "TotalCharges"]
    table = frame.drop(columns=["customerID", "Churn"])
    table["TotalCharges"] = pd.to_numeric(table["TotalCharges"], errors="coerce")
    table["TotalCharges"] = table["TotalCharges"].fillna(table["TotalCharges"].median())
    categorical = [name for name in table.columns if name not in numeric]
    encoded = pd.get_dummies(
        table.astype({c: str for c in categorical}), drop_first=True
    )
    risk = np.zeros(len(table))
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    for train, test in folds.split(encoded, churned):
        scaler = StandardScaler().fit(encoded.iloc[train])
        model = LogisticRegression(max_iter=2000).fit(
            scaler.transform(encoded.iloc[train]), churned[train]
        )
        risk[test] = model.predict_proba(scaler.transform(encoded.iloc[test]))[:, 1]
    return roc_auc_score(churned, risk)


@pytest.mark.slow
def test_telco_learned_score_matches_a_plain_logistic_regression(shared_data, home):
    source = shared_data / "churn" / "ibm_telco_customer_churn.csv"

    imported = invoke("import", source.parent, "--mapping", "telco")
    shutil.copyfile(
        EXAMPLES / "telco.yaml", home / "config" / "scorecards" / "telco.yaml"
    )
    fitted = invoke("fit", "--scorecard", "telco")

    # The 11 blank TotalCharges cells are reported and kept, not fatal.
    assert imported.exit_code == 0, imported.output
    assert (
        imported.output.count("column 'TotalCharges': blank, stored as missing") == 11
    )
    assert fitted.exit_code == 0, fitted.output
    report = load_scorecard(home / "config" / "scorecards" / "telco.yaml").fit
    frame = pd.read_csv(source)
    plain = _plain_logistic_auc(frame, (frame["Churn"] == "Yes").to_numpy())
    assert report.mode == "cross_validated"
    assert (report.observations, report.churned) == (7043, 1869)
    assert plain > 0.83
    # At least the plain model's AUC, up to 0.001 of fold-to-fold noise.
    assert report.auc >= plain - 0.001
    assert report.auc >= 0.84


@pytest.mark.slow
def test_cdnow_score_predicts_who_buys_again(shared_data, home, tmp_path):
    source = shared_data / "transactions" / "cdnow_master.txt"
    cutoff = dt.date(1997, 9, 30)
    purchases = pd.read_csv(source, sep=r"\s+", dtype={"customer_id": str, "date": str})
    purchases["date"] = pd.to_datetime(purchases["date"], format="%Y%m%d").dt.date
    again = set(purchases.loc[purchases["date"] > cutoff, "customer_id"])
    customers = sorted(set(purchases["customer_id"]))
    labels = tmp_path / "outcomes.csv"
    pd.DataFrame(
        {
            "account": customers,
            "kind": ["renewed" if c in again else "churned" for c in customers],
        }
    ).to_csv(labels, index=False)

    events = invoke("import", source.parent, "--mapping", "cdnow")
    outcomes = invoke("import", labels, "--kind", "outcomes")
    shutil.copyfile(
        EXAMPLES / "cdnow.yaml", home / "config" / "scorecards" / "cdnow.yaml"
    )
    fitted = invoke("fit", "--scorecard", "cdnow", "--as-of", cutoff.isoformat())

    assert events.exit_code == outcomes.exit_code == fitted.exit_code == 0
    report = load_scorecard(home / "config" / "scorecards" / "cdnow.yaml").fit
    print(f"CDNOW repeat-purchase AUC {report.auc:.3f} {report.auc_interval}")
    assert report.churned == len(customers) - len(again)
    assert report.auc >= 0.75

    # The metrics behind it, for one customer, against the raw file.
    workspace = Workspace()
    with workspace.store.session() as session:
        facts = load_facts(session)
    taxonomy = load_events_config(workspace.events_config_path()).events
    metrics = metrics_as_of(
        workspace.event_engine(), workspace.events, facts, cutoff, 273, taxonomy
    )
    mine = purchases[
        (purchases["customer_id"] == "00002") & (purchases["date"] <= cutoff)
    ]
    assert metrics.loc["00002", "events_total"] == mine["number_of_cds"].sum()
    assert metrics.loc["00002", "value_total"] == pytest.approx(
        mine["dollar_value"].sum()
    )
    assert (
        metrics.loc["00002", "days_since_last_activity"]
        == (cutoff - mine["date"].max()).days
    )
