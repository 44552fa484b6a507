"""The record before ``as_of``: 12315 complaints and administrative penalties.

Both are inhomogeneous Poisson processes over the last ``YEARS`` years, one yearly bin at
a time, with a rate that grows with the subject's hidden risk at that time:
``rate = industry rate * exp(slope * excess logit risk)``. Penalties carry a severity
that also grows with risk, an amount, a deciding department and reason, and for some a
credit-repair date after the minimum publicity period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from riskgraph.synth import catalog, vocab
from riskgraph.synth.risk import YEAR, Risk, sigmoid
from riskgraph.synth.subjects import Subjects
from riskgraph.synth.text import choice, choice_by_group, flatten

YEARS = 6
SEVERITIES = ("minor", "general", "serious")
MINOR, GENERAL, SERIOUS = range(3)
CATEGORIES: tuple[str, ...] = tuple(
    dict.fromkeys(
        [c for ind in vocab.INDUSTRIES for c in ind.categories] + list(vocab.GENERIC_CATEGORIES)
    )
)
REASONS, REASON_OFFSET, REASON_COUNT = flatten([d.reasons for d in catalog.DEPARTMENTS])
AMOUNT_MEDIAN = (2_000.0, 20_000.0, 150_000.0)
REPAIR_SHARE = (0.40, 0.25, 0.08)
REPAIR_MIN_DAYS = (90, 90, 365)  # minimum publicity before credit repair
CITY_CASES = 0.15  # share of penalties decided by the city bureau itself


@dataclass
class Complaints:
    """12315 complaints."""

    subject: np.ndarray
    day: np.ndarray
    channel: np.ndarray
    category: np.ndarray  # index into CATEGORIES
    substantiated: np.ndarray


@dataclass
class Penalties:
    """Administrative penalty decisions."""

    subject: np.ndarray
    day: np.ndarray
    department: np.ndarray
    severity: np.ndarray
    amount: np.ndarray  # yuan
    reason: np.ndarray  # index into REASONS
    repaired: np.ndarray  # day of credit repair or -1
    city: np.ndarray  # decided by the city bureau (case number prefix 济)

    @classmethod
    def concat(cls, parts: list[Penalties]) -> Penalties:
        """Concatenate penalty sets."""
        return cls(
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in (
                    "subject",
                    "day",
                    "department",
                    "severity",
                    "amount",
                    "reason",
                    "repaired",
                    "city",
                )
            )
        )


def events(
    rng: np.random.Generator, s: Subjects, risk: Risk, rate: np.ndarray, slope: float, as_of: int
) -> tuple[np.ndarray, np.ndarray]:
    """Draw dated events per subject at ``rate`` a year times exp(slope * excess risk)."""
    edges = as_of + 1 - np.round(np.arange(YEARS, -1, -1) * YEAR).astype(np.int64)
    start = np.maximum(edges[None, :-1], s.registered_on[:, None].astype(np.int64))
    stop = np.minimum(edges[None, 1:], np.minimum(s.closed_on, as_of)[:, None] + 1)
    span = np.maximum(stop - start, 0)
    subject = np.arange(s.n)[:, None]
    excess = risk.excess(subject, (start + stop) / 2.0)
    lam = rate[:, None] * np.exp(slope * excess) * span / YEAR
    count = rng.poisson(lam).ravel()
    cell = np.repeat(np.arange(count.size), count)
    day = start.ravel()[cell] + (rng.random(cell.size) * span.ravel()[cell]).astype(np.int64)
    return (cell // YEARS).astype(np.int32), day.astype(np.int32)


def make_complaints(rng: np.random.Generator, s: Subjects, risk: Risk, as_of: int) -> Complaints:
    """Draw the 12315 complaints of the last YEARS years."""
    rate = np.array([ind.complaints for ind in vocab.INDUSTRIES])[s.industry]
    subject, day = events(rng, s, risk, rate, 0.8, as_of)
    order = np.lexsort((subject, day))
    subject, day = subject[order], day[order]
    m = len(subject)
    own = [tuple(CATEGORIES.index(c) for c in ind.categories) for ind in vocab.INDUSTRIES]
    items, offset, count = flatten(own)
    industry = s.industry[subject]
    pick = offset[industry] + (rng.random(m) ** 1.5 * count[industry]).astype(np.int64)
    generic = np.array([CATEGORIES.index(c) for c in vocab.GENERIC_CATEGORIES])
    category = np.where(
        rng.random(m) < 0.8, np.asarray(items)[pick], generic[rng.integers(0, len(generic), m)]
    )
    channel = choice(rng, [w for _, w in vocab.COMPLAINT_CHANNELS], m)
    substantiated = rng.random(m) < sigmoid(-1.2 + risk.excess(subject, day))
    return Complaints(
        subject, day, channel.astype(np.int8), category.astype(np.int16), substantiated
    )


def decide(
    rng: np.random.Generator,
    s: Subjects,
    risk: Risk,
    subject: np.ndarray,
    day: np.ndarray,
    department: np.ndarray,
    as_of: int,
) -> Penalties:
    """Decide penalties: severity from risk, amount, reason and any credit repair."""
    m = len(subject)
    p_serious = sigmoid(-3.2 + 0.7 * risk.excess(subject, day))
    u = rng.random(m)
    severity = np.where(
        u < p_serious, SERIOUS, np.where(u < p_serious + (1 - p_serious) * 0.45, GENERAL, MINOR)
    )
    median = np.asarray(AMOUNT_MEDIAN)[severity]
    amount = np.round(median * np.exp(rng.normal(0.0, 0.8, m)) / 100.0) * 100.0
    amount[(severity == MINOR) & (rng.random(m) < 0.3)] = 0.0  # a warning, no fine
    reason = REASON_OFFSET[department] + (rng.random(m) * REASON_COUNT[department]).astype(np.int64)
    repaired = (day + np.asarray(REPAIR_MIN_DAYS)[severity] + rng.exponential(240.0, m)).astype(
        np.int64
    )
    keep = (rng.random(m) < np.asarray(REPAIR_SHARE)[severity]) & (repaired <= as_of)
    return Penalties(
        subject.astype(np.int32),
        day.astype(np.int32),
        department.astype(np.int16),
        severity.astype(np.int8),
        amount,
        reason.astype(np.int16),
        np.where(keep, repaired, -1).astype(np.int32),
        rng.random(m) < CITY_CASES,
    )


def penalty_departments(rng: np.random.Generator, industry: np.ndarray) -> np.ndarray:
    """Draw deciding departments: the industry's own, or the enforcement brigades."""
    k = len(catalog.DEPARTMENTS)
    table = np.zeros((len(vocab.INDUSTRIES), k))
    for i, ind in enumerate(vocab.INDUSTRIES):
        for name, w in ind.departments:
            table[i, catalog.DEPARTMENT_INDEX[name]] += 0.65 * w
        for name, w in catalog.ENFORCEMENT:
            table[i, catalog.DEPARTMENT_INDEX[name]] += w
    return choice_by_group(rng, table, industry)


def make_penalties(rng: np.random.Generator, s: Subjects, risk: Risk, as_of: int) -> Penalties:
    """Draw the penalties of the last YEARS years (before any from inspections)."""
    rate = np.array([ind.penalties for ind in vocab.INDUSTRIES])[s.industry]
    subject, day = events(rng, s, risk, rate, 1.0, as_of)
    department = penalty_departments(rng, s.industry[subject])
    return decide(rng, s, risk, subject, day, department, as_of)


def first_day(subject: np.ndarray, day: np.ndarray, n: int) -> np.ndarray:
    """Return each subject's first event day (int32 max when none)."""
    out = np.full(n, np.iinfo(np.int32).max, np.int64)
    np.minimum.at(out, subject, day)
    return out
