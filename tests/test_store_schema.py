"""The migrations build exactly the schema the models declare, on both engines."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import steward.store.automation  # noqa: F401  (registers the playbook tables)
import steward.store.coverage  # noqa: F401
import steward.store.knowledge  # noqa: F401
import steward.store.plans  # noqa: F401
import steward.store.tracking  # noqa: F401
from steward.store.db import Store
from steward.store.models import Base


def test_the_upgraded_store_matches_the_models(store: Store):
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})

        differences = compare_metadata(context, Base.metadata)

    assert differences == []
