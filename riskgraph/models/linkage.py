"""Subject-subject link graph: shared identifiers under a hub cap, 2 hops, components, propagation.

Two subjects are linked (1 hop) when they share a person in any role (legal rep,
shareholder, executive, supervisor), when one holds shares in the other, when one is a
branch of the other, or when they share a normalised address or phone. An identifier
(person, address, phone) shared by more than ``hub_cap`` subjects links none of them: a
market building, an agent's phone or a nominee who fronts hundreds of shells would
otherwise glue unrelated subjects into one cluster. Capped identifiers are counted in
``Links.capped``; how widely an address or phone is shared stays available, uncapped, as
``address_shared_by`` / ``phone_shared_by``, and a person's other subjects, uncapped, through
``persons`` and ``legal_reps``. Direct subject-subject edges (shareholding, branch) are
never capped.

Every part of the graph is dated: an edge, a tie to a person and a 2-hop pair exist
from the day the later of their facts happened (both subjects registered, both roles'
``since``), so ``Links.at(t)`` is the graph as it stood on day t and point-in-time features
see no subject, role or path that came later. Addresses and phones carry no dates in the
exports: a shared address or phone links two subjects once both are registered.
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
    "person": 1, "shareholding": 2, "branch": 4, "address": 8, "phone": 16
}
DEFAULT_HUB_CAP = 30


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
    capped: dict[str, int]  # identifiers shared by more than hub_cap subjects, per kind
    dated: _Dated | None = None  # the whole structure with its days, for ``at``
    as_of: int | None = None  # the day (days since 1970) of this view; None: every fact

    def at(self, day: int | None, after: Links | None = None) -> Links:
        """The graph as it stood on ``day`` (days since 1970; None: with every fact): an
        edge, a tie to a person and a 2-hop pair count once every fact that makes them
        is dated strictly before the day (both subjects registered, both roles begun).

        The hub cap judges an identifier by all the subjects that ever shared it: one
        that links 40 subjects today links nobody on any day, even while it had 20.

        The matrices of a past day share their index arrays with the whole structure (do
        not change them in place) and hold explicit zeros for what does not exist yet, so
        a view costs a few vectorised comparisons and one connected-components pass; the
        view of ``None`` owns its arrays and holds no zeros. Given the view of an earlier
        day (``after``), components are that view's merged through the edges begun since,
        which is the same partition at a fraction of the cost (links only ever begin)."""
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
        adjacency = keep(a, d.edge_day < t)
        # EDGE_KINDS are the bits 1, 2, 4, ... in column order
        bits = np.packbits(d.kind_day < t, axis=1, bitorder="little").ravel()
        views = {
            "adjacency": adjacency,
            "kinds": keep(a, bits, np.uint8),
            "two_hop": keep(d.two_hop, (d.two_hop_from < t) & (d.two_hop_until >= t), bool),
            "persons": keep(d.persons, d.persons_day < t),
            "legal_reps": keep(d.legal_reps, d.legal_reps_day < t),
        }
        if after is not None and after.as_of is not None and day is not None \
                and after.as_of <= t and after.dated is d:
            begun = np.flatnonzero((d.edge_day >= after.as_of) & (d.edge_day < t))
            labels = after.component
            m = int(labels.max()) + 1 if len(labels) else 0
            merge = sp.csr_matrix((np.ones(len(begun)), (labels[d.edge_row[begun]],
                                                         labels[a.indices[begun]])),
                                  shape=(m, m))
            _, merged = connected_components(merge, directed=False)
            component = merged[labels]
        else:
            live = adjacency if day is None else adjacency.copy()
            live.eliminate_zeros()
            _, component = connected_components(live, directed=False)
        return replace(self, **views, component=component.astype(np.int64),
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

    def to_networkx(self, around: Sequence[str] | None = None, hops: int = 2) -> nx.Graph:
        """The link graph as a networkx ``Graph``, for analysis and drawing.

        With ``around`` (USCCs), only the subjects within ``hops`` links of them (their
        ego network); without, the whole graph — at city scale that is millions of Python
        objects, so prefer the sparse matrices for whole-city work. Nodes are USCCs with
        ``component``; edges carry ``kinds``, the names of their edge kinds in
        ``EDGE_KINDS`` order (a pair of subjects can share a person *and* an address).
        Unknown USCCs raise KeyError. The whole graph of a past day's view (``at``) leaves
        out the subjects not registered by then.
        """
        if isinstance(around, str):
            around = [around]
        if around is None:
            nodes = np.arange(len(self.usccs))
            if self.as_of is not None and self.dated is not None:  # who existed that day
                nodes = nodes[self.dated.registered < self.as_of]
        else:
            start = lookup(self.usccs, pd.Series(list(around), dtype="str"))
            if (start < 0).any():
                missing = [u for u, i in zip(around, start, strict=True) if i < 0]
                raise KeyError(f"unknown subjects: {missing[:5]}")
            seen = np.zeros(len(self.usccs), bool)
            seen[start] = True
            frontier = np.unique(start)
            for _ in range(hops):
                near = self.adjacency[frontier]
                nxt = np.unique(near.indices[near.data != 0])
                frontier = nxt[~seen[nxt]]
                seen[frontier] = True
                if not len(frontier):
                    break
            nodes = np.flatnonzero(seen)
        sub = self.kinds[nodes][:, nodes].tocoo()
        upper = (sub.row < sub.col) & (sub.data != 0)  # a dated view holds explicit zeros
        names = sorted(EDGE_KINDS, key=EDGE_KINDS.get)
        kind_names = {int(b): [k for k in names if b & EDGE_KINDS[k]]
                      for b in np.unique(sub.data[upper])}
        graph = nx.Graph()
        labels = self.usccs.to_numpy()[nodes]
        graph.add_nodes_from((u, {"component": int(c)})
                             for u, c in zip(labels, self.component[nodes], strict=True))
        graph.add_edges_from(
            (labels[i], labels[j], {"kinds": kind_names[int(b)]})
            for i, j, b in zip(sub.row[upper], sub.col[upper], sub.data[upper], strict=True))
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
    since = _days(ties["since"]) if "since" in ties else np.full(len(ties), ALWAYS, np.int32)
    kind = ties["holder_kind"].astype(str).to_numpy()
    subj = lookup(usccs, ties["subject_uscc"])
    is_person = (kind == "person") & (subj >= 0) & ties["holder_key"].notna().to_numpy()

    person_keys = pd.Index(pd.unique(ties["holder_key"][is_person]))
    pcol = lookup(person_keys, ties["holder_key"][is_person])
    m = len(person_keys)
    # a role counts from its own day, and not before its subject is registered
    began = np.maximum(since[is_person], registered[subj[is_person]])
    persons, persons_day = _dated_incidence(subj[is_person], pcol, began, n, m)
    legal = ties["role"].to_numpy()[is_person] == "legal_rep"
    legal_reps, legal_day = _dated_incidence(subj[is_person][legal], pcol[legal],
                                             began[legal], n, m)

    capped: dict[str, int] = {}
    incidence: dict[str, sp.csr_matrix] = {}
    entries = [(*_pairs_within(persons, persons_day, hub_cap, capped, "person"), "person")]
    for name, table, col in (
        ("address", frames.addresses, "address_key"),
        ("phone", frames.phones, "phone_key"),
    ):
        rows = lookup(usccs, table["subject_uscc"])
        keys, _ = pd.factorize(table[col])  # NA keys become -1
        inc, inc_day = _dated_incidence(rows, keys, np.full(len(rows), ALWAYS, np.int32), n,
                                        int(keys.max()) + 1 if len(keys) else 0)
        incidence[name] = inc  # addresses and phones carry no dates: today's
        entries.append((*_pairs_within(inc, inc_day, hub_cap, capped, name), name))

    holder = lookup(usccs, ties["holder_key"].where(kind == "subject"))
    direct = (kind == "subject") & (subj >= 0) & (holder >= 0) & (subj != holder)
    branch = ties["role"].to_numpy() == "branch_of"
    for name, mask in (("shareholding", direct & ~branch), ("branch", direct & branch)):
        a, b, d = subj[mask], holder[mask], since[mask]
        entries.append((np.r_[a, b], np.r_[b, a], np.r_[d, d], name))

    bit = {k: i for i, k in enumerate(EDGE_KINDS)}
    adjacency, kinds, edge_day, kind_day = _date_edges(
        n,
        np.concatenate([e[0] for e in entries]).astype(np.int64),
        np.concatenate([e[1] for e in entries]).astype(np.int64),
        np.concatenate([np.full(len(e[0]), bit[e[3]], np.int64) for e in entries]),
        np.concatenate([e[2] for e in entries]).astype(np.int32),
        registered,
    )
    two_hop, two_from, two_until = _dated_two_hop(adjacency, edge_day)
    edge_row = np.repeat(np.arange(n, dtype=np.int32), np.diff(adjacency.indptr))
    dated = _Dated(registered, adjacency, edge_row, edge_day, kind_day, two_hop, two_from,
                   two_until, persons, persons_day, legal_reps, legal_day)
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


def _days(col: pd.Series) -> np.ndarray:
    """Day numbers of a date column, ALWAYS where missing, within (ALWAYS, NEVER)."""
    days, ok = days_of(col)
    return np.clip(np.where(ok, days, ALWAYS), ALWAYS, NEVER - 1).astype(np.int32)


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

#: Day numbers (days since 1970) of the dated structure: ``ALWAYS`` for a tie or a subject
#: without a date (there from the start), ``NEVER`` for none. Every real day lies between.
ALWAYS, NEVER = -(1 << 19), (1 << 19) - 1
_DAY_BITS = 20  # a day packed below a pair key: NEVER - ALWAYS < 2 ** 20
_PACK_LIMIT = 1 << (63 - _DAY_BITS)  # pair keys of one block stay below this
# Walks i - j - k expanded at once while dating the 2-hop pairs: ~50 bytes each.
_TWO_HOP_BLOCK_WALKS = 2_000_000


@dataclass(frozen=True, eq=False)
class _Dated:
    """The whole link structure with the day each part starts (facts strictly before a
    day t count on t): arrays aligned with the data of the matrices they date."""

    registered: np.ndarray  # int32 registration day per subject (ALWAYS when unknown)
    adjacency: sp.csr_matrix  # every edge that ever exists
    edge_row: np.ndarray  # the row of each entry (the column is adjacency.indices)
    edge_day: np.ndarray  # int32: the day of its latest fact; it counts on the days after
    kind_day: np.ndarray  # int32 (nnz, len(EDGE_KINDS)): the same per edge kind
    two_hop: sp.csr_matrix  # pairs ever at exactly 2 hops
    two_hop_from: np.ndarray  # the pair is 2 hops apart from this day ...
    two_hop_until: np.ndarray  # ... until it is linked directly (NEVER: not)
    persons: sp.csr_matrix
    persons_day: np.ndarray
    legal_reps: sp.csr_matrix
    legal_reps_day: np.ndarray


def _dated_incidence(rows: np.ndarray, cols: np.ndarray, day: np.ndarray, n: int,
                     m: int) -> tuple[sp.csr_matrix, np.ndarray]:
    """0/1 matrix of the valid (row, col) pairs and, aligned with its data, each pair's
    earliest day (sorted indices, no duplicates)."""
    ok = (rows >= 0) & (cols >= 0)
    key = rows[ok].astype(np.int64) * max(m, 1) + cols[ok]
    d = np.asarray(day, np.int64)[ok]
    order = np.lexsort((d, key))
    key, d = key[order], d[order]
    first = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, bool)
    key, d = key[first], d[first]
    r, c = key // max(m, 1), key % max(m, 1)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=n))]).astype(np.int64)
    mat = sp.csr_matrix((np.ones(len(key)), c, indptr), shape=(n, m))
    return mat, d.astype(np.int32)


def _pairs_within(inc: sp.csr_matrix, day: np.ndarray, hub_cap: int, capped: dict[str, int],
                  name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ordered pairs (a, b) of subjects sharing an identifier held by 2 .. hub_cap subjects,
    and the day the pair starts to share it (the later of the two ties' days)."""
    sizes = np.bincount(inc.indices, minlength=inc.shape[1])
    capped[name] = int((sizes > hub_cap).sum())
    member = np.repeat(np.arange(inc.shape[0]), np.diff(inc.indptr))
    keep = (sizes[inc.indices] >= 2) & (sizes[inc.indices] <= hub_cap)
    group, member, d = inc.indices[keep], member[keep], day[keep]
    order = np.argsort(group, kind="stable")
    group, member, d = group[order], member[order], d[order]
    size = sizes[group]
    which = np.cumsum(np.r_[0, np.diff(group) != 0]) if len(group) else group
    first = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(group) else group
    left = np.repeat(np.arange(len(group)), size)  # each entry meets every entry of its group
    offset = np.arange(len(left)) - np.repeat(np.cumsum(size) - size, size)
    right = first[which[left]] + offset
    keep = left != right
    left, right = left[keep], right[keep]
    return member[left], member[right], np.maximum(d[left], d[right])


