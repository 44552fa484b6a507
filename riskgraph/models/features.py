"""Point-in-time per-subject features from graph frames: own history and graph context.

As of a day t only facts dated strictly before t count: complaints received, penalties
decided, repairs made (``repaired_on < t``), list entries listed and not yet removed
(``listed_on < t`` and ``removed_on`` missing or ``>= t``), earlier inspections. Dates are
compared as days, so a fact on day t itself does not count. Own-history features are
exact for every (subject, t); in ``inspection_features`` graph context is computed at
snapshot dates (month starts by default) and each inspection takes the latest snapshot
on or before its day, which can only drop facts, never add later ones. The link graph is
the one of day t (``Links.at``): an edge, a tie to a person, a path of two hops and a
connected component exist only through subjects registered and roles begun before t and
not ended (``until``, or a legal representative's successor: ``linkage.role_periods``),
and a subject registered after t has no features as of t. Addresses and phones carry no dates
in the exports, so a subject's address and phone are today's. ``industry_share`` is the
industry's share of the subjects that existed at t. ``status`` is not used: it is today's
status, not t's.

Features (all float, NaN where undefined):
- own: ``age_years``; ``kind_code`` (enterprise 0, individual 1, cooperative 2, branch 3);
  ``industry_code`` (CRC-32 of the name: stable across runs, not an order; the raw
  ``industry`` column is there for one-hot) and ``industry_share`` (frequency encoding);
  ``complaints*`` (all, substantiated, last 12 months); ``penalties*`` (all, serious, by
  severity in the last 24 months, repaired / unrepaired), ``penalty_amount_log``;
  ``past_inspections*`` (not_found counted apart), ``inspection_failure_rate`` over pass +
  fail; ``days_since_last_*``; ``list_<list>`` active entries on the subject and
  ``list_<list>_ever`` every entry listed before t, removed or not (a removal ends the
  listing, not what it said of past conduct); the industry's and the subject's own shrunk
  failure rates, and time-weighted counts (``*_recent``), from ``groups`` and below.
- graph (``GRAPH_FEATURES``, for an ablation): ``linked_*`` sum over subjects at 1 hop,
  ``linked_2hop_*`` over subjects at exactly 2 hops (distinct subjects, not walks);
  ``linked_by_<kind>`` neighbours per edge kind; ``*_shared_by`` how many others share the
  subject's address / phone, uncapped; ``legal_rep_other_*`` totals over the other
  subjects (any role) of the subject's legal reps, uncapped; ``persons_*`` / ``legal_rep_
  listed`` own persons on a list; ``cluster_*`` the connected component; the group
  features of ``riskgraph.models.groups`` (``site_*``, ``phone_*``, ``owner_*``: the other
  members' rates, uncapped, and their events over those their industries would give);
  ``propagated_risk`` personalised-PageRank mass arriving through links from subjects
  penalised in the last 24 months or listed (``SEED_WEIGHTS``), excluding the subject's own
  restart share, to a relative tolerance of 1e-4.
"""

from __future__ import annotations

import datetime as dt
import logging
import zlib
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from riskgraph.models.events import Events, day_of, days_of
from riskgraph.models.frames import GraphFrames
from riskgraph.models.groups import (
    GRAPH_GROUP_FEATURES,
    OWN_GROUP_FEATURES,
    GroupRates,
    group_ids,
)
from riskgraph.models.groups import PRIOR_INSPECTIONS as GROUP_PRIOR
from riskgraph.models.industry import IndustryShares
from riskgraph.models.linkage import EDGE_KINDS, Links, build_links, lookup, propagate

log = logging.getLogger(__name__)

SEVERITIES = ("minor", "general", "serious")
LISTS = ("abnormal_operation", "serious_dishonest", "joint_punishment")
KIND_CODES = {"enterprise": 0.0, "individual": 1.0, "cooperative": 2.0, "branch": 3.0}
COMPLAINT_WINDOW_DAYS = 365  # "last 12 months"
PENALTY_WINDOW_DAYS = 730  # "last 24 months": recent penalties, and the propagation seeds
# Seed weight of a subject for risk propagation: its penalties of the last 24 months by
# severity plus its active list entries, weighted by how grave each is.
SEED_WEIGHTS = {"minor": 1.0, "general": 2.0, "serious": 3.0,
                "abnormal_operation": 1.0, "serious_dishonest": 3.0, "joint_punishment": 3.0}
