"""scores kept day by day; explanations as a few Parquet blocks per day

Revision ID: 0008
Revises: 0002, 0003
Create Date: 2026-12-04 17:10:00

``health_scores`` is keyed by (as_of, account_id) and takes the day's
expansion readiness as a column; ``expansion_scores`` goes. The factor
contributions, metric values and expansion parts, kept before as three JSON
documents per account and day, move to ``score_details``: one Parquet file per
day and block of accounts (``steward.scoring.details``). Every stored day is
carried over. An expansion score stored on a day with no health score (by
``steward playbook run`` alone) is not: nothing read it once a later day was
stored.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from steward.scoring.details import blocks, columns_from_documents

revision = "0008"
down_revision = ("0002", "0003")
branch_labels = None
depends_on = None

SCORE_COLUMNS = (
    "as_of",
    "account_id",
    "status",
    "score",
    "band",
    "churn_probability",
    "scorecard",
    "scorecard_version",
)


def upgrade() -> None:
    _create_scores("health_scores_new")
    op.create_table(
        "score_details",
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("block", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("as_of", "block", name=op.f("pk_score_details")),
        sqlite_with_rowid=False,
    )
    connection = op.get_bind()
    names = ", ".join(SCORE_COLUMNS)
    picked = ", ".join(f"h.{name}" for name in SCORE_COLUMNS)
    connection.execute(
        sa.text(
            f"INSERT INTO health_scores_new ({names}, expansion) "
            f"SELECT {picked}, e.score FROM health_scores h "
            "LEFT JOIN expansion_scores e "
            "ON e.account_id = h.account_id AND e.as_of = h.as_of"
        )
    )
    _carry_details(connection)

    op.drop_table("expansion_scores")
    op.drop_table("health_scores")
    op.rename_table("health_scores_new", "health_scores")
    if connection.dialect.name == "postgresql":
        for old, new in (
            ("pk_health_scores_new", "pk_health_scores"),
            (
                "fk_health_scores_new_account_id_accounts",
                "fk_health_scores_account_id_accounts",
            ),
        ):
            op.execute(f"ALTER TABLE health_scores RENAME CONSTRAINT {old} TO {new}")
    op.create_index(
        "ix_health_scores_as_of_score",
        "health_scores",
        ["as_of", "score", "band", "account_id"],
        unique=False,
    )


def _create_scores(name: str) -> None:
    op.create_table(
        name,
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("band", sa.String(length=20), nullable=False),
        sa.Column("churn_probability", sa.Float(), nullable=True),
        sa.Column("scorecard", sa.String(length=100), nullable=False),
        sa.Column("scorecard_version", sa.Integer(), nullable=False),
        sa.Column("expansion", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f(f"fk_{name}_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("as_of", "account_id", name=op.f(f"pk_{name}")),
        sqlite_with_rowid=False,
    )


def _carry_details(connection: sa.Connection) -> None:
    """Each stored day's JSON explanations written as that day's blocks."""
    days = connection.execute(
        sa.text("SELECT DISTINCT as_of FROM health_scores ORDER BY as_of")
    ).scalars()
    insert = sa.text(
        "INSERT INTO score_details (as_of, block, data) VALUES (:as_of, :block, :data)"
    )
    for day in list(days):
        rows = connection.execute(
            sa.text(
                "SELECT h.account_id, h.contributions, h.metrics, e.parts "
                "FROM health_scores h LEFT JOIN expansion_scores e "
                "ON e.account_id = h.account_id AND e.as_of = h.as_of "
                "WHERE h.as_of = :day ORDER BY h.account_id"
            ),
            {"day": day},
        ).all()
        ids = [row[0] for row in rows]
        columns = columns_from_documents(
            [_document(row[1]) for row in rows],
            [_document(row[2]) for row in rows],
            [_document(row[3]) for row in rows],
        )
        for block, data in blocks(ids, columns):
            connection.execute(insert, {"as_of": day, "block": block, "data": data})


def _document(value: object) -> dict:
    """A JSON column as the driver gives it: text on SQLite, a dict on PostgreSQL."""
    if value is None:
        return {}
    if isinstance(value, str | bytes):
        return json.loads(value)
    return dict(value)  # type: ignore[call-overload]


def downgrade() -> None:
    raise NotImplementedError(
        "revision 0008 keeps no JSON explanations to go back to; restore a backup "
        "taken before upgrading"
    )
