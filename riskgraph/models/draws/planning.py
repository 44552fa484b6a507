"""Planning aid: the violations a task can expect to find, before it is drawn."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskgraph.models.draws.errors import InputError, SpecError
from riskgraph.models.draws.sampling import eligible_population
from riskgraph.models.draws.spec import (
    CLASSES,
    NON_KEY_RATIO_CAP,
    UNCLASSIFIED,
    DrawSpec,
    resolve_task,
)

MAX_STEEPNESS = 200.0  # beyond this gamma the ratios are the steepest (greedy) ones
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

    The task keeps its expected size (the spec's ratios over the eligible subjects) and
    its unclassified subjects keep their ratio. Class c gets
    ``clip(lambda * m_c ** gamma, floor, cap)``, where m_c is the class's mean score,
    ``lambda`` keeps the size and ``gamma`` is the smallest steepness that reaches the
    target: gamma 0 is a uniform draw, 1 draws in proportion to the class's risk, larger
    values tilt further. The floor is the spec's ``min_ratio`` (no one becomes
    undrawable); the cap is 100 % for a task with a key item, else NON_KEY_RATIO_CAP.
    Judged by calibrated probabilities this is what the bureau can expect; raises
    ``target_unreachable`` when even the steepest ratios (the riskiest classes filled to
    the cap first) fall short, and says how far they get.
    """
    if not (np.isfinite(target) and target >= 1.0):
        raise SpecError(f"target lift must be a number >= 1, got {target}", code="invalid_spec")
    plan = resolve_task(spec, catalogue)
    eligible = eligible_population(plan, population, extra=(score,))
    s = _probabilities(eligible, score)
    label = eligible["risk_class"].to_numpy(dtype=object)
    pi = eligible["pi"].to_numpy(dtype=float)
    size, mean = float(pi.sum()), float(s.mean())
    if mean <= 0:
        raise InputError(f"every eligible subject has {score} 0: no lift to plan",
                         code="invalid_value", column=score)
    fixed = label == UNCLASSIFIED
    fixed_size, fixed_hits = float(pi[fixed].sum()), float((pi * s)[fixed].sum())
    present = [c for c in CLASSES if (label == c).any()]
    n = np.array([(label == c).sum() for c in present], dtype=float)
    m = np.array([s[label == c].mean() for c in present])
    floor = float(spec.min_ratio)
    cap = 1.0 if plan.uncapped else NON_KEY_RATIO_CAP
    budget = size - fixed_size
    if not present or not (floor * n.sum() <= budget <= cap * n.sum()):
        raise SpecError("the task's size cannot be kept within the floor and cap of the "
                        "ratios", code="target_unreachable")
    # log of m relative to the largest: the weights stay finite however steep gamma is
    logm = np.log(np.maximum(m, 1e-12) / m.max())

    def ratios_at(gamma: float) -> np.ndarray:
        if np.isinf(gamma):  # the steepest: riskiest classes filled to the cap first
            r = np.full(len(n), floor)
            left = budget - floor * n.sum()
            for i in np.argsort(-m, kind="stable"):
                r[i] += min(left / n[i], cap - floor)
                left -= (r[i] - floor) * n[i]
            return r
        w = np.exp(gamma * logm)
        lo, hi = np.log(floor), np.log(cap) - float((gamma * logm).min())
        for _ in range(200):  # size grows with lambda: bisect its log to machine precision
            mid = 0.5 * (lo + hi)
            if (n * np.clip(np.exp(mid) * w, floor, cap)).sum() < budget:
                lo = mid
            else:
                hi = mid
        return np.clip(np.exp(hi) * w, floor, cap)

    def lift(r: np.ndarray) -> float:
        return float(((n * r * m).sum() + fixed_hits) / (((n * r).sum() + fixed_size) * mean))

    steepest = lift(ratios_at(np.inf))
    if steepest < target:
        raise SpecError(f"no class ratios reach {target:g}x for this task: the steepest, "
                        f"which fill the riskiest classes to the {cap:.0%} cap first, "
                        f"give {steepest:.2f}x", code="target_unreachable",
                        max_lift=round(steepest, 4))
    lo, hi = 0.0, MAX_STEEPNESS
    if lift(ratios_at(hi)) < target:
        lo = hi = np.inf
    for _ in range(60 if np.isfinite(hi) else 0):
        mid = 0.5 * (lo + hi)
        if lift(ratios_at(mid)) < target:
            lo = mid
        else:
            hi = mid
    gamma = hi
    rounded = np.clip(np.round(ratios_at(gamma), places), floor, cap)
    while lift(rounded) < target and np.isfinite(gamma):  # rounding must not lose the target
        gamma = gamma * 1.001 + 1e-6 if gamma < MAX_STEEPNESS else np.inf
        rounded = np.clip(np.round(ratios_at(gamma), places), floor, cap)
    ratios = dict(zip(present, (float(r) for r in rounded), strict=True))
    full: dict[str, float] = {}
    for c in CLASSES:  # an empty class takes its lower neighbour's ratio (else the upper's)
        full[c] = ratios.get(c, full[CLASSES[CLASSES.index(c) - 1]] if full else np.nan)
    for c in reversed(CLASSES):
        if np.isnan(full[c]):
            full[c] = full[CLASSES[CLASSES.index(c) + 1]]
    return RatioPlan(full, float(target), lift(rounded),
                     float((n * rounded).sum() + fixed_size), float(gamma))
