"""One double-random draw from spec and input frames to the sealed record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

import pandas as pd

from riskgraph.models.draws.inspectors import assign_inspectors
from riskgraph.models.draws.record import build_record, input_fingerprints
from riskgraph.models.draws.sampling import draw_subjects, random_streams
from riskgraph.models.draws.spec import DrawSpec, resolve_task

# Conflict pairs, or a function that fetches them for the drawn subjects' usccs.
Conflicts: TypeAlias = pd.DataFrame | Callable[[Sequence[str]], pd.DataFrame]


def run_draw(
    spec: DrawSpec,
    population: pd.DataFrame,
    inspectors: pd.DataFrame,
    conflicts: Conflicts,
    catalogue: pd.DataFrame,
    *,
    created_at: str | dt.datetime,
    prev_hash: str | None = None,
    draw_id: str | None = None,
) -> dict[str, Any]:
    """Draw the subjects and their inspector teams for ``spec``; return the sealed record.

    Args:
        population: ``uscc, region, status, risk_class, last_inspected_on`` (+ ``industry``
            when the spec filters by industry); row order does not matter.
        inspectors: ``inspector_id, department, region, qualifications`` (``;``-separated
            item codes) and optionally ``workload`` (visits already planned in the window).
        conflicts: ``uscc, inspector_id`` pairs that must never meet, or a function
            called once with the drawn subjects' usccs (sorted) that returns those pairs
            (so the graph is asked about 10,000 subjects, not 870,000).
        catalogue: ``item_code, department`` and optionally ``key_item``.
        created_at: when the draw is made, recorded as given (never read from the clock).
        prev_hash: ``hash`` of the previous record of the chain (None for the first).
        draw_id: defaults to the task id.

    Raises:
        SpecError, InputError, StaffingError: see :mod:`riskgraph.models.draws.errors`.
    """
    plan = resolve_task(spec, catalogue)
    streams = random_streams(spec)
    subjects = draw_subjects(plan, population, streams)
    if callable(conflicts):
        conflicts = conflicts(subjects.drawn["uscc"].tolist())
    assignment = assign_inspectors(plan, subjects.drawn, inspectors, conflicts, streams.assignment)
    inputs = input_fingerprints(plan, subjects, inspectors, conflicts, catalogue)
    return build_record(
        plan,
        subjects,
        assignment,
        inputs,
        created_at=created_at,
        prev_hash=prev_hash,
        draw_id=draw_id,
    )
