"""The seed generator: Shijiazhuang's institution tree (1/20/200/1400, parents first, real area codes), employers,
and retirees whose ID numbers pass GB 11643 and agree with their birth date and sex, unique over 200,000 people,
retired by the rules (men 60, women 50/55), skewed over communities, deterministic for a seed and streamed."""

from __future__ import annotations

import inspect
import random
import re
import statistics
import tracemalloc
from collections import Counter
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.retirees.idnumber import IdNumber
from seed.generator import (
    DISTRICTS,
    EmployerSeed,
    InstitutionSeed,
    RetireeSeed,
    employers,
    institution_tree,
    retirees,
)

TODAY = date(2026, 11, 23)
SEED = 20261123
COUNT = 200_000


@pytest.fixture(scope="module")
def tree() -> list[InstitutionSeed]:
    return institution_tree(random.Random(SEED))


@pytest.fixture(scope="module")
def communities(tree: list[InstitutionSeed]) -> list[InstitutionSeed]:
    return [node for node in tree if node.level == "community"]


@pytest.fixture(scope="module")
def people(communities: list[InstitutionSeed]) -> list[RetireeSeed]:
    """200,000 retirees, generated once for the module (about 5 s)."""
    return list(retirees(random.Random(SEED), communities, COUNT, today=TODAY))


# --- institution tree ---------------------------------------------------------------------------------------------


@pytest.mark.unit
def test_tree_has_1_city_20_districts_200_streets_1400_communities(tree: list[InstitutionSeed]) -> None:
    """Institution tree counts per level with the defaults: 1 / 20 / 200 / 1400."""
    assert Counter(node.level for node in tree) == {"city": 1, "district": 20, "street": 200, "community": 1400}


@pytest.mark.unit
def test_tree_lists_parents_before_children_and_codes_extend_the_parent(tree: list[InstitutionSeed]) -> None:
    """Parent before child (the loader inserts in order), codes unique, each code its parent's plus 2 or 3 digits."""
    seen: dict[str, InstitutionSeed] = {}
    lengths = {"city": 4, "district": 6, "street": 9, "community": 12}
    parent_level = {"district": "city", "street": "district", "community": "street"}
    for node in tree:
        assert node.code not in seen
        assert len(node.code) == lengths[node.level] and node.code.isdigit()
        if node.level == "city":
            assert node.parent_code is None
        else:
            assert node.parent_code in seen, f"{node.code} comes before its parent {node.parent_code}"
            parent = seen[node.parent_code]
            assert parent.level == parent_level[node.level]
            assert node.code.startswith(parent.code)
        seen[node.code] = node


@pytest.mark.unit
def test_tree_root_and_districts_are_the_real_shijiazhuang_ones(tree: list[InstitutionSeed]) -> None:
    """Root 1301 is the city bureau; districts are the real county/district area codes (GB/T 2260), in order."""
    assert tree[0] == InstitutionSeed("1301", "石家庄市人力资源和社会保障局", "city", None)
    districts = [node for node in tree if node.level == "district"]
    assert [(d.code, d.name) for d in districts] == [
        (code, f"{name}社会保险事业管理中心") for code, name in DISTRICTS[:20]
    ]
    assert districts[0].code == "130102" and districts[0].name == "长安区社会保险事业管理中心"
    assert dict(DISTRICTS)["130184"] == "新乐市" and len(DISTRICTS) == 22


@pytest.mark.unit
def test_tree_names_read_like_streets_towns_communities_and_villages(tree: list[InstitutionSeed]) -> None:
    """Names: streets end in 街道/镇/乡 (city districts only 街道), communities in 社区 under a 街道 and 村 under a
    town, distinct among siblings, with no 居委会 suffix."""
    by_code = {node.code: node for node in tree}
    siblings: Counter[tuple[str | None, str]] = Counter((node.parent_code, node.name) for node in tree)
    assert max(siblings.values()) == 1
    for node in tree:
        if node.level == "street":
            assert re.fullmatch(r"\w{2,5}(街道|镇|乡)", node.name), node.name
            if node.parent_code in {"130102", "130104", "130105", "130108"}:
                assert node.name.endswith("街道")
        if node.level == "community":
            street = by_code[node.parent_code or ""]
            assert node.name.endswith("社区" if street.name.endswith("街道") else "村"), (street.name, node.name)
            assert "居委会" not in node.name and len(node.name) <= 7


