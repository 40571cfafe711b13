"""What the staff API shows: response models, with ID and phone numbers masked everywhere but the audited
detail view."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from channels.errors import ErrorBody
from domain.institutions.models import LEVEL_LABELS, Institution, Level
from domain.retirees.lifecycle import STATUS_LABELS
from domain.retirees.models import Retiree, SupplementaryInfo
from domain.shared.masking import mask_id_number, mask_name, mask_phone
from domain.staff.models import StaffAccount
from domain.staff.permissions import ROLE_LABELS, Role
from domain.status_log.models import StatusChange


class InstitutionView(BaseModel):
    id: int
    code: str
    name: str
    level: str
    level_label: str
    parent_id: int | None
    active: bool

    @classmethod
    def of(cls, i: Institution) -> InstitutionView:
        assert i.id is not None
        return cls(
            id=i.id,
            code=i.code,
            name=i.name,
            level=i.level,
            level_label=LEVEL_LABELS[Level(i.level)],
            parent_id=i.parent_id,
            active=i.active,
        )


class RetireeSummary(BaseModel):
    """A row of a list: masked."""

    id: int
    personal_number: str
    id_number: str
    name: str
    sex: str
    birth_date: date
    status: str
    status_label: str
    payment_status: str
    phone: str | None
    institution: str | None

    @classmethod
    def of(cls, r: Retiree, institution: Institution | None) -> RetireeSummary:
        assert r.id is not None
        return cls(
            id=r.id,
            personal_number=r.personal_number,
            id_number=mask_id_number(r.id_number) or "",
            name=r.name,
            sex=r.sex,
            birth_date=r.birth_date,
            status=r.status,
            status_label=STATUS_LABELS[r.status],
            payment_status=r.payment_status,
            phone=mask_phone(r.phone),
            institution=institution.name if institution else None,
        )


class RetireePage(BaseModel):
    items: list[RetireeSummary]
    total: int
    page: int
    size: int


class SupplementaryView(BaseModel):
    household_address: str | None
    marital_status: str | None
    health_status: str | None
    living_arrangement: str | None
    emergency_contact_name: str | None
    emergency_contact_phone: str | None
    special_categories: list[str]
    remarks: str | None
    recorded_by: str
    updated_at: datetime | None

    @classmethod
    def of(cls, s: SupplementaryInfo) -> SupplementaryView:
        return cls.model_validate(s, from_attributes=True)


class RetireeDetail(BaseModel):
    """The full record, shown only on the detail view, whose every reading is audited."""

    id: int
    personal_number: str
    id_number: str
    name: str
    sex: str
    birth_date: date
    retirement_date: date | None
    retirement_category: str | None
    approval_date: date | None
    insuring_agency_code: str
    employer_code: str | None
    payment_status: str
    monthly_pension: Decimal | None
    management_form: str
    residence_address: str | None
    phone: str | None
    status: str
    status_label: str
    suspension_reason: str | None
    status_since: date | None
    registered_on: date | None
    death_date: date | None
    last_certified_on: date | None
    institution: InstitutionView | None
    supplementary: SupplementaryView | None

    @classmethod
    def of(cls, r: Retiree, institution: Institution | None, info: SupplementaryInfo | None) -> RetireeDetail:
        fields: dict[str, Any] = {name: getattr(r, name) for name in cls.model_fields if hasattr(r, name)}
        fields.update(
            status_label=STATUS_LABELS[r.status],
            institution=InstitutionView.of(institution) if institution else None,
            supplementary=SupplementaryView.of(info) if info else None,
        )
        return cls(**fields)


class CityWideStatusView(BaseModel):
    """6.7: the status of anyone in the city; outside the caller's subtree the person is masked."""

    personal_number: str
    name: str
    id_number: str
    status: str
    status_label: str
    payment_status: str
    institution: str | None
    in_own_scope: bool
    retiree_id: int | None


class StatusChangeView(BaseModel):
    id: int
    entry_id: str
    kind: str
    reason_code: str
    from_status: str
    to_status: str
    effective_date: date
    entered_at: datetime | None
    cause_type: str
    cause_ref: str | None
    actor: str | None
    reverses_id: int | None
    sync_state: str
    acknowledged_at: datetime | None

    @classmethod
    def of(cls, e: StatusChange) -> StatusChangeView:
        return cls.model_validate({**e.model_dump(), "entry_id": e.entry_id})


class StaffView(BaseModel):
    id: int
    username: str
    full_name: str
    id_number: str | None
    phone: str | None
    institution_id: int
    institution: str
    role: str | None
    role_label: str
    active: bool
    locked_until: datetime | None = Field(description="登录失败过多被锁定至该时刻（已过则为空）；安全管理员可提前解锁")
    must_change_password: bool = Field(description="下次登录须先修改密码（管理员新建或重置后）")

    @classmethod
    def of(cls, a: StaffAccount, institution: Institution) -> StaffView:
        assert a.id is not None
        return cls(
            id=a.id,
            username=a.username,
            full_name=a.full_name,
            id_number=mask_id_number(a.id_number),
            phone=mask_phone(a.phone),
            institution_id=a.institution_id,
            institution=institution.name,
            role=a.role,
            role_label=ROLE_LABELS[Role(a.role)] if a.role else "未授权",
            active=a.active,
            locked_until=a.locked_until if a.locked_until and a.locked_until > datetime.now(UTC) else None,
            must_change_password=a.must_change_password,
        )


def masked_status(retiree: Retiree, institution: Institution | None, own: bool) -> CityWideStatusView:
    return CityWideStatusView(
        personal_number=retiree.personal_number,
        name=retiree.name if own else (mask_name(retiree.name) or ""),
        id_number=mask_id_number(retiree.id_number) or "",
        status=retiree.status,
        status_label=STATUS_LABELS[retiree.status],
        payment_status=retiree.payment_status,
        institution=institution.name if institution else None,
        in_own_scope=own,
        retiree_id=retiree.id if own else None,
    )


_ERROR_MEANINGS = {
    401: "未登录，或令牌已过期、无效",
    403: "当前角色无权查询（需查询权限）",
    404: "人员不存在，或不在本机构管辖范围内",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route: each listed status answered with :class:`channels.errors.ErrorBody`."""
    return {status: {"model": ErrorBody, "description": _ERROR_MEANINGS[status]} for status in statuses}
