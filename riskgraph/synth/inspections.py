"""Past double-random inspections: task rounds, drawn subjects, items and outcomes.

Every year has two task rounds (April-June and September-November). In each round a
department's task in a district draws subjects mostly at random: a key-sector industry
is drawn more often, and — differentiated supervision — a subject with a penalty or a
complaint on record *before* the draw somewhat more (never by its hidden risk). A quarter
of the visits belong to joint tasks that add one item of a partner department. A task
checks one to three of its department's items; each item is a row whose outcome is
``fail`` with the subject's true probability on that day, or ``not_found`` for the
whole visit when nobody is at the address (shells, subjects about to be revoked).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from riskgraph.synth import catalog, vocab
from riskgraph.synth.history import YEARS
from riskgraph.synth.risk import YEAR, Risk
from riskgraph.synth.subjects import REVOKED, Clusters, Subjects
from riskgraph.synth.text import choice, choice_by_group, day_number, ymd

ROUNDS = (((4, 1), (6, 30)), ((9, 1), (11, 30)))
PENALTY_BOOST, COMPLAINT_BOOST = 0.8, 0.4
MOST = 1.0 + PENALTY_BOOST + COMPLAINT_BOOST
JOINT_SHARE = 0.25
ITEMS_PER_TASK = (0.5, 0.35, 0.15)  # 1, 2 or 3 items
NOT_FOUND, NOT_FOUND_SHELL, NOT_FOUND_CLOSING = 0.012, 0.3, 0.25
OUTCOMES = ("pass", "fail", "not_found")
PASS, FAIL, ABSENT = range(3)


@dataclass
class Inspections:
    """One row per (visit, item)."""

    subject: np.ndarray
    day: np.ndarray
    year: np.ndarray  # the task: year, round (1, 2), district, department, joint
    half: np.ndarray
    region: np.ndarray
    department: np.ndarray  # the task's (primary) department
    joint: np.ndarray
    item: np.ndarray  # index into catalog.items()
    outcome: np.ndarray


@dataclass
class Visits:
    """One row per visit, for penalties that follow a failed inspection."""

    subject: np.ndarray
    day: np.ndarray
    department: np.ndarray
    failed: np.ndarray


def task_rounds(as_of: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return the start, end, year and half of every task round in the history window."""
    first = as_of - int(YEARS * YEAR)
    rows = []
    for year in range(int(ymd(np.array([first]))[0][0]), int(ymd(np.array([as_of]))[0][0]) + 1):
        for half, ((m0, d0), (m1, d1)) in enumerate(ROUNDS, start=1):
            start, end = day_number(year, m0, d0), day_number(year, m1, d1)
            if first <= start <= as_of:
                rows.append((start, min(end, as_of), year, half))
    arr = np.array(rows, np.int64).reshape(-1, 4)
    return arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3]


def _department_table() -> np.ndarray:
    table = np.zeros((len(vocab.INDUSTRIES), len(catalog.DEPARTMENTS)))
    for i, ind in enumerate(vocab.INDUSTRIES):
        for name, w in ind.departments:
            table[i, catalog.DEPARTMENT_INDEX[name]] += w
    return table