@pytest.mark.unit
def test_tree_is_deterministic_for_a_seed_and_codes_for_any_seed() -> None:
    """Determinism: the same seed gives the same tree; codes depend only on the counts."""
    first = institution_tree(random.Random(7))
    assert institution_tree(random.Random(7)) == first
    other = institution_tree(random.Random(8))
    assert [n.code for n in other] == [n.code for n in first]
    assert [n.name for n in other] != [n.name for n in first]


@pytest.mark.unit
def test_tree_takes_the_first_districts_and_spreads_the_rest() -> None:
    """Smaller or larger trees: the first ``districts`` real areas, streets and communities spread evenly."""
    small = institution_tree(random.Random(1), districts=3, streets=7, communities=20)
    assert [n.code for n in small if n.level == "district"] == ["130102", "130104", "130105"]
    assert Counter(n.parent_code for n in small if n.level == "street") == {"130102": 3, "130104": 2, "130105": 2}
    assert sorted(Counter(n.parent_code for n in small if n.level == "community").values()) == [2, 3, 3, 3, 3, 3, 3]
    full = institution_tree(random.Random(1), districts=22, streets=22, communities=0)
    assert Counter(n.level for n in full) == {"city": 1, "district": 22, "street": 22}
    sparse = institution_tree(random.Random(1), districts=10, streets=5, communities=5)
    assert Counter(n.level for n in sparse) == {"city": 1, "district": 10, "street": 5, "community": 5}


@pytest.mark.unit
@pytest.mark.parametrize(
    ("arguments", "refusal"),
    [
        ({"districts": 0}, "districts must be within"),
        ({"districts": 23}, "districts must be within"),
        ({"streets": 0, "communities": 5}, "communities need streets"),
        ({"districts": 1, "streets": 1000}, "at most 999 children per parent"),
    ],
)
def test_tree_refuses_shapes_the_codes_cannot_hold(arguments: dict[str, int], refusal: str) -> None:
    """Codes: at most 22 real districts and 999 children per parent (3-digit suffix); communities need streets."""
    with pytest.raises(ValueError, match=refusal):
        institution_tree(random.Random(1), **arguments)


# --- employers ----------------------------------------------------------------------------------------------------


@pytest.mark.unit
def test_employers_have_ordered_codes_distinct_plausible_names_and_contacts() -> None:
    """Employers: codes 1301 + 7 digits in order, distinct company names, agencies from the given districts."""
    areas = ["130102", "130123", "130181"]
    made = list(employers(random.Random(SEED), 3000, areas))
    assert [e.code for e in made] == [f"1301{i:07d}" for i in range(3000)]
    assert len({e.name for e in made}) == 3000
    assert made[0] == EmployerSeed(
        "13010000000",
        "石家庄钢铁有限责任公司",
        "130102",
        made[0].address,
        made[0].contact_person,
        made[0].contact_phone,
    )
    for employer in made:
        assert re.fullmatch(r"(石家庄|河北|华北)\w+(公司|厂)", employer.name), employer.name
        assert employer.insuring_agency_code in areas
        assert employer.address.startswith("石家庄市" + dict(DISTRICTS)[employer.insuring_agency_code])
        assert 2 <= len(employer.contact_person) <= 3
        assert re.fullmatch(r"1[358]\d{9}|0311-[678]\d{7}", employer.contact_phone), employer.contact_phone
    assert list(employers(random.Random(SEED), 50, areas)) == made[:50]
    with pytest.raises(ValueError, match="district code"):
        employers(random.Random(SEED), 1, [])


# --- retirees -----------------------------------------------------------------------------------------------------


