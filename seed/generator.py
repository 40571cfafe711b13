"""Synthetic but realistic registry data for the demo, the tests and the benchmarks: Shijiazhuang's institution tree
(the city bureau, its 22 county/district social-insurance agencies with their real GB/T 2260 area codes, streets and
towns, communities and villages), employers, and retirees with valid and unique ID numbers, plausible names, ages,
retirement dates, pensions and a skewed spread over communities. Pure and deterministic for a given ``random.Random``:
it only yields rows, and seed/loader.py writes them. Retirees come from a generator, one at a time, so a million of
them stream to COPY with flat memory.
"""

from __future__ import annotations

import itertools
import math
import random
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from domain.dictionary.codes import DISTRICT_AGENCIES
from domain.retirees.idnumber import make_id_number
from seed.names import random_name


def _words(text: str) -> tuple[str, ...]:
    """Space-separated words: long lists of place names stay readable and compact."""
    return tuple(text.split())


ROOT_CODE = "1301"
ROOT_NAME = "石家庄市人力资源和社会保障局"
# Shijiazhuang's districts, counties and county-level cities with their GB/T 2260 codes, in official order.
DISTRICTS = DISTRICT_AGENCIES
_DISTRICT_NAMES = dict(DISTRICTS)
# The old city districts are divided into 街道 only; districts formed from former counties and the county-level
# cities have a few 街道 around the seat and towns outside; counties have 镇 and 乡.
_URBAN = frozenset(("130102", "130104", "130105", "130107", "130108"))
_SUBURBAN = frozenset(("130109", "130110", "130111", "130181", "130183", "130184"))
_STREET_STEMS = _words(
    "建北 青园 广安 育才 跃进 河东 长丰 谈固 中山东 阜康 东里 南长 维明 友谊 红旗 振头 留营 长兴 宏明 汇通 苑东 西里 "
    "革新 宁安 东焦 西苑 合作路 联盟 石岗 天苑 北苑 赵陵铺 裕兴 裕强 东苑 建通 槐底 裕东 裕翔 新开 休门 方北 胜利 "
    "广泽 翟营 塔坛 体育 北站 矿市 四微 贾庄 凤山 民族路 东华 西美 槐中 和平 光华"
)
_TOWN_STEMS = _words(
    "西兴 岗上 梅花 廉州 兴安 南营 贾市庄 丘头 九门 南牛 新城铺 北早现 诸福屯 曲阳桥 上庄 获鹿 铜冶 寺家庄 宜安 南甸 "
    "冶河 窦妪 槐阳 南佐 殷村 大安 高迁 郭庄 微水 上安 天长 秀林 南障城 苍岩山 测鱼 北正 新城 口头 上方 只里 南孟 "
    "增村 北楼 西阳 石门 东王 马村 小樵 铺上 槐树 北苏 大郭村 南智邱 贾口 王家井 岔头 小寨 宋曹 北合 东回舍"
)
_COMMUNITY_STEMS = _words(
    "光明 幸福 和平 平安 康乐 友谊 团结 东升 朝阳 阳光 春晓 桃园 梨园 金桥 花园 锦绣 华苑 荣景 丰收 育英 翠屏 碧水 "
    "新苑 民心 安居 福泽 长青 松鹤 兴华 嘉禾 谈固 建华 青园 东风 红星 胜利 跃进 槐北 联强 西三庄 北杜 塔冢 义堂 方村 "
    "东古城 范谈 南高营 宋营 彭后 柏林 维明 铁道 纺织 钢铁 华药 电力 煤机 化肥 印染 棉一"
)
_COMMUNITY_SUFFIXES = ("", "", "", "里", "园", "苑", "东", "西", "南", "北")
_VILLAGE_HEADS = _words(
    "东 西 南 北 前 后 大 小 上 下 中 新 王 李 张 刘 赵 孙 马 高 郭 杨 陈 周 韩 冯 董 石 岳 田 贾 杜 梁 段"
)
_VILLAGE_TAILS = _words("庄 家庄 营 屯 寨 铺 店 关 堡 辛庄 河 岗 里 街 旺 留 城 召")
_URBAN_ROADS = _words(
    "中山东路 中山西路 建设北大街 建设南大街 中华北大街 中华南大街 体育北大街 体育南大街 平安北大街 平安南大街 "
    "和平东路 和平西路 裕华东路 裕华西路 槐安东路 槐安西路 友谊北大街 友谊南大街 胜利北街 胜利南街 翟营南大街 "
    "红旗大街 维明南大街 东岗路 谈固东街 青园街 育才街 广安大街 石获南路 联盟路 北二环东路 南二环西路 新华路 民族路 "
    "跃进路 光华路 塔南路 休门街"
)
_COUNTY_ROADS = _words(
    "中山路 建设路 人民路 解放路 胜利路 和平路 府前街 新华路 育才街 民生路 光明路 兴华路 文化路 振兴路"
)

