"""The web app's migration (0002) creates what its models declare."""

from sqlalchemy import inspect

from steward.store.db import Store

INDEXES = {
    "accounts": {
        "ix_accounts_name": ["name"],
        "ix_accounts_tier": ["tier"],
        "ix_accounts_coverage": ["coverage"],
        "ix_accounts_lifecycle_stage": ["lifecycle_stage"],
    },
    "health_scores": {
        "ix_health_scores_as_of_score": [
            "as_of",
            "score",
            "band",
            "account_id",
        ]
    },
    "contracts": {"ix_contracts_end_date": ["end_date"]},
    "api_tokens": {"ix_api_tokens_user_id": ["user_id"]},
    "task_comments": {"ix_task_comments_task_id": ["task_id"]},
}


def test_the_list_indexes_and_the_web_tables_exist_on_both_engines(store: Store):
    inspector = inspect(store.engine)

    found = {
        table: {
            index["name"]: index["column_names"]
            for index in inspector.get_indexes(table)
            if index["name"] in wanted
        }
        for table, wanted in INDEXES.items()
    }

    assert found == INDEXES
    token_columns = {c["name"] for c in inspector.get_columns("api_tokens")}
    assert "token_hash" in token_columns and "token" not in token_columns
