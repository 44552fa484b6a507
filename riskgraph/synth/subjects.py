"""The market subjects of the city: kinds, industries, districts, dates, status, structure.

This module draws the skeleton every other part hangs on: per subject its kind, industry,
district, registration and closing day, a persistent latent risk, its shell cluster (if
any), corporate parent (holding chains up to three levels, and branches) and capital.
Day numbers are days since 1970-01-01; ``OPEN`` marks a subject still active.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from riskgraph.synth import vocab
from riskgraph.synth.text import choice, choice_by_group, day_number, pick_within

KINDS = ("enterprise", "individual", "cooperative", "branch")
ENTERPRISE, INDIVIDUAL, COOPERATIVE, BRANCH = range(4)
STATUSES = ("active", "revoked", "cancelled")
ACTIVE, REVOKED, CANCELLED = range(3)
OPEN = np.iinfo(np.int32).max

KIND_WEIGHTS = (0.255, 0.70, 0.02, 0.025)
# Mean age in years of the registrations of each kind (more recent ones more frequent).
MEAN_AGE = (8.0, 5.5, 6.0, 6.0)
CLUSTER_KINDS = ("legal_rep", "address", "phone")
SHELL_SHARE = 0.015  # share of subjects in planted shell clusters
CAPITAL_YUAN = (1e5, 3e5, 5e5, 1e6, 2e6, 3e6, 5e6, 1e7, 2e7, 5e7, 1e8)
CAPITAL_WEIGHTS = (10, 10, 18, 22, 12, 8, 10, 6, 2, 1, 1)
GROUP_CAPITAL_YUAN = (1e7, 2e7, 5e7, 1e8, 5e8)


@dataclass
class Subjects:
    """Per-subject arrays of the city, in generation order (the index is the subject)."""

    kind: np.ndarray
    industry: np.ndarray
    region: np.ndarray
    registered_on: np.ndarray
    closed_on: np.ndarray  # OPEN for active subjects
    status: np.ndarray
    latent: np.ndarray  # persistent hidden risk on the logit scale
    cluster: np.ndarray  # shell cluster id or -1
    cluster_effect: np.ndarray  # added logit risk of shell cluster members
    level: np.ndarray  # holding level: 0 held by persons, 1 by a group, 2 by a subsidiary
    parent: np.ndarray  # corporate shareholder (level 1, 2) or head office (branch), or -1
    capital: np.ndarray  # registered capital in yuan (NaN where not an enterprise)

    @property
    def n(self) -> int:
        """Number of subjects."""
        return len(self.kind)


@dataclass
class Clusters:
    """Planted shell clusters: which subjects belong, and what they share."""

    kinds: np.ndarray  # per cluster: bit 1 legal_rep, 2 address, 4 phone
    effect: np.ndarray  # per cluster: added logit risk

    def shares(self, subjects: Subjects, kind: str) -> np.ndarray:
        """Mark the subjects whose cluster shares ``kind`` (legal_rep, address, phone)."""
        bit = 1 << CLUSTER_KINDS.index(kind)
        member = subjects.cluster >= 0
        out = np.zeros(subjects.n, bool)
        out[member] = (self.kinds[subjects.cluster[member]] & bit) != 0
        return out


def _ages(rng: np.random.Generator, mean: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Exponential ages (days) with the given means, truncated at ``cap`` (inverse CDF)."""
    u = rng.random(len(mean))
    return -mean * np.log1p(-u * (1.0 - np.exp(-cap / mean)))


