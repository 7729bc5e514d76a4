"""``steward serve``, its daily run, ``steward user`` and the demo's sign-in."""

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import select
from typer.testing import CliRunner

from steward.cli.main import app as cli
from steward.jobs.schedule import DailyScheduler
from steward.store.models import DailyRun
from steward.web.app import create_app
from tests.web_company import csrf_of

runner = CliRunner()


def _at(day: str, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(
        dt.date.fromisoformat(day), dt.time(hour, minute), dt.UTC
    )


def test_the_daily_run_happens_once_a_day_from_two_oclock(sqlite_company):
    scheduler = DailyScheduler(sqlite_company.workspace)

    same_day = scheduler.run_if_due(_at("2024-12-23", 9))
    too_early = scheduler.run_if_due(_at("2024-12-24", 1, 59))
    due = scheduler.run_if_due(_at("2024-12-24", 2))
    again = scheduler.run_if_due(_at("2024-12-24", 18))

    assert (same_day, too_early, due, again) == (False, False, True, False)
    with sqlite_company.workspace.store.session() as session:
        days = session.scalars(select(DailyRun.as_of).order_by(DailyRun.as_of)).all()
    assert days == [dt.date(2024, 12, 23), dt.date(2024, 12, 24)]


def test_the_app_starts_and_stops_its_daily_run_thread(sqlite_company):
    from fastapi.testclient import TestClient

    app = create_app(sqlite_company.workspace, daily_run=True)

    with TestClient(app) as client:
        thread = app.state.scheduler._thread
        alive = thread.is_alive()
        answered = client.get("/login").status_code

    assert (alive, answered) == (True, 200)
    assert not thread.is_alive()


def test_steward_serve_answers_pages_and_the_api_over_loopback(sqlite_company):
    headers = sqlite_company.token("csm1@x.example")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    steward = str(Path(sys.executable).with_name("steward"))
    server = subprocess.Popen(
        [steward, "serve", "--no-daily", "--port", str(port)],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait(base)
        login = httpx.get(f"{base}/login")
        me = httpx.get(f"{base}/api/v1/me", headers=headers)
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0]

    assert login.status_code == 200
    assert me.json()["email"] == "csm1@x.example"
    assert f"Steward is at http://127.0.0.1:{port}/" in output


def test_user_add_makes_someone_who_can_sign_in(sqlite_company):
    added = runner.invoke(
        cli,
        [
            "user",
            "add",
            "Mia@X.example",
            "--name",
            "Mia Manager",
            "--role",
            "manager",
            "--password",
            "a good long password",
        ],
    )

    sqlite_company.sign_in("mia@x.example", "a good long password")

    assert added.exit_code == 0, added.output
    assert added.output.strip() == "Added mia@x.example (manager)."
    assert sqlite_company.client.get("/tasks").status_code == 200


def test_user_add_names_the_roles_when_one_is_unknown(sqlite_company):
    result = runner.invoke(
        cli,
        [
            "user",
            "add",
            "b@x.example",
            "--role",
            "boss",
            "--password",
            "a long enough secret",
        ],
    )

    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: unknown role 'boss'; use one of admin, manager, csm, read_only"
    )


def test_user_password_for_someone_unknown_says_how_to_add_them(sqlite_company):
    result = runner.invoke(
        cli,
        ["user", "password", "ghost@x.example", "--password", "a long enough secret"],
    )

    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: no user with email 'ghost@x.example'; add one with `steward user add`"
    )


def test_the_demo_prints_a_sign_in_that_works(tmp_path, monkeypatch):
    home = tmp_path / "steward-data"
    monkeypatch.setenv("STEWARD_HOME", str(home))
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)

    result = runner.invoke(
        cli, ["demo", "--accounts", "20", "--as-of", "2026-06-30", "--no-serve"]
    )

    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("Sign in as"))
    email = line.split()[3]
    password = line.split("password ")[1].split(";")[0]
    assert (email, password) == ("admin@demo.steward.example", "steward-demo")
    from fastapi.testclient import TestClient

    from steward.workspace import Workspace

    workspace = Workspace()
    with TestClient(create_app(workspace)) as client:
        token = csrf_of(client.get("/login").text)
        client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": token},
        )
        admin = client.get("/admin")
    workspace.close()
    assert admin.status_code == 200
    shutil.rmtree(home)


def _wait(base: str) -> None:
    # Generous: starting imports pandas, DuckDB and Ibis, slow on a busy machine.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/login")
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"steward serve did not answer at {base} within 120 s")
