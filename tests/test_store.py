import datetime as dt

import pytest
from sqlalchemy import inspect, select, text

from steward.errors import StoreUnavailable
from steward.store.db import Store, is_current
from steward.store.models import Account, AuditEntry, Base


def test_migrations_create_every_model_table(store: Store) -> None:
    tables = set(inspect(store.engine).get_table_names())

    assert set(Base.metadata.tables) <= tables
    assert is_current(store.engine)


def test_timestamps_come_back_in_utc(store: Store) -> None:
    at = dt.datetime(2024, 3, 1, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))

    with store.session() as session:
        session.add(AuditEntry(at=at, actor="test", action="x", entity="account"))
    with store.session() as session:
        stored = session.scalars(select(AuditEntry)).one()

    assert stored.at == at
    assert stored.at.tzinfo is not None
    assert stored.at.utcoffset() == dt.timedelta(0)


def test_failed_unit_of_work_leaves_nothing(store: Store) -> None:
    try:
        with store.session() as session:
            session.add(Account(external_id="A-1", name="Acme"))
            session.flush()
            raise RuntimeError("crash mid-import")
    except RuntimeError:
        pass

    with store.session() as session:
        assert session.scalars(select(Account)).all() == []


def test_a_store_written_by_a_newer_steward_is_refused_by_name(store: Store) -> None:
    with store.engine.begin() as connection:
        connection.execute(text("INSERT INTO alembic_version VALUES ('f999')"))
    shown = store.engine.url.render_as_string(hide_password=True)

    with pytest.raises(StoreUnavailable) as raised:
        store.upgrade()

    assert str(raised.value) == (
        f"the store at {shown!r} has schema revision(s) f999, which this version "
        "of Steward does not know: a newer Steward wrote it; run that version, or "
        "upgrade this one"
    )
