"""What the hub keeps about its reading of the provincial platform: where each inbound feed stands, and the
exchange-database rows read above the watermark (the de-duplication of rows that commit out of order)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel

from domain.shared import columns

SOAP_FEED = "soap-changes"
EXCHANGE_FEED = "exchange-person-change"


class FeedPosition(SQLModel, table=True):
    """One row per inbound feed. ``position`` is the SOAP feed's opaque cursor, or the exchange feed's watermark
    (every row at or below it has been published); ``high_mark`` is the highest exchange row read so far. Written
    only after Kafka has acknowledged the events of what was read."""

    __tablename__ = "provincial_feed_position"

    feed: str = Field(sa_column=Column(Text, primary_key=True))
    position: str = columns.text(nullable=False, default="")
    high_mark: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    records_read: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    updated_at: datetime | None = columns.timestamp()


class ExchangeRowSeen(SQLModel, table=True):
    """An exchange row above the watermark already published; forgotten once the watermark passes it."""

    __tablename__ = "provincial_exchange_row_seen"

    row_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    first_seen_at: datetime | None = columns.created_at()
