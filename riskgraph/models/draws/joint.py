"""Joint visits: several drawn tasks of one window merged so each subject is visited once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from riskgraph.models.draws.errors import RecordError

VISIT_COLUMNS = (
    "uscc",
    "region",
    "draw_ids",
    "task_ids",
    "departments",
    "items",
    "team",
    "staffed",
    "unstaffed_departments",
)


def _check(records: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    if not records:
        raise RecordError("no draw records to merge", code="invalid_record")
    ids = [r["draw_id"] for r in records]
    if len(set(ids)) != len(ids):
        raise RecordError("the same draw appears twice", code="duplicate_draw")
    windows = {(r["spec"]["as_of"], r["spec"]["window_days"]) for r in records}
    if len(windows) > 1:
        raise RecordError(
            f"draws planned for different windows cannot be merged: {sorted(windows)}",
            code="window_mismatch",
        )
    return sorted(records, key=lambda r: r["draw_id"])


def merge_visits(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Merge the draws of one window into one visit per subject.

    A visit carries the union of the tasks' items and departments. Each department's team
    is the largest team among the tasks that drew the subject for that department and
    whose items for it cover all the department's items in the visit (ties: the first task
    by draw id), so a task that asked for more inspectors is not served by fewer; when no
    task's items cover them all, the union of those tasks' teams (each qualified for its
    own items, each conflict-free). Teams drawn under different region rules (local and
    cross-region) cannot both be honoured: the visit follows the team it takes.
    A department no task could staff is listed in ``unstaffed_departments``.
    """
    visits: dict[str, dict[str, Any]] = {}
    for record in _check(records):
        by_dept = record["plan"]["items_by_department"]
        for row in record["results"]["drawn"]:
            visit = visits.setdefault(
                row["uscc"], {"region": row["region"], "draws": [], "offers": {}}
            )
            visit["draws"].append((record["draw_id"], record["task_id"]))
            for dept, items in by_dept.items():
                visit["offers"].setdefault(dept, []).append((set(items), row["team"].get(dept)))
    rows = []
    for uscc in sorted(visits):
        visit = visits[uscc]
        team: dict[str, list[str]] = {}
        unstaffed = []
        items: set[str] = set()
        for dept in sorted(visit["offers"]):
            offers = visit["offers"][dept]
            needed = set().union(*(i for i, _ in offers))
            items |= needed
            staffed = [(i, t) for i, t in offers if t]
            covering = [t for i, t in staffed if i >= needed]
            chosen = max(covering, key=len) if covering else None  # max keeps the first tie
            if chosen is not None:
                team[dept] = sorted(chosen)
            elif staffed and set().union(*(i for i, _ in staffed)) >= needed:
                team[dept] = sorted(set().union(*(t for _, t in staffed)))
            else:
                unstaffed.append(dept)
        rows.append(
            (
                uscc,
                visit["region"],
                [d for d, _ in visit["draws"]],
                sorted({t for _, t in visit["draws"]}),
                sorted(visit["offers"]),
                sorted(items),
                team,
                not unstaffed,
                unstaffed,
            )
        )
    return pd.DataFrame(rows, columns=list(VISIT_COLUMNS))
