"""Names of subjects, as registered: brand or owner word + trade word + legal form.

- individual businesses: ``任城区`` + ``鑫源`` / ``老王`` / ``张记`` / the operator's name +
  a shop word (``羊肉汤馆``, ``化肥经营部``);
- enterprises: ``山东`` / ``济宁`` / ``济宁市`` / the district + brand + business word +
  ``有限公司`` (groups ``…集团有限公司``; subsidiaries mostly keep the group's brand);
- cooperatives: district + town + brand + ``大蒜种植专业合作社``;
- branches: the head office's name + ``金乡县分公司`` / ``建设路店`` / ``建设路加油站``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from riskgraph.synth import vocab
from riskgraph.synth.subjects import BRANCH, ENTERPRISE, INDIVIDUAL, Subjects
from riskgraph.synth.text import choice, flatten, join, take, where

FIRM_PREFIXES = ("山东", "济宁", "济宁市")
FIRM_PREFIX_WEIGHTS = (0.15, 0.25, 0.20, 0.40)  # the last: the district's own prefix
SCHOOLS = (
    "第一中学",
    "第二中学",
    "实验中学",
    "实验小学",
    "第一实验小学",
    "职业中专",
    "第三中学",
    "育才中学",
)


def _word(rng: np.random.Generator, lists: list[tuple[str, ...]], group: np.ndarray) -> pa.Array:
    """Pick one word per row from the list of its group."""
    items, offset, count = flatten([x or ("商店",) for x in lists])
    pick = offset[group] + (rng.random(len(group)) * count[group]).astype(np.int64)
    return take(items, pick)


def subject_names(
    rng: np.random.Generator,
    s: Subjects,
    legal: np.ndarray,
    person_names: pa.Array,
    person_surname: np.ndarray,
    town_index: np.ndarray,
) -> pa.Array:
    """Return every subject's registered name (cooperatives named after their town)."""
    n = s.n
    industry, region = s.industry.astype(np.int64), s.region.astype(np.int64)
    regions = vocab.REGIONS
    district = take([r.name for r in regions], region)

    nb = len(vocab.BRAND_SECOND)
    brand_code = rng.integers(0, len(vocab.BRAND_FIRST), n) * nb + rng.integers(0, nb, n)
    keep = rng.random(n) < 0.7
    for level in (1, 2):  # subsidiaries keep the group's brand
        rows = np.flatnonzero((s.level == level) & keep)
        brand_code[rows] = brand_code[s.parent[rows]]
    brand = join(
        take(vocab.BRAND_FIRST, brand_code // nb), take(vocab.BRAND_SECOND, brand_code % nb)
    )

    owner = np.maximum(legal, 0)
    surname = take([x for x, _ in vocab.SURNAMES], person_surname[owner])
    mid = rng.choice(4, n, p=(0.55, 0.15, 0.2, 0.1))
    individual = join(
        district,
        where(
            mid == 0,
            brand,
            where(
                mid == 1,
                join(surname, "记"),
                where(mid == 2, person_names.take(pa.array(owner)), join("老", surname)),
            ),
        ),
        _word(rng, [ind.shop_words for ind in vocab.INDUSTRIES], industry),
    )

    prefix = choice(rng, FIRM_PREFIX_WEIGHTS, n)
    firm_prefix = where(
        prefix == 3,
        take([r.firm_prefix for r in regions], region),
        take(FIRM_PREFIXES, np.minimum(prefix, 2)),
    )
    is_group = np.zeros(n, bool)
    is_group[s.parent[s.level == 1]] = True
    form = take([f for f, _ in vocab.FIRM_FORMS], choice(rng, [w for _, w in vocab.FIRM_FORMS], n))
    enterprise = join(
        firm_prefix,
        brand,
        _word(rng, [ind.firm_words for ind in vocab.INDUSTRIES], industry),
        where(is_group, join("集团", form), form),
    )

    towns, _, _ = flatten([r.towns for r in regions])
    town = take(towns, town_index)
    cooperative = join(
        district,
        town,
        where(rng.random(n) < 0.5, brand, ""),
        take(vocab.COOP_TRADES, rng.integers(0, len(vocab.COOP_TRADES), n)),
        "专业合作社",
    )

    names = where(
        s.kind == INDIVIDUAL, individual, where(s.kind == ENTERPRISE, enterprise, cooperative)
    )
    roads, road_off, road_cnt = flatten([r.roads for r in regions])
    road = take(roads, road_off[region] + (rng.random(n) * road_cnt[region]).astype(np.int64))
    names_of = [ind.name for ind in vocab.INDUSTRIES]
    station = industry == names_of.index("加油站")
    canteen = industry == names_of.index("学校食堂")
    school = take(SCHOOLS, rng.integers(0, len(SCHOOLS), n))
    tail_kind = rng.choice(3, n, p=(0.55, 0.3, 0.15))
    usual = where(
        tail_kind == 0,
        join(district, "分公司"),
        where(tail_kind == 1, join(road, "店"), join(district, road, "营业部")),
    )
    tail = where(
        station, join(road, "加油站"), where(canteen, join(district, school, "食堂"), usual)
    )
    head = names.take(pa.array(np.maximum(s.parent, 0).astype(np.int64)))
    branch = join(head, tail)
    return where((s.kind == BRANCH) & (s.parent >= 0), branch, names)
