"""What the migration reads from the 2007 system's export: the LD/T tables, the registry fields each one fills, and
the mapping (columns and code lists) a deployment writes in YAML (legacy/mapping.yaml, read by connectors/legacy)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class TableCode(StrEnum):
    AF08 = "AF08"  # 乡镇(街道)
    AF02 = "AF02"  # 村(社区)
    AB01 = "AB01"  # 单位
    AC01 = "AC01"  # 人员
    IC10 = "IC10"  # 离退休人员基本信息
    AC60 = "AC60"  # 定期待遇资格认证
    AEF1 = "AEF1"  # 人员状态变更


TABLE_LABELS = {
    TableCode.AF08: "乡镇(街道)",
    TableCode.AF02: "村(社区)",
    TableCode.AB01: "单位",
    TableCode.AC01: "人员",
    TableCode.IC10: "离退休人员基本信息",
    TableCode.AC60: "资格认证记录",
    TableCode.AEF1: "人员状态变更",
}

# The registry fields each table fills; every one must be mapped to a column of the export.
FIELDS: dict[TableCode, tuple[str, ...]] = {
    TableCode.AF08: ("code", "name", "parent_code"),
    TableCode.AF02: ("code", "name", "parent_code"),
    TableCode.AB01: ("code", "name"),
    TableCode.AC01: ("personal_number", "id_number", "name", "sex", "birth_date", "employer_code"),
    TableCode.IC10: (
        "personal_number",
        "retirement_date",
        "retirement_category",
        "community_code",
        "registered_on",
        "status",
        "payment_status",
        "monthly_pension",
    ),
    TableCode.AC60: ("personal_number", "on_date"),
    TableCode.AEF1: ("personal_number", "kind", "on_date", "reason"),
}

FIELD_LABELS = {
    "code": "编码",
    "name": "名称/姓名",
    "parent_code": "上级编码",
    "personal_number": "个人编号",
    "id_number": "身份证号码",
    "sex": "性别",
    "birth_date": "出生日期",
    "employer_code": "单位编号",
    "retirement_date": "离退休日期",
    "retirement_category": "离退休类别",
    "community_code": "管理社区",
    "registered_on": "登记日期",
    "status": "人员状态",
    "payment_status": "待遇发放状态",
    "monthly_pension": "月养老金",
    "on_date": "日期",
    "kind": "变更类型",
    "reason": "变更原因",
}


class CodeList(StrEnum):
    SEX = "sex"
    STATUS = "status"
    PAYMENT_STATUS = "payment_status"
    CHANGE_KIND = "change_kind"
    RETIREMENT_CATEGORY = "retirement_category"


class ChangeKind(StrEnum):
    """What an AEF1 row records (the status it leads to)."""

    SUSPENDED = "suspended"
    RESUMED = "resumed"
    DECEASED = "deceased"
    MOVED_AWAY = "moved_away"


# The statuses the archive (IC10.status) may map to.
ARCHIVE_STATUSES = frozenset({"registered", "suspended", "deceased", "moved_away"})


@dataclass(frozen=True)
class TableMapping:
    code: TableCode
    file: str
    columns: dict[str, str]  # registry field -> the export's column (lower case)


@dataclass(frozen=True)
class Mapping:
    tables: dict[TableCode, TableMapping]
    codes: dict[CodeList, dict[str, str]]
    defaults: dict[str, str] = field(default_factory=dict)
    encoding: str = "auto"
    digest: str = ""

    def column(self, table: TableCode, name: str) -> str:
        return self.tables[table].columns[name]
