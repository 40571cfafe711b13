"""The built-in code tables and parameters: what a new installation starts with (LD/T 92-2013, GB/T 2261).

``hub db upgrade`` inserts the ones that are missing and never overwrites what staff have edited. Codes named here
are built in: the code refers to them, so they can be relabelled or deactivated but not deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Category:
    name: str
    label: str
    codes: tuple[tuple[str, str], ...]
    retiree_column: str | None = None  # the retiree column holding this code, to refuse deleting a code in use


# The city's county-level divisions (GB/T 2260): each has its own insuring agency, coded as the division.
DISTRICT_AGENCIES: tuple[tuple[str, str], ...] = (
    ("130102", "长安区"),
    ("130104", "桥西区"),
    ("130105", "新华区"),
    ("130107", "井陉矿区"),
    ("130108", "裕华区"),
    ("130109", "藁城区"),
    ("130110", "鹿泉区"),
    ("130111", "栾城区"),
    ("130121", "井陉县"),
    ("130123", "正定县"),
    ("130125", "行唐县"),
    ("130126", "灵寿县"),
    ("130127", "高邑县"),
    ("130128", "深泽县"),
    ("130129", "赞皇县"),
    ("130130", "无极县"),
    ("130131", "平山县"),
    ("130132", "元氏县"),
    ("130133", "赵县"),
    ("130181", "辛集市"),
    ("130183", "晋州市"),
    ("130184", "新乐市"),
)


class ReasonCode(StrEnum):
    """Why a retiree's status changed: the ``reason_code`` of a status-change log entry and of the
    ``person_status.changed`` event sent to the province (dictionary category ``status_change_reason``). Stored as
    text; every member has its Chinese label in :data:`REASON_CODE_LABELS`."""

    REGISTERED = "REG"  # 社区登记
    SUPPLEMENTARY_INFO = "SUP"  # 补充信息采集
    TRANSFERRED_OUT = "TOUT"  # 转出
    TRANSFERRED_IN = "TIN"  # 转入
    CERTIFICATION_OVERDUE = "S01"  # 超过6个月未认证 (4.5 nightly rule)
    REGISTRATION_OVERDUE = "S02"  # 退休后逾期未登记 (4.5 nightly rule)
    TRANSFER_IN_OVERDUE = "S03"  # 转出后逾期未转入 (4.5 nightly rule)
    SUSPENDED_BY_STAFF = "S04"  # 经办人员暂停 (停发处理)
    SUSPENDED_BY_PROVINCE = "S05"  # 省平台暂停发放
    RESUMED_BY_CERTIFICATION = "R01"  # 认证后恢复
    RESUMED_BY_STAFF = "R02"  # 经办人员恢复
    RESUMED_BY_PROVINCE = "R03"  # 省平台恢复发放
    DECEASED = "DTH"  # 死亡减员
    ERROR_RESTORED = "ERR"  # 差错恢复
    TRANSFER_CANCELLED = "TCAN"  # 转移撤销 (4.4: the sending community cancels a transfer not yet taken in)
    COMMUNITY_MOVE = "ORG"  # 机构拆分合并 (4.8: a community's retirees moved to another community of the street)


# The built-in labels of the reason codes, keyed by the enum: a unit test refuses a member without one.
REASON_CODE_LABELS: dict[ReasonCode, str] = {
    ReasonCode.REGISTERED: "社区登记",
    ReasonCode.SUPPLEMENTARY_INFO: "补充信息采集",
    ReasonCode.TRANSFERRED_OUT: "转出",
    ReasonCode.TRANSFERRED_IN: "转入",
    ReasonCode.CERTIFICATION_OVERDUE: "超过6个月未认证",
    ReasonCode.REGISTRATION_OVERDUE: "退休后逾期未登记",
    ReasonCode.TRANSFER_IN_OVERDUE: "转出后逾期未转入",
    ReasonCode.SUSPENDED_BY_STAFF: "经办人员暂停",
    ReasonCode.SUSPENDED_BY_PROVINCE: "省平台暂停发放",
    ReasonCode.RESUMED_BY_CERTIFICATION: "认证后恢复",
    ReasonCode.RESUMED_BY_STAFF: "经办人员恢复",
    ReasonCode.RESUMED_BY_PROVINCE: "省平台恢复发放",
    ReasonCode.DECEASED: "死亡减员",
    ReasonCode.ERROR_RESTORED: "差错恢复",
    ReasonCode.TRANSFER_CANCELLED: "转移撤销",
    ReasonCode.COMMUNITY_MOVE: "机构拆分合并",
}

CATEGORIES: tuple[Category, ...] = (
    Category(
        "sex", "性别（GB/T 2261.1）", (("0", "未知的性别"), ("1", "男"), ("2", "女"), ("9", "未说明的性别")), "sex"
    ),
    Category(
        "payment_status",
        "待遇发放状态（aae116）",
        (("1", "正常发放"), ("2", "暂停发放"), ("3", "终止发放")),
        "payment_status",
    ),
    Category(
        "management_form",
        "管理形式",
        (("1", "社区管理"), ("2", "社保经办机构管理"), ("3", "委托原单位管理")),
        "management_form",
    ),
    Category(
        "retiree_status",
        "人员状态",
        (
            ("approved", "已核准未登记"),
            ("registered", "已登记"),
            ("transferring_out", "转出待转入"),
            ("moved_away", "已转出市外"),
            ("suspended", "已暂停"),
            ("deceased", "已死亡"),
        ),
        "status",
    ),
    Category(
        "status_change_reason",
        "人员状态变更原因",
        tuple((code.value, label) for code, label in REASON_CODE_LABELS.items()),
    ),
    Category(
        "special_category",
        "特殊人员类别（5.1）",
        (
            ("01", "工伤致残"),
            ("02", "孤寡老人"),
            ("04", "劳动模范"),
            ("05", "重大疾病"),
            ("06", "特困人员"),
            ("07", "退役军人"),
            ("08", "中共党员"),
        ),
    ),
    Category(
        "marital_status",
        "婚姻状况（GB/T 2261.2）",
        (("10", "未婚"), ("20", "已婚"), ("30", "丧偶"), ("40", "离婚"), ("90", "未说明")),
    ),
    Category("health_status", "健康状况", (("1", "健康"), ("2", "一般"), ("3", "较差"), ("4", "长期卧床"))),
    Category(
        "living_arrangement", "居住情况", (("1", "与配偶同住"), ("2", "与子女同住"), ("3", "独居"), ("4", "养老机构"))
    ),
    Category(
        "insuring_agency",
        "参保机构（aab034）",
        (("130100", "石家庄市本级"), *DISTRICT_AGENCIES),
        "insuring_agency_code",
    ),
    Category(
        "institution_level",
        "机构层级",
        (("city", "市级"), ("district", "县区经办机构"), ("street", "街道/乡镇"), ("community", "社区")),
    ),
    Category(
        "role",
        "角色",
        (
            ("operator", "经办员"),
            ("viewer", "查询员"),
            ("system_admin", "系统管理员"),
            ("security_admin", "安全管理员"),
            ("auditor", "安全审计员"),
        ),
    ),
)

# name → (default value, Chinese description). The 4.5 rules read their deadlines from here, never from code.
PARAMETERS: dict[str, tuple[str, str]] = {
    "certification_valid_months": ("6", "认证有效期（月）：超过该期限未认证的人员暂停发放"),
    "registration_deadline_days": ("90", "退休后应在该天数内完成社区登记，逾期暂停"),
    "transfer_in_deadline_days": ("90", "转出后应在该天数内完成转入，逾期暂停"),
    "certification_reminder_days": ("30", "认证到期前提前提醒的天数"),
    "aged_ledger_age": ("75", "高龄人员台账的年龄下限（周岁）"),
    "suspension_brake_city": ("500", "一夜规则暂停人数的全市上限：超过则暂停挂起为批次，待市级经办人审批"),
    "suspension_brake_institution": ("50", "一夜规则暂停人数的单个管理机构（社区）上限：超过则该机构的暂停挂起待审批"),
    "city_insuring_agency_codes": (
        "130100",
        "市本级参保机构编码（多个以英文逗号分隔）；其余参保机构统计为县（市、区）参保（7.2）",
    ),
    "legacy_staging_retention_days": (
        "30",
        "历史数据迁移试运行的暂存数据保留天数：超过该天数的试运行暂存数据被清除（核对报告保留），导入完成的批次立即清除",
    ),
    "notification_quiet_hours": (
        "22:00-07:00",
        "手机端消息免打扰时段（北京时间，时:分-时:分，可跨午夜）：其间不推送，时段结束后依次送达；"
        "00:00-00:00 表示不设免打扰",
    ),
}

# The parameters whose value is a comma-separated list of codes; every other one is a whole number.
CODE_LIST_PARAMETERS = frozenset({"city_insuring_agency_codes"})
# The parameters whose value is a time-of-day range "HH:MM-HH:MM" (issue 20's quiet hours).
TIME_RANGE_PARAMETERS = frozenset({"notification_quiet_hours"})

# The valid range (inclusive) of each whole-number parameter: a deadline of 0 would suspend everyone at once.
PARAMETER_RANGES: dict[str, tuple[int, int]] = {
    "certification_valid_months": (1, 24),
    "registration_deadline_days": (1, 365),
    "transfer_in_deadline_days": (1, 365),
    "certification_reminder_days": (0, 180),
    "aged_ledger_age": (60, 120),
    "suspension_brake_city": (1, 1_000_000),
    "suspension_brake_institution": (1, 100_000),
    "legacy_staging_retention_days": (1, 365),
}

CATEGORY_BY_NAME = {category.name: category for category in CATEGORIES}
