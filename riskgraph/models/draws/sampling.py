"""Eligibility, inclusion probabilities and the stratified subject draw.

Design (see docs/draws.md): strata are risk class x region. A stratum of ``N_h`` eligible
subjects with class ratio ``r_h`` draws ``n_h = floor(N_h r_h) + B_h`` subjects by simple
random sampling without replacement, where ``B_h ~ Bernoulli(frac(N_h r_h))``. Then
``E[n_h] = N_h r_h`` and every eligible subject's inclusion probability is exactly
``pi_i = E[n_h] / N_h = r_h``; given the allocation it is ``n_h / N_h``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from riskgraph.models.draws._frames import codes, require_columns, require_filled, require_unique
from riskgraph.models.draws.errors import InputError
from riskgraph.models.draws.spec import CLASSES, UNCLASSIFIED, DrawSpec, TaskPlan, seed_entropy

POPULATION_COLUMNS = ("uscc", "region", "status", "risk_class", "last_inspected_on")
STRATA_COLUMNS = ("risk_class", "region", "N", "ratio", "expected", "n")


@dataclass(frozen=True)
class Streams:
    """The three independent random streams of one draw, in the order they are used."""

    allocation: np.random.Generator  # one uniform per stratum, strata in sorted order
    selection: np.random.Generator  # one uniform per eligible subject, in uscc order
    assignment: np.random.Generator  # inspector draw (see inspectors.assign_inspectors)


def random_streams(spec: DrawSpec) -> Streams:
    """Derive the draw's random streams from the spec seed (``missing_seed`` if none).

    The seed entropy feeds a ``numpy.random.SeedSequence`` whose three spawned children seed
    PCG64 generators. Only ``Generator.random()`` is called, whose doubles NumPy keeps
    stable, so a record can be re-verified years later.
    """
    children = np.random.SeedSequence(seed_entropy(spec)).spawn(3)
    return Streams(*(np.random.default_rng(child) for child in children))


def _dates(values: pd.Series) -> pd.Series:
    try:
        return pd.to_datetime(values, errors="raise")
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"population last_inspected_on has a value that is not a date: {exc}",
            code="invalid_value",
            column="last_inspected_on",
        ) from exc


def _classes(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip().str.upper().fillna("").replace("", UNCLASSIFIED)
    bad = ~text.isin((*CLASSES, UNCLASSIFIED))
    if bad.any():
        raise InputError(
            f"population risk_class must be A-D or empty, got {text[bad].iloc[0]!r}",
            code="invalid_value",
            column="risk_class",
        )
    return text


def eligible_population(
    plan: TaskPlan, population: pd.DataFrame, extra: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Return the eligible subjects sorted by uscc with ``risk_class`` (A-D, U) and ``pi``.

    Eligible: status in ``spec.statuses`` (cancelled and revoked never), region in scope,
    industry in the filter, not excluded by uscc, and last inspected at least the class's
    minimum interval before ``spec.as_of`` (or never). ``extra`` columns are carried along.
    """
    spec = plan.spec
    needed = POPULATION_COLUMNS + (("industry",) if spec.industries is not None else ()) + extra
    require_columns(population, needed, "population")
    if len(population) == 0:
        raise InputError("the population frame is empty", code="empty_population")
    require_filled(population, ("uscc", "region", "status"), "population")
    population = population.assign(region=codes(population["region"]))
    uscc = population["uscc"].astype("string")
    region = population["region"]
    classes = _classes(population["risk_class"])
    require_unique(pd.DataFrame({"uscc": uscc}), "uscc", "population")

    keep = population["status"].astype("string").isin(spec.statuses).to_numpy(dtype=bool).copy()
    if spec.regions is not None:
        keep &= region.isin(spec.regions).to_numpy(dtype=bool)
    if spec.industries is not None:
        industry = population["industry"].astype("string")
        keep &= industry.isin(spec.industries).fillna(False).to_numpy(dtype=bool)
    if spec.exclude_uscc:
        keep &= ~uscc.isin(spec.exclude_uscc).to_numpy(dtype=bool)
    last = _dates(population["last_inspected_on"])
    since = (pd.Timestamp(spec.as_of) - last).dt.days.to_numpy(dtype=float, na_value=np.nan)
    interval = classes.map(spec.interval_days()).to_numpy(dtype=float)
    keep &= np.isnan(since) | (since >= interval)

    ratios = {c: float(r) for c, r in plan.ratios.items()}
    frame = pd.DataFrame(
        {
            "uscc": uscc.to_numpy(dtype=object),
            "region": region.to_numpy(dtype=object),
            "risk_class": classes.to_numpy(dtype=object),
        }
    )
    for column in extra:
        frame[column] = population[column].to_numpy()
    frame = frame.loc[keep]
    if frame.empty:
        raise InputError(
            f"no eligible subject among {len(population)} for task {spec.id!r}",
            code="empty_population",
        )
    frame = frame.sort_values("uscc", kind="stable").reset_index(drop=True)
    frame["pi"] = frame["risk_class"].map(ratios).astype(float)
    return frame


