"""The synthetic city: deterministic, valid under the loader's rules, and realistic enough.

Small cities (3,000 subjects) keep the suite fast; the full-scale run is a benchmark
(``benchmarks/generate.py``), not a test.
"""

from __future__ import annotations

import datetime as dt
import filecmp
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskgraph.etl import contract
from riskgraph.etl.codes import resident_id_error, uscc_error
from riskgraph.etl.contract import KINDS
from riskgraph.etl.normalize import address_key, phone_key
from riskgraph.etl.readers import read_rows
from riskgraph.etl.validate import Context, RowError, RowValidator, map_header
from riskgraph.synth import generate_city

AS_OF = dt.date(2026, 9, 30)
SCALE = 3_000
FILES = tuple(KINDS)  # the generator writes every kind of the input contract
CORE = {"任城区", "兖州区", "济宁高新区", "太白湖新区", "济宁经开区"}


@pytest.fixture(scope="module")
def city_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small city, generated once for the module."""
    out = tmp_path_factory.mktemp("synth") / "city"
    generate_city(out, scale=SCALE, seed=7, as_of=AS_OF)
    return out


@pytest.fixture(scope="module")
def city(city_dir: Path) -> dict[str, pd.DataFrame]:
    """The city's files and truth tables as string frames (missing = empty string)."""

    def read(path: Path) -> pd.DataFrame:
        return pd.read_csv(path, dtype=str, keep_default_na=False)

    frames = {name: read(city_dir / f"{name}.csv") for name in FILES}
    truth = city_dir.parent / "city_truth"
    for name in ("subject_risk", "clusters", "homonyms", "conflicts"):
        frames["truth_" + name] = read(truth / f"{name}.csv")
    return frames


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_same_seed_gives_identical_bytes(tmp_path: Path, city_dir: Path) -> None:
    again = tmp_path / "city"
    generate_city(again, scale=SCALE, seed=7, as_of=AS_OF)
    for a, b in ((city_dir, again), (city_dir.parent / "city_truth", tmp_path / "city_truth")):
        names = _files(a)
        assert names == _files(b)
        match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
        assert mismatch == [] and errors == []


def test_another_seed_gives_another_city(tmp_path: Path, city_dir: Path) -> None:
    other = tmp_path / "city"
    generate_city(other, scale=SCALE, seed=8, as_of=AS_OF)
    for name in FILES[:-1]:  # the item catalogue is fixed
        assert (other / f"{name}.csv").read_bytes() != (city_dir / f"{name}.csv").read_bytes()


def test_truth_is_kept_out_of_the_input_folder(tmp_path: Path, city_dir: Path) -> None:
    assert _files(city_dir) == sorted(f"{name}.csv" for name in FILES)
    with pytest.raises(ValueError):
        generate_city(tmp_path / "c", scale=200, truth_dir=tmp_path / "c" / "truth")


def test_headers_are_the_contract_columns(city_dir: Path) -> None:
    for name in FILES:
        header = (city_dir / f"{name}.csv").read_text(encoding="utf-8").split("\n", 1)[0]
        assert tuple(header.split(",")) == contract.KINDS[name].columns


def test_every_row_passes_the_loader_rules(city_dir: Path) -> None:
    ctx = Context(today=AS_OF, pii_secret=b"test")
    problems: Counter[tuple[str, str]] = Counter()
    for kind in contract.LOAD_ORDER:
        header, _, rows = read_rows(city_dir / f"{kind}.csv")
        spec = contract.KINDS[kind]
        mapping = map_header(spec, header, kind).columns
        validator = RowValidator(spec, set(mapping.values()), ctx)
        seen: set[str] = set()
        for item in rows:
            if not isinstance(item, tuple):
                problems[(kind, item.code)] += 1
                continue
            try:
                key, record = validator.validate({mapping[k]: v for k, v in item[1].items()})
            except RowError as exc:
                problems[(kind, exc.code)] += 1
                continue
            problems[(kind, "duplicate_key")] += key in seen
            seen.add(key)
            if kind == "subjects":
                ctx.subjects.add(key)
            elif kind == "persons":
                ctx.persons.add(key)
    assert +problems == Counter()


def test_codes_are_valid(city: dict[str, pd.DataFrame]) -> None:
    usccs = pd.concat([city["subjects"].uscc, city["roles"].holder_uscc])
    assert not [c for c in usccs if c and uscc_error(c)]
    persons = city["persons"]
    assert not [p for p in persons.person_id if resident_id_error(p, AS_OF)]
    age = AS_OF.year - persons.person_id.str[6:10].astype(int)
    assert age.between(19, 76).all()  # 20-75 at as_of, give or take a birthday
    local = persons.person_id.str[:4] == "3708"
    assert 0.75 < local.mean() < 0.95


