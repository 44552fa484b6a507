"""Cypher of the draws: the population, inspectors, catalogue and conflicts a draw reads,
and the append-only chain of draw records it writes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import pandas as pd

from riskgraph.graph.errors import (
    ChainConflict,
    ChainForked,
    DuplicateDraw,
    StoreError,
    StoreUnavailable,
)
from riskgraph.graph.store import Store

POPULATION = """
MATCH (s:Subject)
OPTIONAL MATCH (i:Inspection)-[:OF]->(s) WHERE i.inspected_on <= date($as_of)
WITH s, max(i.inspected_on) AS last
RETURN s.uscc AS uscc, s.name AS name, s.region AS region, s.industry AS industry,
       s.status AS status, s.risk_class AS risk_class, s.risk_prob AS prob,
       toString(last) AS last_inspected_on
"""
POPULATION_COLUMNS = ["uscc", "name", "region", "industry", "status", "risk_class", "prob",
                      "last_inspected_on"]  # in the order POPULATION returns them

INSPECTORS = """
MATCH (i:Inspector)
RETURN i.inspector_id AS inspector_id, i.department AS department, i.region AS region,
       i.qualifications AS qualifications
"""

CATALOGUE = "MATCH (i:Item) RETURN i.item_code AS item_code, i.department AS department, " \
            "i.key_item AS key_item, i.name AS name"

# An inspector's person within two hops of the subject through ownership and office
# (the person holds, represents or serves the subject, or a subject that holds it, that it
# holds, or whose branch or head office it is), or owning a subject at the same address
# or phone when that identifier is not a hub (a market building links nobody).
CONFLICTS_DIRECT = """
UNWIND $usccs AS u
MATCH (s:Subject {uscc: u})-[:HOLDS|LEGAL_REP_OF|OFFICER_OF|BRANCH_OF*1..2]-(p:Person)
MATCH (i:Inspector)-[:IS]->(p)
RETURN DISTINCT u AS uscc, i.inspector_id AS inspector_id
"""

CONFLICTS_SHARED = """
UNWIND $usccs AS u
MATCH (s:Subject {uscc: u})-[:LOCATED_AT|USES_PHONE]->(x)
WHERE size([(x)<-[:LOCATED_AT|USES_PHONE]-(o:Subject) | o]) <= $hub_cap
MATCH (x)<-[:LOCATED_AT|USES_PHONE]-(o:Subject)<-[:HOLDS|LEGAL_REP_OF|OFFICER_OF]-(p:Person)
MATCH (i:Inspector)-[:IS]->(p)
RETURN DISTINCT u AS uscc, i.inspector_id AS inspector_id
"""

GENESIS = "genesis"  # what the first draw of a chain follows

LATEST = """
MATCH (d:Draw) WHERE NOT (d)-[:NEXT]->(:Draw)
OPTIONAL MATCH (p:Draw)-[:NEXT]->(d)
RETURN d.draw_id AS draw_id, d.hash AS hash, p.draw_id AS follows_draw
"""

SAVE = """
CREATE (d:Draw {draw_id: $draw_id, hash: $hash, prev_hash: $prev_hash, follows: $follows,
                created_at: $created_at, task_id: $task_id, record: $record,
                window_start: $window_start, window_end: $window_end})
MERGE (t:Task {task_id: $task_id})
CREATE (d)-[:PLANS]->(t)
WITH d
OPTIONAL MATCH (p:Draw {hash: $prev_hash})
FOREACH (_ IN CASE WHEN p IS NULL THEN [] ELSE [1] END | CREATE (p)-[:NEXT]->(d))
RETURN d.draw_id AS draw_id
"""

GET = "MATCH (d:Draw {draw_id: $draw_id}) RETURN d.record AS record"
CHAIN = "MATCH (d:Draw) RETURN d.record AS record, d.created_at AS created_at"
# Draws whose window [start, end) overlaps [$start, $end): ISO dates compare as text;
# draws saved before windows were stored are checked from their record.
IN_WINDOW = """
MATCH (d:Draw)
WHERE (d.window_start < $end AND d.window_end > $start) OR d.window_start IS NULL
RETURN d.record AS record
"""
OUTCOMES = """
MATCH (i:Inspection)-[:OF]->(s:Subject) WHERE i.task_id = $task_id
RETURN s.uscc AS uscc, i.outcome AS outcome, i.inspection_id AS inspection_id,
       i.item_code AS item_code, toString(i.inspected_on) AS inspected_on
