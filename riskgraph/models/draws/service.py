"""Draws against the graph store: read the inputs, draw, snapshot, append to the chain.

The inputs of every draw (population, inspectors, conflicts, catalogue) are kept as
Parquet under ``snapshots/<draw_id>/`` so that ``verify`` recomputes the draw from
exactly what it read, and separately reports whether the live graph has moved since.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from riskgraph.graph import draw_queries
from riskgraph.graph.errors import StoreError, StoreUnavailable
from riskgraph.graph.schema import ensure_chain_constraint
from riskgraph.graph.store import Store
from riskgraph.models.draws.audit import Verification, publication, verify, verify_chain
from riskgraph.models.draws.engine import run_draw
from riskgraph.models.draws.errors import InputError, RecordError
from riskgraph.models.draws.estimate import estimate_prevalence, screen_outcomes
from riskgraph.models.draws.planning import (
    RatioPlan,
    class_plan,
    expected_yield,
    ratios_for_lift,
    staffing_plan,
)
from riskgraph.models.draws.record import canonical_json
from riskgraph.models.draws.sampling import check_scope
from riskgraph.models.draws.spec import DrawSpec, check_task_id

log = logging.getLogger(__name__)

FRAMES = ("population", "inspectors", "conflicts", "catalogue")


@dataclass(frozen=True)
class DrawInputs:
    """The four frames a draw reads."""

    population: pd.DataFrame
    inspectors: pd.DataFrame
    conflicts: pd.DataFrame
    catalogue: pd.DataFrame


def read_inputs(store: Store, spec: DrawSpec, hub_cap: int = 30) -> tuple[DrawInputs, Any]:
    """Read the population, inspectors and catalogue; return them and a conflicts fetcher."""
    as_of = str(spec.as_of)
    inputs = DrawInputs(draw_queries.population(store, as_of),
                        inspectors_with_workload(store, as_of, spec.window_days),
                        pd.DataFrame(columns=["uscc", "inspector_id"]),
                        draw_queries.catalogue(store))

    def fetch(usccs: list[str]) -> pd.DataFrame:
        return draw_queries.conflicts(store, usccs, hub_cap=hub_cap)

    return inputs, fetch


def inspectors_with_workload(store: Store, as_of: str, window_days: int) -> pd.DataFrame:
    """The inspectors with their ``workload``: the visits earlier draws of an overlapping
    window gave each (kept with a draw's inputs, so verify recomputes the same draw)."""
    inspectors = draw_queries.inspectors(store)
    busy = draw_queries.workload(store, {"as_of": as_of, "window_days": window_days})
    inspectors["workload"] = (inspectors["inspector_id"].map(
        busy.set_index("inspector_id")["workload"]).fillna(0).astype("int64"))
    return inspectors


def make_draw(store: Store, spec: DrawSpec, snapshots: Path, created_at: dt.datetime,
              hub_cap: int = 30) -> dict[str, Any]:
    """Draw for ``spec``, keep its inputs, append the sealed record to the chain."""
    check_task_id(spec.id)
    if draw_queries.get(store, spec.id) is not None:
        raise RecordError(f"draw {spec.id} already exists", code="duplicate_draw")
    ensure_chain_constraint(store)
    inputs, fetch = read_inputs(store, spec, hub_cap)
    check_scope(spec, inputs.population)
    classes = inputs.population["risk_class"].astype("string").fillna("").str.strip()
    if len(classes) and (classes == "").all():
        # Subjects registered since the last scoring are drawn at the base ratio (class U);
        # nobody scored at all is a store that was never scored, not a uniform task.
        raise InputError("no subject has a risk class: run `riskgraph score` first (a draw "
                         "without classes would not be differentiated)", code="not_scored")
    fetched: list[pd.DataFrame] = []

    def conflicts(usccs: list[str]) -> pd.DataFrame:
        fetched.append(fetch(usccs))
        return fetched[-1]

    record = run_draw(spec, inputs.population, inputs.inspectors, conflicts, inputs.catalogue,
                      created_at=created_at, prev_hash=draw_queries.latest_hash(store))
    # Inputs are written to a folder of this attempt's own and moved in place once the
    # record is saved: a draw the store refuses leaves nothing behind, and a save whose
    # outcome is unknown (the store went down) keeps them for the operator.
    snapshots.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{record['draw_id']}.", suffix=".partial",
                                    dir=snapshots))
    kept = DrawInputs(inputs.population, inputs.inspectors, fetched[0], inputs.catalogue)
    try:
        for name in FRAMES:
            getattr(kept, name).to_parquet(partial / f"{name}.parquet", index=False)
        draw_queries.save(store, record, canonical_json(record))
    except StoreUnavailable:
        raise  # saved or not, nobody can tell now: the inputs stay in the partial folder
    except BaseException:
        stored = _stored_hash(store, record["draw_id"])
        if stored != record["hash"]:  # not saved: nothing to keep
            shutil.rmtree(partial, ignore_errors=True)
            raise
        log.warning("draw %s was saved although the save reported an error", record["draw_id"])
    folder = snapshots / record["draw_id"]
    shutil.rmtree(folder, ignore_errors=True)  # a leftover of an attempt never saved
    partial.rename(folder)
    return record