# Employers: the big state-owned enterprises whose retirees fill the registry come first (and, through the skewed
# draw in ``retirees``, employ the most people); the rest are composed from prefixes, trade names and industries.
_NOTABLE_EMPLOYERS = (
    "石家庄钢铁有限责任公司",
    "华北制药集团有限责任公司",
    "石家庄常山纺织股份有限公司",
    "石家庄化纤有限责任公司",
    "石家庄第一棉纺织厂",
    "石家庄煤矿机械有限责任公司",
    "石家庄卷烟厂",
    "石家庄轴承设备股份有限公司",
    "石家庄柴油机厂",
    "石家庄第二印染厂",
)
_EMPLOYER_PREFIXES = ("石家庄", "石家庄市", "河北", "河北省")
_TRADE_NAMES = _words(
    "华北 常山 宝石 太行 燕赵 滹沱 中冀 恒信 新华 胜利 红旗 东方 长城 华兴 金石 冀中 北方 永安 立新 前进 光华 建设 "
    "友谊 振华 兴达 宏达 恒泰 瑞丰 鑫源 润泽 博远 嘉华 晨光 联合 天宇 远大 华信 中诚 正元 德隆 汇丰 盛世 隆兴 鼎盛"
)
# Industry and whether a "…厂" name suits it (a transport company is not a factory).
_INDUSTRIES = (
    ("钢铁", True), ("制药", True), ("化纤", True), ("纺织", True), ("印染", True), ("轴承", True), ("机械", True),
    ("建材", True), ("水泥", True), ("化工", True), ("橡胶", True), ("塑料", True), ("电子", True), ("电器", True),
    ("食品", True), ("酿造", True), ("印刷", True), ("造纸", True), ("玻璃", True), ("服装", True), ("针织", True),
    ("棉纺织", True), ("毛纺", True), ("汽车配件", True), ("运输", False), ("建筑工程", False), ("物资", False),
    ("商贸", False), ("百货", False), ("粮油", False), ("煤炭", False), ("热电", True), ("供热", False),
    ("市政工程", False), ("装饰工程", False), ("农机", True), ("五金", True), ("皮革", True), ("家具", True),
)  # fmt: skip
_COMPANY_FORMS = ("有限责任公司", "有限公司", "集团有限公司", "股份有限公司")
_FACTORY_FORMS = ("厂", "总厂")
_ORDINALS = _words("第一 第二 第三 第四 第五 第六 第七 第八")
# China Mobile, Unicom and Telecom prefixes of the 13x/15x/18x ranges the older generation still uses.
_MOBILE_PREFIXES = _words(
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 180 181 182 183 185 186 187 188 189"
)

