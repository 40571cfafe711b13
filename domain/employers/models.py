"""An employer as the provincial platform describes it (aab001 …)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Column, text
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
    # The talent service centre (人才服务中心): it keeps its people's archives, so its retirees are the "talent
    # retirees" of 6.1. Set by staff (PUT /api/v1/employers/{code}/talent-centre); the province's sync leaves it.
    talent_centre: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=text("false")))
    created_at: datetime | None = columns.created_at()
    updated_at: datetime | None = columns.timestamp()
