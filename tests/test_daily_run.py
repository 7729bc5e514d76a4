"""The daily run through the CLI on a small company whose answers are worked by hand."""

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from steward.cli.main import app
from steward.store.models import (
    Account,
    HealthScore,
    LifecycleChange,
    MilestoneState,
    ScoreDetail,
    Task,
    User,
)
from steward.store.scores import details_of
from steward.workspace import Workspace
from tests.conftest import clean_pg_schema

runner = CliRunner()

USERS = """email,name,role,manager_email
lead@x.example,Lee Lead,manager,
csm1@x.example,Cam One,csm,lead@x.example
csm2@x.example,Cat Two,csm,lead@x.example
"""
ACCOUNTS = """external_id,name,country,seats,arr,csm_email
late,Late Ltd,GB,3,12000,csm1@x.example
double,Double Inc,US,4,20000,csm2@x.example
good,Good Co,US,2,8000,csm1@x.example
"""
CONTRACTS = """external_id,account,start_date,end_date,arr,seats
c-late,late,2024-12-02,2025-12-01,12000,3
c-double,double,2024-11-13,2025-11-12,20000,4
c-good,good,2024-12-02,2025-12-01,8000,2
"""
EVENTS = """account,user_id,event,ts
good,u1,login,2024-12-03T09:00:00Z
good,u1,core_workflow_completed,2024-12-04T10:00:00Z
good,u2,login,2024-12-05T11:00:00+02:00
"""


def invoke(*args: str):
    result = runner.invoke(app, list(args))
    return result