PPR_ALPHA = 0.85
HALF_LIFE_DAYS = 365.0  # of the *_recent features: an event a year old counts half
PRIOR_INSPECTIONS = 2.0  # pseudo-inspections at the city's failure rate in pooled rates

OWN_FEATURES = [
    "age_years", "kind_code", "industry_code", "industry_share", "key_sector",
    "registered_capital_log", "complaints", "complaints_substantiated", "complaints_12m",
    "complaints_substantiated_12m", "days_since_last_complaint", "penalties",
    "penalties_serious", "penalties_minor_24m", "penalties_general_24m",
    "penalties_serious_24m", "days_since_last_penalty",
    "penalty_amount_log", "penalties_repaired", "penalties_unrepaired", "past_inspections",
    "past_inspection_failures", "past_inspections_not_found", "inspection_failure_rate",
    "days_since_last_inspection", "list_abnormal_operation", "list_serious_dishonest",
    "list_joint_punishment", *[f"list_{name}_ever" for name in LISTS],
    *OWN_GROUP_FEATURES, *[f"{e}_recent" for e in (
        "complaints", "penalties", "inspection_failures", "inspections_decided")],
    "inspection_failure_rate_recent",
]
_SEED_COLS = ["subjects", "penalties", "serious_penalties", "recent_penalties",
              "listed", "inspection_failures", "penalised_subjects", "complaints",
              "substantiated_complaints", "inspections"]
# Graph context computed at snapshot days over the link graph (see inspection_features).
CONTEXT_FEATURES = [
    "linked_subjects_1hop", "linked_subjects_2hop",
    *[f"linked_{c}" for c in _SEED_COLS[1:]],
    *[f"linked_2hop_{c}" for c in _SEED_COLS[1:]],
    "linked_failure_rate", "linked_2hop_failure_rate", "linked_events_per_subject",
    "linked_2hop_events_per_subject",
    "linked_by_person", "linked_by_ownership", "linked_by_address", "linked_by_phone",
    "address_shared_by", "phone_shared_by",
    "legal_rep_other_subjects", "legal_rep_other_penalties",
    "legal_rep_other_serious_penalties", "legal_rep_other_listed",
    "persons_listed", "persons_serious_dishonest", "legal_rep_listed",
    "cluster_size", "cluster_penalty_density", "propagated_risk",
]
GRAPH_FEATURES = CONTEXT_FEATURES + GRAPH_GROUP_FEATURES
FEATURE_NAMES = OWN_FEATURES + GRAPH_FEATURES
CATEGORY_COLUMNS = ["industry", "kind", "region"]  # raw categories, for one-hot if wanted


def subject_features(
    frames: GraphFrames, as_of: dt.date, links: Links | None = None
) -> pd.DataFrame:
    """Features as of one day (facts strictly before it), index uscc, of every subject
    registered by that day (or of unknown registration date): a subject registered later
    did not exist yet, so a past ``as_of`` neither scores it nor cuts classes with it."""
    links = _check_links(frames, links)
    hist = _History(frames, links)
    n = len(links.usccs)
    t = day_of(as_of)
    out = _own(hist, np.arange(n), np.full(n, t, dtype=np.int64))
    s = _seeds(hist, t)
    then = links.at(t)
    risk = propagate(then, s["weight"], PPR_ALPHA, active=s["subjects"] > 0)
    out.update(_context(then, s, None, risk))
    frame = _frame(out, pd.Index(links.usccs, name="uscc"), hist, np.arange(n))
    existed = ~hist.reg_ok | (hist.registered <= t)
    return frame if existed.all() else frame[existed]


