"""Generate a whole synthetic city: the stages in order, and the files they make.

Every stage draws from its own child of ``numpy.random.default_rng(seed)``, so the same
seed, scale and ``as_of`` give byte-identical files, and a change inside one stage does
not reshuffle the others.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from riskgraph.synth import vocab
from riskgraph.synth.commitments import Commitments, make_commitments
from riskgraph.synth.contacts import addresses, phones
from riskgraph.synth.history import (
    Complaints,
    Penalties,
    decide,
    first_day,
    make_complaints,
    make_penalties,
)
from riskgraph.synth.ids import usccs
from riskgraph.synth.inspections import Inspections, make_inspections
from riskgraph.synth.lists import Entries, make_entries
from riskgraph.synth.naming import subject_names
from riskgraph.synth.owners import PersonPool, Roles, dedupe, make_roles
from riskgraph.synth.persons import Persons, make_persons, plant_homonyms
from riskgraph.synth.risk import Risk
from riskgraph.synth.subjects import (
    COOPERATIVE,
    INDIVIDUAL,
    LATENT_SD,
    Clusters,
    Subjects,
    make_subjects,
)
from riskgraph.synth.supervision import Conflicts, Inspectors, make_inspectors, plant_conflicts
from riskgraph.synth.text import EPOCH
from riskgraph.synth.writer import INPUT_FILES, input_tables, truth_tables, write_csv

log = logging.getLogger(__name__)

FOLLOW_UP = 0.35  # share of failed visits that end in a penalty decision
STAGES = 8


@dataclass
class City:
    """Everything generated, as arrays indexed by subject / person / row."""

    subjects: Subjects
    clusters: Clusters
    roles: Roles
    legal: np.ndarray
    inspectors: Inspectors
    conflicts: Conflicts
    persons: Persons
    person_names: pa.Array
    homonym_pairs: np.ndarray
    uscc: pa.Array
    names: pa.Array
    address: pa.Array
    phone: pa.Array
    risk: Risk
    complaints: Complaints
    penalties: Penalties
    inspections: Inspections
    entries: Entries
    commitments: Commitments
    # The parts of each subject's latent risk that others share, on the logit scale:
    # "owner" (its legal representative's conduct) and "site" (its premises), 0 for none.
    shared: dict[str, np.ndarray] = field(default_factory=dict)


def _persons(
    rng: np.random.Generator,
    s: Subjects,
    roles: Roles,
    legal: np.ndarray,
    ins: Inspectors,
    as_of: int,
) -> tuple[Persons, np.ndarray, np.ndarray]:
    """Renumber the persons used (inspectors last), draw who they are; return the renumbering
    and each person's home district (of their first role, or their inspector post)."""
    has = roles.person >= 0
    used = np.unique(np.concatenate([roles.person[has], ins.person]))
    remap = np.full(int(used.max()) + 1, -1, np.int64)
    remap[used] = np.arange(len(used))
    roles.person[has] = remap[roles.person[has]]
    legal[legal >= 0] = remap[legal[legal >= 0]]
    ins.person = remap[ins.person].astype(np.int32)

    n = len(used)
    person, order = np.unique(roles.person[has], return_index=True)
    home = np.zeros(n, np.int64)
    home[person] = s.region[roles.subject[has][order]]
    home[ins.person] = ins.region
    first_role = np.full(n, as_of, np.int64)
    np.minimum.at(first_role, roles.person[has], roles.since[has])
    inspector = np.zeros(n, bool)
    inspector[ins.person] = True
    return make_persons(rng, home, first_role, inspector, as_of), remap, home


# Share of the latent risk's variance that is the legal representative's own conduct:
# the businesses one person runs tend to comply, or not, alike — which is why a bureau
# looks at who stands behind a subject. The marginal spread of the latent is unchanged.
OWNER_SHARE = 0.45


def _share_conduct(seed: int, s: Subjects, legal: np.ndarray) -> np.ndarray:
    """Mix each legal representative's conduct into the latent risk of their subjects;
    return each subject's share of it."""
    rng = np.random.default_rng([seed, 0x0C0D])  # its own stream: other stages unchanged
    has = legal >= 0
    conduct = rng.normal(0.0, LATENT_SD, int(legal.max()) + 1 if has.any() else 1)
    part = np.zeros(s.n)
    part[has] = np.sqrt(OWNER_SHARE) * conduct[legal[has]]
    s.latent[has] = np.sqrt(1 - OWNER_SHARE) * s.latent[has] + part[has]
    return part


# Share of the latent risk's variance that comes from the premises for subjects that share
# an address (a market's management, a building's landlord and fire safety).
SITE_SHARE = 0.35


