"""Planning aid: the violations a task can expect to find, before it is drawn."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskgraph.models.draws.errors import InputError, SpecError
from riskgraph.models.draws.inspectors import Roster
from riskgraph.models.draws.sampling import eligible_population
from riskgraph.models.draws.spec import (
    CLASSES,
    NON_KEY_RATIO_CAP,
    UNCLASSIFIED,
    DrawSpec,
    resolve_task,
)

MAX_STEEPNESS = 200.0  # beyond this gamma the ratios are the steepest (greedy) ones
_TOL = 1e-9  # slack for floating-point sums when comparing lifts and sizes
STRATEGIES = ("uniform", "differentiated", "top_k")
YIELD_COLUMNS = ("strategy", "inspections", "expected_violations", "per_1000", "lift")


def _probabilities(frame: pd.DataFrame, column: str) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    missing = np.isnan(values)
    if missing.any():
        raise InputError(
            f"{int(missing.sum())} eligible subjects have no {column} (registered or "
            f"loaded since the last scoring, e.g. {frame['uscc'].iloc[int(np.argmax(missing))]}): "
            "score them first (riskgraph score)",
            code="invalid_value",
            column=column,
        )
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


def class_plan(
    spec: DrawSpec, population: pd.DataFrame, catalogue: pd.DataFrame, *, score: str = "prob"
) -> pd.DataFrame:
    """Per risk class (A-D, and U when present): eligible subjects, ratio, expected
    inspections and their share of the task, and the class's mean ``score`` — where the
    task's visits go, before it is drawn."""
    plan = resolve_task(spec, catalogue)
    eligible = eligible_population(plan, population, extra=(score,))
    eligible["p"] = _probabilities(eligible, score)
    rows = []
    for cls_ in (*CLASSES, UNCLASSIFIED):
        members = eligible[eligible["risk_class"] == cls_]
        if cls_ == UNCLASSIFIED and members.empty:
            continue
        ratio = float(plan.ratios[cls_])
        rows.append((cls_, len(members), ratio, len(members) * ratio,
                     float(members["p"].mean()) if len(members) else np.nan))
    table = pd.DataFrame(rows, columns=["risk_class", "eligible", "ratio", "inspections",
                                        f"mean_{score}"])
    table["share"] = table["inspections"] / table["inspections"].sum()
    return table


def staffing_plan(
    spec: DrawSpec, population: pd.DataFrame, inspectors: pd.DataFrame,
    catalogue: pd.DataFrame,
) -> pd.DataFrame:
    """Before drawing: per department and region, the expected visits, the inspector slots
    they need (``inspectors_per_subject`` each) and the free slots of the inspectors who
    may take them (qualified for the department's items, under the workload cap, and local
    or from another district as the spec says). ``short`` marks a region whose candidates
    alone cannot cover it; its subjects would be drawn and reported unassigned. Regions
    share inspectors, so enough in every row is necessary, not sufficient."""
    plan = resolve_task(spec, catalogue)
    eligible = eligible_population(plan, population)
    visits = eligible.groupby("region")["pi"].sum()
    roster = Roster.from_frame(inspectors)
    free = np.maximum(spec.workload_cap - roster.workload, 0)
    k = spec.inspectors_per_subject
    rows = []
    for dept, items in sorted(plan.items_by_department.items()):
        mask = roster.qualified(dept, items)
        for region, expected in visits.items():
            may = roster.may_visit(mask, region, cross_region=spec.cross_region,
                                   local_only=spec.local_inspectors)
            rows.append((dept, region, float(expected), k * float(expected),
                         int(may.sum()), int(free[may].sum())))
    table = pd.DataFrame(rows, columns=["department", "region", "visits", "slots",
                                        "inspectors", "free_slots"])
    table["short"] = table["free_slots"] < table["slots"]
    return table


@dataclass(frozen=True)
class RatioPlan:
    """Class ratios that reach a target lift, and what they are expected to give."""

    ratios: dict[str, float]  # A-D, decimals with ``places`` digits
    target: float
    lift: float  # expected violations per inspection over a uniform draw's, by ``score``
    size: float  # expected inspections: the spec's own, up to the rounding of the ratios
    steepness: float  # gamma: ratios follow (mean score of the class) ** gamma

    def spec_text(self) -> str:
        """The ratios as a spec line, to paste into a task spec."""
        return "class_ratios: {" + ", ".join(f"{c}: {r:g}" for c, r in self.ratios.items()) + "}"