def _stored_hash(store: Store, draw_id: str) -> str | None:
    try:
        stored = draw_queries.get(store, draw_id)
    except StoreError:
        return None
    return None if stored is None else stored.get("hash")


def load_inputs(snapshots: Path, draw_id: str) -> DrawInputs:
    """Read the inputs kept for one draw."""
    folder = snapshots / draw_id
    if not folder.is_dir():
        raise RecordError(f"no input snapshot for draw {draw_id} in {folder}",
                          code="missing_snapshot")
    return DrawInputs(*(pd.read_parquet(folder / f"{name}.parquet") for name in FRAMES))


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of ``verify``: the recomputation, the chain, and drift of the live graph."""

    verification: Verification
    chain_ok: bool
    chain_reason: str | None
    live_population_same: bool


def verify_draw(store: Store, draw_id: str, snapshots: Path,
                published_hash: str | None = None) -> VerifyReport:
    """Recompute a stored draw bit for bit from its inputs and check the chain (and, given
    the hash its publication printed, that the record is the one published)."""
    record = _get(store, draw_id)
    kept = load_inputs(snapshots, draw_id)
    result = verify(record, kept.population, kept.inspectors, kept.conflicts, kept.catalogue,
                    published_hash=published_hash)
    chain = verify_chain(draw_queries.chain(store))
    live = draw_queries.population(store, record["spec"]["as_of"])
    cols = ["uscc", "region", "status", "risk_class"]
    same = _canon(live[cols]).equals(_canon(kept.population[cols]))
    return VerifyReport(result, chain.ok, chain.reason, same)


def _canon(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(str).sort_values(list(frame.columns)).reset_index(drop=True)


def _get(store: Store, draw_id: str) -> dict[str, Any]:
    record = draw_queries.get(store, draw_id)
    if record is None:
        raise RecordError(f"no draw {draw_id}", code="unknown_draw")
    return record


def publish(store: Store, draw_id: str, snapshots: Path) -> pd.DataFrame:
    """Return the public list of a draw: subjects, items, departments; no personal data."""
    record = _get(store, draw_id)
    kept = load_inputs(snapshots, draw_id)
    return publication(record, kept.population[["uscc", "name"]])


@dataclass(frozen=True)
class Estimate:
    """Prevalence estimates, and the result rows set aside (with their reason)."""

    table: pd.DataFrame
    set_aside: pd.DataFrame
    drawn: int
    answered: int  # drawn subjects whose outcome is known


def estimate(store: Store, draw_id: str) -> Estimate:
    """Horvitz–Thompson and Hájek prevalence estimates from the task's loaded results.

    Rows that do not answer the task (see :func:`screen_outcomes`) are set aside and
    reported; drawn subjects without a known outcome are missing at random within their
    stratum."""
    record = _get(store, draw_id)
    outcomes = draw_queries.outcomes(store, record["spec"]["id"])
    if outcomes.empty:
        raise InputError(f"no inspection results with task_id {record['spec']['id']} are "
                         "loaded yet; load them (inspections.task_id) first",
                         code="no_results")
    kept, aside = screen_outcomes(record, outcomes)
    if kept.empty:
        raise InputError(f"none of the {len(outcomes)} results with task_id "
                         f"{record['spec']['id']} answers the task: "
                         f"{aside['reason'].value_counts().to_dict()}", code="no_results")
    table = estimate_prevalence(record, kept, allow_missing=True)
    return Estimate(table, aside, len(record["results"]["drawn"]), kept["uscc"].nunique())


@dataclass(frozen=True)
class PlanningInputs:
    """What planning reads from the store for one task date and window, read once and
    shared by every plan of the same task (other ratios, other targets)."""

    population: pd.DataFrame  # with ``prob`` as float
    catalogue: pd.DataFrame
    inspectors: pd.DataFrame  # with ``workload``


def planning_inputs(store: Store, as_of: str, window_days: int) -> PlanningInputs:
    """Read the population as of a task's date, the catalogue and the inspectors with the
    workload of its window."""
    population = draw_queries.population(store, as_of)
    population["prob"] = population["prob"].astype(float)
    return PlanningInputs(population, draw_queries.catalogue(store),
                          inspectors_with_workload(store, as_of, window_days))


def _inputs(store: Store, spec: DrawSpec, inputs: PlanningInputs | None) -> PlanningInputs:
    inputs = inputs or planning_inputs(store, str(spec.as_of), spec.window_days)
    check_scope(spec, inputs.population)
    return inputs


def plan(store: Store, spec: DrawSpec, truth: pd.DataFrame | None = None,
         inputs: PlanningInputs | None = None) -> pd.DataFrame:
    """Expected violations per 1,000 inspections: uniform, differentiated, top-k.

    Always from the model's calibrated probabilities (``basis`` "model"); with ``truth``
    (``uscc, true_prob``; the hidden truth of a synthetic city) also from the real ones
    (``basis`` "hidden truth"), which judges the model.
    """
    got = _inputs(store, spec, inputs)
    population, catalogue = got.population, got.catalogue
    frames = [expected_yield(spec, population, catalogue).assign(basis="model")]
    if truth is not None:
        population = population.merge(truth[["uscc", "true_prob"]], on="uscc", how="left")
        frames.append(expected_yield(spec, population, catalogue, truth="true_prob")
                      .assign(basis="hidden truth"))
    out = pd.concat(frames, ignore_index=True)
    return out[["basis", *[c for c in out.columns if c != "basis"]]]


def ratios_for(store: Store, spec: DrawSpec, target: float,
               inputs: PlanningInputs | None = None) -> RatioPlan:
    """The least steep class ratios expected to find ``target`` times the violations per
    inspection of a uniform draw of the task's size, by the model's calibrated probabilities
    (see :func:`ratios_for_lift`)."""
    got = _inputs(store, spec, inputs)
    return ratios_for_lift(spec, got.population, got.catalogue, target)


def classes(store: Store, spec: DrawSpec, inputs: PlanningInputs | None = None) -> pd.DataFrame:
    """Where the task's visits go, class by class, by the model's probabilities."""
    got = _inputs(store, spec, inputs)
    return class_plan(spec, got.population, got.catalogue)


def staffing(store: Store, spec: DrawSpec, inputs: PlanningInputs | None = None) -> pd.DataFrame:
    """Per department and region: expected visits, slots needed, the candidates' free
    slots, and whether the region is short (see :func:`staffing_plan`)."""
    got = _inputs(store, spec, inputs)
    return staffing_plan(spec, got.population, got.inspectors, got.catalogue)
