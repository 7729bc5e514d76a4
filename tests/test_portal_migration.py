"""Migration 0007 on a store with portal links made before links expired."""

import datetime as dt

from alembic import command
from sqlalchemy import select, text

from steward.store.db import Store, alembic_config
from steward.store.knowledge import KbPortalLink


def test_links_made_before_expiry_expire_90_days_after_they_were_made(
    bare_store: Store,
):
    store = bare_store
    command.upgrade(alembic_config(store.engine), "0004")
    made = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)
    with store.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO kb_portal_links (token_hash, prefix, label, segment, "
                "created_by, created_at) VALUES ('h', 'kbp_abc', 'Acme', NULL, "
                "'lead', :made)"
            ),
            {"made": made},
        )

    store.upgrade()

    with store.session() as session:
        link = session.scalar(select(KbPortalLink))
        expires, used = link.expires_at, link.last_used_at
    assert expires == made + dt.timedelta(days=90)
    assert used is None