# Retirees.
_FIRST_BIRTH = date(1930, 1, 1)
_LAST_BIRTH = date(1975, 12, 31)
_MALE_SHARE = 0.51
_WOMEN_RETIRING_AT_50 = 0.7  # female workers retire at 50, female cadres at 55
_ORDER_SEQUENCES = 500  # make_id_number's sequence range: 3-digit order codes, half of them per sex
_REGISTERED_SHARE = 0.85
# The largest community holds about 12,000 of a million retirees, i.e. this share of the registered ones.
_LARGEST_COMMUNITY_SHARE = 0.012 / _REGISTERED_SHARE
_COMMUNITY_PARETO_ALPHA = 1.5
_EMPLOYER_ZIPF_EXPONENT = 0.8
_GOLDEN_FRACTION = (math.sqrt(5) - 1) / 2


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
    sex: str  # GB/T 2261.1: "1" male, "2" female
    birth_date: date
    retirement_date: date
    insuring_agency_code: str
    employer_code: str
    payment_status: str  # "1" normal, "2" suspended, "3" terminated
    phone: str
    residence_address: str
    community_code: str | None
    monthly_pension: str


def _spread(total: int, parts: int) -> list[int]:
    """``total`` split over ``parts`` as evenly as integers allow, the first parts taking the remainder."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _distinct_names(rng: random.Random, pool: Sequence[str], count: int) -> list[str]:
    """``count`` names from ``pool``, distinct; past the pool's size they repeat with a numeral (东风二村 is real)."""
    if count <= len(pool):
        return rng.sample(pool, count)
    numerals = "一二三四五六七八九十"
    names: list[str] = []
    for i, stem in enumerate(itertools.islice(itertools.cycle(rng.sample(pool, len(pool))), count)):
        round_ = i // len(pool)
        names.append(stem if round_ == 0 else f"{stem}{numerals[round_] if round_ < 10 else round_ + 1}")
    return names