def _clusters(
    rng: np.random.Generator, kind: np.ndarray, industry: np.ndarray, region: np.ndarray
) -> tuple[np.ndarray, Clusters]:
    """Group shell-prone enterprises into clusters of 3-15; a cluster sits in one district
    (its members are moved to the first member's district, in place)."""
    n = len(kind)
    shell_ind = [i for i, ind in enumerate(vocab.INDUSTRIES) if ind.name in vocab.SHELL_INDUSTRIES]
    candidates = np.flatnonzero((kind == ENTERPRISE) & np.isin(industry, shell_ind))
    target = max(int(round(SHELL_SHARE * n)), min(30, n // 20))
    members = rng.permutation(candidates)[:target]
    cluster = np.full(n, -1, np.int32)
    if len(members) < 3:
        return cluster, Clusters(np.zeros(0, np.int8), np.zeros(0))
    ends = np.cumsum(3 + np.minimum(rng.geometric(0.3, len(members)) - 1, 12))
    label = np.searchsorted(ends, np.arange(len(members)), side="right")
    last = np.searchsorted(ends, len(members) - 3, side="right")
    label = np.minimum(label, last)  # a short tail joins the previous cluster
    cluster[members] = label
    first = np.searchsorted(label, np.arange(last + 1), side="left")
    region[members] = region[members[first[label]]]
    k = int(last) + 1
    primary = choice(rng, (0.4, 0.35, 0.25), k)
    second = (primary + rng.integers(1, 3, k)) % 3
    kinds = (1 << primary) | np.where(rng.random(k) < 0.3, 1 << second, 0)
    return cluster, Clusters(kinds.astype(np.int8), rng.normal(1.2, 0.3, k))


def _holdings(
    rng: np.random.Generator, kind: np.ndarray, cluster: np.ndarray, industry: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Corporate groups, subsidiaries two and three levels deep, and branches' parents."""
    n = len(kind)
    level = np.zeros(n, np.int8)
    parent = np.full(n, -1, np.int32)
    firms = np.flatnonzero((kind == ENTERPRISE) & (cluster < 0))
    u = rng.random(len(firms))
    groups = firms[u < 0.04]
    sub1 = firms[(u >= 0.04) & (u < 0.10)]
    sub2 = firms[(u >= 0.10) & (u < 0.12)]
    group_flag = np.zeros(n, bool)
    group_flag[groups] = True
    if len(groups):
        pick = pick_within(
            rng, np.zeros(len(sub1), np.int64), np.zeros(len(groups), np.int64), skew=1.5
        )
        parent[sub1], level[sub1] = groups[pick], 1
    else:
        sub1 = sub1[:0]
    if len(sub1):
        pick = pick_within(rng, np.zeros(len(sub2), np.int64), np.zeros(len(sub1), np.int64))
        parent[sub2], level[sub2] = sub1[pick], 2
    branches = np.flatnonzero(kind == BRANCH)
    heads = firms
    # Chains: within an industry the first few enterprises take most branches.
    pick = pick_within(rng, industry[branches], industry[heads], skew=3.0)
    anywhere = pick_within(
        rng, np.zeros(len(branches), np.int64), np.zeros(len(heads), np.int64), skew=2.0
    )
    pick = np.where(pick >= 0, pick, anywhere)
    parent[branches] = np.where(pick >= 0, heads[np.maximum(pick, 0)], -1)
    return level, parent, group_flag


LATENT_SD = 0.9  # spread of the persistent latent risk on the logit scale

def make_subjects(rng: np.random.Generator, n: int, as_of: int) -> tuple[Subjects, Clusters]:
    """Draw ``n`` subjects as of day ``as_of``."""
    kind = choice(rng, KIND_WEIGHTS, n).astype(np.int8)
    region = choice(rng, [r.weight for r in vocab.REGIONS], n).astype(np.int8)
    table = np.array([ind.weights for ind in vocab.INDUSTRIES], np.float64).T
    industry = choice_by_group(rng, table, kind).astype(np.int16)

    mean = np.asarray(MEAN_AGE)[kind] * 365.25
    cap = np.full(n, float(as_of - day_number(1985)))
    cap[kind == COOPERATIVE] = as_of - day_number(2007, 7, 1)  # the cooperatives law
    registered = (as_of - _ages(rng, mean, cap)).astype(np.int32)
    latent = rng.normal(0.0, LATENT_SD, n)

    cluster, clusters = _clusters(rng, kind, industry, region)
    member = cluster >= 0
    if clusters.kinds.size:
        # Shells are registered in batches: a few months around the cluster's date.
        base = as_of - rng.uniform(0.5, 6.0, len(clusters.kinds)) * 365.25
        registered[member] = np.minimum(
            base[cluster[member]] + rng.uniform(0, 120, member.sum()), as_of
        ).astype(np.int32)
    effect = np.zeros(n)
    effect[member] = clusters.effect[cluster[member]]

    level, parent, group_flag = _holdings(rng, kind, cluster, industry)
    branches = np.flatnonzero((kind == BRANCH) & (parent >= 0))
    registered[branches] = np.minimum(
        np.maximum(registered[branches], registered[parent[branches]] + 30), as_of
    )
    kind[(kind == BRANCH) & (parent < 0)] = ENTERPRISE  # no enterprise to hang a branch on

    status = np.full(n, ACTIVE, np.int8)
    closed = np.full(n, OPEN, np.int32)
    age = as_of - registered
    p_revoked = 1.0 / (1.0 + np.exp(-(-4.0 + 0.9 * latent + 1.5 * member)))
    u = rng.random(n)
    revoked = (u < p_revoked) & (age > 400)
    cancelled = ~revoked & (u < p_revoked + np.where(kind == INDIVIDUAL, 0.08, 0.06)) & (age > 60)
    status[revoked], status[cancelled] = REVOKED, CANCELLED
    least = np.where(revoked, 400, 60)
    span = rng.random(n) * np.maximum(age - least, 0)
    closed = np.where(revoked | cancelled, registered + least + span, closed).astype(np.int32)
    # A branch closes with its head office.
    shut = branches[status[parent[branches]] != ACTIVE]
    status[shut] = CANCELLED
    closed[shut] = np.clip(closed[parent[shut]], registered[shut], as_of)

    capital = np.full(n, np.nan)
    firms = kind == ENTERPRISE
    capital[firms] = np.asarray(CAPITAL_YUAN)[choice(rng, CAPITAL_WEIGHTS, int(firms.sum()))]
    capital[group_flag] = np.asarray(GROUP_CAPITAL_YUAN)[
        rng.integers(0, len(GROUP_CAPITAL_YUAN), int(group_flag.sum()))
    ]
    subjects = Subjects(
        kind,
        industry,
        region,
        registered,
        closed,
        status,
        latent,
        cluster,
        effect,
        level,
        parent,
        capital,
    )
    return subjects, clusters