@pytest.fixture(params=["sqlite", "postgresql"])
def company(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Workspace:
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
        clean_pg_schema(url)
        monkeypatch.setenv("STEWARD_DATABASE_URL", url)
    files = {
        "users": USERS,
        "accounts": ACCOUNTS,
        "contracts": CONTRACTS,
        "events": EVENTS,
    }
    for kind, text in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(text)
        result = invoke("import", str(path), "--kind", kind)
        assert result.exit_code == 0, result.output
    return Workspace()


def _tasks(workspace: Workspace) -> list[tuple]:
    with workspace.store.session() as session:
        rows = session.execute(
            select(Account.external_id, Task.kind, Task.due_on, User.email, Task.role)
            .join(Account, Task.account_id == Account.id)
            .outerjoin(User, Task.assignee_id == User.id)
            .order_by(Account.external_id, Task.kind)
        ).all()
    return [tuple(row) for row in rows]


def _snapshot(workspace: Workspace) -> dict[str, list]:
    with workspace.store.session() as session:
        return {
            model.__name__: [
                {
                    column: getattr(row, column)
                    for column in model.__table__.columns.keys()  # noqa: SIM118
                    if column not in ("created_at", "finished_at")
                }
                for row in session.scalars(
                    select(model).order_by(*model.__table__.primary_key.columns)
                )
            ]
            for model in (
                Task,
                HealthScore,
                ScoreDetail,
                MilestoneState,
                LifecycleChange,
                Account,
            )
        }


def test_missed_milestones_raise_tasks_due_in_business_days(company):
    result = invoke("run", "--as-of", "2024-12-23")

    assert result.exit_code == 0, result.output
    # late (GB): first login due Mon 9 Dec, missed after 6 business days on
    # Tue 17 Dec; the task is due 2 business days after Mon 23 Dec, which skips
    # Christmas and Boxing Day: Fri 27 Dec.
    # double (US): first login missed on Fri 29 Nov (Thanksgiving skipped),
    # too long ago to raise a task now; first core workflow due Fri 13 Dec is
    # missed on Mon 23 Dec, and with the earlier miss it escalates to the CSM's
    # manager. Both are due Thu 26 Dec (Christmas skipped).
    assert _tasks(company) == [
        ("double", "escalation", dt.date(2024, 12, 26), "lead@x.example", "manager"),
        ("double", "milestone_missed", dt.date(2024, 12, 26), "csm2@x.example", "csm"),
        ("late", "milestone_missed", dt.date(2024, 12, 27), "csm1@x.example", "csm"),
    ]


def test_milestone_states_and_time_to_value(company):
    invoke("run", "--as-of", "2024-12-23")

    with company.store.session() as session:
        states = {
            (account, state.milestone): state
            for account, state in session.execute(
                select(Account.external_id, MilestoneState).join(
                    Account, MilestoneState.account_id == Account.id
                )
            ).all()
        }

    good = [
        states["good", key]
        for key in ("first_login", "first_core_workflow", "seat_activation")
    ]
    assert [state.status for state in good] == ["achieved"] * 3
    # u2's login at 11:00+02:00 is 09:00 UTC on 5 Dec: the second of two seats.
    assert [state.days_to_value for state in good] == [1, 2, 3]
    late = states["late", "first_login"]
    assert (late.status, late.due_on, late.overdue_business_days) == (
        "missed",
        dt.date(2024, 12, 9),
        10,
    )
    assert states["double", "seat_activation"].status == "pending"


def test_running_the_same_day_twice_changes_nothing(company):
    first = invoke("run", "--as-of", "2024-12-23")
    before = _snapshot(company)

    second = invoke("run", "--as-of", "2024-12-23")
    after = _snapshot(company)

    assert first.exit_code == second.exit_code == 0
    assert "New tasks               │ 0 (of 3 this day)" in second.output
    assert after == before


def _good_contract_ends(folder: Path, day: str, outcome: str = "") -> None:
    """c-good imported again, ending on ``day``, closed with ``outcome`` if any."""
    contract = folder / "ended.csv"
    contract.write_text(
        "external_id,account,start_date,end_date,arr,seats,outcome,closed_on\n"
        f"c-good,good,2024-12-02,{day},8000,2,{outcome},{day if outcome else ''}\n"
    )
    assert invoke("import", str(contract), "--kind", "contracts").exit_code == 0


def test_a_day_run_again_after_an_account_left_drops_its_score(company, tmp_path):
    invoke("run", "--as-of", "2024-12-23")
    _good_contract_ends(tmp_path, "2024-12-20")

    again = invoke("run", "--as-of", "2024-12-23")

    assert again.exit_code == 0, again.output
    with company.store.session() as session:
        scored = session.scalars(
            select(Account.external_id)
            .join(HealthScore, HealthScore.account_id == Account.id)
            .where(HealthScore.as_of == dt.date(2024, 12, 23))
            .order_by(Account.external_id)
        ).all()
    assert scored == ["double", "late"]
    assert "Live accounts │ 2 │" in " ".join(again.output.split())


def test_a_contract_closed_as_churned_moves_its_account_to_churned(company, tmp_path):
    _good_contract_ends(tmp_path, "2024-12-20", outcome="churned")

    result = invoke("run", "--as-of", "2024-12-23")

    assert result.exit_code == 0, result.output
    with company.store.session() as session:
        stage, reason = session.execute(
            select(LifecycleChange.stage, LifecycleChange.reason)
            .join(Account, LifecycleChange.account_id == Account.id)
            .where(Account.external_id == "good")
        ).one()
    assert (stage, reason) == ("churned", "no active contract after a churn")


def test_a_day_before_the_latest_run_stores_only_its_scores(company):
    invoke("run", "--as-of", "2024-12-23")
    later = invoke("run", "--as-of", "2024-12-30")
    before = _snapshot(company)

    past = invoke("run", "--as-of", "2024-12-27")
    after = _snapshot(company)

    assert later.exit_code == past.exit_code == 0, past.output
    assert (
        "2024-12-27 is before the latest run (2024-12-30): only its scores were "
        "stored; stages, milestones, tasks and playbooks stay as the run of "
        "2024-12-30 left them"
    ) in " ".join(past.output.split())
    days = {row["as_of"] for row in after["HealthScore"]}
    assert days == {dt.date(2024, 12, d) for d in (23, 27, 30)}
    assert {day for day in (row["as_of"] for row in after["ScoreDetail"])} == days
    for kept in ("Task", "MilestoneState", "LifecycleChange", "Account"):
        assert after[kept] == before[kept], kept
    assert [r for r in after["HealthScore"] if r["as_of"] != dt.date(2024, 12, 27)] == (
        before["HealthScore"]
    )


def test_the_next_day_raises_nothing_already_raised(company):
    invoke("run", "--as-of", "2024-12-23")

    result = invoke("run", "--as-of", "2024-12-24")

    assert result.exit_code == 0, result.output
    assert len(_tasks(company)) == 3


def test_a_run_long_after_the_newest_event_says_to_pass_its_last_day(company):
    current = invoke("run", "--as-of", "2024-12-23")
    later = invoke("run", "--as-of", "2025-06-30")

    assert current.exit_code == 0, current.output
    assert "no live account has an event" not in current.output
    assert later.exit_code == 0, later.output
    # good's last event is its login of 5 Dec 2024; the others have none.
    assert (
        "Note: no live account has an event in the 28 days before 2025-06-30; the "
        "newest is from 2024-12-05. For an export that ends in the past, run for "
        "its last day (steward run --as-of 2024-12-05); otherwise check that "
        "events are still arriving"
    ) in " ".join(later.output.split())


def test_views_show_the_riskiest_account_and_its_reasons(company):
    invoke("run", "--as-of", "2024-12-23")

    listing = invoke("accounts", "--format", "csv")
    detail = invoke("account", "good")
    tasks = invoke("tasks", "--for", "csm1@x.example")

    assert listing.exit_code == 0, listing.output
    lines = listing.output.strip().splitlines()
    assert lines[0].startswith("external_id,name,band,score")
    assert {line.split(",")[0] for line in lines[1:]} == {"late", "double", "good"}
    assert "Why: each factor's points" in detail.output
    assert "Seat utilisation" in detail.output
    assert "first_login" in detail.output
    assert "Late Ltd: onboarding milestone missed: First login" in tasks.output
    assert "Double" not in tasks.output


def test_lifecycle_moves_are_recorded_with_reasons(company):
    invoke("run", "--as-of", "2024-12-23")

    with company.store.session() as session:
        stages = dict(
            session.execute(select(Account.external_id, Account.lifecycle_stage)).all()
        )
        moves = session.scalars(select(LifecycleChange)).all()

        good_band = session.scalar(
            select(HealthScore.band)
            .join(Account, HealthScore.account_id == Account.id)
            .where(Account.external_id == "good")
        )

    # Onboarding is over for "good" (all milestones reached); with three events
    # the default scorecard puts it at risk, which the rules act on.
    assert good_band == "at_risk"
    assert stages == {
        "late": "onboarding",
        "double": "onboarding",
        "good": "renewal_risk",
    }
    assert {move.changed_by for move in moves} == {"daily-run"}
    assert {(move.from_stage, move.stage, move.reason) for move in moves} == {
        (
            "contract_signed",
            "onboarding",
            "contract started; onboarding milestones open",
        ),
        ("contract_signed", "renewal_risk", "health score is at risk"),
    }


EDGE_ACCOUNTS = """external_id,name,country,seats
empty,No Seats No Events,US,0
one,One Event,US,5
nocountry,Nowhere,,3
"""
EDGE_CONTRACTS = """external_id,account,start_date,end_date,arr,seats
c-empty,empty,2023-01-02,2025-01-01,0,0
c-one,one,2023-01-02,2025-01-01,1000,5
c-nocountry,nocountry,2023-01-02,2025-01-01,,3
"""
EDGE_EVENTS = """account,user_id,event,ts
one,u1,login,2024-12-20T12:00:00Z
"""


def _finite(value: object) -> bool:
    if isinstance(value, dict):
        return all(_finite(item) for item in value.values())
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    return True


def test_accounts_with_no_seats_or_events_store_defined_values(tmp_path, monkeypatch):
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    for kind, text in (
        ("accounts", EDGE_ACCOUNTS),
        ("contracts", EDGE_CONTRACTS),
        ("events", EDGE_EVENTS),
    ):
        path = tmp_path / f"{kind}.csv"
        path.write_text(text)
        assert invoke("import", str(path), "--kind", kind).exit_code == 0

    result = invoke("run", "--as-of", "2024-12-23")

    assert result.exit_code == 0, result.output
    with Workspace().store.session() as session:
        scores = {
            account: score
            for account, score in session.execute(
                select(Account.external_id, HealthScore).join(
                    Account, HealthScore.account_id == Account.id
                )
            ).all()
        }
        details = {
            account: details_of(session, score.account_id, [score.as_of])[score.as_of]
            for account, score in scores.items()
        }
    assert set(scores) == {"empty", "one", "nocountry"}
    for account, score in scores.items():
        assert score.status in ("scored", "insufficient_data")
        assert (score.score is None) == (score.status == "insufficient_data")
        assert score.score is None or 0 <= score.score <= 100
        explained = details[account]
        assert _finite(explained.metrics) and _finite(explained.contributions)
    empty = details["empty"]
    assert empty.metrics["seat_utilisation"] is None  # no seats: undefined
    assert empty.metrics["days_since_last_activity"] is None  # never active
    assert empty.contributions["seat_utilisation"]["missing"] is True
    assert details["one"].metrics["days_since_last_activity"] == 3
    assert details["one"].metrics["seat_utilisation"] == 0.2
