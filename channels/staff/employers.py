"""6.1: staff mark an employer as the talent service centre (人才服务中心), whose retirees are the talent retirees."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from channels.deps import Session, StaffActor
from domain.employers import talent

router = APIRouter(prefix="/api/v1", tags=["单位 6.1"])

EmployerCode = Annotated[str, Path(min_length=1, max_length=30, description="单位编号")]


class TalentCentreBody(BaseModel):
    talent_centre: bool = Field(description="是否为人才服务中心（保管人员档案，其退休人员为人才退休人员）")


class TalentCentreView(BaseModel):
    code: str
    name: str
    talent_centre: bool


@router.put("/employers/{code}/talent-centre", response_model=TalentCentreView)
async def set_talent_centre(
    code: EmployerCode, body: TalentCentreBody, session: Session, actor: StaffActor
) -> TalentCentreView:
    """标记（或取消）单位为人才服务中心；重复提交同一值不产生变化。"""
    employer = await talent.mark_talent_centre(session, actor, code, talent_centre=body.talent_centre)
    return TalentCentreView(code=employer.code, name=employer.name, talent_centre=employer.talent_centre)
