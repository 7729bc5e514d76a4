"""Bulk writes by column (steward/store/upsert.py) on SQLite and PostgreSQL."""

import datetime as dt

from sqlalchemy import select, text

from steward.store.models import Account, AuditEntry, HealthScore
from steward.store.upsert import insert_columns, update_columns, upsert_columns

DAY = dt.date(2025, 6, 30)


def _accounts(session, count):
    accounts = [Account(external_id=f"A{i}", name=f"A{i} Co") for i in range(count)]
    session.add_all(accounts)
    session.flush()
    return [account.id for account in accounts]


def _scores(ids, scores, bands):
    return {
        "account_id": ids,
        "as_of": [DAY] * len(ids),
        "status": ["scored"] * len(ids),
        "score": scores,
        "band": bands,
        "scorecard": ["default"] * len(ids),
        "scorecard_version": [1] * len(ids),
    }


def _stored(session):
    return session.execute(
        select(HealthScore.account_id, HealthScore.score, HealthScore.band)
        .where(HealthScore.as_of == DAY)
        .order_by(HealthScore.account_id)
    ).all()


def test_upsert_columns_inserts_then_overwrites_on_the_key(store):
    keys = ["as_of", "account_id"]
    with store.session() as session:
        ids = _accounts(session, 2)
        first = _scores(ids, [10.0, None], ["neutral", "insufficient_data"])
        upsert_columns(session, HealthScore.__table__, first, keys)

    with store.session() as session:
        again = _scores(ids, [10.0, 55.5], ["neutral", "neutral"])
        upsert_columns(session, HealthScore.__table__, again, keys)

    with store.session() as session:
        assert _stored(session) == [
            (ids[0], 10.0, "neutral"),
            (ids[1], 55.5, "neutral"),
        ]
        assert session.scalar(select(HealthScore.as_of).limit(1)) == DAY


def test_rows_stored_as_they_are_are_not_written_again(sqlite_store):
    keys = ["as_of", "account_id"]
    day = HealthScore.as_of == DAY
    bands = ["neutral", "healthy", "at_risk"]
    with sqlite_store.session() as session:
        ids = _accounts(session, 3)
        rows = _scores(ids, [1.0, 2.0, 3.0], bands)
        upsert_columns(session, HealthScore.__table__, rows, keys, unless_stored=day)

    with sqlite_store.session() as session:
        changes = text("SELECT total_changes()")
        before = session.execute(changes).scalar()
        rows = _scores(ids, [1.0, 2.5, 3.0], bands)
        upsert_columns(session, HealthScore.__table__, rows, keys, unless_stored=day)
        written = session.execute(changes).scalar() - before

    assert written == 1
    with sqlite_store.session() as session:
        assert [score for _, score, _ in _stored(session)] == [1.0, 2.5, 3.0]


def test_insert_columns_gives_each_row_its_own_default_time(store):
    with store.session() as session:
        insert_columns(
            session,
            AuditEntry.__table__,
            {
                "actor": ["test", "test"],
                "action": ["a.one", "a.two"],
                "entity": ["account", "account"],
                "entity_id": ["A1", None],
                "detail": [{"n": 1}, {}],
            },
        )

    with store.session() as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.entity_id, AuditEntry.detail)
            .where(AuditEntry.actor == "test")
            .order_by(AuditEntry.id)
        ).all()
        times = session.scalars(select(AuditEntry.at).where(AuditEntry.actor == "test"))
        assert rows == [("a.one", "A1", {"n": 1}), ("a.two", None, {})]
        assert all(at.tzinfo is not None for at in times)


def test_update_columns_sets_the_named_columns_by_key(store):
    with store.session() as session:
        ids = _accounts(session, 3)
        update_columns(
            session,
            Account.__table__,
            "id",
            {"id": [ids[0], ids[2]], "tier": ["Tier 1", "Tier 2"]},
        )

    with store.session() as session:
        tiers = session.execute(select(Account.id, Account.tier).order_by(Account.id))
        assert tiers.all() == [(ids[0], "Tier 1"), (ids[1], None), (ids[2], "Tier 2")]