def inspection_features(
    frames: GraphFrames, links: Links | None = None, snapshot_freq: str = "MS"
) -> pd.DataFrame:
    """Features of each pass/fail inspection as of its day, with label, for training."""
    links = _check_links(frames, links)
    hist = _History(frames, links)
    ins = frames.inspections
    subj = lookup(links.usccs, ins["subject_uscc"])
    day, ok = days_of(ins["inspected_on"])
    outcome = ins["outcome"].astype(str).to_numpy()
    keep = np.flatnonzero(ok & (subj >= 0) & np.isin(outcome, ["pass", "fail"]))
    subj, t = subj[keep], day[keep]
    out = _own(hist, subj, t)
    graph = {c: np.full(len(keep), np.nan) for c in CONTEXT_FEATURES}
    snaps = _snapshots(t, snapshot_freq) if len(keep) else np.array([], dtype=np.int64)
    which = np.searchsorted(snaps, t, side="right") - 1
    order = np.argsort(which, kind="stable")
    bounds = np.searchsorted(which[order], np.arange(len(snaps) + 1))
    risk, then = None, None
    for i in np.flatnonzero(np.diff(bounds)):
        sel = order[bounds[i]:bounds[i + 1]]
        s = _seeds(hist, int(snaps[i]))
        then = links.at(int(snaps[i]), after=then)  # snapshots ascend: merge components
        # The previous snapshot's solution is a close start: a few iterations, not ~60.
        risk = propagate(then, s["weight"], PPR_ALPHA, active=s["subjects"] > 0, start=risk)
        ctx = _context(then, s, subj[sel], risk)
        for c in CONTEXT_FEATURES:
            graph[c][sel] = ctx[c]
    used = int((np.diff(bounds) > 0).sum())
    log.info("inspection features rows=%d snapshots=%d", len(keep), used)
    out.update(graph)
    frame = _frame(out, pd.Index(ins["inspection_id"].to_numpy()[keep], name="inspection_id"),
                   hist, subj)
    frame["label"] = outcome[keep] == "fail"
    frame["inspected_on"] = ins["inspected_on"].to_numpy()[keep]
    frame["subject_uscc"] = links.usccs.to_numpy()[subj]
    return frame


def _frame(out: dict[str, np.ndarray], index: pd.Index, hist: _History,
           subj: np.ndarray) -> pd.DataFrame:
    """Features in FEATURE_NAMES order, then the raw categories of each row's subject."""
    cols = {c: out[c] for c in FEATURE_NAMES}
    cols.update({c: hist.categories[c].to_numpy()[subj] for c in CATEGORY_COLUMNS})
    return pd.DataFrame(cols, index=index)


