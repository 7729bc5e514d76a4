"""playbooks, outbox, sequences, incidents, tag history, expansion scores

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-03 19:39:21.655190
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "email_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_events")),
    )
    with op.batch_alter_table("email_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_email_events_address"), ["address"], unique=False
        )

    op.create_table(
        "account_tag_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=100), nullable=False),
        sa.Column("change", sa.String(length=10), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_tag_changes_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_tag_changes")),
    )
    with op.batch_alter_table("account_tag_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_tag_changes_account_id"),
            ["account_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_account_tag_changes_changed_on"),
            ["changed_on"],
            unique=False,
        )

    op.create_table(
        "expansion_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_expansion_scores_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expansion_scores")),
        sa.UniqueConstraint(
            "account_id", "as_of", name=op.f("uq_expansion_scores_account_id")
        ),
    )
    with op.batch_alter_table("expansion_scores", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_expansion_scores_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_expansion_scores_as_of"), ["as_of"], unique=False
        )

    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_incidents_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("external_id", name=op.f("uq_incidents_external_id")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incidents_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_incidents_occurred_on"), ["occurred_on"], unique=False
        )

    op.create_table(
        "playbook_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("playbook", sa.String(length=100), nullable=False),
        sa.Column("occurrence_key", sa.String(length=300), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("trigger", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_playbook_runs_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_runs")),
        sa.UniqueConstraint(
            "occurrence_key", name=op.f("uq_playbook_runs_occurrence_key")
        ),
    )
    with op.batch_alter_table("playbook_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_playbook_runs_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_playbook_runs_as_of"), ["as_of"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_playbook_runs_playbook"), ["playbook"], unique=False
        )

    op.create_table(
        "sequence_enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurrence_key", sa.String(length=300), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("next_step", sa.Integer(), nullable=False),
        sa.Column("next_due_on", sa.Date(), nullable=True),
        sa.Column("stopped_on", sa.Date(), nullable=True),
        sa.Column("stop_reason", sa.String(length=200), nullable=True),
        sa.Column("enrolled_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sequence_enrolments_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sequence_enrolments")),
        sa.UniqueConstraint(
            "occurrence_key", name=op.f("uq_sequence_enrolments_occurrence_key")
        ),
    )
    with op.batch_alter_table("sequence_enrolments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sequence_enrolments_account_id"),
            ["account_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_sequence_enrolments_sequence"), ["sequence"], unique=False
        )

    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=300), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("target", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("playbook_run_id", sa.Integer(), nullable=True),
        sa.Column("enrolment_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim_token", sa.String(length=40), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_outbox_messages_account_id_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["sequence_enrolments.id"],
            name=op.f("fk_outbox_messages_enrolment_id_sequence_enrolments"),
        ),
        sa.ForeignKeyConstraint(
            ["playbook_run_id"],
            ["playbook_runs.id"],
            name=op.f("fk_outbox_messages_playbook_run_id_playbook_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint(
            "idempotency_key", name=op.f("uq_outbox_messages_idempotency_key")
        ),
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_enrolment_id"),
            ["enrolment_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_next_attempt_at"),
            ["next_attempt_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_playbook_run_id"),
            ["playbook_run_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_status"), ["status"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_messages_status"))
        batch_op.drop_index(batch_op.f("ix_outbox_messages_playbook_run_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_messages_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_outbox_messages_enrolment_id"))
        batch_op.drop_index(batch_op.f("ix_outbox_messages_account_id"))

    op.drop_table("outbox_messages")
    with op.batch_alter_table("sequence_enrolments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sequence_enrolments_sequence"))
        batch_op.drop_index(batch_op.f("ix_sequence_enrolments_account_id"))

    op.drop_table("sequence_enrolments")
    with op.batch_alter_table("playbook_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_playbook_runs_playbook"))
        batch_op.drop_index(batch_op.f("ix_playbook_runs_as_of"))
        batch_op.drop_index(batch_op.f("ix_playbook_runs_account_id"))

    op.drop_table("playbook_runs")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incidents_occurred_on"))
        batch_op.drop_index(batch_op.f("ix_incidents_account_id"))

    op.drop_table("incidents")
    with op.batch_alter_table("expansion_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expansion_scores_as_of"))
        batch_op.drop_index(batch_op.f("ix_expansion_scores_account_id"))

    op.drop_table("expansion_scores")
    with op.batch_alter_table("account_tag_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_tag_changes_changed_on"))
        batch_op.drop_index(batch_op.f("ix_account_tag_changes_account_id"))

    op.drop_table("account_tag_changes")

    with op.batch_alter_table("email_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_events_address"))

    op.drop_table("email_events")
