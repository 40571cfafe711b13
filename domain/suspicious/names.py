"""Person names as keys for comparing a suspicious list with the registry (function point 2.8).

Two keys, each defined here once and only here:

- :func:`normalise_name`: the same written name whatever the keyboard, the font or the script: NFKC (full-width
  letters, digits and punctuation to half-width), no whitespace at all (U+3000 included), the middle-dot variants of
  minority names (·・•‧∙⋅ and ".") folded to one "·" between parts, traditional characters to simplified (OpenCC
  ``t2s``), Latin letters upper-cased. 張偉, "张 伟" and 张伟 all give 张伟.
- :func:`name_pinyin_key`: the toneless pinyin of the normalised name, syllables separated by one space, with the
  surname read as a surname (单 shan, 曾 zeng, 解 xie, 仇 qiu, 查 zha, 区 ou, 朴 piao; 尉迟 yu chi, 长孙 zhang sun …),
  so an IME homophone slip (张伟 / 章伟) shares a key while different people usually do not.

The set-based comparison stores both keys per list row in its staging table and per person in a registry key table,
and joins on them; it computes them by calling these functions, never by re-implementing them in SQL.
"""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache

from opencc_purepy import OpenCC
from pypinyin import Style, lazy_pinyin

MIDDLE_DOT = "·"
# U+00B7 middle dot, U+30FB katakana middle dot, U+2022 bullet, U+2027 hyphenation point, U+2219 bullet operator,
# U+22C5 dot operator, U+FF65 (NFKC gives U+30FB) and the full stop staff type when the IME offers no middle dot.
DOT_VARIANTS = frozenset("·・•‧∙⋅.")

# Compound surnames (复姓), read as surnames. The given name is read on its own after them.
_COMPOUND_SURNAMES: dict[str, str] = {
    "欧阳": "ou yang",
    "司马": "si ma",
    "诸葛": "zhu ge",
    "上官": "shang guan",
    "尉迟": "yu chi",
    "长孙": "zhang sun",
    "令狐": "ling hu",
    "万俟": "mo qi",
    "单于": "chan yu",
    "澹台": "tan tai",
    "夏侯": "xia hou",
    "皇甫": "huang fu",
    "东方": "dong fang",
    "公孙": "gong sun",
    "慕容": "mu rong",
    "宇文": "yu wen",
    "司徒": "si tu",
    "司空": "si kong",
    "端木": "duan mu",
    "轩辕": "xuan yuan",
    "南宫": "nan gong",
    "钟离": "zhong li",
    "呼延": "hu yan",
    "淳于": "chun yu",
    "闻人": "wen ren",
    "乐正": "yue zheng",
    "子车": "zi ju",
}

# Single-character surnames whose surname reading differs from pypinyin's everyday reading of the character.
_SURNAME_READINGS: dict[str, str] = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "查": "zha",
    "区": "ou",
    "朴": "piao",
    "盖": "ge",
    "覃": "qin",
    "缪": "miao",
    "翟": "zhai",
    "瞿": "qu",
    "秘": "bi",
    "冼": "xian",
    "繁": "po",
    "折": "she",
    "种": "chong",
    "重": "chong",
    "员": "yun",
    "召": "shao",
    "句": "gou",
    "尉": "wei",
    "宿": "su",
    "都": "du",
    "藏": "zang",
    "阚": "kan",
    "乜": "nie",
    "佴": "nai",
    "粘": "nian",
    "那": "na",
    "六": "lu",
    "薄": "bo",
    "贲": "ben",
    "柏": "bai",
    "纪": "ji",
    "燕": "yan",
    "过": "guo",
    "牟": "mou",
}


@cache
def _t2s() -> OpenCC:
    # Built on first use (about 70 ms to load the dictionaries), not at import.
    return OpenCC("t2s")


def _fold_dots(text: str) -> str:
    parts: list[str] = []
    current: list[str] = []
    for character in text:
        if character in DOT_VARIANTS:
            parts.append("".join(current))
            current = []
        else:
            current.append(character)
    parts.append("".join(current))
    return MIDDLE_DOT.join(part for part in parts if part)


def _one_pass(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text)
    # Whitespace of every kind, and the invisible characters pasted from Word or web pages (zero-width space, BOM).
    visible = "".join(c for c in folded if not c.isspace() and unicodedata.category(c) not in {"Cc", "Cf"})
    simplified = unicodedata.normalize("NFKC", _t2s().convert(visible)).upper()
    return _fold_dots("".join(simplified.split()))


@lru_cache(maxsize=65536)
def normalise_name(text: str) -> str:
    """The comparison form of a written name (see the module docstring); "" for a blank name."""
    result = _one_pass(text)
    # Conversion and upper-casing can leave a character that another pass would still change (rare: compatibility
    # characters, phrase-level conversion); passing again until nothing moves makes the result a fixed point.
    for _ in range(3):
        again = _one_pass(result)
        if again == result:
            break
        result = again
    return result


def _is_han(character: str) -> bool:
    return unicodedata.name(character, "").startswith("CJK UNIFIED IDEOGRAPH")


def _read(text: str) -> list[str]:
    return [syllable.strip() for syllable in lazy_pinyin(text, style=Style.NORMAL) if syllable.strip()]


@lru_cache(maxsize=65536)
def name_pinyin_key(text: str) -> str:
    """Toneless pinyin of ``normalise_name(text)``, the surname read as a surname; syllables joined by one space.

    A name of several parts joined by "·" (minority names) has no Han surname: every part is read as written and the
    parts stay separated by "·". So is a name that does not start with a Han character, or of one character.
    """
    name = normalise_name(text)
    if MIDDLE_DOT in name or len(name) < 2 or not _is_han(name[0]):
        return f" {MIDDLE_DOT} ".join(" ".join(_read(part)) for part in name.split(MIDDLE_DOT))
    surname = name[:2] if name[:2] in _COMPOUND_SURNAMES else name[:1]
    reading = _COMPOUND_SURNAMES.get(surname) or _SURNAME_READINGS.get(surname) or " ".join(_read(surname))
    return " ".join([reading, *_read(name[len(surname) :])]).strip()