def test_keys_are_unique_and_references_resolve(city: dict[str, pd.DataFrame]) -> None:
    s, persons, roles = city["subjects"], city["persons"], city["roles"]
    for name, key in (
        ("subjects", "uscc"),
        ("persons", "person_id"),
        ("complaints", "complaint_id"),
        ("penalties", "penalty_id"),
        ("commitments", "commitment_id"),
        ("inspections", "inspection_id"),
        ("inspectors", "inspector_id"),
        ("items", "item_code"),
    ):
        assert city[name][key].is_unique, name
    uscc, ids = set(s.uscc), set(persons.person_id)
    for name in ("roles", "complaints", "penalties", "commitments", "inspections",
                 "list_entries"):
        refs = city[name].subject_uscc
        assert set(refs[refs != ""]) <= uscc, name
    assert set(roles.holder_uscc[roles.holder_uscc != ""]) <= uscc
    assert set(roles.holder_person_id[roles.holder_person_id != ""]) <= ids
    assert set(city["inspectors"].person_id) <= ids
    entries = city["list_entries"]
    assert set(entries.person_id[entries.person_id != ""]) <= ids
    assert ((roles.holder_person_id != "") ^ (roles.holder_uscc != "")).all()
    assert ((entries.subject_uscc != "") ^ (entries.person_id != "")).all()
    assert set(city["inspections"].item_code) <= set(city["items"].item_code)
    names = persons.set_index("person_id").name
    inspectors = city["inspectors"]
    assert (inspectors.name.to_numpy() == names[inspectors.person_id].to_numpy()).all()


def test_values_follow_the_contract(city: dict[str, pd.DataFrame]) -> None:
    s, roles, items = city["subjects"], city["roles"], city["items"]
    assert set(s.kind) == set(contract.SUBJECT_KINDS)
    assert set(s.status) == set(contract.STATUSES)
    assert set(roles.role) == set(contract.ROLES)
    assert set(city["penalties"].severity) == set(contract.SEVERITIES)
    assert set(city["inspections"].outcome) == set(contract.OUTCOMES)
    assert set(city["list_entries"].list) == set(contract.LISTS)
    promises = city["commitments"]
    assert set(promises.fulfilment) == set(contract.FULFILMENTS)
    assert (promises.due_on > promises.made_on).all()
    checked = promises[promises.fulfilment != "pending"]
    assert (checked.verified_on >= checked.due_on).all()
    assert (promises.verified_on[promises.fulfilment == "pending"] == "").all()
    assert set(promises.department) <= set(city["inspectors"].department) | set(
        items.department)
    assert (city["penalties"].amount.astype(float) >= 0).all()
    shares = roles[roles.role == "shareholder"].assign(pct=lambda f: f.share_pct.astype(float))
    assert shares.pct.between(0, 100).all()
    assert np.allclose(shares.groupby("subject_uscc").pct.sum(), 100.0)
    branches = set(s.uscc[s.kind == "branch"])
    assert branches == set(roles.subject_uscc[roles.role == "branch_of"])
    for name, columns in (
        ("subjects", ["registered_on"]),
        ("roles", ["since"]),
        ("complaints", ["received_on"]),
        ("penalties", ["decided_on", "repaired_on"]),
        ("commitments", ["made_on", "verified_on"]),  # a deadline may be still to come
        ("inspections", ["inspected_on"]),
        ("list_entries", ["listed_on", "removed_on"]),
    ):
        for column in columns:
            days = city[name][column]
            assert (days[days != ""] <= AS_OF.isoformat()).all(), (name, column)
    assert len(items) == 139 and items.department.nunique() == 38 and items.area.nunique() == 60
    own = items.groupby("department").item_code.agg(set)
    for dept, quals in zip(
        city["inspectors"].department, city["inspectors"].qualifications, strict=True
    ):
        assert set(quals.split(";")) <= own[dept]


def test_distributions_look_like_the_city(city: dict[str, pd.DataFrame]) -> None:
    s, roles = city["subjects"], city["roles"]
    assert abs(s.region.isin(CORE).mean() - 1 / 3) < 0.04
    assert s.region.nunique() == 14
    assert abs((s.kind == "individual").mean() - 0.70) < 0.03
    assert (s.status == "active").mean() > 0.85
    assert s.industry.nunique() >= 20
    owners = roles[roles.role == "shareholder"].groupby("subject_uscc").size()
    assert owners.between(1, 2).mean() > 0.9
    years = s.registered_on.str[:4].astype(int)
    assert years.min() < 2000 and (years >= 2016).mean() > 0.5  # decades, recent more often
    assert len(city["inspectors"]) == max(50, round(SCALE * 19_000 / 880_000))


