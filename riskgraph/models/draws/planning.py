"""Planning aid: the violations a task can expect to find, before it is drawn."""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskgraph.models.draws.errors import InputError
from riskgraph.models.draws.sampling import eligible_population
from riskgraph.models.draws.spec import DrawSpec, resolve_task

STRATEGIES = ("uniform", "differentiated", "top_k")
YIELD_COLUMNS = ("strategy", "inspections", "expected_violations", "per_1000", "lift")


def _probabilities(frame: pd.DataFrame, column: str) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = ~((values >= 0) & (values <= 1))
    if bad.any():
        raise InputError(
            f"population {column} must be a probability in [0, 1] for every eligible subject; "
            f"{int(bad.sum())} are not",
            code="invalid_value",
            column=column,
        )
    return values


def expected_yield(
    spec: DrawSpec,
    population: pd.DataFrame,
    catalogue: pd.DataFrame,
    *,
    score: str = "prob",
    truth: str | None = None,
    per: int = 1000,
) -> pd.DataFrame:
    """Compare expected violations found per ``per`` inspections under three strategies.

    The task's expected size is ``n = sum(pi_i)`` over the eligible subjects. ``uniform``:
    a simple random draw of n (rate = mean p); ``differentiated``: this spec's draw
    (rate = sum(pi p) / sum(pi)); ``top_k``: the n eligible subjects with the highest
    ``score`` (ties by uscc). ``p`` is read from ``truth`` (default: ``score``), e.g. the
    hidden risk of a synthetic city to judge the model's calibrated ``prob``. No seed needed.
    """
    plan = resolve_task(spec, catalogue)
    truth = truth or score
    extra = tuple(dict.fromkeys((score, truth)))
    eligible = eligible_population(plan, population, extra=extra)
    p = _probabilities(eligible, truth)
    s = _probabilities(eligible, score)
    pi = eligible["pi"].to_numpy(dtype=float)
    size = float(pi.sum())
    k = max(1, min(len(eligible), round(size)))
    top = np.lexsort((eligible["uscc"].to_numpy(dtype=object), -s))[:k]
    rows = [
        ("uniform", size, size * float(p.mean()), per * float(p.mean())),
        ("differentiated", size, float((pi * p).sum()), per * float((pi * p).sum()) / size),
        ("top_k", float(k), float(p[top].sum()), per * float(p[top].mean())),
    ]
    base = rows[0][3]
    return pd.DataFrame(
        [(*row, row[3] / base if base > 0 else np.nan) for row in rows],
        columns=list(YIELD_COLUMNS),
    )
