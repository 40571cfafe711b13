"""GB/T 2260 city-level codes: the form (6 digits ending in "00" but not "0000") and the names of the cities the
demo and the tests use. A code of the right form that is not in the table is accepted with no name (the table is not
the whole standard)."""

from __future__ import annotations

import re

from domain.shared.errors import DomainError, ErrorCode
from domain.transfers.rules import CITY_PREFIX

LOCAL_CITY_CODE = f"{CITY_PREFIX}00"

CITY_NAMES: dict[str, str] = {
    "110100": "北京市",
    "120100": "天津市",
    "130100": "石家庄市",
    "130200": "唐山市",
    "130300": "秦皇岛市",
    "130400": "邯郸市",
    "130500": "邢台市",
    "130600": "保定市",
    "130700": "张家口市",
    "130800": "承德市",
    "130900": "沧州市",
    "131000": "廊坊市",
    "131100": "衡水市",
    "140100": "太原市",
    "210100": "沈阳市",
    "310100": "上海市",
    "320100": "南京市",
    "330100": "杭州市",
    "370100": "济南市",
    "410100": "郑州市",
    "440100": "广州市",
    "440300": "深圳市",
    "460200": "三亚市",
    "500100": "重庆市",
    "510100": "成都市",
}

_CITY_CODE = re.compile(r"^[1-8][0-9]{3}00$")


def city_name(code: str | None) -> str | None:
    return CITY_NAMES.get(code) if code else None


def is_local(code: str) -> bool:
    return code.startswith(CITY_PREFIX)


def check_city_code(code: str, field: str = "city_code") -> str:
    """A city-level GB/T 2260 code, e.g. 110100 北京市; a province (110000) or county (130102) is refused."""
    value = code.strip()
    if not _CITY_CODE.match(value) or value.endswith("0000"):
        raise DomainError(
            ErrorCode.RESIDENCE_CITY_INVALID,
            "居住城市须为6位地市级行政区划代码（GB/T 2260，如110100 北京市），不能是省级或县级代码",
            field=field,
        )
    return value
