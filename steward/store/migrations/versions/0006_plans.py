"""success plans, plan versions, customer links, business reviews

Revision ID: 0006
Revises: 0001
Create Date: 2026-12-03 20:08:38.109479
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "business_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("variant", sa.String(length=20), nullable=False),
        sa.Column("plan_versions", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_business_reviews_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_reviews")),
        sa.UniqueConstraint(
            "account_id", "held_on", name=op.f("uq_business_reviews_account_id")
        ),
    )
    with op.batch_alter_table("business_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_business_reviews_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "success_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("kickoff_on", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_success_plans_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_success_plans")),
    )
    with op.batch_alter_table("success_plans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_success_plans_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "plan_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["success_plans.id"],
            name=op.f("fk_plan_links_plan_id_success_plans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_plan_links_token_hash")),
    )
    with op.batch_alter_table("plan_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_links_plan_id"), ["plan_id"], unique=False
        )

    op.create_table(
        "success_plan_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["success_plans.id"],
            name=op.f("fk_success_plan_versions_plan_id_success_plans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_success_plan_versions")),
        sa.UniqueConstraint(
            "plan_id", "version", name=op.f("uq_success_plan_versions_plan_id")
        ),
    )
    with op.batch_alter_table("success_plan_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_success_plan_versions_changed_at"),
            ["changed_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_success_plan_versions_plan_id"), ["plan_id"], unique=False
        )

    op.create_table(
        "plan_link_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("client", sa.String(length=300), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["plan_links.id"],
            name=op.f("fk_plan_link_uses_link_id_plan_links"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_link_uses")),
    )
    with op.batch_alter_table("plan_link_uses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_link_uses_link_id"), ["link_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("plan_link_uses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_link_uses_link_id"))

    op.drop_table("plan_link_uses")
    with op.batch_alter_table("success_plan_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_success_plan_versions_plan_id"))
        batch_op.drop_index(batch_op.f("ix_success_plan_versions_changed_at"))

    op.drop_table("success_plan_versions")
    with op.batch_alter_table("plan_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_links_plan_id"))

    op.drop_table("plan_links")
    with op.batch_alter_table("success_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_success_plans_account_id"))

    op.drop_table("success_plans")
    with op.batch_alter_table("business_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_business_reviews_account_id"))

    op.drop_table("business_reviews")
