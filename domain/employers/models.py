"""An employer as the provincial platform describes it (aab001 …)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from domain.shared import columns


class Employer(SQLModel, table=True):
    __tablename__ = "employer"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, primary_key=True, autoincrement=True))
    code: str = columns.text(nullable=False, unique=True)
    name: str = columns.text(nullable=False)
    credit_code: str | None = columns.text()
    insuring_agency_code: str = columns.text(nullable=False, index=True)
    address: str | None = columns.text()
    contact_person: str | None = columns.text()
    contact_phone: str | None = columns.text()
    status: str = columns.text(nullable=False, default="active")  # active | closed
    created_at: datetime | None = columns.created_at()
    updated_at: datetime | None = columns.timestamp()
