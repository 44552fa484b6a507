"""The inspector draw: never a conflict, never a breach, always a reason."""

from __future__ import annotations

from collections import Counter

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskgraph.models.draws import REASONS, DrawSpec, StaffingError, run_draw
from tests.draw_factories import (
    CREATED,
    make_catalogue,
    make_inspectors,
    make_population,
    make_spec,
    no_conflicts,
    uscc,
)

ALL_IN = {"A": 1.0, "B": 1.0, "C": 1.0, "D": 1.0}  # with a key item: everyone is drawn
ITEMS = {"D1": ("X2",), "D2": ("Y1",)}


def draw(
    spec: DrawSpec, pop: pd.DataFrame, ins: pd.DataFrame, conflicts: pd.DataFrame | None = None
) -> dict:
    return run_draw(
        spec,
        pop,
        ins,
        no_conflicts() if conflicts is None else conflicts,
        make_catalogue(),
        created_at=CREATED,
    )


def region_ok(spec: DrawSpec, subject_region: str, inspector_region: object) -> bool:
    if pd.isna(inspector_region):
        inspector_region = None  # a city-level inspector
    if spec.cross_region:
        return inspector_region != subject_region
    if spec.local_inspectors:
        return inspector_region in (None, subject_region)
    return True


@st.composite
def scenarios(draw_: st.DrawFn) -> tuple[DrawSpec, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    regions = ["R1", "R2", "R3"]
    n = draw_(st.integers(1, 12))
    pop = make_population(
        n, region=draw_(st.lists(st.sampled_from(regions), min_size=n, max_size=n))
    )
    m = draw_(st.integers(2, 20))
    ins = pd.DataFrame(
        {
            "inspector_id": [f"I{i:02d}" for i in range(m)],
            "department": draw_(st.lists(st.sampled_from(["D1", "D2"]), min_size=m, max_size=m)),
            "region": draw_(st.lists(st.sampled_from([*regions, None]), min_size=m, max_size=m)),
            "qualifications": draw_(
                st.lists(
                    st.sampled_from(["X2", "X1;X2", "X2;Y1", "Y1", "X1", ""]),
                    min_size=m,
                    max_size=m,
                )
            ),
            "workload": draw_(st.lists(st.integers(0, 3), min_size=m, max_size=m)),
        }
    )
    pairs = draw_(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, m - 1)), max_size=4 * n))
    conflicts = pd.DataFrame(
        {"uscc": [uscc(s) for s, _ in pairs], "inspector_id": [f"I{i:02d}" for _, i in pairs]},
        dtype=object,
    )
    joint = draw_(st.booleans())
    spec = make_spec(
        departments=["D1", "D2"] if joint else ["D1"],
        items=["X2", "Y1"] if joint else ["X2"],
        class_ratios=ALL_IN,
        inspectors_per_subject=draw_(st.integers(1, 2)),
        cross_region=draw_(st.booleans()),
        local_inspectors=draw_(st.booleans()),
        workload_cap=draw_(st.integers(1, 12)),
        seed=draw_(st.integers(0, 2**32)),
    )
    return spec, pop, ins, conflicts


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_assignments_never_breach_a_rule(scenario: tuple) -> None:
    spec, pop, ins, conflicts = scenario
    k, cap = spec.inspectors_per_subject, spec.workload_cap
    info = ins.set_index("inspector_id")
    quals = {i: set(q.split(";")) - {""} for i, q in info["qualifications"].items()}

    def candidates(dept: str, region: str) -> list[str]:
        return [
            i
            for i in info.index
            if info.at[i, "department"] == dept
            and set(ITEMS[dept]) <= quals[i]
            and region_ok(spec, region, info.at[i, "region"])
        ]

    try:
        record = draw(spec, pop, ins, conflicts)
    except StaffingError as err:
        dept = err.details["department"]
        qualified = [
            i
            for i in info.index
            if info.at[i, "department"] == dept and set(ITEMS[dept]) <= quals[i]
        ]
        capacity = sum(max(cap - info.at[i, "workload"], 0) for i in qualified)
        assert len(qualified) < k or capacity < k * len(pop)
        return
    banned = set(zip(conflicts["uscc"], conflicts["inspector_id"], strict=True))
    load = Counter()
    unassigned = {row["uscc"]: row for row in record["results"]["unassigned"]}
    for row in record["results"]["drawn"]:
        subject, region = row["uscc"], row["region"]
        if subject in unassigned:
            assert row["team"] == {}
            why = unassigned[subject]
            assert why["reason"] in REASONS
            pool = candidates(why["department"], region)
            free = [i for i in pool if (subject, i) not in banned]
            if why["reason"] == "no_qualified_inspector":
                assert len(pool) < k
            elif why["reason"] == "all_conflicted":
                assert len(pool) >= k and len(free) < k
            else:
                assert len(free) >= k
            continue
        assert sorted(row["team"]) == list(spec.departments)
        for dept, team in row["team"].items():
            assert len(team) == len(set(team)) == k
            for inspector in team:
                assert (subject, inspector) not in banned
                assert inspector in candidates(dept, region)
                load[inspector] += 1
    for inspector, visits in load.items():
        assert info.at[inspector, "workload"] + visits <= cap
    assert len(record["results"]["drawn"]) == len(pop)


