"""Subject-subject link graph: shared identifiers under a hub cap, 2 hops, components, propagation.

Two subjects are linked (1 hop) when they share a person in any role (legal rep,
shareholder, executive, supervisor), when one holds shares in the other or serves it as
executive or supervisor, when one is a branch of the other, or when they share a
normalised address or phone. An identifier (person, address, phone) shared by more than
``hub_cap`` subjects on a day links none of them that day: a market building, an agent's
phone or a nominee who fronts hundreds of shells would otherwise glue unrelated subjects
into one cluster. The count is of that day's subjects (those registered, and holding the
role, by then), so a later subject does not change an earlier day's graph: a market
building links its first tenants until the 31st moves in. Identifiers ever over the cap
are counted in ``Links.capped``; how widely an address or phone is shared stays
available, uncapped, as ``address_shared_by`` / ``phone_shared_by``, and a person's other
subjects, uncapped, through ``persons`` and ``legal_reps``. Direct
subject-subject edges (shareholding, branch, and officer: a subject named executive or
supervisor of another, as a partnership's managing partner often is) are never capped.

Every part of the graph is dated: an edge, a tie to a person and a 2-hop pair exist
from the day after the later of their facts happened (both subjects registered, both roles'
``since``) until a role they stand on ends (its ``until``; a legal representative's also
when a later one of the same subject begins, ``role_periods``), so ``Links.at(t)`` is the
graph as it stood on day t: point-in-time features see no subject, role or path that came
later, and no role that had ended. A pair linked through several roles is linked while
any holds; a pair two hops apart is so while some path holds and no direct link does.
Addresses and phones carry no dates in the exports: a shared address or phone links two
subjects once both are registered.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from riskgraph.models.events import days_of
from riskgraph.models.frames import GraphFrames

log = logging.getLogger(__name__)

#: Bit of each edge kind in ``Links.kinds``; an edge may carry several kinds.
EDGE_KINDS: dict[str, int] = {
    "person": 1, "shareholding": 2, "branch": 4, "address": 8, "phone": 16, "officer": 32
}
DEFAULT_HUB_CAP = 30
#: Day numbers (days since 1970) of the dated structure: ``ALWAYS`` for a tie or a subject
#: without a date (there from the start), ``NEVER`` for none. Every real day lies between.
ALWAYS, NEVER = -(1 << 19), (1 << 19) - 1


@dataclass(frozen=True, eq=False)
class Links:
    """Capped subject-subject link graph over ``frames.subjects`` (row i is subject i)."""

    # The matrices of a past day's view (``at``) hold explicit zeros for what did not
    # exist yet; the view with every fact (``build_links``) holds none.
    usccs: pd.Index  # subject USCCs, in frames.subjects order
    adjacency: sp.csr_matrix  # symmetric, float64 ones, no self loops
    kinds: sp.csr_matrix  # same structure as adjacency, uint8 bitmask of EDGE_KINDS
    two_hop: sp.csr_matrix  # bool: subjects at exactly 2 hops (not self, not 1 hop)
    component: np.ndarray  # weakly connected component label per subject
    persons: sp.csr_matrix  # subjects x persons, any role, uncapped
    legal_reps: sp.csr_matrix  # subjects x persons, legal_rep role only
    person_keys: pd.Index  # column labels of persons / legal_reps
    addresses: sp.csr_matrix  # subjects x address keys, uncapped
    phones: sp.csr_matrix  # subjects x phone keys, uncapped
    hub_cap: int
    capped: dict[str, int]  # identifiers ever held by more than hub_cap subjects, per kind
    dated: _Dated | None = None  # the whole structure with its days, for ``at``
    as_of: int | None = None  # the day (days since 1970) of this view; None: every fact
    stable: np.ndarray | None = None  # components of the lasting edges begun by this day

    def at(self, day: int | None, after: Links | None = None) -> Links:
        """The graph as it stood on ``day`` (days since 1970; None: with every fact): an
        edge, a tie to a person and a 2-hop pair count once every fact that makes them
        is dated strictly before the day (both subjects registered, both roles begun),
        and no longer once a role they stand on has ended before the day (its ``until``,
        or for a legal representative a successor's start: ``role_periods``). With every
        fact, ended roles link nobody.

        The hub cap judges an identifier by the subjects that share it on the day: one
        that 40 subjects share today linked the first of them while they were at most
        ``hub_cap``, and a person who held roles in 40 subjects one after another links
        those they hold at one time while they are few. With every fact (None), by the
        subjects that share it when every role that ended has ended.

        The matrices of a past day share their index arrays with the whole structure (do
        not change them in place) and hold explicit zeros for what does not exist yet, so
        a view costs a few vectorised comparisons and one connected-components pass (two
        when some link ends); the view of ``None`` owns its arrays and holds no zeros.
        Given the view of an earlier day (``after``), components are that view's merged
        through the edges begun since, which is the same partition at a fraction of the
        cost: links that never end only ever begin, and those that do not last (an edge
        whose every tie ends, or that ended and began again) are merged in anew."""
        d = self.dated
        if d is None:
            raise ValueError("these links carry no dates: build them with build_links")
        t = NEVER if day is None else int(np.clip(day, ALWAYS + 1, NEVER))

        def keep(mat: sp.csr_matrix, mask: np.ndarray, dtype: type = np.float64
                 ) -> sp.csr_matrix:
            view = sp.csr_matrix((mask.astype(dtype), mat.indices, mat.indptr),
                                 shape=mat.shape, copy=day is None)
            if day is None:
                view.eliminate_zeros()  # its own index arrays (copied above)
            return view

        a = d.adjacency
        edge_on = d.edges.live(t)
        adjacency = keep(a, edge_on)
        # EDGE_KINDS are the bits 1, 2, 4, ... in column order
        bits = np.packbits(d.kinds.live(t).reshape(-1, len(EDGE_KINDS)), axis=1,
                           bitorder="little").ravel()
        hop_on = d.paths.live(t)
        entry, edge = d.direct
        hop_on[entry] &= ~edge_on[edge]  # linked directly that day: not 2 hops apart
        views = {
            "adjacency": adjacency,
            "kinds": keep(a, bits, np.uint8),
            "two_hop": keep(d.two_hop, hop_on, bool),
            "persons": keep(d.persons, d.person_periods.live(t)),
            "legal_reps": keep(d.legal_reps, d.legal_rep_periods.live(t)),
        }
        # Components: those of the lasting edges (which only ever begin) are merged from
        # the earlier view's through the edges begun since, or found afresh; the edges
        # that end at some time are merged in on top, each day anew.
        lasting = d.lasting
        if after is not None and after.as_of is not None and day is not None \
                and after.as_of <= t and after.dated is d and after.stable is not None:
            begun = (d.edges.start >= after.as_of) & (d.edges.start < t)
            stable = _merge(after.stable, d.edge_row, a.indices,
                            begun if lasting is None else begun & lasting)
        else:
            stable = _merge(np.arange(a.shape[0]), d.edge_row, a.indices,
                            edge_on if lasting is None else edge_on & lasting)
        component = stable if lasting is None \
            else _merge(stable, d.edge_row, a.indices, edge_on & ~lasting)
        return replace(self, **views, component=component, stable=stable,
                       as_of=None if day is None else t)

    def shared_by(self, name: str, exists: np.ndarray,
                  rows: np.ndarray | None = None) -> np.ndarray:
        """Per subject (of ``rows``, all when None): the most other subjects that exist
        (``exists``, 0/1 per subject) at one of its addresses (``name="address"``) or on
        one of its phones, uncapped: a subject registered later does not count yet."""
        inc = self.addresses if name == "address" else self.phones
        sizes = inc.T @ exists
        mine = inc if rows is None else inc[rows]
        own = exists if rows is None else exists[rows]
        per_entry = sizes[mine.indices] - np.repeat(own, np.diff(mine.indptr))
        return _row_max(sp.csr_matrix((per_entry, mine.indices, mine.indptr), shape=mine.shape),
                        mine.shape[0])

    def kind_adjacency(self, *kinds: str) -> sp.csr_matrix:
        """Return the 0/1 adjacency of edges of any of the given kinds (shares index arrays)."""
        bits = sum(EDGE_KINDS[k] for k in kinds)
        data = ((self.kinds.data & bits) != 0).astype(np.float64)
        a = self.adjacency
        return sp.csr_matrix((data, a.indices, a.indptr), shape=a.shape, copy=False)

    @property
    def component_size(self) -> np.ndarray:
        """Size of each subject's component (structural, all subjects)."""
        return np.bincount(self.component)[self.component]

    def to_networkx(self, around: Sequence[str] | None = None, hops: int = 2,
                    former: bool = False) -> nx.Graph:
        """The link graph as a networkx ``Graph``, for analysis and drawing.

        With ``around`` (USCCs), only the subjects within ``hops`` links of them (their
        ego network); without, the whole graph — at city scale that is millions of Python
        objects, so prefer the sparse matrices for whole-city work. Nodes are USCCs with
        ``component``; edges carry ``kinds``, the names of their edge kinds in
        ``EDGE_KINDS`` order (a pair of subjects can share a person *and* an address).
        Unknown USCCs raise KeyError. The whole graph of a past day's view (``at``) leaves
        out the subjects not registered by then.

        With ``former``, the links that held before this view's day and hold no more (a
        role ended, a legal representative replaced: who ran this business before?) are
        in the graph too, and followed out to ``hops``: every edge then carries
        ``current`` (False for a former link) and ``kinds`` of all it has been by the
        view's day, and a former link ``ended``, the last day it held (ISO date).
        """
        if isinstance(around, str):
            around = [around]
        d = self.dated
        if former and d is None:
            raise ValueError("these links carry no dates: build them with build_links")
        t = NEVER if self.as_of is None else self.as_of
        if former:  # every edge begun by the view's day, as its entry + 1
            began = d.edges.start < t
            entry = sp.csr_matrix((np.where(began, np.arange(1, len(began) + 1), 0),
                                   d.adjacency.indices, d.adjacency.indptr),
                                  shape=d.adjacency.shape)
            reach = entry
        else:
            reach = self.adjacency
        if around is None:
            nodes = np.arange(len(self.usccs))
            if self.as_of is not None and d is not None:  # who existed that day
                nodes = nodes[d.registered < self.as_of]
        else:
            start = lookup(self.usccs, pd.Series(list(around), dtype="str"))
            if (start < 0).any():
                missing = [u for u, i in zip(around, start, strict=True) if i < 0]
                raise KeyError(f"unknown subjects: {missing[:5]}")
            seen = np.zeros(len(self.usccs), bool)
            seen[start] = True
            frontier = np.unique(start)
            for _ in range(hops):
                near = reach[frontier]
                nxt = np.unique(near.indices[near.data != 0])
                frontier = nxt[~seen[nxt]]
                seen[frontier] = True
                if not len(frontier):
                    break
            nodes = np.flatnonzero(seen)
        if former:  # entries +1 of the edges begun by the view's day
            sub = entry[nodes][:, nodes].tocoo()
            upper = (sub.row < sub.col) & (sub.data != 0)
            edges = sub.data[upper] - 1
            bits = np.packbits(d.kinds.start.reshape(-1, len(EDGE_KINDS))[edges] < t, axis=1,
                               bitorder="little").ravel()
            live, ended = d.edges.live(t)[edges], d.edges.ended_before(t)[edges]
        else:
            sub = self.kinds[nodes][:, nodes].tocoo()
            upper = (sub.row < sub.col) & (sub.data != 0)  # a dated view holds explicit zeros
            bits = sub.data[upper]
        names = sorted(EDGE_KINDS, key=EDGE_KINDS.get)
        kind_names = {int(b): [k for k in names if b & EDGE_KINDS[k]] for b in np.unique(bits)}
        graph = nx.Graph()
        labels = self.usccs.to_numpy()[nodes]
        graph.add_nodes_from((u, {"component": int(c)})
                             for u, c in zip(labels, self.component[nodes], strict=True))
        for at, (i, j, b) in enumerate(zip(sub.row[upper], sub.col[upper], bits, strict=True)):
            attrs: dict[str, object] = {"kinds": kind_names[int(b)]}
            if former:
                attrs["current"] = bool(live[at])
                if not live[at]:
                    attrs["ended"] = str(np.datetime64(int(ended[at]), "D"))
            graph.add_edge(labels[i], labels[j], **attrs)
        return graph

    def edge_counts(self) -> dict[str, int]:
        """Number of undirected edges in total and per kind."""
        counts = {k: int(((self.kinds.data & b) != 0).sum()) // 2 for k, b in EDGE_KINDS.items()}
        counts["total"] = int(self.adjacency.count_nonzero()) // 2
        counts["two_hop_pairs"] = int(self.two_hop.count_nonzero()) // 2
        return counts


def build_links(frames: GraphFrames, hub_cap: int = DEFAULT_HUB_CAP) -> Links:
    """Build the capped subject-subject link graph with the day each part starts, and
    return it as it stands with every fact in (``Links.at`` gives it on an earlier day)."""
    usccs = pd.Index(frames.subjects["uscc"].astype("str"))
    if not usccs.is_unique:
        raise ValueError("frames.subjects has duplicate uscc")
    n = len(usccs)
    registered = _days(frames.subjects["registered_on"])
    ties = frames.ties
    subj = lookup(usccs, ties["subject_uscc"])
    began, ended = role_periods(ties, subj, registered)
    kind = ties["holder_kind"].astype(str).to_numpy()
    is_person = (kind == "person") & (subj >= 0) & ties["holder_key"].notna().to_numpy()

    person_keys = pd.Index(pd.unique(ties["holder_key"][is_person]))
    pcol = lookup(person_keys, ties["holder_key"][is_person])
    m = len(person_keys)
    p_end = None if ended is None else ended[is_person]
    persons, person_periods = _dated_incidence(subj[is_person], pcol, began[is_person],
                                               p_end, n, m)
    legal = ties["role"].to_numpy()[is_person] == "legal_rep"
    legal_reps, legal_periods = _dated_incidence(
        subj[is_person][legal], pcol[legal], began[is_person][legal],
        None if p_end is None else p_end[legal], n, m)

    capped: dict[str, int] = {}
    incidence: dict[str, sp.csr_matrix] = {}
    entries = [(*_pairs_within(persons, person_periods, hub_cap, capped, "person"),
                "person")]
    for name, table, col in (
        ("address", frames.addresses, "address_key"),
        ("phone", frames.phones, "phone_key"),
    ):
        rows = lookup(usccs, table["subject_uscc"])
        keys, _ = pd.factorize(table[col])  # NA keys become -1
        # addresses and phones carry no dates: a subject holds its own from registration
        inc, periods = _dated_incidence(rows, keys, np.where(rows >= 0, registered[rows],
                                                             ALWAYS).astype(np.int32),
                                        None, n, int(keys.max()) + 1 if len(keys) else 0)
        incidence[name] = inc
        entries.append((*_pairs_within(inc, periods, hub_cap, capped, name), name))

    holder = lookup(usccs, ties["holder_key"].where(kind == "subject"))
    direct = (kind == "subject") & (subj >= 0) & (holder >= 0) & (subj != holder)
    role = ties["role"].to_numpy()
    for name, mask in (("shareholding", direct & (role == "shareholder")),
                       ("branch", direct & (role == "branch_of")),
                       ("officer", direct & np.isin(role, ["executive", "supervisor"]))):
        a, b, d = subj[mask], holder[mask], began[mask]
        e = None if ended is None else ended[mask]
        entries.append((np.r_[a, b], np.r_[b, a], np.r_[d, d],
                        None if e is None else np.r_[e, e], name))

    bit = {k: i for i, k in enumerate(EDGE_KINDS)}
    ends = None if all(e[3] is None for e in entries) else np.concatenate(
        [np.full(len(e[0]), NEVER, np.int32) if e[3] is None else e[3] for e in entries])
    adjacency, kinds, edge_periods, kind_periods = _date_edges(
        n,
        np.concatenate([e[0] for e in entries]).astype(np.int64),
        np.concatenate([e[1] for e in entries]).astype(np.int64),
        np.concatenate([np.full(len(e[0]), bit[e[4]], np.int64) for e in entries]),
        np.concatenate([e[2] for e in entries]).astype(np.int32),
        ends,
        registered,
    )
    two_hop, paths, direct_pairs = _dated_two_hop(adjacency, edge_periods)
    edge_row = np.repeat(np.arange(n, dtype=np.int32), np.diff(adjacency.indptr))
    dated = _Dated(registered, adjacency, edge_row, edge_periods, edge_periods.lasting(),
                   kind_periods, two_hop, paths, direct_pairs, persons, person_periods,
                   legal_reps, legal_periods)
    links = Links(
        usccs=usccs, adjacency=adjacency, kinds=kinds, two_hop=two_hop,
        component=np.zeros(n, np.int64), persons=persons, legal_reps=legal_reps,
        person_keys=person_keys, addresses=incidence["address"], phones=incidence["phone"],
        hub_cap=hub_cap, capped=capped, dated=dated,
    ).at(None)
    log.info(
        "links built subjects=%d edges=%d two_hop_pairs=%d components=%d capped=%s",
        n, links.adjacency.nnz // 2, links.two_hop.nnz // 2,
        links.component.max() + 1 if n else 0, capped,
    )
    return links


def _merge(labels: np.ndarray, rows: np.ndarray, cols: np.ndarray,
           mask: np.ndarray) -> np.ndarray:
    """Component labels (0 .. k-1) of ``labels`` joined through the edges (rows, cols)
    selected by ``mask``."""
    pick = np.flatnonzero(mask)
    m = int(labels.max()) + 1 if len(labels) else 0
    joins = sp.csr_matrix((np.ones(len(pick)), (labels[rows[pick]],
                                                        labels[cols[pick]])), shape=(m, m))
    _, merged = connected_components(joins, directed=False)
    return merged[labels].astype(np.int64)


def _days(col: pd.Series, missing: int = ALWAYS) -> np.ndarray:
    """Day numbers of a date column, ``missing`` where missing, within (ALWAYS, NEVER)."""
    days, ok = days_of(col)
    return np.where(ok, np.clip(days, ALWAYS + 1, NEVER - 1), missing).astype(np.int32)


def role_periods(ties: pd.DataFrame, subj: np.ndarray, registered: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray | None]:
    """The day each tie begins and ends (days since 1970; it holds on the days t with
    began < t <= ended), for ties of subjects at positions ``subj`` (-1: unknown).

    A role begins on its ``since``, not before its subject is registered (ALWAYS when
    neither is known). It ends on its ``until``; a legal representative's also when a
    later one of the same subject begins (by ``since``, undated the oldest; not before
    the registration), since a subject has one legal representative at a time (roles
    begun the same day, or undated, end none of each other). ``ended`` is None when no
    role ends."""
    since = _days(ties["since"]) if "since" in ties else np.full(len(ties), ALWAYS, np.int32)
    known = subj >= 0
    reg = np.where(known, registered[np.where(known, subj, 0)], ALWAYS)
    began = np.maximum(since, reg)
    until = _days(ties["until"], NEVER) if "until" in ties \
        else np.full(len(ties), NEVER, np.int32)
    legal = np.flatnonzero(known & (ties["role"].astype(str).to_numpy() == "legal_rep")
                           & (ties["holder_kind"].astype(str).to_numpy() == "person")
                           & ties["holder_key"].notna().to_numpy())
    order = legal[np.lexsort((since[legal], subj[legal]))]
    s, b = subj[order], since[order]
    # the next later since of the same subject: of the next run of equal (subject, since)
    new_run = np.r_[True, (s[1:] != s[:-1]) | (b[1:] != b[:-1])] if len(s) else s.astype(bool)
    run = np.cumsum(new_run) - 1
    run_subj, run_since = s[new_run], b[new_run]
    same = np.r_[run_subj[1:] == run_subj[:-1], False] if len(run_subj) else run_subj
    successor = np.where(same, np.r_[run_since[1:], NEVER], NEVER) if len(run_subj) \
        else run_since
    ended = until.copy()
    ended[order] = np.minimum(until[order], np.maximum(successor[run], reg[order]))
    return began.astype(np.int32), ended if (ended < NEVER).any() else None


def propagate(
    links: Links,
    seeds: np.ndarray,
    alpha: float = 0.85,
    tol: float = 1e-4,
    max_iter: int = 200,
    active: np.ndarray | None = None,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Personalised PageRank mass from per-subject seed weights, by sparse power iteration.

    Solves ``r = (1 - alpha) * w + alpha * A D^-1 r`` for the seed vector ``w``. The result
    is not normalised: it is in units of seed weight (it sums to at most ``w.sum()``), so
    it is comparable across dates whatever the number of seeds. Only ``active`` subjects
    (bool) hold and pass on mass, D counting active neighbours only. Iteration starts from
    ``start`` when given (the solution for a nearby date converges in a few steps) and
    stops when the L1 change is below ``tol`` times the seed mass.
    """
    w = np.asarray(seeds, dtype=np.float64)
    a = links.adjacency
    e = np.ones_like(w) if active is None else np.asarray(active, dtype=np.float64)
    deg = a @ e
    # Mass a subject passes to each neighbour; inactive subjects pass nothing.
    share = alpha * np.divide(e, deg, out=np.zeros_like(deg), where=deg > 0)
    base = (1.0 - alpha) * w
    r = base.copy() if start is None else np.asarray(start, dtype=np.float64) * e
    limit = tol * max(float(w.sum()), 1e-12)
    for _ in range(max_iter):
        nxt = a @ (r * share)
        nxt *= e
        nxt += base
        delta = float(np.abs(nxt - r).sum())
        r = nxt
        if delta <= limit:
            break
    return r


def lookup(keys: pd.Index, values: pd.Series | pd.Index | np.ndarray) -> np.ndarray:
    """Position of each value in keys (int64, -1 when absent or missing), hashed by Arrow."""
    # pandas' string get_indexer is ~4x slower at a million keys (measured).
    value_set = pa.array(pd.Series(keys, dtype="str"))
    query = pa.array(pd.Series(values, dtype="str"))
    found = pc.index_in(query, value_set=value_set).fill_null(-1)
    return found.to_numpy().astype(np.int64)


def _row_max(mat: sp.csr_matrix, n: int) -> np.ndarray:
    """Row maxima of a non-negative sparse matrix (0 for empty rows)."""
    out = np.zeros(n)
    nz = np.diff(mat.indptr) > 0
    if nz.any():
        out[nz] = np.maximum.reduceat(mat.data, mat.indptr[:-1][nz])
    return out


# ---- dated structure -------------------------------------------------------------------

_DAY_BITS = 20  # a day packed below a pair key: NEVER - ALWAYS < 2 ** 20
_PACK_LIMIT = 1 << (63 - _DAY_BITS)  # pair keys of one block stay below this
# Walks i - j - k expanded at once while dating the 2-hop pairs: ~50 bytes each.
_TWO_HOP_BLOCK_WALKS = 2_000_000


@dataclass(frozen=True, eq=False)
class _Periods:
    """The days the entries of a sparse structure exist. A period ``(start, end]`` holds
    on the days t with ``start < t <= end``: a fact dated d counts from the day after d,
    the beginning as the end. Each entry's first period is aligned with the entries
    (``start`` NEVER: the entry never exists); an entry that ends and begins again has
    its later periods in ``more``. ``end`` is None when no period ever ends."""

    start: np.ndarray  # int32 per entry
    end: np.ndarray | None  # int32 per entry (NEVER: open); None: every one open
    more: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # entry, start, end

    @property
    def ends(self) -> bool:
        """Whether any period ends: then the structure is not monotone in time."""
        return self.end is not None

    @property
    def single(self) -> np.ndarray | None:
        """Which entries have exactly one period (None: all of them)."""
        if self.more is None:
            return None
        one = np.ones(len(self.start), bool)
        one[self.more[0]] = False
        return one

    def lasting(self) -> np.ndarray | None:
        """Which entries exist from their start for good (one period, never ending);
        None when no period ends (all of them)."""
        if self.end is None:
            return None
        one = self.end == NEVER
        single = self.single
        return one if single is None else one & single

    def ended_before(self, t: int) -> np.ndarray:
        """Per entry, the last day one of its periods ended before day t (ALWAYS: none)."""
        if self.end is None:
            return np.full(len(self.start), ALWAYS, np.int64)
        last = np.where(self.end < t, self.end, ALWAYS).astype(np.int64)
        if self.more is not None:
            entry, _, end = self.more
            over = end < t
            np.maximum.at(last, entry[over], end[over])
        return last

    def live(self, t: int) -> np.ndarray:
        """Whether each entry exists on day t."""
        on = self.start < t
        if self.end is not None:
            on &= t <= self.end
        if self.more is not None:
            entry, start, end = self.more
            on[entry[(start < t) & (t <= end)]] = True
        return on

    def flat(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every period as (entry, start, end), sorted by entry then start."""
        size = len(self.start)
        entry = np.arange(size, dtype=np.int64)
        end = np.full(size, NEVER, np.int32) if self.end is None else self.end
        if self.more is None:
            return entry, self.start, end
        entry = np.r_[entry, self.more[0]]
        start, end = np.r_[self.start, self.more[1]], np.r_[end, self.more[2]]
        order = np.lexsort((start, entry))
        return entry[order], start[order], end[order]

    @classmethod
    def of(cls, entry: np.ndarray, start: np.ndarray, end: np.ndarray | None,
           size: int) -> _Periods:
        """From disjoint periods sorted by (entry, start), over ``size`` entries."""
        first = np.r_[True, entry[1:] != entry[:-1]] if len(entry) else np.zeros(0, bool)
        aligned = np.full(size, NEVER, np.int32)
        aligned[entry[first]] = start[first]
        if end is None:
            return cls(aligned, None)
        closes = np.full(size, NEVER, np.int32)
        closes[entry[first]] = end[first]
        if first.all():
            return cls(aligned, closes if (closes < NEVER).any() else None)
        rest = ~first
        return cls(aligned, closes, (entry[rest], start[rest].astype(np.int32),
                                     end[rest].astype(np.int32)))


@dataclass(frozen=True, eq=False)
class _Dated:
    """The whole link structure with the days each part exists (facts strictly before a
    day t count on t)."""

    registered: np.ndarray  # int32 registration day per subject (ALWAYS when unknown)
    adjacency: sp.csr_matrix  # every edge that ever exists
    edge_row: np.ndarray  # the row of each entry (the column is adjacency.indices)
    edges: _Periods  # per entry of adjacency: while any of its kinds exists
    lasting: np.ndarray | None  # per entry: one period, never ending (None: every entry)
    kinds: _Periods  # per (entry, edge kind), flat: entry * len(EDGE_KINDS) + kind
    two_hop: sp.csr_matrix  # pairs ever at exactly 2 hops
    paths: _Periods  # per entry of two_hop: while a path i - j - k exists ...
    direct: tuple[np.ndarray, np.ndarray]  # ... unless linked directly: (entry, edge)
    persons: sp.csr_matrix
    person_periods: _Periods
    legal_reps: sp.csr_matrix
    legal_rep_periods: _Periods


def _union(key: np.ndarray, start: np.ndarray, end: np.ndarray | None
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Merge the periods ``(start, end]`` of each key into disjoint ones, sorted by key
    and start, empty periods dropped. Without ends each key keeps its earliest start."""
    key = np.asarray(key, np.int64)
    start = np.asarray(start, np.int64)
    if end is None:
        order = _by_key_and_day(key, start)
        key, start = key[order], start[order]
        first = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, bool)
        return key[first], start[first].astype(np.int32), None
    end = np.asarray(end, np.int64)
    ok = end > start
    key, start, end = key[ok], start[ok], end[ok]
    order = _by_key_and_day(key, start)
    key, start, end = key[order], start[order], end[order]
    if not len(key):
        return key, start.astype(np.int32), end.astype(np.int32)
    # The running latest end of each key: keys ranked, ranks above the days, so one
    # running maximum over the whole array restarts at every key.
    rank = np.cumsum(np.r_[0, key[1:] != key[:-1]]) << _DAY_BITS
    reach = np.maximum.accumulate(rank + (end - ALWAYS))
    opens = rank + (start - ALWAYS) > np.r_[-1, reach[:-1]]  # after all before it ended
    at = np.flatnonzero(opens)
    return (key[at], start[at].astype(np.int32),
            np.maximum.reduceat(end, at).astype(np.int32))


def _by_key_and_day(key: np.ndarray, day: np.ndarray) -> np.ndarray:
    """The order of (key, day): one sort of the day packed below the key where keys fit
    (8 million in 0.35 s against 2.3 s for ``np.lexsort``); rows equal in both come in
    any order."""
    if len(key) and key.min() >= 0 and key.max() < _PACK_LIMIT:
        return np.argsort((key << _DAY_BITS) | (day - ALWAYS))
    return np.lexsort((day, key))


def _runs(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of a sorted array, and the run each element is in."""
    new = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, bool)
    return key[new], np.cumsum(new) - 1


def _dated_incidence(rows: np.ndarray, cols: np.ndarray, start: np.ndarray,
                     end: np.ndarray | None, n: int, m: int) -> tuple[sp.csr_matrix, _Periods]:
    """0/1 matrix of the valid (row, col) pairs that ever exist, with their periods."""
    ok = (rows >= 0) & (cols >= 0)
    key = rows[ok].astype(np.int64) * max(m, 1) + cols[ok]
    key, start, end = _union(key, np.asarray(start)[ok],
                             None if end is None else np.asarray(end)[ok])
    keys, entry = _runs(key)
    r, c = keys // max(m, 1), keys % max(m, 1)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=n))]).astype(np.int64)
    mat = sp.csr_matrix((np.ones(len(keys)), c, indptr), shape=(n, m))
    return mat, _Periods.of(entry, start, end, len(keys))


def _pairs_within(inc: sp.csr_matrix, periods: _Periods, hub_cap: int,
                  capped: dict[str, int], name: str
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Ordered pairs (a, b) of subjects sharing an identifier, with the periods they share
    it (both ties exist) on days it is held by at most hub_cap subjects. ``capped`` counts
    the identifiers ever held by more."""
    sizes = np.bincount(inc.indices, minlength=inc.shape[1])
    capped[name] = int((sizes > hub_cap).sum())
    entry, start, end = periods.flat()
    col = inc.indices[entry]
    member = np.repeat(np.arange(inc.shape[0]), np.diff(inc.indptr))[entry]
    keep = (sizes[col] >= 2) & (sizes[col] <= hub_cap)
    over = sizes[col] > hub_cap
    # an identifier held by more than hub_cap subjects over time links them on the days it
    # held at most hub_cap: each its own group, numbered after the identifiers
    g2, m2, s2, e2 = _below_cap(col[over], member[over], start[over], end[over], hub_cap)
    group, member = np.r_[col[keep], inc.shape[1] + g2], np.r_[member[keep], m2]
    start, end = np.r_[start[keep], s2], np.r_[end[keep], e2]
    ends = periods.ends or bool((e2 < NEVER).any())
    # Each period meets the periods of its group that begin at or after it and before it
    # ends (sorted by group and start: the next ones up to its end), so only periods that
    # overlap are paired: a nominee's thousands of roles held two at a time make
    # thousands of pairs, not millions.
    group = group.astype(np.int64)
    order = _by_key_and_day(group, start)
    group, member, start, end = group[order], member[order], start[order], end[order]
    key = (group << _DAY_BITS) | (start.astype(np.int64) - ALWAYS)
    stop = np.searchsorted(key, (group << _DAY_BITS) | (end.astype(np.int64) - ALWAYS))
    here = np.arange(len(group))
    count = np.maximum(stop - here - 1, 0)
    left = np.repeat(here, count)
    right = left + 1 + np.arange(len(left)) - np.repeat(np.cumsum(count) - count, count)
    keep = member[left] != member[right]
    left, right = left[keep], right[keep]
    a, b = np.r_[member[left], member[right]], np.r_[member[right], member[left]]
    since = np.maximum(start[left], start[right])
    until = np.minimum(end[left], end[right])
    return a, b, np.r_[since, since], np.r_[until, until] if ends else None


def _below_cap(col: np.ndarray, member: np.ndarray, start: np.ndarray, end: np.ndarray,
               cap: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The memberships (identifier ``col``, subject ``member``, period ``(start, end]``)
    cut to the spells their identifier is held by 2 .. cap subjects, as (spell, member,
    start, end): a market building links its first tenants until it fills up, and a
    nominee the shells they front at one time while they are few."""
    none = np.zeros(0, np.int64)
    if not len(col):
        return none, none, none.astype(np.int32), none.astype(np.int32)
    # how many hold each identifier: +1 after each start, -1 after each end; the count
    # after the last change of a day holds until the identifier's next change
    key = np.r_[col, col].astype(np.int64)
    day = np.r_[start, end].astype(np.int64)
    step = np.r_[np.ones(len(col), np.int64), -(end < NEVER).astype(np.int64)]
    order = _by_key_and_day(key, day)
    key, day, step = key[order], day[order], step[order]
    new_key = np.r_[True, key[1:] != key[:-1]]
    total = np.cumsum(step)
    held = total - np.repeat(total[new_key] - step[new_key], np.diff(np.r_[
        np.flatnonzero(new_key), len(key)]))
    last = np.r_[(key[1:] != key[:-1]) | (day[1:] != day[:-1]), True]
    key, day, held = key[last], day[last], held[last]
    same = np.r_[key[1:] == key[:-1], False]
    until = np.where(same, np.r_[day[1:], NEVER], NEVER)
    spell = (held >= 2) & (held <= cap) & (day < until)
    # adjacent spells of one identifier are one
    key, day, until = key[spell], day[spell], until[spell]
    if not len(key):  # every identifier went from none or one holder to too many at once
        return none, none, none.astype(np.int32), none.astype(np.int32)
    joined = np.r_[False, (key[1:] == key[:-1]) & (day[1:] == until[:-1])]
    heads = np.flatnonzero(~joined)
    ends = np.r_[heads[1:], len(key)] - 1  # a run's last spell holds its end
    key, day, until = key[heads], day[heads], until[ends]
    # each membership against each spell of its identifier
    lo = np.searchsorted(key, col, side="left")
    hi = np.searchsorted(key, col, side="right")
    count = hi - lo
    which = np.repeat(np.arange(len(col)), count)
    spell_of = (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
                + np.repeat(lo, count))
    s = np.maximum(start[which], day[spell_of])
    e = np.minimum(end[which], until[spell_of])
    ok = s < e
    return (spell_of[ok].astype(np.int64), member[which][ok],
            s[ok].astype(np.int32), e[ok].astype(np.int32))


def _date_edges(n: int, a: np.ndarray, b: np.ndarray, kind: np.ndarray, start: np.ndarray,
                end: np.ndarray | None, registered: np.ndarray
                ) -> tuple[sp.csr_matrix, sp.csr_matrix, _Periods, _Periods]:
    """Merge directed (a, b, kind bit index, start, end) entries into one symmetric
    structure: the 0/1 adjacency, uint8 kinds, and the periods of each entry and of each
    of its kinds, none begun before both subjects are registered."""
    k = len(EDGE_KINDS)
    start = np.maximum(start, np.maximum(registered[a], registered[b]))
    slot, start, end = _union((a.astype(np.int64) * n + b) * k + kind, start, end)
    keys, edge = _runs(slot // k)
    rows, cols = keys // n, keys % n
    bits = np.zeros(len(keys), np.uint8)
    np.bitwise_or.at(bits, edge, (1 << (slot % k)).astype(np.uint8))
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).astype(np.int64)
    adjacency = sp.csr_matrix((np.ones(len(keys)), cols, indptr), shape=(n, n))
    kinds = sp.csr_matrix((bits, cols, indptr), shape=(n, n))
    kind_periods = _Periods.of(edge * k + slot % k, start, end, len(keys) * k)
    if end is None:  # an edge begins with its first kind
        firsts = np.flatnonzero(np.r_[True, edge[1:] != edge[:-1]]) if len(edge) else edge
        edge_periods = _Periods(np.minimum.reduceat(start, firsts) if len(edge)
                                else np.zeros(0, np.int32), None)
    else:
        edge_periods = _Periods.of(*_union(edge, start, end), len(keys))
    return adjacency, kinds, edge_periods, kind_periods


def _dated_two_hop(a: sp.csr_matrix, edges: _Periods
                   ) -> tuple[sp.csr_matrix, _Periods, tuple[np.ndarray, np.ndarray]]:
    """Pairs (i, k) ever at exactly 2 hops: the periods a path i - j - k exists (both of
    its edges do), and, for pairs also linked directly, that edge (the pair is 2 hops
    apart only while it does not exist). Pairs whose every path lies within their direct
    edge's one period are left out: they are never exactly 2 hops apart. Built in row
    blocks of bounded size."""
    n = a.shape[0]
    entry, p_start, p_end = edges.flat()  # the periods of every edge, in row order
    p_col = a.indices[entry]
    p_row = np.repeat(np.arange(n), np.diff(a.indptr))[entry]
    p_ptr = np.concatenate([[0], np.cumsum(np.bincount(p_row, minlength=n))]).astype(np.int64)
    deg = np.diff(p_ptr)
    ends = edges.ends
    single = edges.single
    # Walks from row i: the sum of its neighbours' degrees.
    walks = np.concatenate([[0], np.cumsum(np.bincount(p_row, weights=deg[p_col],
                                                       minlength=n))])
    rows_limit = max(1, _PACK_LIMIT // max(n, 1))
    parts: list[tuple[np.ndarray, ...]] = []  # per block: rows, columns of its pairs
    periods: list[tuple[np.ndarray, ...]] = []  # per block: entry, start (, end) of each
    direct: list[tuple[np.ndarray, np.ndarray]] = []
    done, start = 0, 0
    while start < n:
        stop = int(np.searchsorted(walks, walks[start] + _TWO_HOP_BLOCK_WALKS, side="right")) - 1
        stop = min(max(stop, start + 1), n, start + rows_limit)
        lo, hi = p_ptr[start], p_ptr[stop]
        ent_j = p_col[lo:hi]
        cnt = deg[ent_j]
        left = np.repeat(np.arange(hi - lo), cnt) + lo
        pos = p_ptr[ent_j][left - lo] + (np.arange(len(left)) - np.repeat(np.cumsum(cnt) - cnt,
                                                                            cnt))
        i, k = p_row[left] - start, p_col[pos]
        keep = k != i + start
        left, pos, i, k = left[keep], pos[keep], i[keep], k[keep]
        since = np.maximum(p_start[left], p_start[pos]).astype(np.int64)
        if ends:
            until = np.minimum(p_end[left], p_end[pos])
            pair, since, until = _union(i.astype(np.int64) * n + k, since, until)
        else:
            del left, pos
            packed = np.sort(((i.astype(np.int64) * n + k) << _DAY_BITS) | (since - ALWAYS))
            pair = packed >> _DAY_BITS
            first = np.r_[True, pair[1:] != pair[:-1]] if len(pair) else np.zeros(0, bool)
            pair = pair[first]
            since = ((packed[first] & ((1 << _DAY_BITS) - 1)) + ALWAYS).astype(np.int32)
            until = None
        # the direct edge of each pair, if any: rows of a are sorted, columns within them
        e_lo, e_hi = a.indptr[start], a.indptr[stop]
        own = (np.repeat(np.arange(start, stop), np.diff(a.indptr[start:stop + 1])) - start
               ).astype(np.int64) * n + a.indices[e_lo:e_hi]
        at = np.searchsorted(own, pair)
        found = at < len(own)
        found[found] = own[at[found]] == pair[found]
        edge = np.where(found, e_lo + at, -1)
        # a path period within the direct edge's one period is never 2 hops
        ok = edge >= 0
        if single is not None:
            ok[ok] = single[edge[ok]]
        covered = ok.copy()
        covered[ok] = edges.start[edge[ok]] <= since[ok]
        if until is not None:  # then edges end too
            covered[ok] &= until[ok] <= edges.end[edge[ok]]
        distinct = np.r_[True, pair[1:] != pair[:-1]] if len(pair) else np.zeros(0, bool)
        group = np.cumsum(distinct) - 1
        open_ = np.bincount(group, weights=(~covered).astype(np.float64),
                            minlength=int(distinct.sum())) > 0
        kept = open_[group]
        pair, since, edge = pair[kept], since[kept], edge[kept]
        until = None if until is None else until[kept]
        distinct = distinct[kept]
        entry = np.cumsum(distinct) - 1 + done  # global entry of each period's pair
        parts.append((pair[distinct] // n + start, pair[distinct] % n))
        periods.append((since,) if until is None else (entry, since, until))
        has = distinct & (edge >= 0)
        direct.append((entry[has], edge[has]))
        done += int(distinct.sum())
        start = stop
    rows = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    cols = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).astype(np.int64)
    mat = sp.csr_matrix((np.ones(len(rows), bool), cols, indptr), shape=(n, n))
    if ends:  # periods sorted by entry, then start
        entry, since, until = (np.concatenate(c) for c in zip(*periods, strict=True)) \
            if periods else (np.zeros(0, np.int64),) * 3
        paths = _Periods.of(entry, since, until, len(rows))
    else:  # one period per pair: its first path
        paths = _Periods(np.concatenate([p[0] for p in periods]).astype(np.int32)
                         if periods else np.zeros(0, np.int32), None)
    pairs = (np.concatenate([d[0] for d in direct]) if direct else np.zeros(0, np.int64),
             np.concatenate([d[1] for d in direct]) if direct else np.zeros(0, np.int64))
    return mat, paths, pairs