class _History:
    """Frames turned into sorted event arrays over subject (and person) positions."""

    def __init__(self, frames: GraphFrames, links: Links) -> None:
        idx, n = links.usccs, len(links.usccs)
        sub = frames.subjects
        self.registered, self.reg_ok = days_of(sub["registered_on"])
        codes, names = pd.factorize(sub["industry"].astype("str"))
        stable = np.array([_stable_code(str(v)) for v in names] + [np.nan])
        self.industry_code = stable[codes]  # code -1 (missing) takes the trailing NaN
        self.shares = IndustryShares(codes, self.registered, self.reg_ok)
        self.kind_code = sub["kind"].map(KIND_CODES).astype(float).to_numpy()
        self.key_sector = sub["key_sector"].astype("boolean").astype("Float64").to_numpy(
            float, na_value=np.nan
        )
        capital = pd.to_numeric(sub["registered_capital"], errors="coerce").to_numpy(float)
        self.capital_log = np.log1p(np.clip(capital, 0, None))
        self.categories = sub[CATEGORY_COLUMNS].astype("str").reset_index(drop=True)

        com = frames.complaints
        cs, (cd, cok) = lookup(idx, com["subject_uscc"]), days_of(com["received_on"])
        self.complaints = Events(cs, cd, cok, n)
        substantiated = com["substantiated"].astype("boolean").fillna(False).to_numpy(bool)
        self.substantiated = Events(cs, cd, cok & substantiated, n)

        pen = frames.penalties
        ps, (pd_, pok) = lookup(idx, pen["subject_uscc"]), days_of(pen["decided_on"])
        amount = pd.to_numeric(pen["amount"], errors="coerce").to_numpy(float)
        self.penalties = Events(ps, pd_, pok, n, values=amount)
        sev = pen["severity"].astype(str).to_numpy()
        self.severity = {s: Events(ps, pd_, pok & (sev == s), n) for s in SEVERITIES}
        rd, rok = days_of(pen["repaired_on"])
        # A repair counts from the later of decision and repair, both strictly before t.
        self.repaired = Events(ps, np.maximum(rd, pd_), pok & rok, n)

        ins = frames.inspections
        is_, (idays, iok) = lookup(idx, ins["subject_uscc"]), days_of(ins["inspected_on"])
        outcome = ins["outcome"].astype(str).to_numpy()
        self.inspections = Events(is_, idays, iok, n)
        self.failures = Events(is_, idays, iok & (outcome == "fail"), n)
        self.not_found = Events(is_, idays, iok & (outcome == "not_found"), n)
        self.decided = Events(is_, idays, iok & np.isin(outcome, ["pass", "fail"]), n)

        le = frames.list_entries
        ls = lookup(idx, le["subject_uscc"])
        lp = lookup(links.person_keys, le["person_key"])
        lp = np.where(ls >= 0, -1, lp)  # an entry lists a subject or a person, never both
        (ld, lok), (rmd, rmok) = days_of(le["listed_on"]), days_of(le["removed_on"])
        lname = le["list"].astype(str).to_numpy()
        rm_day = np.maximum(rmd, ld)  # a removal before the listing ends it at once
        self.listed = {
            name: (Events(ls, ld, lok & (lname == name), n),
                   Events(ls, rm_day, lok & rmok & (lname == name), n))
            for name in LISTS
        }
        m = len(links.person_keys)
        self.person_listed = {
            name: (Events(lp, ld, lok & sel, m), Events(lp, rm_day, lok & rmok & sel, m))
            for name, sel in (("any", np.ones(len(le), bool)),
                              ("serious_dishonest", lname == "serious_dishonest"))
        }
        self.ever_listed = Events(ls, ld, lok, n)  # any list, removed or not
        self.groups = GroupRates(group_ids(frames, idx), self.registered, self.reg_ok, {
            "failures": self.failures, "decided": self.decided,
            "complaints": self.complaints, "penalties": self.penalties,
            "substantiated": self.substantiated, "serious": self.severity["serious"],
            "listed": self.ever_listed})


