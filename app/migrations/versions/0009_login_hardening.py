"""Login hardening (issue 13): lock-out and login notice columns, password age and forced change, token revocation
(``tokens_valid_after`` and the revoked-token table), and the password history.

Existing accounts get ``password_changed_at = now()`` (their 90 days start at the upgrade, not at once) and
``must_change_password = false``.

Revision ID: 0009_login_hardening
Revises: 0008_audit_chain_head
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_login_hardening"
down_revision = "0008_audit_chain_head"
branch_labels = None
depends_on = None

_STAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("staff_account", sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
    op.add_column("staff_account", sa.Column("first_failed_login_at", _STAMP, nullable=True))
    op.add_column("staff_account", sa.Column("locked_until", _STAMP, nullable=True))
    op.add_column("staff_account", sa.Column("failures_since_login", sa.Integer(), server_default="0", nullable=False))
    op.add_column(
        "staff_account", sa.Column("locked_since_login", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column(
        "staff_account", sa.Column("password_changed_at", _STAMP, server_default=sa.func.now(), nullable=False)
    )
    op.add_column(
        "staff_account", sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column("staff_account", sa.Column("tokens_valid_after", _STAMP, nullable=True))
    op.create_table(
        "staff_password_history",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("created_at", _STAMP, server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["staff_account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_staff_password_history_account_id"), "staff_password_history", ["account_id"], unique=False
    )
    op.create_table(
        "staff_revoked_token",
        sa.Column("jti", sa.Text(), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("expires_at", _STAMP, nullable=False),
        sa.Column("revoked_at", _STAMP, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("jti"),
    )
    op.create_index(op.f("ix_staff_revoked_token_expires_at"), "staff_revoked_token", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_staff_revoked_token_expires_at"), table_name="staff_revoked_token")
    op.drop_table("staff_revoked_token")
    op.drop_index(op.f("ix_staff_password_history_account_id"), table_name="staff_password_history")
    op.drop_table("staff_password_history")
    for column in (
        "tokens_valid_after",
        "must_change_password",
        "password_changed_at",
        "locked_since_login",
        "failures_since_login",
        "locked_until",
        "first_failed_login_at",
        "failed_logins",
    ):
        op.drop_column("staff_account", column)
