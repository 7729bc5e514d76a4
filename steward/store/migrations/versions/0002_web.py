"""web app: API tokens, task comments, indexes for the accounts list

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 19:37:59.071639
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "task_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_task_comments_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_comments_task_id_tasks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_comments")),
    )
    with op.batch_alter_table("task_comments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_task_comments_task_id"), ["task_id"], unique=False
        )

    # The accounts list and dashboard at 100,000 accounts (see models.py).
    op.create_index("ix_accounts_name", "accounts", ["name"], unique=False)
    op.create_index("ix_accounts_tier", "accounts", ["tier"], unique=False)
    op.create_index("ix_accounts_coverage", "accounts", ["coverage"], unique=False)
    op.create_index(
        "ix_accounts_lifecycle_stage", "accounts", ["lifecycle_stage"], unique=False
    )
    op.create_index(
        "ix_health_scores_as_of_score",
        "health_scores",
        ["as_of", "score", "band", "account_id"],
        unique=False,
    )
    op.create_index("ix_contracts_end_date", "contracts", ["end_date"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_contracts_end_date", table_name="contracts")
    op.drop_index("ix_health_scores_as_of_score", table_name="health_scores")
    op.drop_index("ix_accounts_lifecycle_stage", table_name="accounts")
    op.drop_index("ix_accounts_coverage", table_name="accounts")
    op.drop_index("ix_accounts_tier", table_name="accounts")
    op.drop_index("ix_accounts_name", table_name="accounts")

    with op.batch_alter_table("task_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_comments_task_id"))

    op.drop_table("task_comments")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