def test_hidden_risk_drives_the_record(city: dict[str, pd.DataFrame]) -> None:
    risk = city["truth_subject_risk"].set_index("uscc").p_violation.astype(float)
    quintile = pd.qcut(risk, 5, labels=False)
    top, bottom = quintile[quintile == 4].index, quintile[quintile == 0].index

    def per_subject(frame: pd.DataFrame, index: pd.Index) -> float:
        return frame.subject_uscc.value_counts().reindex(index, fill_value=0).mean()

    for name in ("complaints", "penalties"):
        assert per_subject(city[name], top) > 3 * per_subject(city[name], bottom), name
    promises = city["commitments"]
    checked = promises[promises.fulfilment != "pending"]
    broken = (checked.fulfilment == "broken").groupby(checked.subject_uscc).mean()
    assert broken.reindex(top).mean() > 2 * broken.reindex(bottom).mean()
    found = city["inspections"][city["inspections"].outcome != "not_found"]
    failed = (found.outcome == "fail").groupby(found.subject_uscc).mean()
    assert failed.reindex(top).mean() > 3 * failed.reindex(bottom).mean()
    inspected = city["subjects"].uscc.isin(city["inspections"].subject_uscc).mean()
    assert 0.1 < inspected < 0.6  # not everyone, and drawn mostly at random


def test_homonyms_are_distinct_people(city: dict[str, pd.DataFrame]) -> None:
    persons = city["persons"]
    shared = persons.groupby("name").person_id.nunique()
    assert (shared > 1).sum() > 10
    h = city["truth_homonyms"]
    assert set(h.person_id) <= set(persons.person_id)
    assert (h.groupby("group_id").name.nunique() == 1).all()
    assert (h.groupby("group_id").person_id.nunique() > 1).all()
    assert set(h.name) == set(shared[shared > 1].index)
    assert (h.planted == "true").any()


def test_one_address_is_written_several_ways(city: dict[str, pd.DataFrame]) -> None:
    address = city["subjects"].address
    variants = address.groupby(address.map(address_key)).nunique()
    assert (variants > 1).sum() > 20
    assert address.str.startswith("山东省济宁市").any() and address.str.startswith("济宁市").any()
    assert (~address.str.contains("济宁市")).any()
    assert address.str.contains(" ").any()
    assert address.map(lambda a: unicodedata.normalize("NFKC", a) != a).any()  # full-width
    phones = city["subjects"].phone
    phones = phones[phones != ""]
    for pattern in (
        r"^0537-\d{7}$",
        r"^0537\d{7}$",
        r"^\+86 537 \d{7}$",
        r"^1\d{10}$",
        r"^\+86 1\d\d \d{4} \d{4}$",
        r"^1\d\d-\d{4}-\d{4}$",
    ):
        assert phones.str.match(pattern).any(), pattern
    assert phones.map(phone_key).notna().all()


def test_shell_clusters_share_what_the_truth_says(city: dict[str, pd.DataFrame]) -> None:
    s = city["subjects"].set_index("uscc")
    roles = city["roles"]
    legal = roles[roles.role == "legal_rep"].set_index("subject_uscc").holder_person_id
    clusters = city["truth_clusters"]
    assert set(clusters.kind) == {"legal_rep", "address", "phone"}
    shared = {
        "legal_rep": lambda u: legal[u],
        "address": lambda u: s.address[u].map(address_key),
        "phone": lambda u: s.phone[u].map(phone_key),
    }
    for (_, kind), members in clusters.groupby(["cluster_id", "kind"]).uscc:
        assert len(members) >= 3
        assert shared[kind](members.to_numpy()).nunique() == 1, kind


def test_planted_conflicts_are_in_the_graph(city: dict[str, pd.DataFrame]) -> None:
    roles = city["roles"]
    person_of = city["inspectors"].set_index("inspector_id").person_id
    held = set(zip(roles.holder_person_id, roles.subject_uscc, strict=True))
    conflicts = city["truth_conflicts"]
    assert len(conflicts) > 0 and conflicts.relation.nunique() >= 2
    for row in conflicts.itertuples():
        person = person_of[row.inspector_id]
        if row.hops == "1":
            assert (person, row.subject_uscc) in held
        else:
            assert (row.via_person_id, row.subject_uscc) in held
            mine = {u for p, u in held if p == person}
            assert any((row.via_person_id, u) in held for u in mine)


def test_owners_chains_and_ages(city: dict[str, pd.DataFrame]) -> None:
    roles = city["roles"]
    owned = roles[roles.holder_person_id != ""].groupby("holder_person_id").subject_uscc.nunique()
    assert owned.max() >= 3  # serial entrepreneurs
    corporate = roles[roles.holder_uscc != ""]
    parent = corporate[corporate.role == "shareholder"].set_index("subject_uscc").holder_uscc
    grand = parent[parent.isin(parent.index)]
    assert len(grand) > 0  # a holding chain three subjects deep
    born = pd.to_datetime(roles.holder_person_id.str[6:14], format="%Y%m%d", errors="coerce")
    since = pd.to_datetime(roles.since)
    adult = (since - born).dt.days >= 18 * 365
    assert adult[roles.holder_person_id != ""].all()