def _date_edges(n: int, a: np.ndarray, b: np.ndarray, kind: np.ndarray, day: np.ndarray,
                registered: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray,
                                                  np.ndarray]:
    """Merge directed (a, b, kind bit index, day) entries into one symmetric structure:
    the 0/1 adjacency, uint8 kinds, and per entry its first day overall and per kind —
    never before both subjects are registered."""
    key = a.astype(np.int64) * n + b
    slot = key * len(EDGE_KINDS) + kind
    order = np.lexsort((day, slot))
    slot, day = slot[order], day[order]
    first = np.r_[True, slot[1:] != slot[:-1]] if len(slot) else np.zeros(0, bool)
    slot, day = slot[first], day[first]
    key, kind = slot // len(EDGE_KINDS), slot % len(EDGE_KINDS)
    edge = np.cumsum(np.r_[0, key[1:] != key[:-1]]) if len(key) else key
    keys = key[np.r_[True, key[1:] != key[:-1]]] if len(key) else key
    rows, cols = keys // n, keys % n
    born = np.maximum(registered[rows], registered[cols])
    kind_day = np.full((len(keys), len(EDGE_KINDS)), NEVER, np.int32)
    kind_day[edge, kind] = np.maximum(day, born[edge])
    bits = np.zeros(len(keys), np.uint8)
    np.bitwise_or.at(bits, edge, (1 << kind).astype(np.uint8))
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).astype(np.int64)
    adjacency = sp.csr_matrix((np.ones(len(keys)), cols, indptr), shape=(n, n))
    kinds = sp.csr_matrix((bits, cols, indptr), shape=(n, n))
    return adjacency, kinds, kind_day.min(axis=1), kind_day


