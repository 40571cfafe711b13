"""1.2 人员管理 and 6.19 人员查询: accounts (system administrator), roles and unlocking (security administrator).

An account created here, or whose password is reset here, must change its password at its next login (issue 13).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from channels.deps import BodyId, PathId, Session, StaffActor, hub_of
from channels.security import hash_password, login_policy, verify_password
from channels.staff.views import StaffView
from domain.institutions import service as institutions
from domain.retirees.idnumber import IdNumber
from domain.staff import service as staff
from domain.staff.permissions import Role

router = APIRouter(prefix="/api/v1/staff", tags=["工作人员与角色 1.2"])


class AccountCreate(BaseModel):
    username: str = Field(pattern=r"^[A-Za-z0-9_.-]{3,32}$")
    full_name: str = Field(min_length=2, max_length=20)
    institution_id: BodyId
    password: str = Field(min_length=1, max_length=128)
    id_number: str | None = Field(default=None, pattern=r"^[0-9]{17}[0-9Xx]$")
    phone: str | None = Field(default=None, pattern=r"^[0-9+\-]{5,20}$")


class AccountUpdate(BaseModel):
    full_name: str | None = Field(default=None, min_length=2, max_length=20)
    phone: str | None = Field(default=None, pattern=r"^[0-9+\-]{5,20}$")
    active: bool | None = None


class PasswordReset(BaseModel):
    password: str = Field(min_length=1, max_length=128)


class RoleGrant(BaseModel):
    role: Role | None = Field(description="授予的角色；为空表示收回")


async def _view(session: Session, account_id: PathId, actor: StaffActor) -> StaffView:
    for account, institution in await staff.list_accounts(session, actor):
        if account.id == account_id:
            return StaffView.of(account, institution)
    raise AssertionError("the account was just changed in scope")


@router.get("", response_model=list[StaffView])
async def list_accounts(session: Session, actor: StaffActor) -> list[StaffView]:
    return [StaffView.of(a, i) for a, i in await staff.list_accounts(session, actor)]


@router.post("", response_model=StaffView, status_code=201)
async def create_account(body: AccountCreate, session: Session, actor: StaffActor) -> StaffView:
    """系统管理员创建账号；新账号没有角色，须由安全管理员授权。"""
    account = await staff.create_account(
        session,
        actor,
        username=body.username,
        full_name=body.full_name,
        institution_id=body.institution_id,
        password_hash=hash_password(body.password),
        id_number=IdNumber.parse(body.id_number).value if body.id_number else None,
        phone=body.phone,
    )
    institution = await institutions.get(session, account.institution_id)
    assert institution is not None
    return StaffView.of(account, institution)


@router.put("/{account_id}", response_model=StaffView)
async def update_account(account_id: PathId, body: AccountUpdate, session: Session, actor: StaffActor) -> StaffView:
    await staff.update_account(
        session, actor, account_id, full_name=body.full_name, phone=body.phone, active=body.active
    )
    return await _view(session, account_id, actor)


@router.post("/{account_id}/password", status_code=204)
async def reset_password(
    account_id: PathId, body: PasswordReset, request: Request, session: Session, actor: StaffActor
) -> None:
    """系统管理员重置密码：该账号此前的令牌全部失效，下次登录须先修改密码；不得与最近使用过的密码相同。"""
    await staff.set_password(
        session,
        actor,
        account_id,
        hash_password(body.password),
        matches=lambda old: verify_password(old, body.password),
        policy=login_policy(hub_of(request).settings),
    )


@router.post("/{account_id}/unlock", status_code=204)
async def unlock_account(account_id: PathId, session: Session, actor: StaffActor) -> None:
    """安全管理员解锁因连续登录失败而锁定的账号（未锁定时无变化）。"""
    await staff.unlock(session, actor, account_id)


@router.put("/{account_id}/role", response_model=StaffView)
async def grant_role(account_id: PathId, body: RoleGrant, session: Session, actor: StaffActor) -> StaffView:
    """安全管理员授予或收回角色；三员不得兼任。"""
    await staff.grant_role(session, actor, account_id, body.role)
    return await _view(session, account_id, actor)
