"""Registry: institutions, staff, dictionary, employers, retirees, registration applications, supplementary info,
the status-change log (6.22) and the hash-chained audit trail, both append-only.

Revision ID: 0002_registry
Revises: 0001_hub_core
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_registry"
down_revision = "0001_hub_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("actor_role", sa.Text(), nullable=True),
        sa.Column("institution_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("retiree_id", sa.BigInteger(), nullable=True),
        sa.Column("target", sa.Text(), nullable=True),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("retiree_ids", postgresql.ARRAY(sa.BigInteger()), nullable=True),
        sa.Column("source_ip", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.LargeBinary(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_entry_actor_at", "audit_entry", ["actor", "at"], unique=False)
    op.create_index(
        "ix_audit_entry_retiree_ids",
        "audit_entry",
        ["retiree_ids"],
        unique=False,
        postgresql_using="gin",
        postgresql_where=sa.text("retiree_ids IS NOT NULL"),
    )
    op.create_index(
        "ix_audit_entry_retiree",
        "audit_entry",
        ["retiree_id"],
        unique=False,
        postgresql_where=sa.text("retiree_id IS NOT NULL"),
    )
    op.create_table(
        "channel_client",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id"),
    )
    op.create_table(
        "dictionary_code",
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("builtin", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("category", "code"),
    )
    op.create_table(
        "dictionary_parameter",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "employer",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("credit_code", sa.Text(), nullable=True),
        sa.Column("insuring_agency_code", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("contact_person", sa.Text(), nullable=True),
        sa.Column("contact_phone", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="active", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index(op.f("ix_employer_insuring_agency_code"), "employer", ["insuring_agency_code"], unique=False)
    op.create_table(
        "institution",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["institution.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index(op.f("ix_institution_parent_id"), "institution", ["parent_id"], unique=False)
    op.create_index(
        "ix_institution_path", "institution", ["path"], unique=False, postgresql_ops={"path": "text_pattern_ops"}
    )
    op.create_table(
        "retiree",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("personal_number", sa.Text(), nullable=False),
        sa.Column("id_number", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("sex", sa.Text(), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("retirement_date", sa.Date(), nullable=True),
        sa.Column("retirement_category", sa.Text(), nullable=True),
        sa.Column("approval_date", sa.Date(), nullable=True),
        sa.Column("insuring_agency_code", sa.Text(), nullable=False),
        sa.Column("employer_code", sa.Text(), nullable=True),
        sa.Column("payment_status", sa.Text(), server_default="1", nullable=False),
        sa.Column("monthly_pension", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("management_form", sa.Text(), server_default="1", nullable=False),
        sa.Column("residence_address", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("institution_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.Text(), server_default="approved", nullable=False),
        sa.Column("suspension_reason", sa.Text(), nullable=True),
        sa.Column("resume_to", sa.Text(), nullable=True),
        sa.Column("status_since", sa.Date(), nullable=True),
        sa.Column("registered_on", sa.Date(), nullable=True),
        sa.Column("death_date", sa.Date(), nullable=True),
        sa.Column("last_certified_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("id_number"),
        sa.UniqueConstraint("personal_number"),
    )
    op.create_index("ix_retiree_employer_code", "retiree", ["employer_code"], unique=False)
    op.create_index("ix_retiree_institution_status", "retiree", ["institution_id", "status"], unique=False)
    op.create_index(op.f("ix_retiree_insuring_agency_code"), "retiree", ["insuring_agency_code"], unique=False)
    op.create_index("ix_retiree_status", "retiree", ["status"], unique=False)
    op.create_table(
        "staff_account",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("full_name", sa.Text(), nullable=False),
        sa.Column("id_number", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("institution_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.Text(), nullable=True),
        sa.Column("query_scope_institution_id", sa.BigInteger(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
        ),
        sa.ForeignKeyConstraint(
            ["query_scope_institution_id"],
            ["institution.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_index(op.f("ix_staff_account_institution_id"), "staff_account", ["institution_id"], unique=False)
    op.create_index(
        "ux_staff_account_admin_person",
        "staff_account",
        ["id_number"],
        unique=True,
        postgresql_where=sa.text("role IN ('system_admin', 'security_admin', 'auditor') AND active"),
    )
    op.create_table(
        "registration_application",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("retiree_id", sa.BigInteger(), nullable=False),
        sa.Column("community_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_client", sa.Text(), nullable=False),
        sa.Column("contact_phone", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), server_default="pending", nullable=False),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["institution.id"],
        ),
        sa.ForeignKeyConstraint(
            ["retiree_id"],
            ["retiree.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_registration_application_community_state",
        "registration_application",
        ["community_id", "state"],
        unique=False,
    )
    op.create_index(
        "ux_registration_application_pending",
        "registration_application",
        ["retiree_id"],
        unique=True,
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_table(
        "retiree_supplementary_info",
        sa.Column("retiree_id", sa.BigInteger(), nullable=False),
        sa.Column("household_address", sa.Text(), nullable=True),
        sa.Column("marital_status", sa.Text(), nullable=True),
        sa.Column("health_status", sa.Text(), nullable=True),
        sa.Column("living_arrangement", sa.Text(), nullable=True),
        sa.Column("emergency_contact_name", sa.Text(), nullable=True),
        sa.Column("emergency_contact_phone", sa.Text(), nullable=True),
        sa.Column("special_categories", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("remarks", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["retiree_id"], ["retiree.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("retiree_id"),
    )
    op.create_index(
        "ix_supplementary_special_categories",
        "retiree_supplementary_info",
        ["special_categories"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_table(
        "status_change",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("retiree_id", sa.BigInteger(), nullable=False),
        sa.Column("personal_number", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("reason_code", sa.Text(), nullable=False),
        sa.Column("from_status", sa.Text(), nullable=False),
        sa.Column("to_status", sa.Text(), nullable=False),
        sa.Column("before_state", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("after_state", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("institution_id", sa.BigInteger(), nullable=True),
        sa.Column("cause_type", sa.Text(), nullable=False),
        sa.Column("cause_ref", sa.Text(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=True),
        sa.Column("remarks", sa.Text(), nullable=True),
        sa.Column("reverses_id", sa.BigInteger(), nullable=True),
        sa.Column("event_id", sa.Text(), nullable=True),
        sa.Column("sync_state", sa.Text(), server_default="pending", nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sync_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institution.id"],
        ),
        sa.ForeignKeyConstraint(
            ["retiree_id"],
            ["retiree.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["status_change.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_status_change_entered_at", "status_change", ["entered_at"], unique=False)
    op.create_index(
        "ix_status_change_retiree_effective", "status_change", ["retiree_id", "effective_date", "id"], unique=False
    )
    op.create_index(
        "ix_status_change_unacknowledged",
        "status_change",
        ["sync_state"],
        unique=False,
        postgresql_where=sa.text("sync_state IN ('pending', 'sent', 'failed')"),
    )
    op.create_index(
        "ux_status_change_reverses",
        "status_change",
        ["reverses_id"],
        unique=True,
        postgresql_where=sa.text("reverses_id IS NOT NULL"),
    )
    # Append-only, enforced by the database itself: the audit trail never changes, and a status-change entry only
    # moves forward its delivery to the province; a mistake is undone by a new entry (error restoration).
    op.execute(
        """
        CREATE FUNCTION registry_refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_entry is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
        END $$;
        CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry
            FOR EACH ROW EXECUTE FUNCTION registry_refuse_audit_change();

        CREATE FUNCTION registry_guard_status_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'status_change is append-only (DELETE refused)'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF (NEW.retiree_id, NEW.personal_number, NEW.kind, NEW.reason_code, NEW.from_status, NEW.to_status,
                NEW.before_state, NEW.after_state, NEW.effective_date, NEW.entered_at, NEW.institution_id,
                NEW.cause_type, NEW.cause_ref, NEW.actor, NEW.remarks, NEW.reverses_id)
               IS DISTINCT FROM
               (OLD.retiree_id, OLD.personal_number, OLD.kind, OLD.reason_code, OLD.from_status, OLD.to_status,
                OLD.before_state, OLD.after_state, OLD.effective_date, OLD.entered_at, OLD.institution_id,
                OLD.cause_type, OLD.cause_ref, OLD.actor, OLD.remarks, OLD.reverses_id) THEN
                RAISE EXCEPTION 'status_change entries are never edited; record an error restoration instead'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER status_change_append_only BEFORE UPDATE OR DELETE ON status_change
            FOR EACH ROW EXECUTE FUNCTION registry_guard_status_change();
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER status_change_append_only ON status_change")
    op.execute("DROP FUNCTION registry_guard_status_change()")
    op.execute("DROP TRIGGER audit_entry_append_only ON audit_entry")
    op.execute("DROP FUNCTION registry_refuse_audit_change()")
    op.drop_index(
        "ux_status_change_reverses", table_name="status_change", postgresql_where=sa.text("reverses_id IS NOT NULL")
    )
    op.drop_index(
        "ix_status_change_unacknowledged",
        table_name="status_change",
        postgresql_where=sa.text("sync_state IN ('pending', 'sent', 'failed')"),
    )
    op.drop_index("ix_status_change_retiree_effective", table_name="status_change")
    op.drop_index("ix_status_change_entered_at", table_name="status_change")
    op.drop_table("status_change")
    op.drop_index(
        "ix_supplementary_special_categories", table_name="retiree_supplementary_info", postgresql_using="gin"
    )
    op.drop_table("retiree_supplementary_info")
    op.drop_index(
        "ux_registration_application_pending",
        table_name="registration_application",
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.drop_index("ix_registration_application_community_state", table_name="registration_application")
    op.drop_table("registration_application")
    op.drop_index(
        "ux_staff_account_admin_person",
        table_name="staff_account",
        postgresql_where=sa.text("role IN ('system_admin', 'security_admin', 'auditor') AND active"),
    )
    op.drop_index(op.f("ix_staff_account_institution_id"), table_name="staff_account")
    op.drop_table("staff_account")
    op.drop_index("ix_retiree_status", table_name="retiree")
    op.drop_index(op.f("ix_retiree_insuring_agency_code"), table_name="retiree")
    op.drop_index("ix_retiree_institution_status", table_name="retiree")
    op.drop_index("ix_retiree_employer_code", table_name="retiree")
    op.drop_table("retiree")
    op.drop_index("ix_institution_path", table_name="institution", postgresql_ops={"path": "text_pattern_ops"})
    op.drop_index(op.f("ix_institution_parent_id"), table_name="institution")
    op.drop_table("institution")
    op.drop_index(op.f("ix_employer_insuring_agency_code"), table_name="employer")
    op.drop_table("employer")
    op.drop_table("dictionary_parameter")
    op.drop_table("dictionary_code")
    op.drop_table("channel_client")
    op.drop_index(
        "ix_audit_entry_retiree", table_name="audit_entry", postgresql_where=sa.text("retiree_id IS NOT NULL")
    )
    op.drop_index("ix_audit_entry_actor_at", table_name="audit_entry")
    op.drop_table("audit_entry")
