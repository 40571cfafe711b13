"""Hub core: transactional outbox (with its NOTIFY trigger), processed-event ledger, parked events.

Revision ID: 0001_hub_core
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001_hub_core"
down_revision = None
branch_labels = None
depends_on = None

_ACTIVE = "status IN ('waiting', 'retrying', 'dead', 'replay')"


def upgrade() -> None:
    op.create_table(
        "hub_outbox",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.Text(), nullable=False, unique=True),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("headers", postgresql.JSONB(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_hub_outbox_unsent", "hub_outbox", ["id"], postgresql_where=sa.text("sent_at IS NULL"))
    op.create_index("ix_hub_outbox_sent_at", "hub_outbox", ["sent_at"], postgresql_where=sa.text("sent_at IS NOT NULL"))
    # One NOTIFY per inserting statement wakes the relay; the payload is empty because the relay reads the table.
    op.execute(
        """
        CREATE FUNCTION hub_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('hub_outbox', '');
            RETURN NULL;
        END $$;
        CREATE TRIGGER hub_outbox_inserted AFTER INSERT ON hub_outbox
            FOR EACH STATEMENT EXECUTE FUNCTION hub_outbox_notify();
        """
    )

    op.create_table(
        "hub_processed_event",
        sa.Column("consumer_group", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("consumer_group", "event_id"),
    )
    op.create_index("ix_hub_processed_event_processed_at", "hub_processed_event", ["processed_at"])

    op.create_table(
        "hub_parked_event",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("consumer_group", sa.Text(), nullable=False),
        sa.Column("event_key", sa.Text(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=True),
        sa.Column("event_type", sa.Text(), nullable=True),
        sa.Column("headers", postgresql.JSONB(), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("error_type", sa.Text(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("first_failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dead_lettered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("parked_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "status IN ('waiting', 'retrying', 'dead', 'replay', 'resolved', 'discarded')",
            name="ck_hub_parked_event_status",
        ),
    )
    op.create_index(
        "ix_hub_parked_event_active_key",
        "hub_parked_event",
        ["consumer_group", "event_key", "id"],
        postgresql_where=sa.text(_ACTIVE),
    )
    op.create_index("ix_hub_parked_event_status", "hub_parked_event", ["consumer_group", "status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("hub_parked_event")
    op.drop_table("hub_processed_event")
    op.execute("DROP TRIGGER IF EXISTS hub_outbox_inserted ON hub_outbox; DROP FUNCTION IF EXISTS hub_outbox_notify()")
    op.drop_table("hub_outbox")