@pytest.mark.unit
def test_every_id_number_passes_gb11643_and_cross_checks_birth_and_sex(people: list[RetireeSeed]) -> None:
    """Every generated ID number parses (GB 11643 MOD 11-2, real date) and agrees with the seed's birth date and sex;
    its area is the insuring agency's."""
    for person in people:
        number = IdNumber.parse(person.id_number, today=TODAY)
        assert number.value == person.id_number
        number.cross_check(person.birth_date, person.sex)
        assert number.area_code == person.insuring_agency_code


@pytest.mark.unit
def test_personal_and_id_numbers_are_unique_over_200000(people: list[RetireeSeed]) -> None:
    """Uniqueness over 200,000 people: personal numbers 1301 + 9-digit sequence, ID numbers all distinct."""
    assert [p.personal_number for p in people[:3]] == ["1301000000000", "1301000000001", "1301000000002"]
    assert len({p.personal_number for p in people}) == COUNT
    assert len({p.id_number for p in people}) == COUNT
    assert all(len(p.personal_number) == 13 for p in people)


@pytest.mark.unit
def test_birth_and_retirement_follow_the_retirement_ages(people: list[RetireeSeed]) -> None:
    """Retirement: born 1930-1975, men at 60, women at 50 or 55, on the first of the month after the birthday,
    before today; the age pyramid leans to the 1950s-60s and younger retirees are mostly women."""
    ages: Counter[tuple[str, int]] = Counter()
    for p in people:
        assert 1930 <= p.birth_date.year <= 1975
        assert p.retirement_date < TODAY and p.retirement_date.day == 1
        months = (p.retirement_date.year - p.birth_date.year) * 12 + p.retirement_date.month - p.birth_date.month
        ages[(p.sex, months)] += 1
    assert set(ages) == {("1", 60 * 12 + 1), ("2", 50 * 12 + 1), ("2", 55 * 12 + 1)}
    decades = Counter(p.birth_date.year // 10 * 10 for p in people)
    assert decades.most_common(2)[0][0] in {1950, 1960} and decades[1930] < decades[1950] / 3
    young = [p.sex for p in people if p.birth_date >= date(1966, 11, 1)]  # 60 only after TODAY
    assert young and set(young) == {"2"}


@pytest.mark.unit
def test_attributes_have_the_registry_formats_and_mix(
    people: list[RetireeSeed], communities: list[InstitutionSeed]
) -> None:
    """Formats and mix: ~85% registered in a community of their agency's district, payment status 93/4/3, 11-digit
    13x/15x/18x mobiles, two-decimal pensions 1,800-9,000, employer codes within the pool, Shijiazhuang addresses."""
    codes = {c.code for c in communities}
    registered = [p for p in people if p.community_code is not None]
    assert 0.84 < len(registered) / COUNT < 0.86
    for p in registered:
        assert p.community_code in codes and p.community_code[:6] == p.insuring_agency_code
    status = Counter(p.payment_status for p in people)
    assert set(status) == {"1", "2", "3"} and 0.92 < status["1"] / COUNT < 0.94
    for p in people[:20_000]:
        assert re.fullmatch(r"1[358]\d{9}", p.phone)
        assert re.fullmatch(r"\d{4}\.\d{2}", p.monthly_pension) and 1800 <= float(p.monthly_pension) <= 9000
        assert re.fullmatch(r"1301\d{7}", p.employer_code) and int(p.employer_code[4:]) < 20_000
        assert p.residence_address.startswith("石家庄市" + dict(DISTRICTS)[p.insuring_agency_code])
        assert re.fullmatch(r"\w+(路|街|大街|环)\d+号(\d+号楼\d单元\d0\d)?", p.residence_address[3:])
        assert 2 <= len(p.name) <= 3 and p.sex in {"1", "2"}
    assert 2500 < statistics.median(float(p.monthly_pension) for p in people) < 4000


@pytest.mark.unit
def test_community_sizes_are_skewed_with_the_largest_near_1_2_percent(people: list[RetireeSeed]) -> None:
    """Skew: the largest community holds ~1.2% of all retirees (about 12,000 at a million), most hold far fewer
    than the mean, and every community has somebody."""
    sizes = Counter(p.community_code for p in people if p.community_code is not None)
    largest = max(sizes.values())
    assert 0.010 * COUNT < largest < 0.015 * COUNT
    assert len(sizes) == 1400
    assert statistics.median(sizes.values()) < 0.7 * statistics.mean(sizes.values())
    assert sum(1 for size in sizes.values() if size > 0.005 * COUNT) <= 20


@pytest.mark.unit
def test_employers_are_skewed_towards_the_big_state_enterprises(people: list[RetireeSeed]) -> None:
    """Employer skew: the first employers (石钢, 华药 …) have the most retirees, as in the real registry."""
    by_employer = Counter(p.employer_code for p in people)
    assert by_employer.most_common(1)[0][0] == "13010000000"
    assert by_employer["13010000000"] > 50 * COUNT / 20_000


@pytest.mark.unit
def test_retirees_are_deterministic_for_a_seed(communities: list[InstitutionSeed], people: list[RetireeSeed]) -> None:
    """Determinism: the same seed (and today) gives the same people; another seed other people."""
    again = list(retirees(random.Random(SEED), communities, 2000, today=TODAY))
    assert again == people[:2000]
    other = list(retirees(random.Random(SEED + 1), communities, 2000, today=TODAY))
    assert [p.id_number for p in other] != [p.id_number for p in again]


@pytest.mark.unit
def test_retirees_stream_with_flat_memory(communities: list[InstitutionSeed]) -> None:
    """Streaming: retirees() is a generator; memory after 20,000 rows is what it was after 2,000 (a million rows
    never sit in memory)."""
    stream = retirees(random.Random(SEED), communities, 1_000_000, today=TODAY)
    assert inspect.isgenerator(stream)
    tracemalloc.start()
    try:
        for _ in range(2_000):
            next(stream)
        tracemalloc.reset_peak()
        early = tracemalloc.get_traced_memory()[0]
        for _ in range(18_000):
            next(stream)
        late, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert late - early < 64 * 1024 and peak - early < 256 * 1024


@pytest.mark.unit
def test_unregistered_retirees_get_a_district_of_the_tree(communities: list[InstitutionSeed]) -> None:
    """Unregistered people (~15%) are insured in one of the tree's districts; without communities nobody is
    registered."""
    few = [c for c in communities if c.code.startswith(("130102", "130104"))]
    for p in retirees(random.Random(3), few, 3000, today=TODAY):
        assert p.insuring_agency_code in {"130102", "130104"}
    nowhere = list(retirees(random.Random(3), [], 500, today=TODAY))
    assert all(p.community_code is None for p in nowhere)
    assert {p.insuring_agency_code for p in nowhere} <= {code for code, _ in DISTRICTS}


@pytest.mark.unit
def test_an_early_today_still_gives_valid_unique_retirees(communities: list[InstitutionSeed]) -> None:
    """Any ``today``: in 1995 only people born by 1945 (women by 1944) could be retired — and still all unique."""
    early = date(1995, 1, 1)
    people = list(retirees(random.Random(5), communities, 20_000, today=early))
    assert all(p.retirement_date < early and p.birth_date.year <= 1944 for p in people)
    assert len({p.id_number for p in people}) == len(people)


@pytest.mark.unit
def test_more_people_than_unique_id_numbers_is_refused(communities: list[InstitutionSeed]) -> None:
    """Uniqueness is guaranteed, not hoped for: asking for more people than there are (birth day, sequence) slots
    is refused before anything is generated."""
    with pytest.raises(ValueError, match="unique ID numbers"):
        retirees(random.Random(1), communities, 10**8, today=TODAY)


@pytest.mark.unit
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32), day=st.dates(date(1990, 1, 1), date(2040, 12, 31)))
def test_any_seed_and_today_give_valid_retirees(seed: int, day: date) -> None:
    """Property: for any seed and any ``today``, generated people have valid, consistent, distinct ID numbers."""
    tree = institution_tree(random.Random(seed), districts=4, streets=8, communities=30)
    places = [n for n in tree if n.level == "community"]
    people = list(retirees(random.Random(seed), places, 300, today=day))
    assert len({p.id_number for p in people}) == 300
    for p in people:
        IdNumber.parse(p.id_number, today=day).cross_check(p.birth_date, p.sex)
        assert p.retirement_date < day
