"""Turn the generated arrays into the ten input tables and the truth tables, and write them.

Tables are pyarrow tables written by pyarrow's CSV writer: UTF-8, the contract's English
headers, dates YYYY-MM-DD, booleans true/false, missing values empty, no quoting (no
generated value holds a comma, quote or line break; should one ever, the writer falls
back to quoting strings).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from riskgraph.synth import catalog, vocab
from riskgraph.synth.commitments import FULFILMENTS, MATTER_DEPARTMENTS, MATTERS
from riskgraph.synth.history import CATEGORIES, REASONS, SEVERITIES
from riskgraph.synth.inspections import OUTCOMES
from riskgraph.synth.lists import AUTHORITIES, LISTS
from riskgraph.synth.lists import REASONS as LIST_REASONS
from riskgraph.synth.owners import ROLES
from riskgraph.synth.subjects import CLUSTER_KINDS, KINDS, STATUSES
from riskgraph.synth.supervision import RELATIONS
from riskgraph.synth.text import dates, digits, group_rank, join, null_where, take, where, ymd

if TYPE_CHECKING:
    from riskgraph.synth.city import City

INPUT_FILES = (
    "subjects",
    "persons",
    "roles",
    "complaints",
    "penalties",
    "commitments",
    "inspections",
    "list_entries",
    "inspectors",
    "items",
)
CASE_PREFIXES = tuple(r.case_prefix for r in vocab.REGIONS) + ("济",)


def write_csv(table: pa.Table, path: Path) -> None:
    """Write one table as UTF-8 CSV."""
    try:
        options = pacsv.WriteOptions(quoting_style="none", quoting_header="none", batch_size=65_536)
        pacsv.write_csv(table, path, options)
    except pa.ArrowInvalid:
        pacsv.write_csv(table, path, pacsv.WriteOptions(batch_size=65_536))


def _ref(codes: pa.Array, index: np.ndarray) -> pa.Array:
    """Look up codes by index; -1 gives an empty cell."""
    index = np.asarray(index, np.int64)
    return null_where(index < 0, codes.take(pa.array(np.maximum(index, 0))))


def _items() -> pa.Table:
    items = catalog.items()
    return pa.table(
        {
            "item_code": [it.code for it in items],
            "department": [catalog.DEPARTMENT_NAMES[it.department] for it in items],
            "area": [it.area for it in items],
            "name": [it.name for it in items],
            "key_item": pa.array([it.key for it in items], pa.bool_()),
        }
    )


def _subjects(c: City) -> pa.Table:
    s = c.subjects
    capital = np.nan_to_num(s.capital).astype(np.int64)
    key = np.array([ind.key_sector for ind in vocab.INDUSTRIES])[s.industry]
    return pa.table(
        {
            "uscc": c.uscc,
            "name": c.names,
            "kind": take(KINDS, s.kind),
            "industry": take([ind.name for ind in vocab.INDUSTRIES], s.industry),
            "region": take([r.name for r in vocab.REGIONS], s.region),
            "address": c.address,
            "phone": c.phone,
            "registered_on": dates(s.registered_on),
            "status": take(STATUSES, s.status),
            "registered_capital": null_where(np.isnan(s.capital), pa.array(capital)),
            "key_sector": pa.array(key),
        }
    )


def _roles(c: City) -> pa.Table:
    r = c.roles
    share = pa.array(r.share_bp / 100.0)
    return pa.table(
        {
            "subject_uscc": _ref(c.uscc, r.subject),
            "holder_person_id": _ref(c.persons.person_id, r.person),
            "holder_uscc": _ref(c.uscc, r.holder),
            "role": take(ROLES, r.role),
            "share_pct": null_where(r.share_bp < 0, share),
            "since": dates(r.since),
            # a registry's export of the current roles: none has ended
            "until": pa.nulls(len(r.since), pa.string()),
        }
    )


def _complaints(c: City) -> pa.Table:
    q = c.complaints
    y, m, d = ymd(q.day)
    seq = group_rank([q.day, np.arange(len(q.day))]) + 1
    return pa.table(
        {
            "complaint_id": join("TS", digits(y * 10_000 + m * 100 + d), digits(seq, 5)),
            "subject_uscc": _ref(c.uscc, q.subject),
            "received_on": dates(q.day),
            "channel": take([ch for ch, _ in vocab.COMPLAINT_CHANNELS], q.channel),
            "category": take(CATEGORIES, q.category),
            "substantiated": pa.array(q.substantiated),
        }
    )


def _penalties(c: City) -> pa.Table:
    p = c.penalties
    order = np.lexsort((p.subject, p.day))
    subject, day = p.subject[order], p.day[order]
    prefix = np.where(p.city[order], len(vocab.REGIONS), c.subjects.region[subject])
    year = ymd(day)[0]
    seq = group_rank([prefix, year, np.arange(len(day))]) + 1
    return pa.table(
        {
            "penalty_id": join(
                take(CASE_PREFIXES, prefix), "市监罚〔", digits(year), "〕", digits(seq), "号"
            ),
            "subject_uscc": _ref(c.uscc, subject),
            "department": take(catalog.DEPARTMENT_NAMES, p.department[order]),
            "decided_on": dates(day),
            "severity": take(SEVERITIES, p.severity[order]),
            "amount": pa.array(p.amount[order].astype(np.int64)),
            "reason": take(REASONS, p.reason[order]),
            "repaired_on": dates(np.maximum(p.repaired[order], 0), p.repaired[order] < 0),
        }
    )


def _commitments(c: City) -> pa.Table:
    m = c.commitments
    region = c.subjects.region[m.subject]
    year = ymd(m.made)[0]
    seq = group_rank([region, year, np.arange(len(m.made))]) + 1
    return pa.table(
        {
            "commitment_id": join(take(CASE_PREFIXES, region), "承诺〔", digits(year), "〕",
                                  digits(seq), "号"),
            "subject_uscc": _ref(c.uscc, m.subject),
            "department": take(MATTER_DEPARTMENTS, m.matter),
            "matter": take(MATTERS, m.matter),
            "made_on": dates(m.made),
            "due_on": dates(m.due),
            "fulfilment": take(FULFILMENTS, m.fulfilment),
            "verified_on": dates(np.maximum(m.verified, 0), m.verified < 0),
        }
    )


def _inspections(c: City) -> pa.Table:
    i = c.inspections
    items = catalog.items()
    item_dept = np.array([it.department for it in items])[i.item]
    task = join(
        where(i.joint, "LHJ", "SSJ"),
        digits(i.year),
        digits(i.half),
        digits(i.region.astype(np.int64) + 1, 2),
        digits(i.department.astype(np.int64) + 1, 2),
    )
    return pa.table(
        {
            "inspection_id": join("JC", digits(np.arange(1, len(i.day) + 1), 10)),
            "subject_uscc": _ref(c.uscc, i.subject),
            "task_id": task,
            "item_code": take([it.code for it in items], i.item),
            "department": take(catalog.DEPARTMENT_NAMES, item_dept),
            "inspected_on": dates(i.day),
            "outcome": take(OUTCOMES, i.outcome),
        }
    )


def _list_entries(c: City) -> pa.Table:
    e = c.entries
    order = np.lexsort((e.person, e.subject, e.listed))
    return pa.table(
        {
            "subject_uscc": _ref(c.uscc, e.subject[order]),
            "person_id": _ref(c.persons.person_id, e.person[order]),
            "list": take(LISTS, e.list[order]),
            "listed_on": dates(e.listed[order]),
            "removed_on": dates(np.maximum(e.removed[order], 0), e.removed[order] < 0),
            "authority": take(AUTHORITIES, e.authority[order]),
            "reason": take(LIST_REASONS, e.reason[order]),
        }
    )


def _inspectors(c: City) -> pa.Table:
    ins = c.inspectors
    codes = pa.array([it.code for it in catalog.items()])
    quals = pa.ListArray.from_arrays(
        pa.array(ins.qual_offset.astype(np.int32)),
        codes.take(pa.array(ins.qualified.astype(np.int64))),
    )
    return pa.table(
        {
            "inspector_id": join(
                "JNZF", digits(ins.region.astype(np.int64) + 1, 2), digits(ins.seq, 5)
            ),
            "person_id": _ref(c.persons.person_id, ins.person),
            "name": c.person_names.take(pa.array(ins.person.astype(np.int64))),
            "department": take(catalog.DEPARTMENT_NAMES, ins.department),
            "region": take([r.name for r in vocab.REGIONS], ins.region),
            "qualifications": pc.binary_join(quals, ";"),
        }
    )


def input_tables(c: City) -> dict[str, pa.Table]:
    """Return the ten input tables, by file kind."""
    return {
        "subjects": _subjects(c),
        "persons": pa.table({"person_id": c.persons.person_id, "name": c.person_names}),
        "roles": _roles(c),
        "complaints": _complaints(c),
        "penalties": _penalties(c),
        "commitments": _commitments(c),
        "inspections": _inspections(c),
        "list_entries": _list_entries(c),
        "inspectors": _inspectors(c),
        "items": _items(),
    }


def truth_tables(c: City) -> dict[str, pa.Table]:
    """Return the hidden truth: risk, shell clusters, homonyms and planted conflicts."""
    s, risk = c.subjects, c.risk
    rate = np.array([ind.base_rate for ind in vocab.INDUSTRIES])[s.industry]
    subject_risk = pa.table(
        {
            "uscc": c.uscc,
            "industry": take([ind.name for ind in vocab.INDUSTRIES], s.industry),
            "base_rate": pa.array(rate),
            "latent": pa.array(np.round(s.latent, 6)),
            "cluster_effect": pa.array(np.round(s.cluster_effect, 6)),
            "trend": pa.array(np.round(risk.trend, 6)),
            "p_violation": pa.array(np.round(risk.now(), 6)),
        }
    )
    member = np.flatnonzero(s.cluster >= 0)
    rows = [
        (member[(c.clusters.kinds[s.cluster[member]] & (1 << b)) != 0], b)
        for b in range(len(CLUSTER_KINDS))
    ]
    sub = np.concatenate([r for r, _ in rows])
    bit = np.concatenate([np.full(len(r), b) for r, b in rows])
    order = np.lexsort((sub, bit, s.cluster[sub]))
    sub, bit = sub[order], bit[order]
    clusters = pa.table(
        {
            "cluster_id": pa.array(s.cluster[sub].astype(np.int64)),
            "kind": take(CLUSTER_KINDS, bit),
            "uscc": _ref(c.uscc, sub),
        }
    )

    key = c.persons.name_key()
    order = np.argsort(key, kind="stable")
    same_prev = np.zeros(len(key), bool)
    same_prev[1:] = key[order][1:] == key[order][:-1]
    shared = same_prev.copy()
    shared[:-1] |= same_prev[1:]
    people = order[shared]
    group = np.cumsum(~same_prev)[shared] - 1
    planted = np.isin(people, c.homonym_pairs.ravel())
    homonyms = pa.table(
        {
            "group_id": pa.array(np.unique(group, return_inverse=True)[1]),
            "name": c.person_names.take(pa.array(people)),
            "person_id": c.persons.person_id.take(pa.array(people)),
            "planted": pa.array(planted),
        }
    )

    k = c.conflicts
    via = np.asarray(k.via, np.int64)
    conflicts = pa.table(
        {
            "inspector_id": _inspectors(c).column("inspector_id").take(pa.array(k.inspector)),
            "subject_uscc": _ref(c.uscc, k.subject),
            "relation": take(RELATIONS, k.relation),
            "via_person_id": _ref(c.persons.person_id, via),
            "hops": pa.array(np.asarray(k.hops, np.int64)),
        }
    )
    return {
        "subject_risk": subject_risk,
        "clusters": clusters,
        "homonyms": homonyms,
        "conflicts": conflicts,
    }
