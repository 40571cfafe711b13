"""Plausible Chinese names for people born 1930-1975, for the seed generator: surnames drawn in proportion to how
common they are nationally (王, 李 and 张 alone cover a fifth of the population), given names from characters and
pairs typical of each sex in those decades (建国, 秀兰, 淑珍, 卫东 …). About a third of that generation has a
single-character given name, so names come out two or three characters long.
"""

from __future__ import annotations

import random


def _words(text: str) -> tuple[str, ...]:
    """Space-separated words: long lists of names stay readable and compact."""
    return tuple(text.split())


# Surname and rough share of the population in per mille (national census figures, rounded).
_SURNAME_SHARES = (
    "王72 李72 张68 刘54 陈45 杨31 赵23 黄22 周21 吴20 徐16 孙15 马13 胡13 朱12 郭12 何11 罗10 高10 林10 "
    "郑8 梁8 谢7 宋7 唐7 许7 韩7 邓6 冯6 曹6 彭6 曾5 肖5 田5 董5 潘5 袁5 蔡4 蒋4 余4 于4 杜4 叶4 程4 魏4 "
    "苏4 吕4 丁4 任4 卢3 姚3 沈3 钟3 姜3 崔3 谭3 陆3 范3 汪3 廖3 石3 金3 韦3 贾3 夏3 付3 方3 邹2 熊2 白2 "
    "孟2 秦2 邱2 侯2 江2 尹2 薛2 闫2 段2 雷2 龙2 黎2 史2 陶2 贺2 毛2 郝2 顾2 康2 邢2 安2 常2 牛2 齐2 耿1 "
    "刁1 甄1 申1 靳1 焦1 岳1 翟1 庞1 纪1 左1"
)
SURNAMES: tuple[tuple[str, int], ...] = tuple((item[0], int(item[1:])) for item in _words(_SURNAME_SHARES))
# One slot per mille: drawing a slot with rng.random() is a fifth of the cost of rng.choices with weights, which
# matters when a million names are drawn.
_SURNAME_SLOTS = "".join(surname * share for surname, share in SURNAMES)

# Given names of the generation: revolutionary and patriotic names (建国, 卫东, 跃进) for men born in the 1950s-60s,
# virtue and flower names (淑珍, 秀兰, 桂英) for women of every decade.
MALE_GIVEN = _words(
    "建国 建军 建华 建设 建平 建民 国庆 国强 国华 国栋 国良 国平 志强 志刚 志勇 志明 志华 德明 德胜 德才 德福 振华 "
    "振国 振江 卫国 卫东 卫民 红军 红兵 胜利 学军 学文 立新 立军 永刚 永胜 永利 永强 长江 长林 海涛 海军 明亮 明华 "
    "宝山 宝林 宝华 金生 金海 福生 福来 玉柱 玉林 铁军 铁柱 庆丰 庆华 树林 树森 春生 秋生 新民 新华 保国 保华 跃进 "
    "向阳 向东 文斌 文亮 文忠 俊杰 广义 广田 占军 占海 书林 书文 士杰 世明 顺利 留柱 拴柱 二虎 三喜 会军 贵生"
)
FEMALE_GIVEN = _words(
    "秀兰 秀英 秀珍 秀芳 秀云 桂兰 桂英 桂芝 桂荣 淑珍 淑兰 淑华 淑英 淑芬 玉兰 玉珍 玉梅 玉芬 玉凤 凤英 凤兰 凤琴 "
    "翠兰 翠英 翠萍 丽华 丽娟 丽萍 丽君 红梅 红霞 红英 爱华 爱玲 爱琴 建英 建华 建萍 素芬 素珍 素梅 美兰 美玲 春梅 "
    "春兰 冬梅 金凤 金兰 亚萍 小红 小燕 小梅 彩霞 彩云 慧敏 慧芳 秋菊 秋兰 月娥 月英 雪梅 雪莲 艳萍 艳红 文秀 文英 "
    "惠芳 惠英 巧云 巧玲 晓红 晓燕 海燕 海英 兰英 荣华 瑞芳 俊英 喜梅 银花 改兰 书琴 志芳 卫红 向红 立平 永红"
)
MALE_SINGLE = tuple("军强伟刚勇斌杰涛明林华平波辉东亮忠海江山成利峰胜武文义良福生")
FEMALE_SINGLE = tuple("芳娟敏静丽燕霞红梅兰英华萍玲芬琴艳云凤洁荣珍莉娥颖秀菊香")
_SINGLE_SHARE = 0.3


def random_name(rng: random.Random, sex: str) -> str:
    """A two- or three-character name; ``sex`` is the GB/T 2261.1 code ("1" male, "2" female)."""
    draw = rng.random
    surname = _SURNAME_SLOTS[int(draw() * len(_SURNAME_SLOTS))]
    female = sex == "2"
    given = (
        (FEMALE_SINGLE if female else MALE_SINGLE)
        if draw() < _SINGLE_SHARE
        else (FEMALE_GIVEN if female else MALE_GIVEN)
    )
    return surname + given[int(draw() * len(given))]