def make_inspections(
    rng: np.random.Generator,
    s: Subjects,
    risk: Risk,
    clusters: Clusters,
    first_penalty: np.ndarray,
    first_complaint: np.ndarray,
    as_of: int,
) -> tuple[Inspections, Visits]:
    """Draw the inspections of the history window."""
    r_start, r_end, r_year, r_half = task_rounds(as_of)
    reg = s.registered_on.astype(np.int64)
    end = np.minimum(s.closed_on.astype(np.int64), as_of)
    lo = np.searchsorted(r_end, reg, side="left")
    hi = np.searchsorted(r_start, end, side="right") - 1
    eligible = np.maximum(hi - lo + 1, 0)
    rate = np.array([ind.visits for ind in vocab.INDUSTRIES])[s.industry]
    count = rng.poisson(rate * MOST * eligible)

    subject = np.repeat(np.arange(s.n), count)
    rnd = lo[subject] + (rng.random(len(subject)) * eligible[subject]).astype(np.int64)
    a = np.maximum(r_start[rnd], reg[subject])
    b = np.minimum(r_end[rnd], end[subject])
    day = a + (rng.random(len(subject)) * (b - a + 1)).astype(np.int64)
    boost = (
        1.0
        + PENALTY_BOOST * (first_penalty[subject] < day)
        + COMPLAINT_BOOST * (first_complaint[subject] < day)
    )
    keep = rng.random(len(subject)) * MOST < boost
    subject, rnd, day = subject[keep], rnd[keep], day[keep]
    dept = choice_by_group(rng, _department_table(), s.industry[subject])
    key = (subject.astype(np.int64) * len(r_start) + rnd) * len(catalog.DEPARTMENTS) + dept
    _, first = np.unique(key, return_index=True)
    first = np.sort(first)
    subject, rnd, day, dept = subject[first], rnd[first], day[first], dept[first]
    v = len(subject)
    joint = rng.random(v) < JOINT_SHARE
    partner = np.array([catalog.DEPARTMENT_INDEX[d.partner] for d in catalog.DEPARTMENTS])[dept]

    # Each task (round, district, department, joint) checks a fixed set of items.
    items = catalog.items()
    item_dept = np.array([it.department for it in items])
    dept_cnt = np.bincount(item_dept, minlength=len(catalog.DEPARTMENTS))
    dept_off = np.concatenate([[0], np.cumsum(dept_cnt)[:-1]])
    n_tasks = len(r_start) * len(vocab.REGIONS) * len(catalog.DEPARTMENTS) * 2
    task_k = 1 + choice(rng, ITEMS_PER_TASK, n_tasks)
    task_off = rng.integers(0, 1 << 20, n_tasks)
    task_off2 = rng.integers(0, 1 << 20, n_tasks)
    region = s.region[subject].astype(np.int64)
    task = ((rnd * len(vocab.REGIONS) + region) * len(catalog.DEPARTMENTS) + dept) * 2 + joint
    own = np.minimum(task_k[task], dept_cnt[dept])
    per_visit = own + joint
    visit = np.repeat(np.arange(v), per_visit)
    slot = np.arange(len(visit)) - np.repeat(np.cumsum(per_visit) - per_visit, per_visit)
    t, d, p = task[visit], dept[visit], partner[visit]
    item = np.where(
        slot < own[visit],
        dept_off[d] + (task_off[t] + slot) % dept_cnt[d],
        dept_off[p] + task_off2[t] % dept_cnt[p],
    )

    # Outcomes: nobody there for the whole visit, or pass/fail per item.
    closing = (s.status[subject] == REVOKED) & (s.closed_on[subject] - day < 1.5 * YEAR)
    p_absent = np.where(
        clusters.shares(s, "address")[subject],
        NOT_FOUND_SHELL,
        np.where(closing, NOT_FOUND_CLOSING, NOT_FOUND),
    )
    absent = rng.random(v) < p_absent
    failed_row = rng.random(len(visit)) < risk.prob(subject[visit], day[visit])
    outcome = np.where(absent[visit], ABSENT, np.where(failed_row, FAIL, PASS)).astype(np.int8)
    failed = np.bincount(visit, weights=outcome == FAIL, minlength=v) > 0

    order = np.lexsort((item, subject[visit], task[visit], day[visit]))
    visit, item, outcome = visit[order], item[order], outcome[order]
    rows = Inspections(
        subject[visit].astype(np.int32),
        day[visit].astype(np.int32),
        r_year[rnd[visit]].astype(np.int16),
        r_half[rnd[visit]].astype(np.int8),
        region[visit].astype(np.int8),
        dept[visit].astype(np.int16),
        joint[visit],
        item.astype(np.int16),
        outcome,
    )
    return rows, Visits(subject.astype(np.int32), day.astype(np.int32), dept, failed)