def test_cross_region_teams_never_come_from_the_subjects_region() -> None:
    pop = make_population(200)
    record = draw(
        make_spec(cross_region=True, class_ratios={"D": 0.4}), pop, make_inspectors(per_cell=6)
    )
    regions = dict(
        zip(
            make_inspectors(per_cell=6)["inspector_id"],
            make_inspectors(per_cell=6)["region"],
            strict=True,
        )
    )
    teams = [(row["region"], row["team"]["D1"]) for row in record["results"]["drawn"]]
    assert teams and not record["results"]["unassigned"]
    assert all(regions[i] != region for region, team in teams for i in team)


def test_local_teams_come_from_the_subjects_region() -> None:
    record = draw(make_spec(), make_population(200), make_inspectors())
    for row in record["results"]["drawn"]:
        assert all(i.split("-")[1] == row["region"] for i in row["team"]["D1"])


def test_joint_task_team_covers_each_department() -> None:
    record = draw(
        make_spec(departments=["D1", "D2"], items=["X1", "Y1"]),
        make_population(200),
        make_inspectors(),
    )
    for row in record["results"]["drawn"]:
        assert {d: len(t) for d, t in row["team"].items()} == {"D1": 2, "D2": 2}
        assert all(i.startswith("D2-") for i in row["team"]["D2"])


def test_unstaffable_subjects_are_reported_with_reasons() -> None:
    pop = make_population(3, risk_class="D", region=["R1", "R2", "R3"])
    ins = make_inspectors(per_cell=2, regions=("R1", "R2"))  # nobody in R3
    conflicts = pd.DataFrame({"uscc": [uscc(1)], "inspector_id": ["D1-R2-0"]})
    spec = make_spec(items=["X2"], class_ratios=ALL_IN)
    record = draw(spec, pop, ins, conflicts)
    reasons = {row["uscc"]: row["reason"] for row in record["results"]["unassigned"]}
    assert reasons == {uscc(1): "all_conflicted", uscc(2): "no_qualified_inspector"}
    row0 = record["results"]["drawn"][0]
    assert sorted(row0["team"]["D1"]) == ["D1-R1-0", "D1-R1-1"]
    # Two subjects in R1 and a cap of 1: the second finds both inspectors at their cap.
    pop = make_population(2, risk_class="D", region="R1")
    ins = make_inspectors(per_cell=2)
    record = draw(make_spec(items=["X2"], class_ratios=ALL_IN, workload_cap=1), pop, ins)
    assert [row["reason"] for row in record["results"]["unassigned"]] == ["workload_cap"]
    assert record["summary"]["assigned"] == 1


def test_workload_is_balanced_and_capped() -> None:
    pop = make_population(120, risk_class="D", region="R1")
    ins = make_inspectors(per_cell=10)
    ins["workload"] = [3 if i.endswith("-0") else 0 for i in ins["inspector_id"]]
    record = draw(make_spec(items=["X2"], class_ratios=ALL_IN, workload_cap=30), pop, ins)
    load = Counter(i for row in record["results"]["drawn"] for i in row["team"]["D1"])
    total = {
        i: load[i] + (3 if i.endswith("-0") else 0)
        for i in ins.loc[ins["department"].eq("D1") & ins["region"].eq("R1"), "inspector_id"]
    }
    assert max(total.values()) - min(total.values()) <= 1  # least loaded first
    assert max(total.values()) <= 30


def test_numeric_region_codes_read_from_a_csv_keep_the_region_rules() -> None:
    # Region codes as numbers: one empty cell (a city-level inspector) makes the column
    # float (370802.0), which must still be region 370802 of the population.
    import io

    codes = {"R1": 370802, "R2": 370811, "R3": 370812}
    pop = make_population(200)
    pop = pop.assign(region=pop["region"].map(codes))
    csv = "inspector_id,department,region,qualifications\n" + "".join(
        f"I{i},D1,{list(codes.values())[i % 3]},X1;X2\n" for i in range(12)) + "C1,D1,,X1;X2\n"
    inspectors = pd.read_csv(io.StringIO(csv))
    assert inspectors["region"].dtype == "float64"
    home = dict(zip(inspectors["inspector_id"], inspectors["region"], strict=True))
    local = draw(make_spec(), pop, inspectors)
    used = {i for row in local["results"]["drawn"] for i in row["team"]["D1"]}
    assert used - {"C1"}, "local inspectors must be used, not only the city-level one"
    assert all(int(home[i]) == int(row["region"])
               for row in local["results"]["drawn"] for i in row["team"]["D1"] if i != "C1")
    away = draw(make_spec(cross_region=True, id="T-x"), pop, inspectors)
    assert not [i for row in away["results"]["drawn"] for i in row["team"]["D1"]
                if i != "C1" and int(home[i]) == int(row["region"])]