def _dated_two_hop(a: sp.csr_matrix, edge_day: np.ndarray) -> tuple[sp.csr_matrix,
                                                                     np.ndarray, np.ndarray]:
    """Pairs (i, k) ever at exactly 2 hops, with the first day a path i - j - k exists
    (the earliest over j of the later of its two edges' days) and the day i and k are
    linked directly (NEVER if not). Pairs linked directly no later than by a path are
    left out: they are never exactly 2 hops apart. Built in row blocks of bounded size."""
    n = a.shape[0]
    deg = np.diff(a.indptr)
    # Walks from row i: the sum of its neighbours' degrees.
    walks = np.concatenate([[0.0], np.cumsum(a @ deg.astype(np.float64))])
    rows_limit = max(1, _PACK_LIMIT // max(n, 1))
    parts_rows, parts_cols, parts_from, parts_until = [], [], [], []
    start = 0
    while start < n:
        stop = int(np.searchsorted(walks, walks[start] + _TWO_HOP_BLOCK_WALKS, side="right")) - 1
        stop = min(max(stop, start + 1), n, start + rows_limit)
        lo, hi = a.indptr[start], a.indptr[stop]
        ent_i = np.repeat(np.arange(start, stop), deg[start:stop]) - start
        ent_j, ent_d = a.indices[lo:hi], edge_day[lo:hi]
        cnt = deg[ent_j]
        left = np.repeat(np.arange(len(ent_j)), cnt)
        pos = a.indptr[ent_j][left] + (np.arange(len(left)) - np.repeat(np.cumsum(cnt) - cnt,
                                                                          cnt))
        i, k = ent_i[left], a.indices[pos]
        keep = k != i + start
        i, k = i[keep], k[keep]
        d = np.maximum(ent_d[left][keep], edge_day[pos][keep]).astype(np.int64)
        del left, pos, keep
        packed = np.sort(((i * n + k) << _DAY_BITS) | (d - ALWAYS))
        pair = packed >> _DAY_BITS
        first = np.r_[True, pair[1:] != pair[:-1]] if len(pair) else np.zeros(0, bool)
        pair, since = pair[first], (packed[first] & ((1 << _DAY_BITS) - 1)) + ALWAYS
        direct = ent_i.astype(np.int64) * n + ent_j  # sorted: csr rows, sorted indices
        at = np.searchsorted(direct, pair)
        found = at < len(direct)
        found[found] = direct[at[found]] == pair[found]
        until = np.full(len(pair), NEVER, np.int64)
        until[found] = ent_d[at[found]]
        keep = since < until
        parts_rows.append(pair[keep] // n + start)
        parts_cols.append(pair[keep] % n)
        parts_from.append(since[keep].astype(np.int32))
        parts_until.append(until[keep].astype(np.int32))
        start = stop
    rows = np.concatenate(parts_rows) if parts_rows else np.zeros(0, np.int64)
    cols = np.concatenate(parts_cols) if parts_cols else np.zeros(0, np.int64)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).astype(np.int64)
    mat = sp.csr_matrix((np.ones(len(rows), bool), cols, indptr), shape=(n, n))
    return (mat, np.concatenate(parts_from) if parts_from else np.zeros(0, np.int32),
            np.concatenate(parts_until) if parts_until else np.zeros(0, np.int32))
