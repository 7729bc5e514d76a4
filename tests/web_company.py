"""A small company for the web and API tests, built through the real import path.

Five people (one per role, two CSMs), three accounts imported from CSV with
``steward import --kind``, scored by ``steward run``, passwords set with
``steward user password``. Built once per engine and copied for each test.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from steward.cli.main import app as cli
from steward.web.app import create_app
from steward.workspace import Workspace
from tests.conftest import PG_ADMIN_URL

AS_OF = "2024-12-23"
PASSWORD = "correct horse battery"
FILES = {
    "users": """email,name,role,manager_email
admin@x.example,Ada Admin,admin,
lead@x.example,Lee Lead,manager,
csm1@x.example,Cam One,csm,lead@x.example
csm2@x.example,Cat Two,csm,lead@x.example
viewer@x.example,Vic Viewer,read_only,
""",
    # Tiers and coverage as the default rubric (config/coverage.yaml) decides.
    "accounts": "external_id,name,country,seats,arr,csm_email,"
    """custom_integrations,tier,coverage
late,Late Ltd,GB,3,12000,csm1@x.example,false,Tier 2,Tech-Touch
double,Double Inc,US,4,20000,csm2@x.example,true,Tier 1,Tech-Touch
good,Good Co,US,2,8000,csm1@x.example,false,Tier 2,Digital-Led
""",
    "contracts": """external_id,account,start_date,end_date,arr,seats
c-late,late,2024-12-02,2025-12-01,12000,3
c-double,double,2024-11-13,2025-02-12,20000,4
c-good,good,2024-12-02,2025-12-01,8000,2
""",
    "contacts": """external_id,account,name,email,role,title
p1,good,Gil Good,gil@good.example,executive_sponsor,COO
p2,late,Lia Late,lia@late.example,champion,Ops lead
""",
    "tickets": """external_id,account,opened_at,priority,status,subject
t1,good,2024-12-10T10:00:00Z,high,open,Export fails on large files
""",
    "nps": """external_id,account,score,comment,responded_at
n1,good,4,Slow exports,2024-12-12T09:00:00Z
""",
    "events": """account,user_id,event,ts
good,u1,login,2024-12-03T09:00:00Z
good,u1,core_workflow_completed,2024-12-04T10:00:00Z
good,u2,login,2024-12-05T11:00:00+02:00
""",
}
runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def build(folder: Path) -> None:
    """Import the files above, run the day, and give every user a password."""
    for kind, body in FILES.items():
        path = folder / f"{kind}.csv"
        path.write_text(body)
        invoke("import", str(path), "--kind", kind)
    invoke("run", "--as-of", AS_OF)
    for email in re.findall(r"^(\S+@x\.example),", FILES["users"], re.MULTILINE):
        invoke("user", "password", email, "--password", PASSWORD)


@dataclass
class Company:
    workspace: Workspace
    client: TestClient

    def sign_in(self, email: str, password: str = PASSWORD) -> TestClient:
        """Sign the client in through the login form, as a browser would."""
        page = self.client.get("/login")
        token = csrf_of(page.text)
        response = self.client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": token},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        return self.client

    def csrf(self, path: str = "/") -> str:
        return csrf_of(self.client.get(path).text)

    def token(self, email: str) -> dict[str, str]:
        """Authorization headers with a fresh API token acting as ``email``."""
        secret = invoke("user", "token", email, "--name", "tests").strip()
        return {"Authorization": f"Bearer {secret}"}


def csrf_of(html: str) -> str:
    field = BeautifulSoup(html, "html.parser").find("input", {"name": "csrf_token"})
    assert field is not None, "no csrf_token field on the page"
    return field["value"]


def page(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("web-template") / "home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STEWARD_HOME", str(home))
        patch.delenv("STEWARD_DATABASE_URL", raising=False)
        build(home.parent)
    return home


@pytest.fixture(scope="session")
def pg_template(
    tmp_path_factory: pytest.TempPathFactory, pg_url: str
) -> Iterator[tuple[Path, str]]:
    """The company in its own PostgreSQL database, which each test clones."""
    home = tmp_path_factory.mktemp("web-pg-template") / "home"
    name = pg_url.rsplit("/", 1)[1] + "_web"
    _admin(f'CREATE DATABASE "{name}"')
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STEWARD_HOME", str(home))
        patch.setenv("STEWARD_DATABASE_URL", _url(name))
        build(home.parent)
    # CREATE DATABASE ... TEMPLATE needs the template free of connections; the
    # CLI's engines in this process still hold some in their pools.
    _admin(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    )
    yield home, name
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def company(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Company]:
    """A fresh copy of the company on each engine, with a client for the app."""
    home = tmp_path / "home"
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    if request.param == "sqlite":
        shutil.copytree(request.getfixturevalue("sqlite_template"), home)
    else:
        template_home, template_db = request.getfixturevalue("pg_template")
        shutil.copytree(template_home, home)
        monkeypatch.setenv("STEWARD_DATABASE_URL", _clone(template_db))
    monkeypatch.setenv("STEWARD_HOME", str(home))
    workspace = Workspace()
    with TestClient(create_app(workspace)) as client:
        yield Company(workspace, client)
    workspace.close()
    if request.param == "postgresql":
        _drop(workspace.settings.database_url)


@pytest.fixture
def sqlite_company(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Company]:
    home = tmp_path / "home"
    shutil.copytree(sqlite_template, home)
    monkeypatch.delenv("STEWARD_DATABASE_URL", raising=False)
    monkeypatch.setenv("STEWARD_HOME", str(home))
    workspace = Workspace()
    with TestClient(create_app(workspace)) as client:
        yield Company(workspace, client)
    workspace.close()


def _clone(template: str) -> str:
    name = f"{template}_{uuid.uuid4().hex[:8]}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return _url(name)


def _drop(url: str | None) -> None:
    if url:
        _admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def _url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _admin(statement: str) -> None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()
