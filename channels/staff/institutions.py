"""1.1 机构管理 and 6.18 机构查询: the institutions under one's own."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from channels.deps import BodyId, PathId, Session, StaffActor
from channels.staff.views import InstitutionView
from domain.institutions import service as institutions
from domain.institutions.models import Level
from domain.staff.permissions import Permission, require_any

router = APIRouter(prefix="/api/v1/institutions", tags=["机构管理 1.1"])
# Business roles browse the tree; the system and security administrators need it to manage accounts; the auditor not.
_BROWSE = (Permission.READ_REGISTRY, Permission.MANAGE_INSTITUTIONS, Permission.MANAGE_ACCOUNTS, Permission.GRANT_ROLES)


class InstitutionCreate(BaseModel):
    parent_id: BodyId
    code: str = Field(pattern=r"^[0-9A-Za-z]{2,20}$")
    name: str = Field(min_length=2, max_length=60)


class InstitutionUpdate(BaseModel):
    name: str = Field(min_length=2, max_length=60)
    active: bool | None = None


@router.get("", response_model=list[InstitutionView])
async def list_institutions(
    session: Session, actor: StaffActor, level: Level | None = Query(default=None, description="只列出该层级")
) -> list[InstitutionView]:
    require_any(actor, *_BROWSE)
    return [InstitutionView.of(i) for i in await institutions.subtree(session, actor.institution_path, level=level)]


@router.get("/{institution_id}", response_model=InstitutionView)
async def get_institution(institution_id: PathId, session: Session, actor: StaffActor) -> InstitutionView:
    require_any(actor, *_BROWSE)
    return InstitutionView.of(await institutions.visible(session, actor, institution_id))


@router.post("", response_model=InstitutionView, status_code=201)
async def create_institution(body: InstitutionCreate, session: Session, actor: StaffActor) -> InstitutionView:
    created = await institutions.create(session, actor, parent_id=body.parent_id, code=body.code, name=body.name)
    return InstitutionView.of(created)


@router.put("/{institution_id}", response_model=InstitutionView)
async def update_institution(
    institution_id: PathId, body: InstitutionUpdate, session: Session, actor: StaffActor
) -> InstitutionView:
    return InstitutionView.of(
        await institutions.rename(session, actor, institution_id, name=body.name, active=body.active)
    )


@router.delete("/{institution_id}", status_code=204)
async def delete_institution(institution_id: PathId, session: Session, actor: StaffActor) -> None:
    await institutions.delete(session, actor, institution_id)
