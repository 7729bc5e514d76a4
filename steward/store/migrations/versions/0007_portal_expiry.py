"""portal links expire, and every visit with one is logged

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-04 11:40:00

Links made before this revision expire 90 days after they were made, the
default for new links: a link older than that stops working on upgrade.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0004"
branch_labels = None
depends_on = None

DEFAULT_DAYS = 90


def upgrade() -> None:
    with op.batch_alter_table("kb_portal_links", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True)
        )
    links = sa.table(
        "kb_portal_links",
        sa.column("id", sa.Integer()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("expires_at", sa.DateTime(timezone=True)),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(links.c.id, links.c.created_at)).all()
    for link_id, created_at in rows:
        if isinstance(created_at, str):  # SQLite hands back text
            created_at = dt.datetime.fromisoformat(created_at)
        connection.execute(
            links.update()
            .where(links.c.id == link_id)
            .values(expires_at=created_at + dt.timedelta(days=DEFAULT_DAYS))
        )
    with op.batch_alter_table("kb_portal_links", schema=None) as batch_op:
        batch_op.alter_column(
            "expires_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )

    op.create_table(
        "kb_portal_link_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("client", sa.String(length=300), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["kb_portal_links.id"],
            name=op.f("fk_kb_portal_link_uses_link_id_kb_portal_links"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_portal_link_uses")),
    )
    with op.batch_alter_table("kb_portal_link_uses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_kb_portal_link_uses_link_id"), ["link_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("kb_portal_link_uses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_portal_link_uses_link_id"))
    op.drop_table("kb_portal_link_uses")
    with op.batch_alter_table("kb_portal_links", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("expires_at")