def check_scope(spec: DrawSpec, population: pd.DataFrame) -> None:
    """Refuse a region or industry of the spec that no subject of the (whole) population
    has: a typo, not an empty stratum — a misspelt district would silently shrink the task.
    Called when a task is planned or drawn from the store; not part of the draw itself, so
    a pre-filtered frame draws the same and sealed records re-verify."""
    for column, wanted in (("region", spec.regions), ("industry", spec.industries)):
        if wanted is None:
            continue
        require_columns(population, (column,), "population")
        unknown = sorted(set(wanted) - set(population[column].dropna().astype(str)))
        if unknown:
            raise InputError(
                f"no subject of the population has {column} {', '.join(map(repr, unknown))} "
                "(a typo in the spec?)",
                code=f"unknown_{column}",
                column=column,
            )


def _stratum_codes(eligible: pd.DataFrame) -> tuple[list[tuple[str, str]], np.ndarray]:
    # Strata in code-point order of (class, region): independent of input row order.
    keys = pd.MultiIndex.from_arrays([eligible["risk_class"], eligible["region"]])
    strata = sorted(set(keys.unique()))
    codes = pd.MultiIndex.from_tuples(strata).get_indexer(keys)
    return strata, codes.astype(np.int64)


def allocate(
    plan: TaskPlan, strata: list[tuple[str, str]], sizes: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Return the strata with ``N``, ``ratio``, ``expected = N*ratio`` and drawn count ``n``.

    ``n = floor(N*ratio) + (u < frac(N*ratio))`` with one uniform ``u`` per stratum, drawn
    in stratum order; the product is exact (ratios are decimal fractions).
    """
    uniforms = rng.random(len(strata))
    rows = []
    for (cls_, region), size, u in zip(strata, sizes.tolist(), uniforms.tolist(), strict=True):
        ratio: Fraction = plan.ratios[cls_]
        expected = size * ratio
        base = math.floor(expected)
        drawn = base + int(u < float(expected - base))
        rows.append((cls_, region, size, float(ratio), float(expected), drawn))
    return pd.DataFrame(rows, columns=list(STRATA_COLUMNS))


@dataclass(frozen=True)
class SubjectDraw:
    """The eligible population (with pi), its strata and the drawn subjects of one draw."""

    eligible: pd.DataFrame
    strata: pd.DataFrame
    drawn: pd.DataFrame


def draw_subjects(
    plan: TaskPlan, population: pd.DataFrame, streams: Streams | None = None
) -> SubjectDraw:
    """Draw subjects without replacement: stratified SRS by class x region.

    Within each stratum the ``n_h`` subjects with the smallest uniform keys are taken (a
    uniformly random subset), keys drawn once per eligible subject in uscc order.
    """
    streams = streams or random_streams(plan.spec)
    eligible = eligible_population(plan, population)
    strata, codes = _stratum_codes(eligible)
    sizes = np.bincount(codes, minlength=len(strata))
    table = allocate(plan, strata, sizes, streams.allocation)
    keys = streams.selection.random(len(eligible))
    order = np.lexsort((keys, codes))
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    sorted_codes = codes[order]
    rank = np.arange(len(order)) - starts[sorted_codes]
    take = table["n"].to_numpy(dtype=np.int64)
    chosen = np.sort(order[rank < take[sorted_codes]])
    drawn = eligible.iloc[chosen].reset_index(drop=True)
    return SubjectDraw(eligible=eligible, strata=table, drawn=drawn)
