"""Addresses and phones of subjects, each written in one of several equivalent ways.

An address is drawn as components (district, road or village, number, shop / office /
market stall) and written per subject with independently drawn variants — the only
kinds the loader's normaliser undoes:

- with or without the leading ``山东省`` and ``济宁市`` (``山东省济宁市…``, ``济宁市…``, ``…``);
- full-width digits (``１２３号``) instead of ASCII ones;
- spaces between the components (``济宁市 任城区 建设路 12号``).

Markets and the big office buildings are hubs: many subjects share one address. Phones
are a subject's own landline (area code 0537) or its legal representative's mobile,
written as ``0537-1234567``, ``05371234567``, ``+86 537 1234567``, ``13812345678``,
``+86 138 1234 5678`` or ``138-1234-5678``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from riskgraph.synth import vocab
from riskgraph.synth.persons import unique_numbers
from riskgraph.synth.subjects import Clusters, Subjects
from riskgraph.synth.text import (
    choice_by_group,
    digits,
    flatten,
    fullwidth,
    join,
    null_where,
    take,
    where,
)

NONE, SHOP, BUILDING, MARKET, VILLAGE = range(5)
# Address kind by subject kind (enterprise, individual, cooperative, branch).
ADDRESS_KINDS = np.array(
    [
        (0.45, 0.05, 0.35, 0.00, 0.15),
        (0.43, 0.25, 0.00, 0.12, 0.20),
        (0.00, 0.00, 0.00, 0.00, 1.00),
        (0.55, 0.20, 0.10, 0.10, 0.05),
    ]
)
PREFIXES = ("山东省济宁市", "济宁市", "")
SPACED_PREFIXES = ("山东省 济宁市 ", "济宁市 ", "")
PREFIX_WEIGHTS = (0.3, 0.4, 0.3)
SPACED, FULLWIDTH = 0.15, 0.12
TOWERS = ("大厦", "商务楼", "写字楼", "国际中心", "商务中心")
VILLAGE_TAILS = ("庄村", "家村", "楼村", "集村", "营村", "屯村")
ZONES = ("东", "西", "南", "北", "中")
# Phone source by subject kind: legal representative's mobile, own landline, none.
PHONE_SOURCES = np.array(
    [(0.35, 0.55, 0.10), (0.72, 0.18, 0.10), (0.60, 0.20, 0.20), (0.20, 0.70, 0.10)]
)


def _in_region(
    rng: np.random.Generator,
    region: np.ndarray,
    offset: np.ndarray,
    count: np.ndarray,
    skew: float = 1.0,
) -> np.ndarray:
    return offset[region] + (rng.random(len(region)) ** skew * count[region]).astype(np.int64)


def addresses(
    rng: np.random.Generator, s: Subjects, clusters: Clusters
) -> tuple[pa.Array, np.ndarray]:
    """Write every subject's address in one of its variants; also return its town index
    (into the flattened towns of all districts; used for village addresses)."""
    n, region = s.n, s.region.astype(np.int64)
    regions = vocab.REGIONS
    roads, road_off, road_cnt = flatten([r.roads for r in regions])
    markets, market_off, market_cnt = flatten([r.markets for r in regions])
    towers, tower_off, tower_cnt = flatten([r.buildings for r in regions])
    towns, town_off, town_cnt = flatten([r.towns for r in regions])
    road_index = {
        (r, name): road_off[r] + regions[r].roads.index(name)
        for r in range(len(regions))
        for name in regions[r].roads
    }

    kind = choice_by_group(rng, ADDRESS_KINDS, s.kind)
    road = _in_region(rng, region, road_off, road_cnt)
    number = 1 + (rng.random(n) ** 2 * 400).astype(np.int64)
    named = rng.random(n) < 0.3  # a named landmark building rather than any office block
    tower = _in_region(rng, region, tower_off, tower_cnt)
    market = _in_region(rng, region, market_off, market_cnt)
    room = rng.integers(1, 31, n) * 100 + rng.integers(1, 41, n)
    stall = np.where(rng.random(n) < 0.15, -1, rng.integers(1, 1000, n))
    extra = rng.integers(0, 1 << 20, n)  # brand of an office block, village, shop number

    # Shells sharing an address all registered at one office room (集群注册).
    shared = clusters.shares(s, "address")
    if shared.any():
        leader = np.full(len(clusters.kinds), n, np.int64)
        np.minimum.at(leader, s.cluster[shared], np.flatnonzero(shared))
        src = leader[s.cluster[shared]]
        kind[src] = BUILDING
        for arr in (kind, road, number, named, tower, room, extra):
            arr[shared] = arr[src]

    tower_road = np.array(
        [road_index[(r, t[1])] for r in range(len(regions)) for t in regions[r].buildings]
    )
    tower_num = np.array([t[2] for t in towers])
    market_road = np.array(
        [road_index[(r, m[1])] for r in range(len(regions)) for m in regions[r].markets]
    )
    market_num = np.array([m[2] for m in markets])
    at_tower = (kind == BUILDING) & named
    at_market = kind == MARKET
    road = np.where(at_tower, tower_road[tower], np.where(at_market, market_road[market], road))
    number = np.where(at_tower, tower_num[tower], np.where(at_market, market_num[market], number))

    brand = join(
        take(vocab.BRAND_FIRST, extra % len(vocab.BRAND_FIRST)),
        take(vocab.BRAND_SECOND, (extra >> 6) % len(vocab.BRAND_SECOND)),
        take(TOWERS, (extra >> 12) % len(TOWERS)),
    )
    tower_name = where(named, take([t[0] for t in towers], tower), brand)
    stall_text = where(
        stall >= 0,
        join(take(ZONES, extra % len(ZONES)), "区", digits(np.maximum(stall, 0)), "号摊位"),
        "",
    )
    town = town_off[region] + extra % town_cnt[region]
    village = join(
        take(towns, town),
        take([x for x, _ in vocab.SURNAMES], (extra >> 4) % len(vocab.SURNAMES)),
        take(VILLAGE_TAILS, (extra >> 11) % len(VILLAGE_TAILS)),
    )
    street = where(kind == VILLAGE, village, take(roads, road))
    suffix = where(
        kind == SHOP,
        join(digits(1 + extra % 30), "号商铺"),
        where(
            kind == BUILDING,
            join(tower_name, digits(room), "室"),
            where(at_market, join(take([m[0] for m in markets], market), stall_text), ""),
        ),
    )
    district = take([r.name for r in regions], region)

    prefix = rng.choice(len(PREFIXES), n, p=PREFIX_WEIGHTS)
    spaced = rng.random(n) < SPACED
    plain = join(take(PREFIXES, prefix), district, street, digits(number), "号", suffix)
    with_spaces = join(
        take(SPACED_PREFIXES, prefix),
        district,
        " ",
        street,
        " ",
        digits(number),
        "号",
        where((kind == NONE) | (kind == VILLAGE), "", join(" ", suffix)),
    )
    text = where(spaced, with_spaces, plain)
    return where(rng.random(n) < FULLWIDTH, fullwidth(text), text), town


def _mobile_text(number: np.ndarray, variant: np.ndarray) -> pa.Array:
    a, b, c = number // 100_000_000, (number // 10_000) % 10_000, number % 10_000
    return where(
        variant == 0,
        digits(number),
        where(
            variant == 1,
            join("+86 ", digits(a), " ", digits(b, 4), " ", digits(c, 4)),
            join(digits(a), "-", digits(b, 4), "-", digits(c, 4)),
        ),
    )


def _landline_text(number: np.ndarray, variant: np.ndarray) -> pa.Array:
    local = digits(number, 7)
    return where(
        variant == 0,
        join("0537-", local),
        where(variant == 1, join("0537", local), join("+86 537 ", local)),
    )


def phones(
    rng: np.random.Generator,
    s: Subjects,
    clusters: Clusters,
    legal: np.ndarray,
    mobile_of_person: np.ndarray,
) -> pa.Array:
    """Write every subject's phone (empty for some) in one of its variants."""
    n = s.n
    source = choice_by_group(rng, PHONE_SOURCES, s.kind)
    source = np.where((source == 0) & (legal < 0), 1, source)
    mobile = np.where(legal >= 0, mobile_of_person[np.maximum(legal, 0)], 0)
    landline = unique_numbers(rng, 2_000_000, 9_000_000, n)

    # Shells sharing a phone use their controller's mobile or their agent's landline.
    shared = clusters.shares(s, "phone")
    if shared.any():
        leader = np.full(len(clusters.kinds), n, np.int64)
        np.minimum.at(leader, s.cluster[shared], np.flatnonzero(shared))
        src = leader[s.cluster[shared]]
        heads = np.unique(src)
        source[heads] = np.where(legal[heads] >= 0, rng.integers(0, 2, len(heads)), 1)
        for arr in (source, mobile, landline):
            arr[shared] = arr[src]

    variant = np.where(
        source == 0, rng.choice(3, n, p=(0.6, 0.2, 0.2)), rng.choice(3, n, p=(0.45, 0.35, 0.2))
    )
    text = where(source == 0, _mobile_text(mobile, variant), _landline_text(landline, variant))
    return null_where(source == 2, text)