"""


def population(store: Store, as_of: str) -> pd.DataFrame:
    """Return every subject with its class, probability and last inspection before as_of."""
    frame = pd.DataFrame(store.rows(POPULATION, as_of=as_of), columns=POPULATION_COLUMNS)
    frame["last_inspected_on"] = pd.to_datetime(frame["last_inspected_on"], errors="coerce")
    frame["risk_class"] = frame["risk_class"].fillna("")
    frame["prob"] = pd.to_numeric(frame["prob"], errors="coerce").astype("float64")
    frame["status"] = frame["status"].fillna("active")
    return frame


def inspectors(store: Store) -> pd.DataFrame:
    """Return inspectors with their qualifications as ';'-joined item codes."""
    rows = store.read(INSPECTORS)
    for row in rows:
        row["qualifications"] = ";".join(row["qualifications"] or [])
        row["region"] = row["region"] or ""
    return pd.DataFrame(rows, columns=["inspector_id", "department", "region", "qualifications"])


def catalogue(store: Store) -> pd.DataFrame:
    """Return the inspection items."""
    frame = pd.DataFrame(store.read(CATALOGUE),
                         columns=["item_code", "department", "key_item", "name"])
    frame["key_item"] = frame["key_item"].fillna(False).astype(bool)
    return frame


def conflicts(store: Store, usccs: Sequence[str], hub_cap: int = 30) -> pd.DataFrame:
    """Return (uscc, inspector_id) pairs that must never meet, for the given subjects."""
    rows: list[dict[str, Any]] = []
    for start in range(0, len(usccs), 2_000):
        chunk = list(usccs[start:start + 2_000])
        rows += store.read(CONFLICTS_DIRECT, usccs=chunk)
        rows += store.read(CONFLICTS_SHARED, usccs=chunk, hub_cap=hub_cap)
    frame = pd.DataFrame(rows, columns=["uscc", "inspector_id"]).drop_duplicates()
    return frame.sort_values(["uscc", "inspector_id"]).reset_index(drop=True)


def latest_hash(store: Store) -> str | None:
    """Return the hash of the last draw of the chain, or None when there is none."""
    rows = store.read(LATEST)
    if len(rows) > 1:
        ends = ", ".join(f"{r['draw_id']} (after {r['follows_draw'] or 'nothing'})"
                         for r in sorted(rows, key=lambda r: r["draw_id"]))
        raise ChainForked(f"the draw chain has forked: {len(rows)} draws are each the newest: "
                          f"{ends}; new draws are refused until one branch is settled "
                          "(`riskgraph verify DRAW_ID` checks each)")
    return rows[0]["hash"] if rows else None


def save(store: Store, record: dict[str, Any], record_text: str) -> None:
    """Append a sealed draw record to the chain."""
    prev = record.get("prev_hash")
    start, end = window(record["spec"])
    try:
        store.write(SAVE, draw_id=record["draw_id"], hash=record["hash"], prev_hash=prev,
                    follows=prev or GENESIS, created_at=record["created_at"],
                    task_id=record["spec"]["id"], record=record_text,
                    window_start=start, window_end=end)
    except StoreUnavailable:
        raise
    except StoreError as exc:
        same = get(store, record["draw_id"])
        if same is not None and same.get("hash") != record["hash"]:
            raise DuplicateDraw(f"draw {record['draw_id']} was saved by another process "
                                "first") from exc
        try:
            newest = latest_hash(store)
        except ChainForked:  # not ours to mend here
            newest = None
        if newest != prev:  # another draw took this place in the chain first
            raise ChainConflict(f"draw {record['draw_id']} was sealed after {prev}, but "
                                "another draw was saved after it first; draw again") from exc
        raise


def window(spec: dict[str, Any]) -> tuple[str, str]:
    """A task's inspection window [as_of, as_of + window_days) as ISO dates."""
    start = dt.date.fromisoformat(str(spec["as_of"]))
    return start.isoformat(), (start + dt.timedelta(days=int(spec["window_days"]))).isoformat()


def workload(store: Store, spec: dict[str, Any]) -> pd.DataFrame:
    """Visits each inspector already has from stored draws whose window overlaps the
    task's: ``inspector_id, workload`` (one per subject and task the inspector is sent to)."""
    start, end = window(spec)
    counts: dict[str, int] = {}
    for row in store.read(IN_WINDOW, start=start, end=end):
        record = json.loads(row["record"])
        first, last = window(record["spec"])  # draws saved before windows were stored
        if not (first < end and last > start):
            continue
        for result in record["results"]["drawn"]:
            for ids in result["team"].values():
                for inspector in ids:
                    counts[inspector] = counts.get(inspector, 0) + 1
    return pd.DataFrame(sorted(counts.items()), columns=["inspector_id", "workload"])


def get(store: Store, draw_id: str) -> dict[str, Any] | None:
    """Return a stored draw record, or None."""
    rows = store.read(GET, draw_id=draw_id)
    return json.loads(rows[0]["record"]) if rows else None


def chain(store: Store) -> list[dict[str, Any]]:
    """Return every stored record in chain order (by following prev_hash)."""
    records = [json.loads(r["record"]) for r in store.read(CHAIN)]
    by_prev = {r.get("prev_hash"): r for r in records}
    ordered, prev = [], None
    while prev in by_prev:
        ordered.append(by_prev[prev])
        prev = by_prev[prev]["hash"]
    return ordered + [r for r in records if r not in ordered]


def outcomes(store: Store, task_id: str) -> pd.DataFrame:
    """Return the published inspection outcomes of one task."""
    return pd.DataFrame(store.read(OUTCOMES, task_id=task_id),
                        columns=["uscc", "outcome", "inspection_id", "item_code", "inspected_on"])
