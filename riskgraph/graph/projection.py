"""Project the graph store into typed frames for features (``GraphFrames``).

Each table is one streaming Cypher read whose values are gathered column-wise and turned
into typed pandas columns at once; dates travel as ISO strings and are parsed vectorised.
"""

from __future__ import annotations

import logging
import time

import pandas as pd

from riskgraph.graph.store import Store
from riskgraph.models.frames import COLUMNS, GraphFrames

log = logging.getLogger(__name__)

QUERIES: dict[str, str] = {
    "subjects": "MATCH (s:Subject) RETURN s.uscc, s.kind, s.industry, s.region, s.status, "
                "toString(s.registered_on), s.key_sector, s.registered_capital",
    "complaints": "MATCH (c:Complaint)-[:AGAINST]->(s:Subject) "
                  "RETURN s.uscc, toString(c.received_on), c.substantiated",
    "penalties": "MATCH (p:Penalty)-[:IMPOSED_ON]->(s:Subject) RETURN s.uscc, "
                 "toString(p.decided_on), p.severity, p.amount, toString(p.repaired_on)",
    "inspections": "MATCH (i:Inspection)-[:OF]->(s:Subject) RETURN i.inspection_id, s.uscc, "
                   "toString(i.inspected_on), i.outcome, i.task_id",
    "list_entries": "MATCH (e:ListEntry)-[:LISTS]->(t) "
                    "RETURN CASE WHEN t:Subject THEN t.uscc END, "
                    "CASE WHEN t:Person THEN t.key END, e.list, "
                    "toString(e.listed_on), toString(e.removed_on)",
    "ties": "MATCH (h)-[r:HOLDS|LEGAL_REP_OF|OFFICER_OF]->(s:Subject) "
            "RETURN s.uscc AS subject, CASE WHEN h:Person THEN h.key ELSE h.uscc END AS holder, "
            "CASE WHEN h:Person THEN 'person' ELSE 'subject' END AS holder_kind, "
            "CASE type(r) WHEN 'HOLDS' THEN 'shareholder' WHEN 'LEGAL_REP_OF' THEN 'legal_rep' "
            "ELSE r.role END AS role, r.pct AS pct "
            "UNION ALL MATCH (b:Subject)-[:BRANCH_OF]->(h:Subject) "
            "RETURN b.uscc AS subject, h.uscc AS holder, 'subject' AS holder_kind, "
            "'branch_of' AS role, null AS pct",
    "addresses": "MATCH (s:Subject)-[:LOCATED_AT]->(a:Address) RETURN s.uscc, a.key",
    "phones": "MATCH (s:Subject)-[:USES_PHONE]->(p:Phone) RETURN s.uscc, p.key",
}

_FLOATS = {"registered_capital", "amount", "share_pct"}
_BOOLS = {"key_sector", "substantiated"}


def project(store: Store) -> GraphFrames:
    """Read every table of ``GraphFrames`` from the store."""
    tables = {}
    for name, query in QUERIES.items():
        started = time.monotonic()
        tables[name] = _table(name, store, query)
        log.info("projected table=%s rows=%d seconds=%.1f", name, len(tables[name]),
                 time.monotonic() - started)
    return GraphFrames(**tables)


def _table(name: str, store: Store, query: str) -> pd.DataFrame:
    columns = COLUMNS[name]
    rows = list(store.stream(query))
    values = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    data: dict[str, pd.Series] = {}
    for column, vals in zip(columns, values, strict=True):
        if column.endswith("_on"):
            data[column] = pd.to_datetime(pd.Series(vals, dtype=object), format="%Y-%m-%d",
                                          errors="coerce").astype("datetime64[us]")
        elif column in _FLOATS:
            data[column] = pd.Series(vals, dtype="float64")
        elif column in _BOOLS:
            data[column] = pd.Series(vals, dtype="boolean")
        else:
            data[column] = pd.Series(vals, dtype=object)
    return pd.DataFrame(data)