def _street_suffixes(area: str, count: int, rng: random.Random) -> list[str]:
    if area in _URBAN:
        return ["街道"] * count
    if area in _SUBURBAN:
        seat = min(count, max(1, count * 3 // 10))
        return ["街道"] * seat + ["镇" if rng.random() < 0.8 else "乡" for _ in range(count - seat)]
    return ["镇" if rng.random() < 0.6 else "乡" for _ in range(count)]


def institution_tree(
    rng: random.Random, districts: int = 20, streets: int = 200, communities: int = 1400
) -> list[InstitutionSeed]:
    """The city bureau, the first ``districts`` county/district agencies, their streets and towns, and their
    communities and villages — parents before children.

    Codes extend the parent's: a district is its 6-digit area code, a street adds 3 digits ("130102001"), a community
    3 more ("130102001001"); they depend only on the counts, names on ``rng``.
    """
    if not 1 <= districts <= len(DISTRICTS):
        raise ValueError(f"districts must be within 1..{len(DISTRICTS)}, got {districts}")
    if streets < 0 or communities < 0 or (communities and not streets):
        raise ValueError("streets and communities must not be negative, and communities need streets")
    if -(-streets // districts) > 999 or (streets and -(-communities // streets) > 999):
        raise ValueError("at most 999 children per parent fit the 3-digit code suffix")
    village_names = [head + tail for head in _VILLAGE_HEADS for tail in _VILLAGE_TAILS]
    community_names = [stem + suffix for stem in _COMMUNITY_STEMS for suffix in dict.fromkeys(_COMMUNITY_SUFFIXES)]

    tree = [InstitutionSeed(ROOT_CODE, ROOT_NAME, "city", None)]
    street_nodes: list[InstitutionSeed] = []
    for (area, district_name), street_count in zip(DISTRICTS[:districts], _spread(streets, districts), strict=True):
        tree.append(InstitutionSeed(area, f"{district_name}社会保险事业管理中心", "district", ROOT_CODE))
        suffixes = _street_suffixes(area, street_count, rng)
        urban_count = suffixes.count("街道")
        stems = _distinct_names(rng, _STREET_STEMS, urban_count) + _distinct_names(
            rng, _TOWN_STEMS, street_count - urban_count
        )
        street_nodes.extend(
            InstitutionSeed(f"{area}{i + 1:03d}", f"{stem}{suffix}", "street", area)
            for i, (stem, suffix) in enumerate(zip(stems, suffixes, strict=True))
        )
    tree.extend(street_nodes)
    for street, community_count in zip(street_nodes, _spread(communities, len(street_nodes) or 1), strict=False):
        urban = street.name.endswith("街道")
        names = _distinct_names(rng, community_names if urban else village_names, community_count)
        kind = "社区" if urban else "村"
        tree.extend(
            InstitutionSeed(f"{street.code}{i + 1:03d}", f"{name}{kind}", "community", street.code)
            for i, name in enumerate(names)
        )
    return tree


def _mobile(rng: random.Random) -> str:
    return f"{_MOBILE_PREFIXES[int(rng.random() * len(_MOBILE_PREFIXES))]}{int(rng.random() * 100_000_000):08d}"


def _road_prefixes(area: str) -> tuple[str, ...]:
    roads = _URBAN_ROADS if area in _URBAN else _COUNTY_ROADS
    return tuple(f"石家庄市{_DISTRICT_NAMES.get(area, '')}{road}" for road in roads)


# Addresses are drawn a million times: the "city + district + road" part is built once per area.
_ROAD_PREFIXES = {area: _road_prefixes(area) for area, _ in DISTRICTS}


def _address(rng: random.Random, area: str) -> str:
    draw = rng.random
    roads = _ROAD_PREFIXES.get(area) or _road_prefixes(area)
    street = f"{roads[int(draw() * len(roads))]}{int(draw() * 300) + 1}号"
    if draw() < 0.5:
        return street
    # Half the people live in a block of flats: building, entrance, floor and flat number.
    return f"{street}{int(draw() * 20) + 1}号楼{int(draw() * 4) + 1}单元{int(draw() * 6) + 1}0{int(draw() * 4) + 1}"


def _employer_name(rng: random.Random, area: str) -> str:
    industry, factory = rng.choice(_INDUSTRIES)
    form = rng.choice(_FACTORY_FORMS if factory and rng.random() < 0.4 else _COMPANY_FORMS)
    shape = rng.random()
    if shape < 0.3:  # district-owned collectives carry the district's name: 石家庄市长安区印刷厂
        return f"石家庄市{_DISTRICT_NAMES.get(area, '')}{rng.choice(_TRADE_NAMES)}{industry}{form}"
    if shape < 0.4 and factory:  # numbered state factories of the planned economy: 石家庄第三棉纺织厂
        return f"石家庄{rng.choice(_ORDINALS)}{industry}厂"
    return f"{rng.choice(_EMPLOYER_PREFIXES)}{rng.choice(_TRADE_NAMES)}{industry}{form}"


def employers(rng: random.Random, count: int, district_codes: Sequence[str]) -> Iterator[EmployerSeed]:
    """``count`` employers with distinct names, codes "1301" + 7 digits in order, spread over ``district_codes``.

    Codes match the ``employer_code`` of :func:`retirees` generated with the same ``employers`` count.
    """
    # Checked at the call, not at the first row: the body below is a separate generator.
    if count and not district_codes:
        raise ValueError("employers need at least one district code")
    if count > 10**7:
        raise ValueError("at most 10,000,000 employers fit the 7-digit code")
    return _employers(rng, count, district_codes)


def _employers(rng: random.Random, count: int, district_codes: Sequence[str]) -> Iterator[EmployerSeed]:
    taken: set[str] = set()
    for i in range(count):
        area = district_codes[i % len(district_codes)]
        name = _NOTABLE_EMPLOYERS[i] if i < len(_NOTABLE_EMPLOYERS) else _employer_name(rng, area)
        for _ in range(20):
            if name not in taken:
                break
            name = _employer_name(rng, area)
        else:
            name = f"{name}第{i}分公司"  # the composed names ran out: a numbered branch is still plausible
        taken.add(name)
        contact_phone = (
            _mobile(rng) if rng.random() < 0.5 else f"0311-{rng.choice('678')}{int(rng.random() * 10_000_000):07d}"
        )
        yield EmployerSeed(
            code=f"{ROOT_CODE}{i:07d}",
            name=name,
            insuring_agency_code=area,
            address=_address(rng, area),
            contact_person=random_name(rng, "1" if rng.random() < 0.5 else "2"),
            contact_phone=contact_phone,
        )


def _community_weights(rng: random.Random, count: int) -> list[float]:
    """Skewed community sizes: Pareto-distributed weights, so most communities hold a few hundred retirees (at a
    million) and a few hold thousands; the tail is capped at the largest real size, about 12,000 at a million."""
    weights = [rng.paretovariate(_COMMUNITY_PARETO_ALPHA) for _ in range(count)]
    # Too few communities cannot all stay under the cap (ten communities share 100%): leave them uncapped.
    if count * _LARGEST_COMMUNITY_SHARE < 2:
        return weights
    # The cap is a share of the capped total, which depends on the cap: iterate to the fixed point (a handful of
    # rounds, since only a few communities are ever capped).
    cap = max(weights)
    for _ in range(100):
        new_cap = _LARGEST_COMMUNITY_SHARE * sum(min(w, cap) for w in weights)
        if abs(new_cap - cap) < 1e-9 * cap:
            break
        cap = new_cap
    return [min(w, cap) for w in weights]


def _retirement(birth: date, age: int) -> date:
    """Pension starts on the first day of the month after the birthday of the retirement age."""
    return date(birth.year + age + 1, 1, 1) if birth.month == 12 else date(birth.year + age, birth.month + 1, 1)


def _cohort_weight(year: int, today: date) -> float:
    """Relative number of living enterprise retirees born in ``year``: cohort size (the famine dip of 1959-61, the
    baby boom from 1962) times a rough survival curve (half of a cohort alive at 82)."""
    births = 0.75 if 1959 <= year <= 1961 else 1.4 if year >= 1962 else 1.15 if year >= 1950 else 1.0
    return births / (1 + math.exp((today.year - year - 82) / 6))


@dataclass(frozen=True)
class _BirthSlots:
    """Birth days from 1930-01-01 to 1975-12-31 with a number of ID sequence slots each (0-500), proportional to how
    many people born that day are retired by ``today``; plus, per day, the chance of a man and of a woman having
    retired at 50 rather than 55 (people too young to have retired at 60 or 55 are all women, retired at 50)."""

    first: int  # ordinal of the first day
    cumulative: list[int]
    male: list[float]
    women_at_50: list[float]

    @classmethod
    def build(cls, today: date) -> _BirthSlots:
        first = _FIRST_BIRTH.toordinal()
        days = [date.fromordinal(o) for o in range(first, _LAST_BIRTH.toordinal() + 1)]
        shares: list[float] = []
        male: list[float] = []
        women_at_50: list[float] = []
        for day in days:
            men = _MALE_SHARE * (_retirement(day, 60) < today)
            at_50 = (1 - _MALE_SHARE) * _WOMEN_RETIRING_AT_50 * (_retirement(day, 50) < today)
            at_55 = (1 - _MALE_SHARE) * (1 - _WOMEN_RETIRING_AT_50) * (_retirement(day, 55) < today)
            total = men + at_50 + at_55
            shares.append(total * _cohort_weight(day.year, today))
            male.append(men / total if total else 0.0)
            women_at_50.append(at_50 / (at_50 + at_55) if at_50 + at_55 else 0.0)
        peak = max(shares, default=0.0) or 1.0
        slots = [int(_ORDER_SEQUENCES * share / peak) for share in shares]
        return cls(first, list(itertools.accumulate(slots)), male, women_at_50)

    @property
    def total(self) -> int:
        return self.cumulative[-1] if self.cumulative else 0


def retirees(
    rng: random.Random,
    communities: Sequence[InstitutionSeed],
    count: int,
    employers: int = 20_000,
    today: date | None = None,
) -> Iterator[RetireeSeed]:
    """``count`` retirees born 1930-1975 and retired before ``today`` (men at 60, women at 50 or 55), ~85% registered
    in one of ``communities`` (a few large, most small), the rest nowhere yet; yielded one at a time.

    Unique ID numbers without remembering the ones handed out: every birth day owns up to 500 sequence slots
    (``_BirthSlots``), so the slots are numbered 0..T-1 and slot ``s`` stands for one (birth date, sequence) pair.
    Person ``n`` takes slot ``(a * n + b) mod T`` with ``a`` coprime to ``T``, a bijection of 0..T-1, so no two of the
    first ``T`` people (T ≈ 4 million in 2026) share a pair — and make_id_number turns distinct pairs into
    distinct numbers whatever the area code and sex. With ``a ≈ 0.618 T`` consecutive people land on well spread days,
    so birth dates follow the slot density (the age pyramid of the living retirees) for any prefix of the stream;
    ``b`` comes from ``rng``, so another seed gives other people.
    """
    slots = _BirthSlots.build(today or date.today())
    # Checked here, not in the generator body, so a bad request fails at the call rather than at the first row.
    if count > slots.total:
        raise ValueError(f"at most {slots.total} retirees with unique ID numbers can be generated for {today}")
    if count > 10**9:
        raise ValueError("at most 1,000,000,000 retirees fit the 9-digit personal number")
    if employers < 1:
        raise ValueError("retirees need at least one employer")
    return _retirees(rng, communities, count, employers, slots)


def _retirees(
    rng: random.Random, communities: Sequence[InstitutionSeed], count: int, employers: int, slots: _BirthSlots
) -> Iterator[RetireeSeed]:
    total = slots.total
    stride = round(total * _GOLDEN_FRACTION) or 1
    while math.gcd(stride, total) != 1:
        stride += 1
    offset = rng.randrange(total) if total else 0

    places = [(c.code, c.code[:6]) for c in communities]
    community_cumulative = list(itertools.accumulate(_community_weights(rng, len(places))))
    community_total = community_cumulative[-1] if places else 0.0
    areas = sorted({area for _, area in places}) or [code for code, _ in DISTRICTS]
    # Inverse-CDF draw of a Zipf-like (exponent 0.8) employer index: the first employers — the big state-owned
    # enterprises — have the most retirees, as in the real registry (石钢 and 华药 alone have tens of thousands).
    zipf_power = 1 / (1 - _EMPLOYER_ZIPF_EXPONENT)
    zipf_span = (employers + 1) ** (1 - _EMPLOYER_ZIPF_EXPONENT) - 1

    draw = rng.random
    first, cumulative, male_share, at_50_share = slots.first, slots.cumulative, slots.male, slots.women_at_50
    for n in range(count):
        slot = (stride * n + offset) % total
        day = bisect_right(cumulative, slot)
        sequence = slot - (cumulative[day - 1] if day else 0)
        birth = date.fromordinal(first + day)
        if draw() < male_share[day]:
            sex, age = "1", 60
        else:
            sex, age = "2", 50 if draw() < at_50_share[day] else 55
        if places and draw() < _REGISTERED_SHARE:
            index = bisect_right(community_cumulative, draw() * community_total)
            community_code, area = places[min(index, len(places) - 1)]  # min: float rounding at the very top
        else:
            community_code, area = None, areas[int(draw() * len(areas))]
        employer = min(int((1 + draw() * zipf_span) ** zipf_power) - 1, employers - 1)
        status = draw()
        pension = 0.0
        while not 1800 <= pension <= 9000:  # right-skewed around a median of ~3,300 yuan; redraw the rare outliers
            pension = 1800 + rng.lognormvariate(7.3, 0.6)
        yield RetireeSeed(
            personal_number=f"{ROOT_CODE}{n:09d}",
            id_number=make_id_number(area, birth, sequence, sex),
            name=random_name(rng, sex),
            sex=sex,
            birth_date=birth,
            retirement_date=_retirement(birth, age),
            insuring_agency_code=area,
            employer_code=f"{ROOT_CODE}{employer:07d}",
            payment_status="1" if status < 0.93 else "2" if status < 0.97 else "3",
            phone=_mobile(rng),
            residence_address=_address(rng, area),
            community_code=community_code,
            monthly_pension=f"{pension:.2f}",
        )
