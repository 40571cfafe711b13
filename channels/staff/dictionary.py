"""1.4 数据字典: code tables and business parameters."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from channels.deps import Session, StaffActor
from domain.dictionary import service as dictionary
from domain.dictionary.codes import CATEGORIES, CODE_LIST_PARAMETERS, PARAMETER_RANGES
from domain.dictionary.models import Parameter
from domain.staff.permissions import Permission, require

router = APIRouter(prefix="/api/v1/dictionary", tags=["数据字典 1.4"])


class CodeView(BaseModel):
    category: str
    code: str
    label: str
    sort_order: int
    active: bool
    builtin: bool


class CodeCreate(BaseModel):
    code: str = Field(pattern=r"^[0-9A-Za-z_]{1,20}$")
    label: str = Field(min_length=1, max_length=40)
    sort_order: int = Field(default=100, ge=0, le=10_000)


class CodeUpdate(BaseModel):
    label: str | None = Field(default=None, min_length=1, max_length=40)
    active: bool | None = None


class CategoryView(BaseModel):
    name: str
    label: str


class ParameterView(BaseModel):
    name: str
    value: str
    description: str
    kind: Literal["number", "code_list"] = Field(description="number：整数；code_list：以英文逗号分隔的编码")
    minimum: int | None = Field(description="整数参数的有效下限（含）")
    maximum: int | None = Field(description="整数参数的有效上限（含）")

    @classmethod
    def of(cls, parameter: Parameter) -> ParameterView:
        low, high = PARAMETER_RANGES.get(parameter.name, (None, None))
        return cls(
            name=parameter.name,
            value=parameter.value,
            description=parameter.description,
            kind="code_list" if parameter.name in CODE_LIST_PARAMETERS else "number",
            minimum=low,
            maximum=high,
        )


class ParameterUpdate(BaseModel):
    value: str = Field(min_length=1, max_length=40)


Category = Query(default=None, pattern=r"^[a-z_]{1,40}$", description="代码表名称，如 sex、payment_status")


@router.get("/categories", response_model=list[CategoryView])
async def list_categories(actor: StaffActor) -> list[CategoryView]:
    """内置代码表及其中文名称。"""
    require(actor, Permission.READ_DICTIONARY)
    return [CategoryView(name=c.name, label=c.label) for c in CATEGORIES]


@router.get("/codes", response_model=list[CodeView])
async def list_codes(session: Session, actor: StaffActor, category: str | None = Category) -> list[CodeView]:
    require(actor, Permission.READ_DICTIONARY)
    return [CodeView.model_validate(c, from_attributes=True) for c in await dictionary.codes(session, category)]


@router.post("/codes/{category}", response_model=CodeView, status_code=201)
async def add_code(category: str, body: CodeCreate, session: Session, actor: StaffActor) -> CodeView:
    entry = await dictionary.add_code(session, actor, category, body.code, body.label, body.sort_order)
    return CodeView(
        category=category,
        code=body.code,
        label=body.label,
        sort_order=body.sort_order,
        active=True,
        builtin=entry.builtin,
    )


@router.put("/codes/{category}/{code}", response_model=CodeView)
async def update_code(category: str, code: str, body: CodeUpdate, session: Session, actor: StaffActor) -> CodeView:
    entry = await dictionary.update_code(session, actor, category, code, label=body.label, active=body.active)
    return CodeView.model_validate(entry, from_attributes=True)


@router.delete("/codes/{category}/{code}", status_code=204)
async def delete_code(category: str, code: str, session: Session, actor: StaffActor) -> None:
    await dictionary.delete_code(session, actor, category, code)


@router.get("/parameters", response_model=list[ParameterView])
async def list_parameters(session: Session, actor: StaffActor) -> list[ParameterView]:
    require(actor, Permission.READ_DICTIONARY)
    return [ParameterView.of(p) for p in await dictionary.parameters(session)]


@router.put("/parameters/{name}", response_model=ParameterView)
async def set_parameter(name: str, body: ParameterUpdate, session: Session, actor: StaffActor) -> ParameterView:
    return ParameterView.of(await dictionary.set_parameter(session, actor, name, body.value))
