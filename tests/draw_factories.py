"""Small factories for the draw tests (imported by the other test_draws_* modules)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from riskgraph.etl.codes import uscc_check_char
from riskgraph.models.draws import DrawSpec

AS_OF = dt.date(2025, 3, 1)
CREATED = "2025-03-01T09:00:00+08:00"
REGIONS = ("R1", "R2", "R3")


def uscc(i: int) -> str:
    """Return a valid USCC with serial ``i``."""
    body = f"91370800{i:09d}"
    return body + uscc_check_char(body)


def make_population(
    n: int = 300, seed: int = 0, regions: tuple[str, ...] = REGIONS, **columns: Any
) -> pd.DataFrame:
    """Return n active, never-inspected subjects with random regions and classes."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "uscc": [uscc(i) for i in range(n)],
            "name": [f"测试企业{i}有限公司" for i in range(n)],
            "region": rng.choice(list(regions), n),
            "industry": rng.choice(["food", "retail"], n),
            "status": "active",
            "risk_class": rng.choice(list("ABCD"), n),
            "prob": rng.uniform(0.01, 0.6, n),
            "last_inspected_on": pd.Series([pd.NaT] * n, dtype="datetime64[ns]"),
        }
    )
    for name, value in columns.items():
        frame[name] = value
    return frame


def make_catalogue() -> pd.DataFrame:
    """Return items: X1, X2 (key: safety) of D1; Y1 of D2; Z1 of D3."""
    return pd.DataFrame(
        {
            "item_code": ["X1", "X2", "Y1", "Z1"],
            "department": ["D1", "D1", "D2", "D3"],
            "name": ["证照公示", "食品安全", "计量器具", "广告"],
            "key_item": [None, "safety", "", False],
        }
    )


def make_inspectors(
    per_cell: int = 4,
    departments: tuple[str, ...] = ("D1", "D2"),
    regions: tuple[str, ...] = REGIONS,
) -> pd.DataFrame:
    """Return ``per_cell`` inspectors per department x region, qualified for all its items."""
    quals = {"D1": "X1;X2", "D2": "Y1", "D3": "Z1"}
    rows = [
        (f"{d}-{r}-{k}", d, r, quals[d])
        for d in departments
        for r in regions
        for k in range(per_cell)
    ]
    return pd.DataFrame(rows, columns=["inspector_id", "department", "region", "qualifications"])


def no_conflicts() -> pd.DataFrame:
    """Return an empty conflicts frame."""
    return pd.DataFrame(
        {"uscc": pd.Series([], dtype=str), "inspector_id": pd.Series([], dtype=str)}
    )


def make_spec(**overrides: Any) -> DrawSpec:
    """Return a one-department task on X1 with seed 42, overridable field by field."""
    fields: dict[str, Any] = {
        "id": "T-2025-001",
        "departments": ["D1"],
        "items": ["X1"],
        "as_of": AS_OF,
        "seed": 42,
        "workload_cap": 50,
    }
    fields.update(overrides)
    return DrawSpec(**fields)
