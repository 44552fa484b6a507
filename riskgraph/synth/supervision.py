"""The supervision side: inspectors and the conflicts of interest planted among them.

Inspectors (about 19,000 per 880,000 subjects, at least 50) belong to a department and a
district and are qualified for two to six of their department's items. A few percent
are linked to subjects through the ownership graph, so a draw has something to avoid:

- ``supervisor``: the inspector is a supervisor (监事) of an enterprise in their district
  (one hop from their person to the subject);
- ``shareholder``: the inspector took over a co-founder's stake in an enterprise (one hop),
  so they co-own it with its first shareholder;
- ``co_owner``: every other subject that first shareholder holds or represents (three
  hops: inspector's person → shared enterprise ← owner → subject).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from riskgraph.synth import catalog, vocab
from riskgraph.synth.ids import duplicated
from riskgraph.synth.owners import LEGAL_REP, SHAREHOLDER, SUPERVISOR, PersonPool, Roles
from riskgraph.synth.risk import YEAR
from riskgraph.synth.subjects import ACTIVE, ENTERPRISE, Subjects
from riskgraph.synth.text import choice, group_rank, pick_within

PER_SUBJECT = 19_000 / 880_000
MINIMUM = 50
CONFLICT_SHARE = 0.03
# Departments that need more staff than their item count suggests.
STAFF_BONUS = {
    "综合行政执法支队": 20,
    "执法稽查科": 8,
    "餐饮服务食品安全监管科": 6,
    "食品经营监管科": 6,
    "登记注册科": 4,
    "特种设备安全监察科": 3,
    "电梯安全监察科": 3,
}
RELATIONS = ("supervisor", "shareholder", "co_owner")


@dataclass
class Inspectors:
    """Per-inspector arrays; ``qualified`` lists item indices, split by ``qual_offset``."""

    person: np.ndarray
    department: np.ndarray
    region: np.ndarray
    seq: np.ndarray  # number within the district (for the inspector ID)
    qualified: np.ndarray
    qual_offset: np.ndarray


@dataclass
class Conflicts:
    """Planted inspector-subject links."""

    inspector: np.ndarray
    subject: np.ndarray
    relation: np.ndarray  # index into RELATIONS
    via: np.ndarray  # the co-owner person, or -1
    hops: np.ndarray


def make_inspectors(rng: np.random.Generator, scale: int, pool: PersonPool) -> Inspectors:
    """Draw the inspector directory."""
    n = max(MINIMUM, int(round(scale * PER_SUBJECT)))
    items = catalog.items()
    item_dept = np.array([it.department for it in items])
    dept_cnt = np.bincount(item_dept, minlength=len(catalog.DEPARTMENTS))
    dept_off = np.concatenate([[0], np.cumsum(dept_cnt)[:-1]])
    weight = [dept_cnt[i] + STAFF_BONUS.get(d.name, 0) for i, d in enumerate(catalog.DEPARTMENTS)]
    department = choice(rng, weight, n)
    region = choice(rng, [r.weight for r in vocab.REGIONS], n)
    seq = group_rank([region, np.arange(n)]) + 1

    # A random subset of the department's items: the k smallest of random keys.
    width = int(dept_cnt.max())
    keys = rng.random((n, width))
    keys[np.arange(width)[None, :] >= dept_cnt[department][:, None]] = 2.0
    k = np.minimum(rng.integers(2, 7, n), dept_cnt[department])
    ranked = np.argsort(keys, axis=1)
    first_k = np.arange(width)[None, :] < k[:, None]
    chosen = np.sort(np.where(first_k, ranked, width + 1), axis=1)
    flat = (dept_off[department][:, None] + chosen)[first_k]
    offset = np.concatenate([[0], np.cumsum(k)])
    return Inspectors(
        pool.fresh(n),
        department.astype(np.int16),
        region.astype(np.int8),
        seq,
        flat.astype(np.int16),
        offset,
    )


def plant_conflicts(
    rng: np.random.Generator, s: Subjects, roles: Roles, ins: Inspectors, as_of: int
) -> tuple[Roles, Conflicts]:
    """Link a few inspectors to subjects; return the extra role rows and the truth."""
    n = len(ins.person)
    chosen = rng.choice(n, max(3, int(round(CONFLICT_SHARE * n))), replace=False)
    as_shareholder = rng.random(len(chosen)) < 0.4
    empty = np.empty(0, np.int64)

    # Supervisors of an active enterprise in the inspector's district.
    sup = chosen[~as_shareholder]
    firms = np.flatnonzero((s.kind == ENTERPRISE) & (s.status == ACTIVE))
    pick = pick_within(rng, ins.region[sup].astype(np.int64), s.region[firms].astype(np.int64))
    sup, target = sup[pick >= 0], firms[pick[pick >= 0]]
    start = np.maximum(s.registered_on[target], as_of - (rng.random(len(target)) * 6 * YEAR))
    extra = Roles.of(target, SUPERVISOR, start.astype(np.int64), person=ins.person[sup])

    # Shareholders: take over the second stake of a firm whose first holder owns more.
    share_rows = np.flatnonzero(roles.role == SHAREHOLDER)
    slot = group_rank([roles.subject[share_rows], share_rows])
    first_holder = np.full(s.n, -1, np.int64)
    lead = share_rows[slot == 0]
    first_holder[roles.subject[lead]] = roles.person[lead]
    owner_rows = np.flatnonzero(
        (roles.person >= 0) & ((roles.role == SHAREHOLDER) | (roles.role == LEGAL_REP))
    )
    pair = np.unique(roles.person[owner_rows].astype(np.int64) * s.n + roles.subject[owner_rows])
    holdings = np.bincount(pair // s.n, minlength=int(roles.person.max()) + 1)
    second = share_rows[slot == 1]
    subj = roles.subject[second]
    owner = first_holder[subj]
    ok = (
        (roles.person[second] >= 0)
        & (owner >= 0)
        & (s.kind[subj] == ENTERPRISE)
        & (s.status[subj] == ACTIVE)
    )
    ok[ok] = holdings[owner[ok]] >= 2
    cand = second[ok]
    holder_ins = chosen[as_shareholder]
    pick = pick_within(
        rng, ins.region[holder_ins].astype(np.int64), s.region[roles.subject[cand]].astype(np.int64)
    )
    holder_ins, row = holder_ins[pick >= 0], cand[pick[pick >= 0]]
    via = first_holder[roles.subject[row]]
    keep = ~duplicated(row) & ~duplicated(via)
    holder_ins, row, via = holder_ins[keep], row[keep], via[keep]
    roles.person[row] = ins.person[holder_ins]
    shared = roles.subject[row].astype(np.int64)

    # Every other subject of the co-owner is within three hops of the inspector.
    of_via = owner_rows[np.isin(roles.person[owner_rows], via)]
    order = np.argsort(via)
    which = order[np.searchsorted(via[order], roles.person[of_via])]
    other = roles.subject[of_via].astype(np.int64)
    far = other != shared[which]
    pairs = np.unique(which[far].astype(np.int64) * s.n + other[far]) if far.any() else empty
    which, other = pairs // s.n, pairs % s.n

    conflicts = Conflicts(
        np.concatenate([sup, holder_ins, holder_ins[which]]),
        np.concatenate([target, shared, other]),
        np.concatenate([np.full(len(sup), 0), np.full(len(row), 1), np.full(len(other), 2)]),
        np.concatenate([np.full(len(sup) + len(row), -1), via[which]]),
        np.concatenate([np.ones(len(sup) + len(row), np.int64), np.full(len(other), 3)]),
    )
    return extra, conflicts
