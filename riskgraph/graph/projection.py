"""Project the graph store into typed frames for features (``GraphFrames``).

Each table is one or a few Cypher reads whose rows are gathered column-wise and turned
into typed pandas columns at once; dates travel as ISO strings and are parsed vectorised.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor

import pandas as pd

from riskgraph.graph.load_queries import role_reads
from riskgraph.graph.store import Store
from riskgraph.models.frames import COLUMNS, GraphFrames

log = logging.getLogger(__name__)

# Each table: one or more (MATCH …, RETURN expressions) whose rows are concatenated.
# Rows travel as one collected list per query: on the embedded engine a single large
# record streams about twice as fast as one Bolt record per row.
PARTS: dict[str, list[tuple[str, str]]] = {
    "subjects": [("MATCH (s:Subject)",
                  "s.uscc, s.kind, s.industry, s.region, s.status, toString(s.registered_on), "
                  "s.key_sector, s.registered_capital")],
    "complaints": [("MATCH (c:Complaint)-[:AGAINST]->(s:Subject)",
                    "s.uscc, toString(c.received_on), c.substantiated")],
    "penalties": [("MATCH (p:Penalty)-[:IMPOSED_ON]->(s:Subject)",
                   "s.uscc, toString(p.decided_on), p.severity, p.amount, "
                   "toString(p.repaired_on)")],
    "inspections": [("MATCH (i:Inspection)-[:OF]->(s:Subject)",
                     "i.inspection_id, s.uscc, toString(i.inspected_on), i.outcome, i.task_id")],
    "list_entries": [("MATCH (e:ListEntry)-[:LISTS]->(t:Subject)",
                      "t.uscc, null, e.list, toString(e.listed_on), toString(e.removed_on)"),
                     ("MATCH (e:ListEntry)-[:LISTS]->(t:Person)",
                      "null, t.key, e.list, toString(e.listed_on), toString(e.removed_on)")],
    # one read per kind of tie (``role_reads`` says why)
    "ties": [(match, f"s.uscc, {holder}, '{kind}', {role}, x.pct, toString(x.since), "
                     "toString(x.until)")
             for match, holder, kind, role in role_reads()],
    "commitments": [("MATCH (c:Commitment)-[:MADE_BY]->(s:Subject)",
                     "s.uscc, toString(c.made_on), toString(c.due_on), c.fulfilment, "
                     "toString(c.verified_on)")],
    "addresses": [("MATCH (s:Subject)-[:LOCATED_AT]->(a:Address)", "s.uscc, a.key")],
    "phones": [("MATCH (s:Subject)-[:USES_PHONE]->(p:Phone)", "s.uscc, p.key")],
}
# The tables in the order they are read: the largest first, so the last one read is a
# small one and neither worker waits on the other at the end (measured at 880,000
# subjects, the same store: 46-48 s against 53-59 s in the order above).
READ_ORDER = ("ties", "subjects", "addresses", "phones", "inspections", "complaints",
              "penalties", "commitments", "list_entries")
assert sorted(READ_ORDER) == sorted(PARTS)

_FLOATS = {"registered_capital", "amount", "share_pct"}
_BOOLS = {"key_sector", "substantiated"}


def project(store: Store, workers: int = 2) -> GraphFrames:
    """Read every table of ``GraphFrames`` from the store, ``workers`` tables at a time.

    Two concurrent reads keep the store busy while this process decodes the other's rows
    (measured 20 % faster than one at a time on a 2-core machine).
    """
    def read(name: str) -> pd.DataFrame:
        started = time.monotonic()
        table = _table(name, store)
        log.info("projected table=%s rows=%d seconds=%.1f", name, len(table),
                 time.monotonic() - started)
        return table

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        tables = dict(zip(READ_ORDER, pool.map(read, READ_ORDER), strict=True))
    return GraphFrames(**tables)


def _table(name: str, store: Store) -> pd.DataFrame:
    columns = COLUMNS[name]
    rows: list[list] = []
    for match, ret in PARTS[name]:
        # past the engine's collect() cap, row by row: about half as fast, as correct
        rows += store.collected(match, f"[{ret}]", what=f"projection table={name}")
    values = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    data: dict[str, pd.Series] = {}
    for column, vals in zip(columns, values, strict=True):
        if column.endswith("_on") or column in ("since", "until"):
            data[column] = pd.to_datetime(pd.Series(vals, dtype=object), format="%Y-%m-%d",
                                          errors="coerce").astype("datetime64[us]")
        elif column in _FLOATS:
            data[column] = pd.Series(vals, dtype="float64")
        elif column in _BOOLS:
            data[column] = pd.Series(vals, dtype="boolean")
        else:
            data[column] = pd.Series(vals, dtype=object)
    return pd.DataFrame(data)
