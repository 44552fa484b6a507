"""Uniqueness constraints and indexes of the graph schema, created idempotently."""

from __future__ import annotations

import logging

from riskgraph.graph.errors import StoreError, StoreUnavailable
from riskgraph.graph.store import Store

log = logging.getLogger(__name__)

# (label, key property): every keyed label of the schema has a uniqueness constraint.
KEYS: tuple[tuple[str, str], ...] = (
    ("Subject", "uscc"),
    ("Person", "key"),
    ("Region", "name"),
    ("Department", "name"),
    ("Complaint", "complaint_id"),
    ("Penalty", "penalty_id"),
    ("Commitment", "commitment_id"),
    ("Inspection", "inspection_id"),
    ("ListEntry", "id"),
    ("Inspector", "inspector_id"),
    ("Item", "item_code"),
    ("Address", "key"),
    ("Phone", "key"),
    ("Task", "task_id"),
    ("Warning", "warning_id"),
    ("Draw", "draw_id"),
)

# (label, property): unique, but not the label's key. A draw "follows" the hash of the
# record before it ("genesis" for the first), so two draws can never extend the chain
# from the same record: the second to be saved fails instead of forking the chain.
UNIQUE: tuple[tuple[str, str], ...] = (("Draw", "follows"),)

# (label, property): lookups that are not keys.
INDEXES: tuple[tuple[str, str], ...] = (
    ("Subject", "name"),
    ("Subject", "region"),
    ("Person", "name"),
)


def ensure_schema(store: Store) -> int:
    """Create every constraint and index that is missing; return how many statements ran."""
    statements = 0
    for label, prop in KEYS + UNIQUE:
        _unique(store, label, prop)
        statements += 1
    for label, prop in INDEXES:
        store.write(
            f"CREATE INDEX {label.lower()}_{prop}_index IF NOT EXISTS FOR (n:{label}) ON (n.{prop})"
        )
        statements += 1
    return statements


def key_property(label: str) -> str:
    """Return the key property of a keyed label."""
    return dict(KEYS)[label]


def ensure_chain_constraint(store: Store) -> None:
    """Make sure the draw chain's uniqueness constraint exists before a draw is saved (a
    store set up by an older version has none). A store that refuses it (older records
    without ``follows``) is logged, not fatal: the chain is still checked on save."""
    for label, prop in UNIQUE:
        try:
            _unique(store, label, prop)
        except StoreUnavailable:
            raise
        except StoreError as exc:
            log.warning("could not create the %s.%s constraint: %s", label, prop, exc)


def _unique(store: Store, label: str, prop: str) -> None:
    # Labels and properties come from the fixed tuples above, never from input.
    store.write(f"CREATE CONSTRAINT {label.lower()}_{prop}_unique IF NOT EXISTS "
                f"FOR (n:{label}) REQUIRE n.{prop} IS UNIQUE")
