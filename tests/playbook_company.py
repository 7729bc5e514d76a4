"""Small companies for the built-in playbook scenarios, imported through the CLI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from steward.cli.main import app
from steward.jobs.run import run_daily
from steward.store.automation import OutboxMessage, PlaybookRun
from steward.store.models import Account, Task, User
from steward.workspace import Workspace

runner = CliRunner()

USERS = """email,name,role,manager_email
lead@x.example,Lee Lead,manager,
csm1@x.example,Cam One,csm,lead@x.example
ae1@x.example,Ari Exec,read_only,
"""

# A scorecard whose band a test controls with login events alone: 0 logins in
# 28 days scores 21 (at risk), 15 or more score 64 and up (healthy).
LOGIN_SCORECARD = """name: default
version: 1
window_days: 28
horizon_days: 90
scale: {base: 50, points_to_double_odds: 10}
bands: {healthy: 60, at_risk: 40}
minimum_coverage: 0.5
intercept: 0.0
factors:
  - metric: logins
    kind: number
    transform: none
    mean: 10
    std: 5
    weight: 1.0
"""


def invoke(*args: object):
    return runner.invoke(app, [str(arg) for arg in args])


def build(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, str],
    database_url: str | None = None,
) -> Workspace:
    """A data folder with ``files`` (kind -> CSV text) imported, in file order."""
    monkeypatch.setenv("STEWARD_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    if database_url:
        monkeypatch.setenv("STEWARD_DATABASE_URL", database_url)
    for kind, text in {"users": USERS, **files}.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(text)
        result = invoke("import", path, "--kind", kind)
        assert result.exit_code == 0, result.output
    return Workspace()


def run(workspace: Workspace, day: str) -> None:
    run_daily(workspace, dt.date.fromisoformat(day))


def tasks(workspace: Workspace, **where: object) -> list[tuple]:
    """(account, kind, created on, due on, assignee email, title) per task."""
    with workspace.store.session() as session:
        query = (
            select(
                Account.external_id,
                Task.kind,
                Task.created_on,
                Task.due_on,
                User.email,
                Task.title,
            )
            .outerjoin(Account, Task.account_id == Account.id)
            .outerjoin(User, Task.assignee_id == User.id)
            .order_by(Task.created_on, Task.due_on, Task.id)
        )
        for name, value in where.items():
            query = query.where(getattr(Task, name) == value)
        return [tuple(row) for row in session.execute(query).all()]


def messages(workspace: Workspace) -> list[OutboxMessage]:
    with workspace.store.session() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def runs(workspace: Workspace, playbook: str) -> list[PlaybookRun]:
    with workspace.store.session() as session:
        return list(
            session.scalars(
                select(PlaybookRun)
                .where(PlaybookRun.playbook == playbook)
                .order_by(PlaybookRun.id)
            )
        )


def days(first: str, last: str, step: int = 1) -> list[str]:
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    count = (end - start).days // step + 1
    return [(start + dt.timedelta(days=step * k)).isoformat() for k in range(count)]
