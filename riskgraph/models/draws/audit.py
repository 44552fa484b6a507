"""Audit of draws: recompute and compare, check the hash chain, export the public list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from riskgraph.models.draws._frames import require_columns
from riskgraph.models.draws.engine import Conflicts, run_draw
from riskgraph.models.draws.errors import DrawError, InputError, RecordError
from riskgraph.models.draws.record import record_hash
from riskgraph.models.draws.spec import DrawSpec

MISSING = "<missing>"
# Top-level fields in the order a difference is most telling: the inputs before the results.
_FIELD_ORDER = (
    "record_version",
    "algorithm",
    "draw_id",
    "task_id",
    "created_at",
    "spec",
    "seed",
    "inputs",
    "plan",
    "strata",
    "results",
    "summary",
    "prev_hash",
)
_NOT_COMPARED = frozenset({"hash", "environment"})  # hash checked apart; environment informs


@dataclass(frozen=True)
class Verification:
    """Whether a recomputed draw matches its record and, if not, the first difference."""

    match: bool
    hash_ok: bool
    path: str | None = None
    recorded: Any = None
    recomputed: Any = None


def first_difference(recorded: Any, recomputed: Any, path: str = "") -> tuple[str, Any, Any] | None:
    """Return ``(path, recorded value, recomputed value)`` of the first difference, or None."""
    if isinstance(recorded, Mapping) and isinstance(recomputed, Mapping):
        keys = set(recorded) | set(recomputed)
        if not path:
            keys -= _NOT_COMPARED
            ordered = [k for k in _FIELD_ORDER if k in keys]
            ordered += sorted(keys - set(ordered))
        else:
            ordered = sorted(keys)
        for key in ordered:
            sub = f"{path}.{key}" if path else str(key)
            if key not in recorded or key not in recomputed:
                return sub, recorded.get(key, MISSING), recomputed.get(key, MISSING)
            found = first_difference(recorded[key], recomputed[key], sub)
            if found:
                return found
        return None
    if isinstance(recorded, list) and isinstance(recomputed, list):
        for i, (a, b) in enumerate(zip(recorded, recomputed, strict=False)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        if len(recorded) != len(recomputed):
            i = min(len(recorded), len(recomputed))
            return (
                f"{path}[{i}]",
                recorded[i] if i < len(recorded) else MISSING,
                recomputed[i] if i < len(recomputed) else MISSING,
            )
        return None
    if type(recorded) is not type(recomputed) or recorded != recomputed:
        return path, recorded, recomputed
    return None


def verify(
    record: Mapping[str, Any],
    population: pd.DataFrame,
    inspectors: pd.DataFrame,
    conflicts: Conflicts,
    catalogue: pd.DataFrame,
    published_hash: str | None = None,
) -> Verification:
    """Recompute the draw from the record's spec and the inputs; compare field by field.

    The record's own ``hash`` is checked too: results edited after sealing show as the
    first field that no longer matches the recomputation, an edited hash as ``hash``.
    A recomputation that fails (say the population is now empty) is reported at
    ``<recompute>`` with the error code.

    What this cannot see on its own: a record whose *spec* (or ``created_at``, ``draw_id``,
    ``prev_hash``) was edited and the draw re-run and re-sealed is consistent with itself.
    Only a hash kept outside the record catches it: the next record's ``prev_hash``
    (``verify_chain``), or the hash printed in the draw's publication, passed here as
    ``published_hash`` (a mismatch is reported at ``published_hash``).
    """
    stored = record.get("hash")
    expected_hash = record_hash(record)
    hash_ok = stored == expected_hash
    if published_hash is not None and published_hash != stored:
        return Verification(False, hash_ok, "published_hash", published_hash, stored)
    try:
        spec = DrawSpec(**record["spec"])
        again = run_draw(
            spec,
            population,
            inspectors,
            conflicts,
            catalogue,
            created_at=record["created_at"],
            prev_hash=record.get("prev_hash"),
            draw_id=record["draw_id"],
        )
    except KeyError as exc:
        raise RecordError(f"draw record lacks field {exc}", code="invalid_record") from exc
    except DrawError as exc:
        return Verification(False, hash_ok, "<recompute>", None, f"{exc.code}: {exc}")
    diff = first_difference(dict(record), again)
    if diff is not None:
        return Verification(False, hash_ok, *diff)
    if not hash_ok:
        return Verification(False, False, "hash", stored, expected_hash)
    return Verification(True, True)


@dataclass(frozen=True)
class ChainCheck:
    """Result of checking a chain of records: the first broken one and why."""

    ok: bool
    index: int | None = None
    draw_id: str | None = None
    reason: str | None = None  # "hash_mismatch" (record edited) or "broken_link"


def verify_chain(records: Sequence[Mapping[str, Any]], start_hash: str | None = None) -> ChainCheck:
    """Check each record's own hash and that it links to its predecessor's hash.

    ``start_hash``, when given, is what the first record's ``prev_hash`` must be (the last
    hash of an earlier, already checked part of the chain).
    """
    previous = start_hash
    for i, record in enumerate(records):
        if record.get("hash") != record_hash(record):
            return ChainCheck(False, i, record.get("draw_id"), "hash_mismatch")
        if (i > 0 or start_hash is not None) and record.get("prev_hash") != previous:
            return ChainCheck(False, i, record.get("draw_id"), "broken_link")
        previous = record.get("hash")
    return ChainCheck(True)


def window(record: Mapping[str, Any]) -> tuple[dt.date, dt.date]:
    """Return the first and last day of the record's inspection window."""
    spec = record["spec"]
    start = dt.date.fromisoformat(spec["as_of"])
    return start, start + dt.timedelta(days=int(spec["window_days"]) - 1)


PUBLICATION_COLUMNS = (
    "task_id",
    "draw_id",
    "uscc",
    "name",
    "region",
    "departments",
    "items",
    "window_start",
    "window_end",
    "record_hash",
)


def publication(record: Mapping[str, Any], subjects: pd.DataFrame) -> pd.DataFrame:
    """Return the public list of a draw: subjects (name, USCC) with items and departments.

    Holds no personal data and no inspector ids; ``subjects`` gives ``uscc, name``. Each
    row carries the record's sealed hash: once published, it anchors the record, so an
    edited and re-sealed record no longer matches what was published (``verify``'s
    ``published_hash``).
    """
    require_columns(subjects, ("uscc", "name"), "subjects")
    names = dict(zip(subjects["uscc"].astype(str), subjects["name"].astype(str), strict=True))
    drawn = record["results"]["drawn"]
    missing = [row["uscc"] for row in drawn if row["uscc"] not in names]
    if missing:
        raise InputError(
            f"{len(missing)} drawn subject(s) have no name in the subjects frame, "
            f"first {missing[0]}",
            code="unknown_subject",
            uscc=missing[:10],
        )
    start, end = window(record)
    spec = record["spec"]
    rows = [
        (
            record["task_id"],
            record["draw_id"],
            row["uscc"],
            names[row["uscc"]],
            row["region"],
            "; ".join(spec["departments"]),
            "; ".join(spec["items"]),
            start,
            end,
            record["hash"],
        )
        for row in drawn
    ]
    return pd.DataFrame(rows, columns=list(PUBLICATION_COLUMNS))
