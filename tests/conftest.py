"""Shared fixtures: real SQLite files, the real PostgreSQL server, shared data."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from steward.events.store import EventStore
from steward.store.db import Store

# The small company of the web and API tests (fixtures `company`, `sqlite_company`).
pytest_plugins = ["tests.web_company"]

SHARED_DATA = Path(
    os.environ.get("STEWARD_SHARED_DATA", Path(__file__).parents[2] / "shared" / "data")
)
PG_ADMIN_URL = os.environ.get(
    "STEWARD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The public data sets beside the checkout; CI always has them."""
    if not SHARED_DATA.is_dir():
        pytest.fail(
            f"shared data folder {SHARED_DATA} is missing: these tests read the "
            "public data sets in ../shared/data beside the checkout (or set "
            "STEWARD_SHARED_DATA)"
        )
    return SHARED_DATA


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    name = f"steward_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # the server is part of CI: say how to start it
        pytest.fail(
            f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({error}); start it "
            "with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) "
            "main start"
        )
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def clean_pg_schema(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def bare_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An operational store with no schema yet, on SQLite and on PostgreSQL:
    migration tests take it to the revision they start from."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'steward.db'}"
    else:
        url = request.getfixturevalue("pg_url")
        clean_pg_schema(url)
    store = Store(url)
    yield store
    store.dispose()


@pytest.fixture
def store(bare_store: Store) -> Store:
    """An upgraded, empty operational store on SQLite and on PostgreSQL."""
    bare_store.upgrade()
    return bare_store


@pytest.fixture
def events(tmp_path: Path) -> EventStore:
    """An empty event store in the test's folder."""
    return EventStore(tmp_path / "events")


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'steward.db'}")
    store.upgrade()
    yield store
    store.dispose()