def _share_site(seed: int, s: Subjects, address: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mix a per-site effect into the latent risk of subjects that share an address;
    return each subject's site part, and which subjects share one."""
    from riskgraph.etl.normalize import address_key

    keys = pd.Series(address).map(address_key)  # the variants of one place are one site
    site, uniques = pd.factorize(keys)
    size = np.bincount(site)[site]
    shared = size > 1
    rng = np.random.default_rng([seed, 0x517E])
    effect = rng.normal(0.0, LATENT_SD, len(uniques))
    part = np.zeros(s.n)
    part[shared] = np.sqrt(SITE_SHARE) * effect[site[shared]]
    s.latent[shared] = np.sqrt(1 - SITE_SHARE) * s.latent[shared] + part[shared]
    return part, shared


def build_city(scale: int, seed: int, as_of: dt.date) -> City:
    """Generate the city in memory."""
    if scale < 100:
        raise ValueError("scale must be at least 100 subjects")
    day = int((np.datetime64(as_of.isoformat(), "D") - EPOCH).astype(int))
    rng = np.random.default_rng(seed).spawn(STAGES)
    started = time.perf_counter()

    s, clusters = make_subjects(rng[0], scale, day)
    pool = PersonPool(rng[1], scale)
    roles, legal = make_roles(rng[1], s, clusters, day, pool)
    dedupe(roles, pool)
    inspectors = make_inspectors(rng[2], scale, pool)
    extra, conflicts = plant_conflicts(rng[2], s, roles, inspectors, day)
    roles = Roles.concat([roles, extra])
    persons, remap, home = _persons(rng[3], s, roles, legal, inspectors, day)
    conflicts.via = np.where(conflicts.via >= 0, remap[np.maximum(conflicts.via, 0)], -1)
    log.info(
        "stage=owners subjects=%d persons=%d roles=%d seconds=%.1f",
        s.n,
        persons.n,
        len(roles),
        time.perf_counter() - started,
    )

    org_type = np.where(s.kind == INDIVIDUAL, 2, np.where(s.kind == COOPERATIVE, 3, 1))
    admin = np.array([r.code for r in vocab.REGIONS])[s.region]
    uscc = usccs(rng[4], org_type, admin, s.registered_on)
    person_names = persons.names()
    address, town = addresses(rng[4], s, clusters)
    names = subject_names(rng[4], s, legal, person_names, persons.surname, town)
    phone = phones(rng[4], s, clusters, legal, persons.mobile)
    log.info("stage=texts seconds=%.1f", time.perf_counter() - started)

    owner_part = _share_conduct(seed, s, legal)
    site_part, shared = _share_site(seed, s, address)
    owner_part[shared] *= np.sqrt(1 - SITE_SHARE)  # the site's mixing scaled it down
    risk = Risk.draw(rng[5], s, day)
    complaints = make_complaints(rng[5], s, risk, day)
    penalties = make_penalties(rng[5], s, risk, day)
    inspections, visits = make_inspections(
        rng[6],
        s,
        risk,
        clusters,
        first_day(penalties.subject, penalties.day, s.n),
        first_day(complaints.subject, complaints.day, s.n),
        day,
    )
    follow = np.flatnonzero(visits.failed & (rng[6].random(len(visits.day)) < FOLLOW_UP))
    when = visits.day[follow].astype(np.int64) + rng[6].integers(15, 120, len(follow))
    subject = visits.subject[follow]
    ok = when <= np.minimum(s.closed_on[subject], day)
    penalties = Penalties.concat(
        [
            penalties,
            decide(rng[6], s, risk, subject[ok], when[ok], visits.department[follow][ok], day),
        ]
    )
    n_owners = int(inspectors.person.min())
    entries = make_entries(rng[7], s, clusters, penalties, legal, n_owners, day)
    pairs = plant_homonyms(rng[7], persons, entries.person[entries.person >= 0], home)
    log.info(
        "stage=history complaints=%d penalties=%d inspections=%d entries=%d seconds=%.1f",
        len(complaints.day),
        len(penalties.day),
        len(inspections.day),
        len(entries.listed),
        time.perf_counter() - started,
    )
    return City(
        s,
        clusters,
        roles,
        legal,
        inspectors,
        conflicts,
        persons,
        persons.names(),
        pairs,
        uscc,
        names,
        address,
        phone,
        risk,
        complaints,
        penalties,
        inspections,
        entries,
        make_commitments(seed, s, risk, day),
        {"owner": owner_part, "site": site_part},
    )


def generate_city(
    out_dir: Path,
    scale: int = 20_000,
    seed: int = 1,
    as_of: dt.date = dt.date(2026, 9, 30),
    truth_dir: Path | None = None,
) -> dict:
    """Write a synthetic city's ten input files to ``out_dir`` and its truth to ``truth_dir``."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    truth_dir = Path(truth_dir) if truth_dir else out_dir.parent / (out_dir.name + "_truth")
    if truth_dir.resolve() == out_dir.resolve() or out_dir.resolve() in truth_dir.resolve().parents:
        raise ValueError("truth_dir must not be inside out_dir: the loader loads every file there")
    city = build_city(scale, seed, as_of)
    out_dir.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    for name, table in input_tables(city).items():
        write_csv(table, out_dir / f"{name}.csv")
        rows[f"{name}.csv"] = table.num_rows
    truth: dict[str, int] = {}
    for name, table in truth_tables(city).items():
        write_csv(table, truth_dir / f"{name}.csv")
        truth[f"{name}.csv"] = table.num_rows
    elapsed = time.perf_counter() - started
    log.info("stage=written out_dir=%s rows=%d seconds=%.1f", out_dir, sum(rows.values()), elapsed)
    assert tuple(f.removesuffix(".csv") for f in rows) == INPUT_FILES
    return {
        "out_dir": str(out_dir),
        "truth_dir": str(truth_dir),
        "scale": scale,
        "seed": seed,
        "as_of": as_of.isoformat(),
        "rows": rows,
        "truth_rows": truth,
        "elapsed_s": round(elapsed, 2),
    }
