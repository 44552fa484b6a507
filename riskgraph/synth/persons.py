"""Natural persons: birth dates that fit their roles, resident IDs, names and mobiles.

A person is born so that they were at least 18 on the first day they held a role and
are 20-75 years old (inspectors 23-60) at ``as_of``. Names are codes (surname, one or
two given characters) until written, so homonyms are planted by copying a code and found
by grouping on it. Common names repeat naturally, as in a real city.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from riskgraph.synth import vocab
from riskgraph.synth.ids import duplicated, resident_ids
from riskgraph.synth.text import choice, join, pick_within, take, where

YEAR = 365.25
CHARS = tuple(dict.fromkeys(vocab.MALE_CHARS + vocab.FEMALE_CHARS))
_MALE = np.array([CHARS.index(c) for c in vocab.MALE_CHARS])
_FEMALE = np.array([CHARS.index(c) for c in vocab.FEMALE_CHARS])
MOBILE_PREFIXES = (
    130,
    131,
    132,
    133,
    134,
    135,
    136,
    137,
    138,
    139,
    150,
    151,
    152,
    153,
    155,
    156,
    157,
    158,
    159,
    166,
    173,
    177,
    180,
    181,
    182,
    183,
    185,
    186,
    187,
    188,
    189,
    198,
    199,
)


@dataclass
class Persons:
    """Per-person arrays (the index is the person)."""

    born_on: np.ndarray
    male: np.ndarray
    surname: np.ndarray
    given1: np.ndarray
    given2: np.ndarray  # -1 for a one-character given name
    mobile: np.ndarray
    person_id: pa.Array

    @property
    def n(self) -> int:
        """Number of persons."""
        return len(self.born_on)

    def name_key(self) -> np.ndarray:
        """Return one integer per person, equal exactly when the names are equal."""
        return (self.surname.astype(np.int64) * 1000 + self.given1) * 1000 + self.given2 + 1

    def names(self) -> pa.Array:
        """Return the names as strings."""
        second = where(self.given2 >= 0, take(CHARS, np.maximum(self.given2, 0)), "")
        return join(
            take([s for s, _ in vocab.SURNAMES], self.surname), take(CHARS, self.given1), second
        )


def unique_numbers(rng: np.random.Generator, low: int, high: int, size: int) -> np.ndarray:
    """Draw ``size`` distinct integers in [low, high)."""
    out = rng.integers(low, high, size)
    for _ in range(1000):
        dup = duplicated(out)
        if not dup.any():
            break
        out[dup] = rng.integers(low, high, int(dup.sum()))
    return out


def mobiles(rng: np.random.Generator, size: int) -> np.ndarray:
    """Draw distinct 11-digit mobile numbers."""
    prefix = np.asarray(MOBILE_PREFIXES, np.int64)
    span = len(prefix) * 100_000_000
    raw = unique_numbers(rng, 0, span, size)
    return prefix[raw // 100_000_000] * 100_000_000 + raw % 100_000_000


def make_persons(
    rng: np.random.Generator,
    home_region: np.ndarray,
    first_role: np.ndarray,
    inspector: np.ndarray,
    as_of: int,
) -> Persons:
    """Draw the persons; ``first_role`` is the day each one first held a role (or as_of)."""
    n = len(home_region)
    youngest = np.where(inspector, 23, 20) * YEAR
    oldest = np.where(inspector, 60, 75) * YEAR
    lo = as_of - oldest
    hi = np.maximum(np.minimum(as_of - youngest, first_role - 18 * YEAR), lo)
    gap = np.minimum(rng.gamma(3.0, 4.5, n) * YEAR, hi - lo)
    born = np.floor(hi - gap).astype(np.int32)
    male = rng.random(n) < np.where(inspector, 0.6, 0.65)

    codes = [r.id_codes for r in vocab.REGIONS]
    width = max(len(c) for c in codes)
    table = np.array([c + (c[0],) * (width - len(c)) for c in codes], np.int64)
    count = np.array([len(c) for c in codes])
    pick = (rng.random(n) * count[home_region]).astype(np.int64)
    local = table[home_region, pick]
    away = np.asarray(vocab.ELSEWHERE_ID_CODES)[rng.integers(0, len(vocab.ELSEWHERE_ID_CODES), n)]
    region_code = np.where(rng.random(n) < 0.85, local, away)

    surname = choice(rng, [w for _, w in vocab.SURNAMES], n).astype(np.int16)
    pool = np.where(male, 0, 1)
    sizes = np.array([len(_MALE), len(_FEMALE)])
    table_chars = np.full((2, max(sizes)), -1)
    table_chars[0, : len(_MALE)] = _MALE
    table_chars[1, : len(_FEMALE)] = _FEMALE
    g1 = table_chars[pool, (rng.random(n) * sizes[pool]).astype(np.int64)]
    g2 = table_chars[pool, (rng.random(n) * sizes[pool]).astype(np.int64)]
    g2 = np.where(rng.random(n) < 0.25, -1, g2)
    return Persons(
        born,
        male,
        surname,
        g1.astype(np.int16),
        g2.astype(np.int16),
        mobiles(rng, n),
        resident_ids(rng, region_code, born, male),
    )


def plant_homonyms(
    rng: np.random.Generator,
    persons: Persons,
    targets: np.ndarray,
    region_of: np.ndarray,
    share: float = 0.5,
) -> np.ndarray:
    """Give ``share`` of ``targets`` a namesake: another person of the same district.

    Returns (target, twin) pairs as an (k, 2) array. Twins are never targets themselves.
    """
    targets = np.unique(targets)
    chosen = targets[rng.random(len(targets)) < share]
    if not len(chosen):
        return np.empty((0, 2), np.int64)
    others = np.setdiff1d(np.arange(persons.n), targets)
    twin = pick_within(rng, region_of[chosen], region_of[others])
    ok = twin >= 0
    chosen, twin = chosen[ok], others[twin[ok]]
    keep = ~duplicated(twin)
    chosen, twin = chosen[keep], twin[keep]
    persons.surname[twin] = persons.surname[chosen]
    persons.given1[twin] = persons.given1[chosen]
    persons.given2[twin] = persons.given2[chosen]
    return np.stack([chosen, twin], axis=1)
