"""Synthetic but realistic registry data: Shijiazhuang's institution tree, employers and retirees with valid ID
numbers, plausible names, dates and community sizes. Pure: it yields rows; seed/loader.py writes them.

Retirees are yielded one at a time (a generator), so a million of them never sit in memory together.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from domain.retirees.idnumber import make_id_number
from seed.names import random_name

ROOT_CODE = "1301"
DISTRICTS = (
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
_STEMS = [
    "建北",
    "建南",
    "青园",
    "谈固",
    "中山",
    "育才",
    "东风",
    "振头",
    "友谊",
    "红旗",
    "西里",
    "北站",
    "胜利",
    "跃进",
    "东苑",
    "长丰",
    "裕东",
    "槐底",
    "方村",
    "南高营",
    "汇通",
    "西三庄",
    "宋营",
    "留营",
    "北苑",
    "联盟",
    "新开",
    "休门",
    "宁安",
    "翟营",
]
_COMMUNITY_STEMS = [
    "光明",
    "幸福",
    "和平",
    "平安",
    "康乐",
    "友谊",
    "团结",
    "东升",
    "朝阳",
    "阳光",
    "春晓",
    "桃园",
    "梨园",
    "金桥",
    "花园",
    "锦绣",
    "华苑",
    "荣景",
    "丰收",
    "育英",
    "翠屏",
    "碧水",
    "新苑",
    "民心",
    "安居",
    "福泽",
    "长青",
    "松鹤",
    "兴华",
    "嘉禾",
]
_ROADS = [
    "中山路",
    "建设大街",
    "中华大街",
    "体育大街",
    "平安大街",
    "和平路",
    "裕华路",
    "槐安路",
    "友谊大街",
    "胜利大街",
    "石获路",
    "翟营大街",
    "北二环",
    "南二环",
    "联盟路",
    "红旗大街",
]
_EMPLOYER_STEMS = [
    "石家庄钢铁",
    "华北制药",
    "石家庄化纤",
    "河北宝石",
    "石家庄纺织",
    "冀中能源",
    "石家庄印染",
    "石家庄轴承",
    "石家庄第一棉纺",
    "河北建工",
    "石家庄柴油机",
    "石家庄卷烟",
    "石家庄煤矿机械",
    "石家庄电力",
    "石家庄客车",
    "河北冶金",
    "石家庄热电",
    "石家庄橡胶",
]
_EMPLOYER_FORMS = ("有限责任公司", "集团有限公司", "股份有限公司", "厂", "总厂", "公司")
_MOBILE_PREFIXES = tuple(
    [
        "130",
        "131",
        "132",
        "133",
        "135",
        "136",
        "137",
        "138",
        "139",
        "150",
        "151",
        "152",
        "155",
        "158",
        "159",
        "186",
        "187",
        "189",
    ]
)


@dataclass(frozen=True)
class InstitutionSeed:
    code: str
    name: str
    level: str  # city | district | street | community
    parent_code: str | None


@dataclass(frozen=True)
class EmployerSeed:
    code: str
    name: str
    insuring_agency_code: str
    address: str
    contact_person: str
    contact_phone: str


@dataclass(frozen=True)
class RetireeSeed:
    personal_number: str
    id_number: str
    name: str
    sex: str
    birth_date: date
    retirement_date: date
    insuring_agency_code: str
    employer_code: str
    payment_status: str
    phone: str
    residence_address: str
    community_code: str | None
    monthly_pension: str


def _spread(total: int, parts: int) -> list[int]:
    """``total`` split over ``parts`` as evenly as integers allow."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def institution_tree(
    rng: random.Random, districts: int = 20, streets: int = 200, communities: int = 1400
) -> list[InstitutionSeed]:
    """The city, its county/district agencies, streets/towns and communities — parents before children."""
    tree = [InstitutionSeed(ROOT_CODE, "石家庄市人力资源和社会保障局", "city", None)]
    chosen = DISTRICTS[:districts]
    street_nodes: list[InstitutionSeed] = []
    for (area, name), street_count in zip(chosen, _spread(streets, len(chosen)), strict=True):
        tree.append(InstitutionSeed(area, f"{name}社会保险事业管理中心", "district", ROOT_CODE))
        stems = rng.sample(_STEMS, k=min(street_count, len(_STEMS)))
        for i in range(street_count):
            suffix = "街道" if area < "130120" else rng.choice(("镇", "乡", "镇"))
            stem = stems[i % len(stems)] + ("" if i < len(stems) else str(i // len(stems) + 1))
            street_nodes.append(InstitutionSeed(f"{area}{i + 1:03d}", f"{stem}{suffix}", "street", area))
    tree.extend(street_nodes)
    for street, community_count in zip(street_nodes, _spread(communities, len(street_nodes)), strict=True):
        stems = rng.sample(_COMMUNITY_STEMS, k=min(community_count, len(_COMMUNITY_STEMS)))
        for i in range(community_count):
            kind = "社区" if street.name.endswith("街道") else "村"
            tree.append(
                InstitutionSeed(f"{street.code}{i + 1:03d}", f"{stems[i % len(stems)]}{kind}", "community", street.code)
            )
    return tree


def _phone(rng: random.Random) -> str:
    return f"{rng.choice(_MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"


def _address(rng: random.Random, district: str) -> str:
    return f"石家庄市{district}{rng.choice(_ROADS)}{rng.randint(1, 400)}号"


def employers(rng: random.Random, count: int, district_codes: Sequence[str]) -> Iterator[EmployerSeed]:
    names = dict(DISTRICTS)
    for i in range(count):
        area = district_codes[i % len(district_codes)]
        stem = _EMPLOYER_STEMS[i % len(_EMPLOYER_STEMS)]
        combinations = len(_EMPLOYER_STEMS) * len(_EMPLOYER_FORMS)
        form = _EMPLOYER_FORMS[(i // len(_EMPLOYER_STEMS)) % len(_EMPLOYER_FORMS)]
        # Past the distinct stem × form names, numbered branches keep every name unique.
        name = f"{stem}{form}" if i < combinations else f"{stem}第{i // combinations + 1}分{form}"
        yield EmployerSeed(
            code=f"{ROOT_CODE}{i:07d}",
            name=name,
            insuring_agency_code=area,
            address=_address(rng, names.get(area, "")),
            contact_person=random_name(rng, rng.choice("12")),
            contact_phone=_phone(rng),
        )


def _community_weights(rng: random.Random, count: int) -> list[float]:
    """Skewed sizes: a Pareto tail, so a few communities are large (~12,000 at 1,000,000) and most hold hundreds."""
    weights = [rng.paretovariate(1.6) for _ in range(count)]
    cap = 12.0 * sum(weights) / 1000  # no community above ~1.2% of the whole
    return [min(w, cap) for w in weights]


def retirees(
    rng: random.Random,
    communities: Sequence[InstitutionSeed],
    count: int,
    employers: int = 20_000,
    today: date | None = None,
) -> Iterator[RetireeSeed]:
    """``count`` retirees, ~85% registered in a community, everyone born early enough to be retired by ``today``.

    Unique ID numbers without a lookup table: person ``n`` gets order code ``n % 500`` and the birthday numbered
    ``n // 500`` of a walk over the birth range with a prime stride; the stride is coprime with the range's length,
    so the first ``len(range)`` people-blocks all get different birthdays and no two people share (birth date, order
    code) — unique within any area — up to 500 × len(range) ≈ 6.5 million people."""
    today = today or date.today()
    names = dict(DISTRICTS)
    cumulative = list(itertools.accumulate(_community_weights(rng, len(communities))))
    first_birth = date(1930, 1, 1).toordinal()
    span = date(today.year - 61, 12, 31).toordinal() - first_birth + 1
    if count > 500 * span:
        raise ValueError(f"at most {500 * span} unique retirees can be generated")
    for n in range(count):
        sex = "1" if rng.random() < 0.52 else "2"
        birth = date.fromordinal(first_birth + (n // 500 * 7919) % span)
        retire_age = 60 if sex == "1" else rng.choice((50, 55))
        retire_year, retire_month = birth.year + retire_age, birth.month + 1
        if retire_month > 12:
            retire_year, retire_month = retire_year + 1, 1
        retirement = date(retire_year, retire_month, 1)
        registered = rng.random() < 0.85
        community = rng.choices(communities, cum_weights=cumulative)[0] if registered else None
        area = community.code[:6] if community else rng.choice(DISTRICTS)[0]
        yield RetireeSeed(
            personal_number=f"{ROOT_CODE}{n:09d}",
            id_number=make_id_number(area, birth, n % 500, sex),
            name=random_name(rng, sex),
            sex=sex,
            birth_date=birth,
            retirement_date=retirement,
            insuring_agency_code=area,
            employer_code=f"{ROOT_CODE}{rng.randrange(employers):07d}",
            payment_status=rng.choices(("1", "2", "3"), weights=(93, 4, 3))[0],
            phone=_phone(rng),
            residence_address=_address(rng, names.get(area, "")),
            community_code=community.code if community else None,
            monthly_pension=f"{rng.uniform(1800, 9000):.2f}",
        )
