"""Who owns and runs each subject: shareholders, legal representatives, officers, branches.

Persons are plain indices here (their IDs and names come later, in :mod:`persons`).
Most role slots get a fresh person; a few draw from a pool of serial entrepreneurs whose
first members are drawn far more often (heavy tail), mostly in their home district.
Shell clusters that share a legal representative get one nominee for all members.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from riskgraph.synth import vocab
from riskgraph.synth.ids import duplicated
from riskgraph.synth.subjects import (
    BRANCH,
    COOPERATIVE,
    ENTERPRISE,
    INDIVIDUAL,
    Clusters,
    Subjects,
)
from riskgraph.synth.text import choice, group_rank, pick_within

ROLES = ("shareholder", "legal_rep", "executive", "supervisor", "branch_of")
SHAREHOLDER, LEGAL_REP, EXECUTIVE, SUPERVISOR, BRANCH_OF = range(5)
HOLDERS_PER_FIRM = (0.58, 0.30, 0.07, 0.03, 0.02)  # 1, 2, 3, 4, 5 shareholders
SERIAL_POOL = 0.04  # serial-entrepreneur pool, as a share of subjects
SERIAL_SKEW = 1.3
LOCAL = 0.85  # share of serial draws from the subject's own district


@dataclass
class Roles:
    """Role rows: exactly one of ``person`` / ``holder`` (a subject) is >= 0."""

    subject: np.ndarray
    person: np.ndarray
    holder: np.ndarray
    role: np.ndarray
    share_bp: np.ndarray  # share in basis points (1/100 %), -1 when not a shareholding
    since: np.ndarray

    @classmethod
    def of(
        cls,
        subject: np.ndarray,
        role: int,
        since: np.ndarray,
        person: np.ndarray | None = None,
        holder: np.ndarray | None = None,
        share_bp: np.ndarray | None = None,
    ) -> Roles:
        """Build rows of one role."""
        n = len(subject)
        none = np.full(n, -1, np.int32)
        return cls(
            np.asarray(subject, np.int32),
            none if person is None else np.asarray(person, np.int32),
            none if holder is None else np.asarray(holder, np.int32),
            np.full(n, role, np.int8),
            none if share_bp is None else np.asarray(share_bp, np.int32),
            np.asarray(since, np.int32),
        )

    @classmethod
    def concat(cls, parts: list[Roles]) -> Roles:
        """Concatenate role rows."""
        return cls(
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in ("subject", "person", "holder", "role", "share_bp", "since")
            )
        )

    def __len__(self) -> int:
        return len(self.subject)


class PersonPool:
    """Hands out person indices: fresh ones, or serial entrepreneurs from a shared pool."""

    def __init__(self, rng: np.random.Generator, n_subjects: int) -> None:
        self.rng = rng
        size = max(20, int(SERIAL_POOL * n_subjects))
        self.pool_region = choice(rng, [r.weight for r in vocab.REGIONS], size)
        self.count = size

    def fresh(self, k: int) -> np.ndarray:
        """Return ``k`` new persons."""
        out = np.arange(self.count, self.count + k, dtype=np.int32)
        self.count += k
        return out

    def draw(self, region: np.ndarray, p_serial: float | np.ndarray) -> np.ndarray:
        """Return one person per row: a serial entrepreneur with ``p_serial``, else fresh."""
        rng = self.rng
        m = len(region)
        serial = rng.random(m) < p_serial
        out = np.empty(m, np.int32)
        out[~serial] = self.fresh(int((~serial).sum()))
        rows = np.flatnonzero(serial)
        local = pick_within(rng, region[rows], self.pool_region, skew=SERIAL_SKEW)
        anywhere = pick_within(
            rng,
            np.zeros(len(rows), np.int64),
            np.zeros(len(self.pool_region), np.int64),
            skew=SERIAL_SKEW,
        )
        out[rows] = np.where((rng.random(len(rows)) < LOCAL) & (local >= 0), local, anywhere)
        return out


def _changed(
    rng: np.random.Generator,
    s: Subjects,
    subject: np.ndarray,
    as_of: int,
    share: float | np.ndarray,
) -> np.ndarray:
    """Return role start days: registration, or for ``share`` of rows a later change."""
    reg = s.registered_on[subject].astype(np.int64)
    end = np.minimum(s.closed_on[subject].astype(np.int64), as_of)
    later = reg + (rng.random(len(subject)) * (end - reg)).astype(np.int64)
    return np.where(rng.random(len(subject)) < share, later, reg)


def _shares(subject: np.ndarray, slot: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Split 100 % (10,000 bp) among each subject's holders; the first takes the rounding."""
    total = np.bincount(subject, weights=weight)
    k = np.bincount(subject)
    room = 10_000 - 100 * k[subject]  # everyone holds at least 1 %
    bp = 100 + np.floor(weight / total[subject] * room).astype(np.int64)
    rest = 10_000 - np.bincount(subject, weights=bp).astype(np.int64)
    return np.where(slot == 0, bp + rest[subject], bp)


