"""coverage: CSM effort logged per account

Revision ID: 0005
Revises: 0001
Create Date: 2026-12-04 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "csm_efforts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("worked_on", sa.Date(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("activity", sa.String(length=40), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_csm_efforts_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_csm_efforts_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csm_efforts")),
        sa.UniqueConstraint("external_id", name=op.f("uq_csm_efforts_external_id")),
    )
    with op.batch_alter_table("csm_efforts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_csm_efforts_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_csm_efforts_user_id"), ["user_id"], unique=False
        )
        batch_op.create_index("ix_csm_efforts_worked_on", ["worked_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("csm_efforts", schema=None) as batch_op:
        batch_op.drop_index("ix_csm_efforts_worked_on")
        batch_op.drop_index(batch_op.f("ix_csm_efforts_user_id"))
        batch_op.drop_index(batch_op.f("ix_csm_efforts_account_id"))

    op.drop_table("csm_efforts")