def ratios_for_lift(
    spec: DrawSpec,
    population: pd.DataFrame,
    catalogue: pd.DataFrame,
    target: float,
    *,
    score: str = "prob",
    places: int = 4,
) -> RatioPlan:
    """The least steep class ratios whose draw is expected to find ``target`` times the
    violations per inspection of a uniform draw of the same size, by ``score``.

    The task keeps its expected size (the spec's ratios over the eligible subjects, up to
    rounding the ratios to ``places`` decimals) and its unclassified subjects keep their
    ratio. Class c gets ``clip(lambda * m_c ** gamma, floor, cap)``, where m_c is the
    class's mean score, ``lambda`` keeps the size and ``gamma`` is the smallest steepness
    that reaches the target: gamma 0 is a uniform draw, 1 draws in proportion to the
    class's risk, larger values tilt further. Ratios follow the class means, so they rise
    from A to D when classes are cut on the score. The floor is the spec's ``min_ratio``
    (no one becomes undrawable); the cap is 100 % for a task with a key item, else
    NON_KEY_RATIO_CAP. Ratios are rounded towards the riskier classes (up where a class
    is riskier than the draw's mean, down elsewhere), which can only raise the lift.
    Raises ``target_unreachable`` when even the steepest ratios (the riskiest classes
    filled to the cap first) fall short, and says how far they get.
    """
    if not (np.isfinite(target) and target >= 1.0 - _TOL):
        raise SpecError(f"target lift must be a number >= 1, got {target}", code="invalid_spec")
    plan = resolve_task(spec, catalogue)
    eligible = eligible_population(plan, population, extra=(score,))
    s = _probabilities(eligible, score)
    label = eligible["risk_class"].to_numpy(dtype=object)
    pi = eligible["pi"].to_numpy(dtype=float)
    size, mean = float(pi.sum()), float(s.mean())
    fixed = label == UNCLASSIFIED
    fixed_size, fixed_hits = float(pi[fixed].sum()), float((pi * s)[fixed].sum())
    present = [c for c in CLASSES if (label == c).any()]
    n = np.array([(label == c).sum() for c in present], dtype=float)
    m = np.array([s[label == c].mean() for c in present])
    if not present or mean <= 0 or m.max() <= 0:
        raise SpecError("no classified subject carries risk to tilt the draw towards",
                        code="target_unreachable", max_lift=1.0)
    floor = float(spec.min_ratio)
    cap = 1.0 if plan.uncapped else NON_KEY_RATIO_CAP
    budget = size - fixed_size
    if not (floor * n.sum() * (1 - _TOL) <= budget <= cap * n.sum() * (1 + _TOL)):
        raise SpecError("the task's size cannot be kept within the floor and cap of the "
                        "ratios", code="target_unreachable")
    # log of the class means relative to the largest; the ratios are solved in logs, so
    # they stay finite however steep gamma is
    logm = np.log(np.maximum(m, 1e-300) / m.max())
    lfloor, lcap = np.log(floor), np.log(cap)

    def ratios_at(gamma: float) -> np.ndarray:
        if np.isinf(gamma):  # the steepest: riskiest classes filled to the cap first
            r = np.full(len(n), floor)
            left = budget - floor * n.sum()
            for i in np.lexsort((-np.arange(len(m)), -m)):  # equal means: higher class first
                r[i] += min(max(left, 0.0) / n[i], cap - floor)
                left -= (r[i] - floor) * n[i]
            return r
        tilt = gamma * logm
        lo, hi = lfloor - tilt.max(), lcap - tilt.min()
        for _ in range(200):  # the size grows with log lambda: bisect to machine precision
            mid = 0.5 * (lo + hi)
            if (n * np.exp(np.clip(mid + tilt, lfloor, lcap))).sum() < budget:
                lo = mid
            else:
                hi = mid
        return np.exp(np.clip(hi + tilt, lfloor, lcap))

    def lift(r: np.ndarray) -> float:
        return float(((n * r * m).sum() + fixed_hits) / (((n * r).sum() + fixed_size) * mean))

    def rounded(r: np.ndarray) -> np.ndarray:
        # up where the class is riskier than the draw, down elsewhere: the lift can only
        # rise (each change moves inspections towards classes above the draw's mean)
        q, draw_mean = 10.0 ** places, lift(r) * mean
        up = m > draw_mean
        out = np.where(up, np.ceil(r * q - 1e-6) / q, np.floor(r * q + 1e-6) / q)
        return np.clip(out, floor, cap)

    steepest = rounded(ratios_at(np.inf))
    if lift(steepest) < target - _TOL:
        raise SpecError(f"no class ratios reach {target:g}x for this task: the steepest, "
                        f"which fill the riskiest classes to the {cap:.0%} cap first, "
                        f"give {lift(steepest):.2f}x", code="target_unreachable",
                        max_lift=np.floor(lift(steepest) * 1e4) / 1e4)  # reachable as given
    if lift(ratios_at(MAX_STEEPNESS)) < target - _TOL:
        gamma, solved = np.inf, steepest
    else:
        lo, hi = 0.0, MAX_STEEPNESS
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if lift(ratios_at(mid)) < target - _TOL:
                lo = mid
            else:
                hi = mid
        gamma, solved = hi, rounded(ratios_at(hi))
    if not np.isfinite(solved).all():  # never expected: refuse rather than plan nonsense
        raise SpecError("class ratios could not be solved", code="target_unreachable")
    ratios = dict(zip(present, (float(r) for r in solved), strict=True))
    full: dict[str, float] = {}
    for i, c in enumerate(CLASSES):  # an absent class takes its lower neighbour's ratio
        below = [ratios[k] for k in CLASSES[:i] if k in ratios]
        above = [ratios[k] for k in CLASSES[i + 1:] if k in ratios]
        full[c] = ratios[c] if c in ratios else (below[-1] if below else above[0])
    return RatioPlan(full, float(target), lift(solved),
                     float((n * solved).sum() + fixed_size), float(gamma))