def make_roles(
    rng: np.random.Generator, s: Subjects, clusters: Clusters, as_of: int, pool: PersonPool
) -> tuple[Roles, np.ndarray]:
    """Draw every subject's role rows; return them and each subject's legal representative."""
    parts: list[Roles] = []
    legal = np.full(s.n, -1, np.int32)

    ind = np.flatnonzero(s.kind == INDIVIDUAL)
    operator = pool.draw(s.region[ind], 0.06)
    legal[ind] = operator
    parts.append(
        Roles.of(
            ind,
            SHAREHOLDER,
            s.registered_on[ind],
            person=operator,
            share_bp=np.full(len(ind), 10_000),
        )
    )

    # Shareholders of enterprises and cooperatives: one row per (subject, slot).
    firm = np.flatnonzero(s.kind == ENTERPRISE)
    coop = np.flatnonzero(s.kind == COOPERATIVE)
    k_firm = 1 + choice(rng, HOLDERS_PER_FIRM, len(firm))
    k_coop = rng.integers(5, 9, len(coop))
    held = np.concatenate([firm, coop])
    subject = np.repeat(held, np.concatenate([k_firm, k_coop]))
    slot = group_rank([subject, np.arange(len(subject))])
    corporate = (slot == 0) & (s.level[subject] > 0)
    person = pool.draw(s.region[subject], np.where(s.kind[subject] == COOPERATIVE, 0.03, 0.12))
    nominee_of = np.full(len(clusters.kinds), -1, np.int32)
    rep_shared = clusters.shares(s, "legal_rep")
    has_nominee = np.flatnonzero(clusters.kinds & 1)
    nominee_of[has_nominee] = pool.fresh(len(has_nominee))
    as_nominee = (slot == 0) & rep_shared[subject] & (rng.random(len(subject)) < 0.5)
    person[as_nominee] = nominee_of[s.cluster[subject[as_nominee]]]
    weight = rng.gamma(2.0, 1.0, len(subject)) * np.where(corporate, 4.0, 1.0)
    share = _shares(subject, slot, weight)
    since = _changed(rng, s, subject, as_of, 0.12)
    holder = np.where(corporate, s.parent[subject], -1)
    since = np.where(
        corporate,
        np.minimum(np.maximum(since, s.registered_on[np.maximum(holder, 0)] + 1), as_of),
        since,
    )
    parts.append(
        Roles(
            subject.astype(np.int32),
            np.where(corporate, -1, person).astype(np.int32),
            holder.astype(np.int32),
            np.full(len(subject), SHAREHOLDER, np.int8),
            share.astype(np.int32),
            since.astype(np.int32),
        )
    )

    # Legal representatives: usually the first (person) shareholder.
    first = slot == 0
    first_person = np.full(s.n, -1, np.int32)
    first_person[subject[first & ~corporate]] = person[first & ~corporate]
    second_person = np.full(s.n, -1, np.int32)
    second_person[subject[(slot == 1)]] = person[slot == 1]
    u = rng.random(len(held))
    drawn = pool.draw(s.region[held], 0.15)
    legal[held] = np.where((first_person[held] >= 0) & (u < 0.88), first_person[held], drawn)
    legal[rep_shared] = nominee_of[s.cluster[rep_shared]]
    copy = rng.random(s.n) < 0.5
    for level in (1, 2):  # subsidiaries often share the group's legal representative
        rows = np.flatnonzero((s.level == level) & copy)
        legal[rows] = legal[s.parent[rows]]
    branches = np.flatnonzero(s.kind == BRANCH)
    head = s.parent[branches]
    legal[branches] = np.where(
        rng.random(len(branches)) < 0.3, legal[head], pool.draw(s.region[branches], 0.10)
    )
    ruled = np.flatnonzero(legal >= 0)
    changes = np.where(s.kind[ruled] == INDIVIDUAL, 0.0, 0.08)
    parts.append(
        Roles.of(ruled, LEGAL_REP, _changed(rng, s, ruled, as_of, changes), person=legal[ruled])
    )
    parts.append(Roles.of(branches, BRANCH_OF, s.registered_on[branches], holder=head))

    # Managers and supervisors of enterprises.
    managed = firm[rng.random(len(firm)) < 0.35]
    manager = np.where(
        (second_person[managed] >= 0) & (rng.random(len(managed)) < 0.5),
        second_person[managed],
        pool.draw(s.region[managed], 0.10),
    )
    parts.append(
        Roles.of(managed, EXECUTIVE, _changed(rng, s, managed, as_of, 0.12), person=manager)
    )
    supervised = firm[rng.random(len(firm)) < 0.7]
    parts.append(
        Roles.of(
            supervised,
            SUPERVISOR,
            _changed(rng, s, supervised, as_of, 0.12),
            person=pool.fresh(len(supervised)),
        )
    )
    return Roles.concat(parts), legal


def dedupe(roles: Roles, pool: PersonPool) -> None:
    """Give a fresh person to any repeat of (subject, person, role), in place."""
    rows = np.flatnonzero(roles.person >= 0)
    dup = rows[duplicated(roles.role[rows], roles.subject[rows], roles.person[rows])]
    roles.person[dup] = pool.fresh(len(dup))