def _own(h: _History, subj: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
    """Own-history features of each (subject, day) pair, exact."""
    # Queries in key order make every binary search start near the previous one: 5x faster.
    order = np.lexsort((t, subj))
    out = _own_sorted(h, subj[order], t[order])
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return {k: v[back] for k, v in out.items()}


def _own_sorted(h: _History, subj: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    out["age_years"] = np.where(h.reg_ok[subj], (t - h.registered[subj]) / 365.25, np.nan)
    out["kind_code"] = h.kind_code[subj]
    out["industry_code"] = h.industry_code[subj]
    out["industry_share"] = h.shares.at(subj, t)
    out["key_sector"] = h.key_sector[subj]
    out["registered_capital_log"] = h.capital_log[subj]
    out["complaints"] = h.complaints.count(subj, t)
    out["complaints_substantiated"] = h.substantiated.count(subj, t)
    out["complaints_12m"] = h.complaints.count(subj, t, COMPLAINT_WINDOW_DAYS)
    out["complaints_substantiated_12m"] = h.substantiated.count(subj, t, COMPLAINT_WINDOW_DAYS)
    out["days_since_last_complaint"] = h.complaints.since_last(subj, t)
    out["penalties"] = h.penalties.count(subj, t)
    out["penalties_serious"] = h.severity["serious"].count(subj, t)
    for s in SEVERITIES:
        out[f"penalties_{s}_24m"] = h.severity[s].count(subj, t, PENALTY_WINDOW_DAYS)
    out["days_since_last_penalty"] = h.penalties.since_last(subj, t)
    out["penalty_amount_log"] = np.log1p(np.clip(h.penalties.total(subj, t), 0, None))
    out["penalties_repaired"] = h.repaired.count(subj, t)
    out["penalties_unrepaired"] = out["penalties"] - out["penalties_repaired"]
    out["past_inspections"] = h.inspections.count(subj, t)
    fails = h.failures.count(subj, t)
    out["past_inspection_failures"] = fails
    out["past_inspections_not_found"] = h.not_found.count(subj, t)
    decided = out["past_inspections"] - out["past_inspections_not_found"]
    out["inspection_failure_rate"] = np.divide(
        fails, decided, out=np.full(len(subj), np.nan), where=decided > 0
    )
    out["days_since_last_inspection"] = h.inspections.since_last(subj, t)
    groups, prior = h.groups.features(subj, t, fails, decided)
    out.update(groups)
    # Recent conduct weighs more (risk drifts): events weighted by a one-year half-life.
    for name, ev in (("complaints", h.complaints), ("penalties", h.penalties),
                     ("inspection_failures", h.failures),
                     ("inspections_decided", h.decided)):
        out[f"{name}_recent"] = ev.decayed(subj, t, HALF_LIFE_DAYS)
    out["inspection_failure_rate_recent"] = (
        (out["inspection_failures_recent"] + GROUP_PRIOR * prior)
        / (out["inspections_decided_recent"] + GROUP_PRIOR))
    for name, (on, off) in h.listed.items():
        listed = on.count(subj, t)
        out[f"list_{name}"] = listed - off.count(subj, t)
        out[f"list_{name}_ever"] = listed  # a removed entry still tells of past conduct
    return out


def _seeds(h: _History, t: int) -> dict[str, np.ndarray]:
    """Per-subject (and per-person) state on day t that graph context aggregates."""
    pen = h.penalties.at(t)
    active = {name: on.at(t) - off.at(t) for name, (on, off) in h.listed.items()}
    weight = sum(SEED_WEIGHTS[s] * h.severity[s].at(t, PENALTY_WINDOW_DAYS) for s in SEVERITIES)
    weight = weight + sum(SEED_WEIGHTS[name] * v for name, v in active.items())
    persons = {name: (on.at(t) - off.at(t) > 0).astype(np.float64)
               for name, (on, off) in h.person_listed.items()}
    return {
        "subjects": (~(h.reg_ok & (h.registered >= t))).astype(np.float64),
        "penalties": pen,
        "serious_penalties": h.severity["serious"].at(t),
        "recent_penalties": h.penalties.at(t, PENALTY_WINDOW_DAYS),
        "listed": sum(active.values()),
        "inspection_failures": h.failures.at(t),
        "penalised_subjects": (pen > 0).astype(np.float64),
        # complaints are the most frequent signal a neighbour gives of its conduct;
        # its inspections are the denominator of its failures
        "complaints": h.complaints.at(t),
        "substantiated_complaints": h.substantiated.at(t),
        "inspections": h.inspections.at(t),
        "weight": weight,
        "person_any": persons["any"],
        "person_serious_dishonest": persons["serious_dishonest"],
    }


def _context(links: Links, s: dict[str, np.ndarray], rows: np.ndarray | None,
             risk: np.ndarray) -> dict[str, np.ndarray]:
    """Graph-context features on one day for the given subject rows (all when None)."""
    def take(m: Any) -> Any:  # row slice of a sparse matrix, or of a vector
        return m if rows is None else m[rows]

    one = _products(take(links.adjacency), [s[c] for c in _SEED_COLS])
    two = _products(take(links.two_hop), [s[c] for c in _SEED_COLS])
    out: dict[str, np.ndarray] = {"linked_subjects_1hop": one[:, 0],
                                  "linked_subjects_2hop": two[:, 0]}
    for j, c in enumerate(_SEED_COLS[1:], start=1):
        out[f"linked_{c}"], out[f"linked_2hop_{c}"] = one[:, j], two[:, j]
    # Pooled rates of the neighbourhood (trees cannot divide): failures per inspection,
    # shrunk towards the city's rate with PRIOR_INSPECTIONS pseudo-inspections, and
    # events per linked subject.
    city = s["inspection_failures"].sum() / max(s["inspections"].sum(), 1.0)
    for prefix, m in (("linked", one), ("linked_2hop", two)):
        fails = m[:, _SEED_COLS.index("inspection_failures")]
        insp = m[:, _SEED_COLS.index("inspections")]
        out[f"{prefix}_failure_rate"] = ((fails + PRIOR_INSPECTIONS * city)
                                         / (insp + PRIOR_INSPECTIONS))
        events = sum(m[:, _SEED_COLS.index(c)] for c in ("penalties", "complaints", "listed"))
        out[f"{prefix}_events_per_subject"] = np.divide(
            events, m[:, 0], out=np.full(len(events), np.nan), where=m[:, 0] > 0)
    exists = s["subjects"]
    kinds = take(links.kinds)
    for name, bits in (("person", ["person"]), ("ownership", ["shareholding", "branch", "officer"]),
                       ("address", ["address"]), ("phone", ["phone"])):
        mask = (kinds.data & sum(EDGE_KINDS[b] for b in bits)) != 0
        out[f"linked_by_{name}"] = _masked(kinds, mask) @ exists
    out["address_shared_by"] = links.shared_by("address", exists, rows)
    out["phone_shared_by"] = links.shared_by("phone", exists, rows)

    # A legal rep's other subjects: sum over the subject's legal reps of the totals over
    # each rep's subjects (any role), minus the subject itself once per rep.
    cols = ["subjects", "penalties", "serious_penalties", "listed"]
    legal = take(links.legal_reps)
    reps = np.asarray(legal.sum(axis=1)).ravel()
    per_person = _products(links.persons.T, [s[c] for c in cols])
    other = _products(legal, list(per_person.T))
    other -= reps[:, None] * np.column_stack([take(s[c]) for c in cols])
    for j, c in enumerate(cols):
        out[f"legal_rep_other_{c}"] = other[:, j]
    persons = take(links.persons)
    out["persons_listed"] = persons @ s["person_any"]
    out["persons_serious_dishonest"] = persons @ s["person_serious_dishonest"]
    out["legal_rep_listed"] = legal @ s["person_any"]

    comp = take(links.component)
    size = np.bincount(links.component, weights=exists)[comp]
    pen_in = np.bincount(links.component, weights=s["penalties"])[comp] - take(s["penalties"])
    out["cluster_size"] = size
    out["cluster_penalty_density"] = pen_in / np.maximum(size, 1.0)
    out["propagated_risk"] = take(risk - (1.0 - PPR_ALPHA) * s["weight"])
    return out


def _products(mat: sp.spmatrix, vectors: list[np.ndarray]) -> np.ndarray:
    """mat @ v for each vector, as columns (one matvec each: scipy's multi-vector product
    is ~3x slower per column at this size, measured)."""
    mat = mat.astype(np.float64, copy=False)
    return np.column_stack([mat @ v for v in vectors])


def _masked(mat: sp.csr_matrix, mask: np.ndarray) -> sp.csr_matrix:
    """The 0/1 matrix of the entries of mat where mask holds (same index arrays)."""
    return sp.csr_matrix((mask.astype(np.float64), mat.indices, mat.indptr), shape=mat.shape)


def _check_links(frames: GraphFrames, links: Links | None) -> Links:
    if links is None:
        return build_links(frames)
    if not links.usccs.equals(pd.Index(frames.subjects["uscc"].astype("str"))):
        raise ValueError("links were built from other subjects than frames.subjects")
    return links


def _snapshots(t: np.ndarray, freq: str) -> np.ndarray:
    """Snapshot days from the period start on or before the first day to the last day."""
    first = pd.Timestamp(np.datetime64(int(t.min()), "D"))
    last = pd.Timestamp(np.datetime64(int(t.max()), "D"))
    start = pd.tseries.frequencies.to_offset(freq).rollback(first)
    dates = pd.date_range(start, last, freq=freq)
    return dates.to_numpy(dtype="datetime64[D]").astype(np.int64)


def _stable_code(value: str) -> float:
    """A code for a category that does not depend on which other categories exist."""
    return float(zlib.crc32(value.encode("utf-8")))
