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

The graph is the structure at projection time: ties carry no dates, so point-in-time
features restrict counts to subjects registered before the day they look at.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from riskgraph.models.frames import GraphFrames

log = logging.getLogger(__name__)

#: Bit of each edge kind in ``Links.kinds``; an edge may carry several kinds.
EDGE_KINDS: dict[str, int] = {
    "person": 1, "shareholding": 2, "branch": 4, "address": 8, "phone": 16
}
DEFAULT_HUB_CAP = 30
# Bound on the entries of one row block of A @ A while building the 2-hop matrix, so the
# temporary of one block stays a few hundred MB however large the graph grows.
_TWO_HOP_BLOCK_NNZ = 20_000_000


@dataclass(frozen=True, eq=False)
class Links:
    """Capped subject-subject link graph over ``frames.subjects`` (row i is subject i)."""

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
        Unknown USCCs raise KeyError.
        """
        if isinstance(around, str):
            around = [around]
        if around is None:
            nodes = np.arange(len(self.usccs))
        else:
            start = lookup(self.usccs, pd.Series(list(around), dtype="str"))
            if (start < 0).any():
                missing = [u for u, i in zip(around, start, strict=True) if i < 0]
                raise KeyError(f"unknown subjects: {missing[:5]}")
            seen = np.zeros(len(self.usccs), bool)
            seen[start] = True
            frontier = np.unique(start)
            for _ in range(hops):
                nxt = np.unique(self.adjacency[frontier].indices)
                frontier = nxt[~seen[nxt]]
                seen[frontier] = True
                if not len(frontier):
                    break
            nodes = np.flatnonzero(seen)
        sub = self.kinds[nodes][:, nodes].tocoo()
        upper = sub.row < sub.col
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
        counts["total"] = self.adjacency.nnz // 2
        counts["two_hop_pairs"] = self.two_hop.nnz // 2
        return counts


def build_links(frames: GraphFrames, hub_cap: int = DEFAULT_HUB_CAP) -> Links:
    """Build the capped subject-subject link graph, its 2-hop matrix and components."""
    usccs = pd.Index(frames.subjects["uscc"].astype("str"))
    if not usccs.is_unique:
        raise ValueError("frames.subjects has duplicate uscc")
    n = len(usccs)
    ties = frames.ties
    kind = ties["holder_kind"].astype(str).to_numpy()
    subj = lookup(usccs, ties["subject_uscc"])
    is_person = (kind == "person") & (subj >= 0) & ties["holder_key"].notna().to_numpy()

    person_keys = pd.Index(pd.unique(ties["holder_key"][is_person]))
    pcol = lookup(person_keys, ties["holder_key"][is_person])
    persons = _incidence(subj[is_person], pcol, n, len(person_keys))
    legal = ties["role"].to_numpy()[is_person] == "legal_rep"
    legal_reps = _incidence(subj[is_person][legal], pcol[legal], n, len(person_keys))

    capped: dict[str, int] = {}
    incidence: dict[str, sp.csr_matrix] = {}
    parts = [EDGE_KINDS["person"] * _co_membership(persons, hub_cap, capped, "person")]
    for name, table, col in (
        ("address", frames.addresses, "address_key"),
        ("phone", frames.phones, "phone_key"),
    ):
        rows = lookup(usccs, table["subject_uscc"])
        keys, _ = pd.factorize(table[col])  # NA keys become -1
        inc = _incidence(rows, keys, n, int(keys.max()) + 1 if len(keys) else 0)
        incidence[name] = inc.tocsr()
        parts.append(EDGE_KINDS[name] * _co_membership(inc, hub_cap, capped, name))

    holder = lookup(usccs, ties["holder_key"].where(kind == "subject"))
    direct = (kind == "subject") & (subj >= 0) & (holder >= 0) & (subj != holder)
    branch = ties["role"].to_numpy() == "branch_of"
    for name, mask in (("shareholding", direct & ~branch), ("branch", direct & branch)):
        e = _incidence(subj[mask], holder[mask], n, n)
        parts.append(EDGE_KINDS[name] * (e + e.T).sign())

    kinds = sum(parts[1:], parts[0]).tocsr().astype(np.uint8)
    kinds.sum_duplicates()
    kinds.eliminate_zeros()
    kinds.sort_indices()
    adjacency = sp.csr_matrix(
        (np.ones(kinds.nnz), kinds.indices, kinds.indptr), shape=(n, n), copy=False
    )
    _, component = connected_components(adjacency, directed=False)
    links = Links(
        usccs=usccs,
        adjacency=adjacency,
        kinds=kinds,
        two_hop=_two_hop(adjacency),
        component=component.astype(np.int64),
        persons=persons,
        legal_reps=legal_reps,
        person_keys=person_keys,
        addresses=incidence["address"],
        phones=incidence["phone"],
        hub_cap=hub_cap,
        capped=capped,
    )
    log.info(
        "links built subjects=%d edges=%d two_hop_pairs=%d components=%d capped=%s",
        n, adjacency.nnz // 2, links.two_hop.nnz // 2, component.max() + 1 if n else 0, capped,
    )
    return links


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


def _incidence(rows: np.ndarray, cols: np.ndarray, n: int, m: int) -> sp.csr_matrix:
    """0/1 matrix with a one at each (row, col) pair whose row and col are valid."""
    ok = (rows >= 0) & (cols >= 0)
    mat = sp.csr_matrix(
        (np.ones(int(ok.sum())), (rows[ok], cols[ok])), shape=(n, m), dtype=np.float64
    )
    mat.sum_duplicates()
    mat.data[:] = 1.0
    return mat


def _co_membership(
    inc: sp.csr_matrix, hub_cap: int, capped: dict[str, int], name: str
) -> sp.csr_matrix:
    """Subjects sharing an identifier held by at most hub_cap subjects (0/1, no diagonal)."""
    sizes = np.asarray(inc.sum(axis=0)).ravel()
    capped[name] = int((sizes > hub_cap).sum())
    keep = np.flatnonzero((sizes >= 2) & (sizes <= hub_cap))
    sub = inc[:, keep].tocsr()
    co = (sub @ sub.T).tocsr()
    co.setdiag(0)
    co.eliminate_zeros()
    return co.sign()


def _row_max(mat: sp.csr_matrix, n: int) -> np.ndarray:
    """Row maxima of a non-negative sparse matrix (0 for empty rows)."""
    out = np.zeros(n)
    nz = np.diff(mat.indptr) > 0
    if nz.any():
        out[nz] = np.maximum.reduceat(mat.data, mat.indptr[:-1][nz])
    return out


def _two_hop(a: sp.csr_matrix) -> sp.csr_matrix:
    """Bool matrix of pairs at exactly distance 2, built in row blocks of bounded size."""
    n = a.shape[0]
    reach_of = a.astype(bool)  # bool products are reachability: no path counts to overflow
    deg = np.diff(a.indptr).astype(np.float64)
    # Entries of row i of A @ A are at most the sum of its neighbours' degrees.
    bound = np.concatenate([[0.0], np.cumsum(a @ deg)])
    blocks = []
    start = 0
    while start < n:
        stop = int(np.searchsorted(bound, bound[start] + _TWO_HOP_BLOCK_NNZ, side="right")) - 1
        stop = min(max(stop, start + 1), n)
        rows = reach_of[start:stop]
        reach = rows @ reach_of
        reach.sort_indices()  # canonical operands keep the comparison below on its fast path
        size = stop - start
        eye = sp.csr_matrix(
            (np.ones(size, dtype=bool), (np.arange(size), np.arange(start, stop))),
            shape=(size, n),
        )
        blocks.append(reach > (rows + eye))  # reachable in 2, not in 0 or 1
        start = stop
    if not blocks:
        return sp.csr_matrix((n, n), dtype=bool)
    return sp.vstack(blocks, format="csr")
