import datetime as dt

from sqlalchemy import inspect, select

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
