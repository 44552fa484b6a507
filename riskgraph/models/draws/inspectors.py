"""The inspector draw: qualified, balanced, conflict-free teams for the drawn subjects."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskgraph.models.draws._frames import codes, require_columns, require_filled, require_unique
from riskgraph.models.draws.errors import InputError, StaffingError
from riskgraph.models.draws.spec import TaskPlan

INSPECTOR_COLUMNS = ("inspector_id", "department", "region", "qualifications")
CONFLICT_COLUMNS = ("uscc", "inspector_id")
# Why a drawn subject got no team, checked in this order for the first department that fails.
NO_QUALIFIED = "no_qualified_inspector"  # fewer than k qualified inspectors region-eligible
ALL_CONFLICTED = "all_conflicted"  # fewer than k left once those in conflict are removed
WORKLOAD_CAP = "workload_cap"  # fewer than k left once those at the workload cap are removed
REASONS = (NO_QUALIFIED, ALL_CONFLICTED, WORKLOAD_CAP)


@dataclass(frozen=True)
class Roster:
    """Inspectors sorted by id with parsed qualifications and current workload."""

    ids: np.ndarray  # object array of str, sorted
    department: np.ndarray
    region: np.ndarray  # None for city-level inspectors (no region)
    qualifications: list[frozenset[str]]
    workload: np.ndarray  # int64 visits already planned in the window

    @classmethod
    def from_frame(cls, inspectors: pd.DataFrame) -> Roster:
        """Read an inspectors frame (``inspector_id, department, region, qualifications``).

        An optional ``workload`` column holds visits already planned for each inspector in
        the window (default 0); an empty ``region`` marks a city-level inspector.
        """
        require_columns(inspectors, INSPECTOR_COLUMNS, "inspectors")
        require_filled(inspectors, ("inspector_id", "department"), "inspectors")
        frame = pd.DataFrame(
            {"inspector_id": inspectors["inspector_id"].astype("string").to_numpy(dtype=object)}
        )
        require_unique(frame, "inspector_id", "inspectors")
        order = np.argsort(frame["inspector_id"].to_numpy(dtype=object), kind="stable")
        region = codes(inspectors["region"])
        region = region.where(region.str.strip().fillna("") != "", None)
        quals = inspectors["qualifications"].astype("string").fillna("").tolist()
        if "workload" in inspectors.columns:
            load = pd.to_numeric(inspectors["workload"], errors="coerce").fillna(-1)
            if (load < 0).any():
                raise InputError(
                    "inspectors workload must be a count >= 0",
                    code="invalid_value",
                    column="workload",
                )
            workload = load.to_numpy(dtype=np.int64)
        else:
            workload = np.zeros(len(inspectors), dtype=np.int64)
        return cls(
            ids=frame["inspector_id"].to_numpy(dtype=object)[order],
            department=inspectors["department"].astype("string").to_numpy(dtype=object)[order],
            region=region.to_numpy(dtype=object, na_value=None)[order],
            qualifications=[
                frozenset(q.strip() for q in quals[i].split(";") if q.strip()) for i in order
            ],
            workload=workload[order],
        )

    def qualified(self, department: str, items: tuple[str, ...]) -> np.ndarray:
        """Return the mask of inspectors of ``department`` qualified for every one of ``items``."""
        needed = frozenset(items)
        return np.fromiter(
            (
                d == department and needed <= q
                for d, q in zip(self.department, self.qualifications, strict=True)
            ),
            dtype=bool,
            count=len(self.ids),
        )

    def may_visit(self, qualified: np.ndarray, region: str, *, cross_region: bool,
                  local_only: bool) -> np.ndarray:
        """Of the ``qualified`` inspectors, those a task's region rule lets visit a subject
        in ``region``: from any other region (``cross_region``), from its region or
        city-level (``local_only``), or anyone."""
        same = self.region == region
        if cross_region:
            return qualified & ~same
        if local_only:
            return qualified & (same | np.array([r is None for r in self.region], dtype=bool))
        return qualified


@dataclass(frozen=True)
class Assignment:
    """Teams of the drawn subjects (uscc -> department -> ids) and those left unassigned."""

    teams: dict[str, dict[str, tuple[str, ...]]]
    unassigned: list[dict[str, str]]  # uscc, department, reason; sorted by uscc
    task_load: dict[str, int]  # inspector id -> visits given by this task


def _conflict_index(
    conflicts: pd.DataFrame, drawn: set[str], roster: Roster
) -> dict[str, np.ndarray]:
    require_columns(conflicts, CONFLICT_COLUMNS, "conflicts")
    uscc = conflicts["uscc"].astype("string")
    relevant = conflicts.loc[uscc.isin(list(drawn)).fillna(False).to_numpy(dtype=bool)]
    position = {iid: i for i, iid in enumerate(roster.ids.tolist())}
    banned: dict[str, set[int]] = {}
    for subject, inspector in zip(
        relevant["uscc"].astype(str).tolist(),
        relevant["inspector_id"].astype(str).tolist(),
        strict=True,
    ):
        idx = position.get(inspector)
        if idx is not None:  # a conflict with someone outside the roster cannot bite
            banned.setdefault(subject, set()).add(idx)
    return {s: np.array(sorted(v), dtype=np.int64) for s, v in banned.items()}


def _check_staffing(
    plan: TaskPlan, roster: Roster, qualified: dict[str, np.ndarray], visits: int
) -> None:
    k, cap = plan.spec.inspectors_per_subject, plan.spec.workload_cap
    for dept, mask in qualified.items():
        count = int(mask.sum())
        if count < k:
            raise StaffingError(
                f"department {dept!r} has {count} inspector(s) qualified for "
                f"{', '.join(plan.items_by_department[dept])}; each visit needs {k}",
                department=dept,
                needed=k,
                available=count,
            )
        capacity = int(np.maximum(cap - roster.workload[mask], 0).sum())
        if capacity < k * visits:
            raise StaffingError(
                f"department {dept!r}: {visits} visits need {k * visits} inspector slots, "
                f"its qualified inspectors have {capacity} under the cap of {cap}",
                department=dept,
                needed=k * visits,
                available=capacity,
            )


def assign_inspectors(
    plan: TaskPlan,
    drawn: pd.DataFrame,
    inspectors: pd.DataFrame,
    conflicts: pd.DataFrame,
    rng: np.random.Generator,
) -> Assignment:
    """Draw a team for each drawn subject (``uscc, region``): k inspectors per department.

    Candidates for department d: its inspectors qualified for all of d's task items, from
    the subject's region or city-level (``local_inspectors``), from any other region
    (``cross_region``), never one in conflict with the subject and none at the workload
    cap. Among them the least loaded are taken, ties broken at random. Subjects are served
    in a random order (one uniform each, argsorted) so none is favoured for the lighter
    loads; then per subject and department one uniform per candidate. A subject that cannot
    be staffed for every department gets no team and is reported with the reason.

    Raises:
        StaffingError: a department has fewer than k qualified inspectors, or too little
            capacity under the cap for all the visits (``not_enough_inspectors``).
    """
    spec = plan.spec
    k, cap = spec.inspectors_per_subject, spec.workload_cap
    roster = Roster.from_frame(inspectors)
    departments = plan.departments
    qualified = {d: roster.qualified(d, plan.items_by_department[d]) for d in departments}
    subjects = drawn["uscc"].astype(str).tolist()
    regions = drawn["region"].astype(str).tolist()
    _check_staffing(plan, roster, qualified, len(subjects))
    banned_by_subject = _conflict_index(conflicts, set(subjects), roster)
    pools = {(dept, region): np.flatnonzero(roster.may_visit(
                 qualified[dept], region, cross_region=spec.cross_region,
                 local_only=spec.local_inspectors))
             for region in sorted(set(regions)) for dept in departments}

    load = roster.workload.copy()
    given = np.zeros(len(roster.ids), dtype=np.int64)
    teams: dict[str, dict[str, tuple[str, ...]]] = {}
    unassigned: list[dict[str, str]] = []
    for pos in np.argsort(rng.random(len(subjects)), kind="stable").tolist():
        subject, region = subjects[pos], regions[pos]
        banned = banned_by_subject.get(subject)
        picked: dict[str, np.ndarray] = {}
        failure: tuple[str, str] | None = None
        for dept in departments:
            pool = pools[(dept, region)]
            keys = rng.random(pool.size)
            if pool.size < k:
                failure = (dept, NO_QUALIFIED)
                break
            ok = np.ones(pool.size, dtype=bool) if banned is None else ~np.isin(pool, banned)
            if int(ok.sum()) < k:
                failure = (dept, ALL_CONFLICTED)
                break
            ok &= load[pool] < cap
            if int(ok.sum()) < k:
                failure = (dept, WORKLOAD_CAP)
                break
            candidates = pool[ok]
            picked[dept] = candidates[np.lexsort((keys[ok], load[candidates]))[:k]]
        if failure is not None:
            unassigned.append({"uscc": subject, "department": failure[0], "reason": failure[1]})
            continue
        for members in picked.values():
            load[members] += 1
            given[members] += 1
        teams[subject] = {d: tuple(sorted(roster.ids[m].tolist())) for d, m in picked.items()}
    unassigned.sort(key=lambda row: row["uscc"])
    busy = np.flatnonzero(given)
    return Assignment(
        teams=teams,
        unassigned=unassigned,
        task_load=dict(zip(roster.ids[busy].tolist(), given[busy].tolist(), strict=True)),
    )
