"""The simulator's own database: the platform's retirees, its change records (the GetChanges feed), the business
records it received (PushBusinessRecord) and the exchange database's ``exchange.person_change``. Created with
``metadata.create_all`` at start: a simulator has no migrations."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Identity,
    Index,
    MetaData,
    Numeric,
    Sequence,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

EXCHANGE_SCHEMA = "exchange"

metadata = MetaData()

# The platform's current view of each retiree: base info, payment status (aae116) and person status code.
platform_retiree = Table(
    "platform_retiree",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("aac001", String(20), nullable=False, unique=True),
    Column("aac002", String(18), nullable=False, unique=True),
    Column("aac003", String(50), nullable=False),
    Column("aac004", String(1), nullable=False),
    Column("aac006", Date, nullable=False),
    Column("aic162", Date, nullable=False),
    Column("aic161", String(10), nullable=False),
    Column("aab034", String(20), nullable=False),
    Column("aab001", String(20), nullable=False),
    Column("aae116", String(2), nullable=False),
    Column("aic166", Numeric(12, 2), nullable=False),
    Column("aae006", String(200)),
    Column("aae005", String(30)),
    Column("aic160", Date),
    # Person status: 1 in the registry, 2 deceased, 3 transferred out.
    Column("status_code", String(2), nullable=False, server_default="1"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# The GetChanges feed: seq is the cursor order (inserted under an advisory lock, so commit order = seq order).
change_record = Table(
    "change_record",
    metadata,
    Column("seq", BigInteger, Identity(), primary_key=True),
    Column("record_id", String(40), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("aac001", String(20)),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("payload", JSONB, nullable=False),
    Index("ix_change_record_kind_seq", "kind", "seq"),
)

# What the hub pushed (outbound 6.22), in arrival order (id).
business_record = Table(
    "business_record",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("receipt_no", String(40), nullable=False, unique=True),
    Column("aac001", String(20), nullable=False, index=True),
    Column("business_type", String(20), nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# The organisation managing each person, as the platform knows it: set by an ORG_CHANGE business record (4.8).
platform_org = Table(
    "platform_org",
    metadata,
    Column("aac001", String(20), primary_key=True),
    Column("org_code", String(20), nullable=False),
    Column("idempotency_key", String(64), nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Numbers the simulator's own new retirees (personal number and ID number both derive from it).
retiree_number = Sequence("retiree_number_seq", metadata=metadata)

person_change_row_id = Sequence("person_change_row_id_seq", schema=EXCHANGE_SCHEMA, metadata=metadata)

# The exchange database (2.3), exactly as in the contract; row_id values come from person_change_row_id_seq.
person_change = Table(
    "person_change",
    metadata,
    Column("row_id", BigInteger, primary_key=True, autoincrement=False),
    Column("aac001", String(20), nullable=False),
    Column("change_kind", String(20), nullable=False),
    Column("old_value", Text),
    Column("new_value", Text),
    Column("effective_date", Date, nullable=False),
    Column("remarks", Text),
    Column("synced_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    schema=EXCHANGE_SCHEMA,
)

RETIREE_FIELDS = (
    "aac001",
    "aac002",
    "aac003",
    "aac004",
    "aac006",
    "aic162",
    "aic161",
    "aab034",
    "aab001",
    "aae116",
    "aic166",
    "aae006",
    "aae005",
    "aic160",
)
