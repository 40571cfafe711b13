"""The audit chain's head in one round trip: a function that takes the chain lock, reads the last hash and draws
the new entries' ids (domain/audit/trail.py), where there were three statements for every entry written.

Revision ID: 0008_audit_chain_head
Revises: 0007_provincial
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0008_audit_chain_head"
down_revision = "0007_provincial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION audit_chain_head(lock_key bigint, entries integer, OUT prev_hash bytea, OUT ids bigint[])
        LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            -- The transaction-scoped lock first: the hash read after it is the chain's true head until commit.
            PERFORM pg_advisory_xact_lock(lock_key);
            SELECT hash INTO prev_hash FROM audit_entry ORDER BY id DESC LIMIT 1;
            SELECT array_agg(nextval('audit_entry_id_seq') ORDER BY n) INTO ids FROM generate_series(1, entries) AS n;
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION audit_chain_head(bigint, integer)")
