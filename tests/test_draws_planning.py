"""Planning aid (expected yield) and joint visits merged across tasks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from riskgraph.models.draws import (
    InputError,
    RecordError,
    SpecError,
    expected_yield,
    merge_visits,
    run_draw,
)
from riskgraph.models.draws.planning import class_plan, ratios_for_lift
from tests.draw_factories import (
    CREATED,
    make_catalogue,
    make_inspectors,
    make_population,
    make_spec,
    uscc,
)

POP = make_population(300)
INS = make_inspectors()
CONFLICTS = pd.DataFrame(
    {"uscc": [uscc(i) for i in range(0, 300, 3)], "inspector_id": ["D1-R1-0"] * 100}
)


def draw(**spec: object) -> dict:
    return run_draw(make_spec(**spec), POP, INS, CONFLICTS, make_catalogue(), created_at=CREATED)


def test_expected_yield_compares_uniform_differentiated_and_top_k() -> None:
    pop = make_population(8, region="R1")
    pop["risk_class"] = list("AABBCCDD")
    pop["prob"] = [0.0, 0.1, 0.1, 0.2, 0.3, 0.3, 0.6, 0.9]
    spec = make_spec(class_ratios={"A": 0.1, "B": 0.2, "C": 0.3, "D": 0.4})
    table = expected_yield(spec, pop, make_catalogue()).set_index("strategy")
    pi = np.array([0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.4, 0.4])
    p = pop["prob"].to_numpy()
    assert table.loc["uniform", "inspections"] == pytest.approx(pi.sum())
    assert table.loc["uniform", "per_1000"] == pytest.approx(1000 * p.mean())
    assert table.loc["differentiated", "per_1000"] == pytest.approx(
        1000 * (pi * p).sum() / pi.sum()
    )
    assert table.loc["top_k", "inspections"] == 2  # round(2.0)
    assert table.loc["top_k", "per_1000"] == pytest.approx(1000 * (0.9 + 0.6) / 2)
    assert table.loc["differentiated", "lift"] > 1


def test_expected_yield_judges_the_score_against_a_hidden_truth() -> None:
    pop = make_population(8, region="R1")
    pop["prob"] = [0.9, 0.8, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]  # the model's view
    pop["hidden_risk"] = [0.0, 0.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]  # the truth
    spec = make_spec(class_ratios={c: 0.25 for c in "ABCD"})
    table = expected_yield(spec, pop, make_catalogue(), truth="hidden_risk").set_index("strategy")
    assert table.loc["top_k", "per_1000"] == 0.0  # a confident, wrong model finds nothing
    assert table.loc["uniform", "per_1000"] == pytest.approx(375.0)
    pop.loc[0, "prob"] = 1.5
    with pytest.raises(InputError) as err:
        expected_yield(spec, pop, make_catalogue())
    assert err.value.code == "invalid_value"
    pop.loc[0, "prob"] = np.nan  # a subject registered since the last scoring
    with pytest.raises(InputError) as unscored:
        expected_yield(spec, pop, make_catalogue())
    assert unscored.value.code == "invalid_value" and "riskgraph score" in str(unscored.value)


def _classed(n: int = 400, seed: int = 1) -> pd.DataFrame:
    """Subjects whose class follows their probability, as scoring makes them."""
    pop = make_population(n, seed=seed)
    pop["prob"] = np.random.default_rng(seed).beta(1.2, 8.0, n)
    pop["risk_class"] = pd.cut(pop["prob"], [0, 0.06, 0.15, 0.3, 1],
                               labels=list("ABCD")).astype(str)
    pop.loc[:9, "risk_class"] = ""  # a few not yet classified: they keep the base ratio
    return pop


@pytest.mark.parametrize("target", [1.2, 1.5, 1.8])
def test_ratios_for_lift_reach_the_target_at_the_same_size(target: float) -> None:
    pop, cat = _classed(), make_catalogue()
    spec = make_spec(items=["X2"])  # a key item: ratios may reach 100 %
    solved = ratios_for_lift(spec, pop, cat, target)
    before = expected_yield(spec, pop, cat).set_index("strategy")
    after = expected_yield(make_spec(items=["X2"], class_ratios=solved.ratios), pop,
                           cat).set_index("strategy")
    # the planning aid, fed the solved ratios, confirms the lift the solver promised
    assert after.loc["differentiated", "lift"] == pytest.approx(solved.lift)
    assert target <= solved.lift < target + 0.02  # the least steep: just enough
    # the same expected number of inspections, up to rounding the ratios to 0.01 %
    assert solved.size == pytest.approx(before.loc["uniform", "inspections"], abs=0.05)
    assert solved.size == pytest.approx(after.loc["uniform", "inspections"])
    r = [solved.ratios[c] for c in "ABCD"]
    assert r == sorted(r) and r[0] >= spec.min_ratio and r[-1] <= 1.0
    steeper = ratios_for_lift(spec, pop, cat, target + 0.1)
    assert steeper.steepness > solved.steepness
    assert steeper.ratios["A"] <= solved.ratios["A"] and steeper.ratios["D"] >= solved.ratios["D"]


def test_class_plan_shows_where_the_visits_go() -> None:
    pop, cat = _classed(), make_catalogue()
    spec = make_spec(items=["X2"])
    table = class_plan(spec, pop, cat).set_index("risk_class")
    assert list(table.index) == ["A", "B", "C", "D", "U"]
    assert table["eligible"].sum() == len(pop)
    assert table.loc["U", "ratio"] == spec.base_ratio
    assert table.loc["D", "ratio"] == spec.class_ratios["D"]
    assert table["inspections"].sum() == pytest.approx(
        expected_yield(spec, pop, cat).set_index("strategy").loc["uniform", "inspections"])
    means = table.loc[list("ABCD"), "mean_prob"].to_numpy()
    assert (np.diff(means) > 0).all() and table["share"].sum() == pytest.approx(1.0)


def test_ratios_for_lift_respect_cap_floor_and_say_when_out_of_reach() -> None:
    pop, cat = _classed(), make_catalogue()
    with pytest.raises(SpecError) as far:
        ratios_for_lift(make_spec(items=["X2"]), pop, cat, 50.0)
    assert far.value.code == "target_unreachable" and far.value.details["max_lift"] > 1
    # without a key item no ratio may pass the 50 % cap: less is reachable
    capped = far.value.details["max_lift"]
    with pytest.raises(SpecError) as low:
        ratios_for_lift(make_spec(items=["X1"]), pop, cat, 50.0)
    assert low.value.details["max_lift"] < capped
    solved = ratios_for_lift(make_spec(items=["X1"]), pop, cat, 1.3)
    assert max(solved.ratios.values()) <= 0.5
    floored = ratios_for_lift(make_spec(items=["X2"], min_ratio=0.02), pop, cat, 1.5)
    assert min(floored.ratios.values()) >= 0.02  # a higher floor keeps class A drawable
    for bad in (0.5, float("nan")):
        with pytest.raises(SpecError) as err:
            ratios_for_lift(make_spec(items=["X2"]), pop, cat, bad)
        assert err.value.code == "invalid_spec"


def test_ratios_for_lift_at_the_edges() -> None:
    cat, spec = make_catalogue(), make_spec(items=["X2"], min_ratio=0.02)
    pop = _classed()
    with pytest.raises(SpecError) as far:
        ratios_for_lift(spec, pop, cat, 50.0)
    most = far.value.details["max_lift"]
    for target in (most, most - 1e-3, 1 + 0.99 * (most - 1)):  # at and near the most
        solved = ratios_for_lift(spec, pop, cat, target)
        r = np.array([solved.ratios[c] for c in "ABCD"])
        assert np.isfinite(r).all() and np.isfinite([solved.lift, solved.size]).all()
        assert solved.lift >= target - 1e-9 and (np.diff(r) >= 0).all()
        assert r.min() == 0.02  # the floor binds: class A stays drawable at 2 %
        after = expected_yield(make_spec(items=["X2"], min_ratio=0.02,
                                         class_ratios=solved.ratios), pop, cat)
        assert after.set_index("strategy").loc["uniform", "inspections"] == pytest.approx(
            solved.size)
    # 1x is a uniform draw: every class at the same ratio (up to rounding)
    flat = ratios_for_lift(spec, pop[pop["risk_class"] != ""], cat, 1.0)
    assert max(flat.ratios.values()) - min(flat.ratios.values()) <= 2e-4
    assert flat.steepness == pytest.approx(0.0, abs=1e-6)
    # absent classes take a neighbour's ratio, so the ratios still rise from A to D
    for gone in ("D", "A", "BC"):
        part = pop[~pop["risk_class"].isin(list(gone))].reset_index(drop=True)
        solved = ratios_for_lift(spec, part, cat, 1.2)
        r = [solved.ratios[c] for c in "ABCD"]
        assert r == sorted(r) and solved.lift >= 1.2
    # a class without risk goes to the floor when the target asks for it
    zero = pop.copy()
    zero.loc[zero["risk_class"] == "A", "prob"] = 0.0
    assert ratios_for_lift(spec, zero, cat, 1.5).ratios["A"] == 0.02
    # nothing classified, or everyone in one class: nothing to tilt
    for cls_ in ("", "B"):
        with pytest.raises(SpecError) as none:
            ratios_for_lift(spec, pop.assign(risk_class=cls_), cat, 1.1)
        assert none.value.code == "target_unreachable"


def test_ratios_for_lift_replace_class_multipliers() -> None:
    pop, cat = _classed(), make_catalogue()
    spec = make_spec(items=["X2"], base_ratio=0.05,
                     class_multipliers={"A": 0.5, "B": 1, "C": 2, "D": 4})
    solved = ratios_for_lift(spec, pop, cat, 1.5)
    size = expected_yield(spec, pop, cat).set_index("strategy").loc["uniform", "inspections"]
    assert solved.size == pytest.approx(size, abs=0.05)  # the multipliers' size is kept
    planned = expected_yield(make_spec(items=["X2"], base_ratio=0.05,
                                       class_ratios=solved.ratios), pop, cat)
    assert planned.set_index("strategy").loc["differentiated", "lift"] == pytest.approx(
        solved.lift)


def test_merged_visits_visit_each_subject_once_with_every_department() -> None:
    full = {"A": 0.5, "B": 0.5, "C": 0.5, "D": 0.5}
    d1 = draw(id="T-D1", departments=["D1"], items=["X1"], class_ratios=full, workload_cap=80)
    d2 = draw(id="T-D2", departments=["D2"], items=["Y1"], class_ratios=full, workload_cap=80)
    visits = merge_visits([d2, d1])
    both = {r["uscc"] for r in d1["results"]["drawn"]} & {r["uscc"] for r in d2["results"]["drawn"]}
    assert visits["uscc"].is_unique and both
    assert len(visits) == len(d1["results"]["drawn"]) + len(d2["results"]["drawn"]) - len(both)
    row = visits.set_index("uscc").loc[sorted(both)[0]]
    assert row["departments"] == ["D1", "D2"] and row["items"] == ["X1", "Y1"]
    assert row["draw_ids"] == ["T-D1", "T-D2"] and set(row["team"]) == {"D1", "D2"}
    assert row["staffed"]


def test_same_department_teams_merge_so_every_item_stays_covered() -> None:
    full = {"A": 0.5, "B": 0.5, "C": 0.5, "D": 0.5}
    d1 = draw(id="T-D1", departments=["D1"], items=["X1"], class_ratios=full, workload_cap=80)
    d1b = draw(id="T-D1b", departments=["D1"], items=["X2"], class_ratios=full, workload_cap=80)
    d1ab = draw(
        id="T-D1ab", departments=["D1"], items=["X1", "X2"], class_ratios=full, workload_cap=80
    )
    visits = merge_visits([d1, d1b]).set_index("uscc")
    twice = sorted(
        {r["uscc"] for r in d1["results"]["drawn"]} & {r["uscc"] for r in d1b["results"]["drawn"]}
    )[0]
    # Neither team is known to hold both X1 and X2: both teams attend the one visit.
    teams = [
        r["team"]["D1"] for d in (d1, d1b) for r in d["results"]["drawn"] if r["uscc"] == twice
    ]
    assert visits.loc[twice, "team"]["D1"] == sorted(set(teams[0]) | set(teams[1]))
    assert visits.loc[twice, "items"] == ["X1", "X2"]
    visits = merge_visits([d1, d1ab]).set_index("uscc")
    twice = sorted(
        {r["uscc"] for r in d1["results"]["drawn"]} & {r["uscc"] for r in d1ab["results"]["drawn"]}
    )[0]
    team_ab = next(r["team"]["D1"] for r in d1ab["results"]["drawn"] if r["uscc"] == twice)
    assert visits.loc[twice, "team"]["D1"] == team_ab  # the X1+X2 team covers both


def test_only_draws_of_one_window_merge() -> None:
    with pytest.raises(RecordError) as err:
        merge_visits([draw(id="T1"), draw(id="T2", as_of="2025-06-01")])
    assert err.value.code == "window_mismatch"
    with pytest.raises(RecordError) as err:
        merge_visits([draw(id="T1"), draw(id="T1")])
    assert err.value.code == "duplicate_draw"


def test_staffing_plan_shows_regions_no_candidate_can_cover() -> None:
    from riskgraph.models.draws.planning import staffing_plan

    pop, cat = make_population(300), make_catalogue()
    spec = make_spec(class_ratios={c: 0.5 for c in "ABCD"}, workload_cap=100)
    ins = make_inspectors(per_cell=4)
    table = staffing_plan(spec, pop, ins, cat).set_index(["department", "region"])
    visits = expected_yield(spec, pop, cat).set_index("strategy").loc["uniform", "inspections"]
    assert table["visits"].sum() == pytest.approx(visits)
    assert (table["slots"] == 2 * table["visits"]).all()
    assert (table["inspectors"] == 4).all() and (table["free_slots"] == 400).all()
    # the local inspectors of R1 are busy: R1 is short, the other regions are not
    busy = ins.assign(workload=np.where(ins["region"] == "R1", 100, 0))
    local = staffing_plan(spec, pop, busy, cat).set_index("region")
    assert local.loc["R1", "short"] and not local.drop(index="R1")["short"].any()
    # cross-region: R1's subjects are served from elsewhere, so R1 is covered
    cross = staffing_plan(make_spec(class_ratios={c: 0.5 for c in "ABCD"}, workload_cap=100,
                                    cross_region=True), pop, busy, cat).set_index("region")
    assert not cross.loc["R1", "short"] and cross.loc["R1", "inspectors"] == 4 * 2


def test_a_merged_visit_takes_the_largest_covering_team() -> None:
    full = {"A": 0.5, "B": 0.5, "C": 0.5, "D": 0.5}
    one = draw(id="T-A", departments=["D1"], items=["X1"], class_ratios=full, workload_cap=200,
               inspectors_per_subject=1)
    two = draw(id="T-B", departments=["D1"], items=["X1"], class_ratios=full, workload_cap=200,
               inspectors_per_subject=2)
    visits = merge_visits([one, two]).set_index("uscc")
    both = ({r["uscc"] for r in one["results"]["drawn"]}
            & {r["uscc"] for r in two["results"]["drawn"]})
    teams = {r["uscc"]: r["team"]["D1"] for r in two["results"]["drawn"]}
    assert both
    for subject in both:  # T-A comes first by id, but T-B asked for two inspectors
        assert visits.loc[subject, "team"]["D1"] == sorted(teams[subject])
