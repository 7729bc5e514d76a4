"""Alembic environment: the engine comes from ``steward.store.db``, not an ini."""

from __future__ import annotations

from alembic import context

import steward.store.automation  # noqa: F401  (registers the playbook tables)
import steward.store.coverage  # noqa: F401  (registers the effort log)
import steward.store.knowledge  # noqa: F401  (registers the knowledge base)
import steward.store.plans  # noqa: F401  (registers success plans, reviews)
import steward.store.tracking  # noqa: F401  (registers the write keys)
from steward.store.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # pragma: no cover - only when alembic is run by hand
    from steward.config import load_settings
    from steward.store.db import make_engine

    engine = make_engine(load_settings().store_url)

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
