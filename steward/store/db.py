"""Engines, sessions and schema upgrades for the operational store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from steward.errors import StoreUnavailable

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys and a busy wait."""
    # The daily run writes a JSON explanation per account: orjson encodes it
    # several times faster than the standard library.
    common: dict[str, Any] = {"json_serializer": _json_text}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **common)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True, **common)
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        raise StoreUnavailable(
            f"cannot use the database URL {_shown(url)} ({_reason(error)}); set "
            "STEWARD_DATABASE_URL to postgresql+psycopg://user@host:5432/dbname, "
            "or unset it to keep the store in STEWARD_HOME"
        ) from error


def _shown(url: str) -> str:
    """The URL as a person may see it: the password is never printed."""
    try:
        return repr(make_url(url).render_as_string(hide_password=True))
    except ArgumentError:
        return repr(url)


def _reason(error: BaseException) -> str:
    """The driver's first line, without the doubled spaces PostgreSQL writes."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines() or [type(cause).__name__]
    return " ".join(lines[0].split())


def _json_text(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migrations; a no-op when already there.

    Parts of Steward may add migration branches from a common parent (the web
    app's tables and the playbooks' tables, say); every head is applied.
    """
    script = ScriptDirectory.from_config(alembic_config(engine))
    current = _stored_revisions(engine)
    unknown = current - {revision.revision for revision in script.walk_revisions()}
    if unknown:
        raise StoreUnavailable(
            f"the store at {_shown(str(engine.url))} has schema revision(s) "
            f"{', '.join(sorted(unknown))}, which this version of Steward does not "
            "know: a newer Steward wrote it; run that version, or upgrade this one"
        )
    if current == set(script.get_heads()):
        return
    command.upgrade(alembic_config(engine), "heads")


def is_current(engine: Engine) -> bool:
    heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    return _stored_revisions(engine) == heads


def _stored_revisions(engine: Engine) -> set[str]:
    try:
        with engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads())
    except OperationalError as error:
        # The first connection of every command: a wrong URL, a stopped server
        # or a database not created yet is the person's to fix, not a crash.
        where = (
            "check that STEWARD_HOME is a folder you can write to"
            if engine.url.get_backend_name() == "sqlite"
            else "check STEWARD_DATABASE_URL, that the server is running and "
            "that the database exists (createdb NAME)"
        )
        raise StoreUnavailable(
            f"cannot open the store at {_shown(str(engine.url))}: "
            f"{_reason(error)}; {where}"
        ) from error


class Store:
    """The operational store of one Steward installation."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def upgrade(self) -> None:
        upgrade(self.engine)

    def holds_steward(self) -> bool:
        """Whether a Steward schema is there already (opening it creates nothing)."""
        url = self.engine.url
        on_disk = url.get_backend_name() == "sqlite" and url.database not in (
            None,
            "",
            ":memory:",
        )
        if on_disk and not Path(url.database).exists():
            return False
        return bool(_stored_revisions(self.engine))

    @property
    def shown_url(self) -> str:
        """The URL with any password hidden, for messages."""
        return _shown(str(self.engine.url))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
