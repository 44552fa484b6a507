"""The draw record: a plain JSON-serialisable dict, its canonical form, hash and fingerprints."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from riskgraph.models.draws._frames import as_text, require_columns, sha256_lines, truthy
from riskgraph.models.draws.inspectors import Assignment
from riskgraph.models.draws.sampling import SubjectDraw
from riskgraph.models.draws.spec import TaskPlan, seed_entropy

RECORD_VERSION = 1
ALGORITHM = (
    "riskgraph.draws/1: stratified SRS by risk class x region, Bernoulli-rounded counts "
    "(pi = class ratio); balanced conflict-free inspector teams; SeedSequence->PCG64"
)


def canonical_json(obj: Any) -> str:
    """Return the canonical JSON text of ``obj``: sorted keys, no spaces, UTF-8, no NaN."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def record_hash(record: Mapping[str, Any]) -> str:
    """Return the SHA-256 of the canonical JSON of ``record`` without its ``hash`` field."""
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def population_fingerprint(eligible: pd.DataFrame) -> str:
    """Return the SHA-256 of the eligible subjects: ``uscc, class, region, pi`` per line.

    ``eligible`` is sorted by uscc (as :func:`eligible_population` returns it); pi is
    written as Python's shortest round-trip float text.
    """
    pi_text = {c: repr(float(p)) for c, p in eligible.groupby("risk_class")["pi"].first().items()}
    columns = [
        eligible[c].to_numpy(dtype=object).tolist() for c in ("uscc", "risk_class", "region")
    ]
    pis = [pi_text[c] for c in columns[1]]
    return sha256_lines(map("\t".join, zip(*columns, pis, strict=True)))


def frame_fingerprint(frame: pd.DataFrame, columns: tuple[str, ...]) -> str:
    """Return the SHA-256 of the distinct rows of ``columns`` as sorted tab-joined lines."""
    require_columns(frame, columns, "input")
    if frame.empty:
        return sha256_lines([])
    texts = [as_text(frame[c]).astype(str) for c in columns]
    lines = texts[0].str.cat(texts[1:], sep="\t") if len(texts) > 1 else texts[0]
    return sha256_lines(sorted(set(lines.tolist())))


def input_fingerprints(
    plan: TaskPlan,
    subjects: SubjectDraw,
    inspectors: pd.DataFrame,
    conflicts: pd.DataFrame,
    catalogue: pd.DataFrame,
) -> dict[str, Any]:
    """Return fingerprints of the inputs that can change the draw, so verify can name one.

    Only what matters is covered: the eligible subjects, the inspectors of the task's
    departments, the conflict pairs of the drawn subjects and the task's catalogue rows.
    A caller may so pass a pre-filtered population or only the drawn subjects' conflicts
    and still verify.
    """
    inspector_cols = ("inspector_id", "department", "region", "qualifications") + (
        ("workload",) if "workload" in inspectors.columns else ()
    )
    staff = inspectors.loc[
        inspectors["department"].astype(str).isin(plan.departments).to_numpy(dtype=bool)
    ]
    drawn = set(subjects.drawn["uscc"].tolist())
    pairs = conflicts.loc[conflicts["uscc"].astype(str).isin(drawn).to_numpy(dtype=bool)]
    pairs = pairs[["uscc", "inspector_id"]].astype(str).drop_duplicates()
    items = catalogue.loc[
        catalogue["item_code"].astype(str).isin(plan.spec.items).to_numpy(dtype=bool)
    ]
    flags = truthy(items["key_item"]) if "key_item" in items.columns else False
    items = items[["item_code", "department"]].astype(str).assign(key_item=flags)
    items["key_item"] = items["key_item"].astype(bool).astype(str)
    return {
        "population": {
            "fingerprint": population_fingerprint(subjects.eligible),
            "eligible": len(subjects.eligible),
        },
        "inspectors": {
            "fingerprint": frame_fingerprint(staff, inspector_cols),
            "in_departments": len(staff),
        },
        "conflicts": {
            "fingerprint": frame_fingerprint(pairs, ("uscc", "inspector_id")),
            "pairs_of_drawn": len(pairs),
        },
        "catalogue": {
            "fingerprint": frame_fingerprint(items, ("item_code", "department", "key_item")),
            "items": len(items),
        },
    }


def build_record(
    plan: TaskPlan,
    subjects: SubjectDraw,
    assignment: Assignment,
    inputs: dict[str, Any],
    *,
    created_at: str | dt.datetime,
    prev_hash: str | None,
    draw_id: str | None = None,
) -> dict[str, Any]:
    """Assemble the draw record and seal it with its ``hash``."""
    spec = plan.spec
    drawn = subjects.drawn
    results = []
    slots = 0
    for uscc, region, cls_, pi in zip(
        drawn["uscc"].tolist(),
        drawn["region"].tolist(),
        drawn["risk_class"].tolist(),
        drawn["pi"].tolist(),
        strict=True,
    ):
        team = assignment.teams.get(uscc, {})
        slots += sum(len(ids) for ids in team.values())
        results.append(
            {
                "uscc": uscc,
                "region": region,
                "risk_class": cls_,
                "pi": float(pi),
                "team": {d: list(ids) for d, ids in team.items()},
            }
        )
    strata = [
        {
            "risk_class": c,
            "region": r,
            "N": int(n_pop),
            "ratio": float(ratio),
            "expected": float(exp),
            "n": int(n),
        }
        for c, r, n_pop, ratio, exp, n in subjects.strata.itertuples(index=False, name=None)
    ]
    record: dict[str, Any] = {
        "record_version": RECORD_VERSION,
        "algorithm": ALGORITHM,
        "draw_id": draw_id or spec.id,
        "task_id": spec.id,
        "created_at": created_at.isoformat()
        if isinstance(created_at, dt.datetime)
        else str(created_at),
        "spec": spec.model_dump(mode="json"),
        "seed": {"value": str(spec.seed).strip(), "entropy": f"{seed_entropy(spec):064x}"},
        "inputs": inputs,
        "plan": {
            "items_by_department": {d: list(v) for d, v in plan.items_by_department.items()},
            "key_items": list(plan.key_items),
            "ratios": {c: str(r) for c, r in sorted(plan.ratios.items())},
        },
        "strata": strata,
        "results": {"drawn": results, "unassigned": list(assignment.unassigned)},
        "summary": {
            "eligible": len(subjects.eligible),
            "expected": float(subjects.strata["expected"].sum()),
            "drawn": len(results),
            "assigned": len(assignment.teams),
            "unassigned": len(assignment.unassigned),
            "inspector_slots": slots,
            "max_task_load": max(assignment.task_load.values(), default=0),
        },
        # Informative only: verify does not compare it, so a newer NumPy can re-verify.
        "environment": {"numpy": np.__version__, "python": platform.python_version()},
        "prev_hash": prev_hash,
    }
    record["hash"] = record_hash(record)
    return record
