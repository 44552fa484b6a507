"""Estimates of violation prevalence: unbiased HT, exact stratified variance, errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from riskgraph.models.draws import (
    InputError,
    draw_subjects,
    estimate_prevalence,
    resolve_task,
    run_draw,
)
from tests.draw_factories import (
    CREATED,
    make_catalogue,
    make_inspectors,
    make_population,
    make_spec,
    no_conflicts,
)

RATIOS = {"A": 0.1, "B": 0.15, "C": 0.3, "D": 0.45}


def known_population() -> tuple[pd.DataFrame, pd.Series]:
    """Return 400 subjects and their fixed violation status (riskier classes violate more)."""
    pop = make_population(400, seed=11)
    pop.loc[:5, ["risk_class", "region"]] = ["D", "R9"]  # a tiny stratum, often n_h = 0
    rate = pop["risk_class"].map({"A": 0.05, "B": 0.1, "C": 0.25, "D": 0.5})
    draws = np.random.default_rng(5).random(len(pop))
    violates = pd.Series(draws < rate.to_numpy(), index=pop["uscc"].to_numpy())
    return pop, violates


def sample_record(subjects) -> dict:  # noqa: ANN001 - a SubjectDraw
    """Return the parts of a draw record the estimator reads."""
    return {
        "strata": subjects.strata.to_dict("records"),
        "results": {"drawn": subjects.drawn[["uscc", "region", "risk_class"]].to_dict("records")},
    }


def outcomes_for(record: dict, violates: pd.Series) -> pd.DataFrame:
    drawn = [row["uscc"] for row in record["results"]["drawn"]]
    return pd.DataFrame({"uscc": drawn, "outcome": np.where(violates.loc[drawn], "fail", "pass")})


def pick(table: pd.DataFrame, method: str, domain: str = "overall", group: str = "all"):
    return table.set_index(["domain", "group", "method"]).loc[(domain, group, method)]


def test_ht_is_unbiased_and_intervals_cover_in_monte_carlo() -> None:
    pop, violates = known_population()
    truth = violates.mean()
    truth_d = violates[pop.set_index("uscc")["risk_class"].eq("D")].mean()
    estimates: dict[str, list[float]] = {"ht": [], "hajek": [], "naive": [], "ht_d": []}
    covered = 0
    reps = 250
    for seed in range(reps):
        plan = resolve_task(make_spec(seed=seed, class_ratios=RATIOS), make_catalogue())
        record = sample_record(draw_subjects(plan, pop))
        table = estimate_prevalence(record, outcomes_for(record, violates))
        ht = pick(table, "ht")
        for method in ("ht", "hajek", "naive"):
            estimates[method].append(pick(table, method)["estimate"])
        estimates["ht_d"].append(pick(table, "ht", "risk_class", "D")["estimate"])
        covered += ht["ci_low"] <= truth <= ht["ci_high"]
    ht = np.array(estimates["ht"])
    assert abs(ht.mean() - truth) < 4 * ht.std() / math.sqrt(reps)
    ht_d = np.array(estimates["ht_d"])
    assert abs(ht_d.mean() - truth_d) < 4 * ht_d.std() / math.sqrt(reps)
    assert abs(np.mean(estimates["hajek"]) - truth) < 0.01
    assert np.mean(estimates["naive"]) > truth + 0.05  # riskier classes are oversampled
    assert covered / reps > 0.88


def test_a_census_is_estimated_exactly_with_zero_variance() -> None:
    pop, violates = known_population()
    ratios = {c: 1.0 for c in "ABCD"}
    record = run_draw(
        make_spec(items=["X2"], class_ratios=ratios, workload_cap=400),
        pop,
        make_inspectors(),
        no_conflicts(),
        make_catalogue(),
        created_at=CREATED,
    )
    table = estimate_prevalence(record, outcomes_for(record, violates))
    for method in ("naive", "ht", "hajek", "stratified"):
        assert pick(table, method)["estimate"] == pytest.approx(violates.mean())
    for method in ("ht", "hajek", "stratified"):
        assert pick(table, method)["se"] == pytest.approx(0.0, abs=1e-12)


def test_stratified_variance_is_the_textbook_formula() -> None:
    record = {
        "strata": [
            {"risk_class": "A", "region": "R1", "N": 100, "ratio": 0.1, "expected": 10.0, "n": 10},
            {"risk_class": "D", "region": "R1", "N": 20, "ratio": 0.5, "expected": 10.0, "n": 10},
        ],
        "results": {
            "drawn": [{"uscc": f"a{i}", "region": "R1", "risk_class": "A"} for i in range(10)]
            + [{"uscc": f"d{i}", "region": "R1", "risk_class": "D"} for i in range(10)]
        },
    }
    fails = {"a0", "d0", "d1", "d2", "d3", "d4", "d5"}
    outcomes = pd.DataFrame({"uscc": [r["uscc"] for r in record["results"]["drawn"]]})
    outcomes["outcome"] = np.where(outcomes["uscc"].isin(fails), "fail", "pass")
    table = estimate_prevalence(record, outcomes)
    w = np.array([100, 20]) / 120
    ybar = np.array([0.1, 0.6])
    s2 = 10 / 9 * ybar * (1 - ybar)
    var = (w**2 * (1 - np.array([10 / 100, 10 / 20])) * s2 / 10).sum()
    row = pick(table, "stratified")
    assert row["estimate"] == pytest.approx((w * ybar).sum())
    assert row["se"] == pytest.approx(math.sqrt(var))
    ht = pick(table, "ht")  # n_h = N_h r_h: HT equals the stratified estimate
    assert ht["estimate"] == pytest.approx(row["estimate"]) and ht["se"] == pytest.approx(row["se"])
    assert pick(table, "naive")["estimate"] == pytest.approx(7 / 20)
    assert pick(table, "naive", "risk_class", "D")["N"] == 20


def test_a_stratum_with_drawn_subjects_and_no_answer_is_filled_from_its_class() -> None:
    # Class A passes everywhere and class D fails everywhere; region R2's A subjects were
    # drawn but none was inspected. Missing at random within class A, R2 counts as A's rate:
    # dropping it would lower HT by its share and raise Hajek towards D.
    strata = [
        {"risk_class": "A", "region": "R1", "N": 100, "ratio": 0.1, "expected": 10.0, "n": 10},
        {"risk_class": "A", "region": "R2", "N": 50, "ratio": 0.1, "expected": 5.0, "n": 5},
        {"risk_class": "D", "region": "R1", "N": 20, "ratio": 0.5, "expected": 10.0, "n": 10},
    ]
    drawn = ([{"uscc": f"a{i}", "region": "R1", "risk_class": "A"} for i in range(10)]
             + [{"uscc": f"b{i}", "region": "R2", "risk_class": "A"} for i in range(5)]
             + [{"uscc": f"d{i}", "region": "R1", "risk_class": "D"} for i in range(10)])
    record = {"strata": strata, "results": {"drawn": drawn}}
    everyone = pd.DataFrame({"uscc": [r["uscc"] for r in drawn]})
    everyone["outcome"] = np.where(everyone["uscc"].str.startswith("d"), "fail", "pass")
    full = estimate_prevalence(record, everyone)
    answered = estimate_prevalence(record, everyone[~everyone["uscc"].str.startswith("b")],
                                   allow_missing=True)
    assert pick(full, "ht")["estimate"] == pytest.approx(20 / 170)
    for method in ("ht", "hajek"):
        assert pick(answered, method)["estimate"] == pytest.approx(
            pick(full, method)["estimate"]), method
        assert pick(answered, method, "region", "R2")["estimate"] == pytest.approx(0.0), method
    assert pick(answered, "ht")["coverage"] == pytest.approx(120 / 170)  # honest about it


def test_any_failed_item_makes_a_violation_and_outcomes_are_checked() -> None:
    pop, _ = known_population()
    plan = resolve_task(make_spec(class_ratios=RATIOS), make_catalogue())
    record = sample_record(draw_subjects(plan, pop))
    drawn = [row["uscc"] for row in record["results"]["drawn"]]
    two_items = pd.DataFrame(
        {"uscc": drawn * 2, "outcome": ["pass"] * len(drawn) + ["fail"] * len(drawn)}
    )
    assert pick(estimate_prevalence(record, two_items), "naive")["estimate"] == 1.0
    with pytest.raises(InputError) as err:
        estimate_prevalence(record, two_items.iloc[1 : len(drawn)])
    assert err.value.code == "missing_outcome"
    partial = estimate_prevalence(record, two_items.iloc[1 : len(drawn)], allow_missing=True)
    assert pick(partial, "naive")["n"] == len(drawn) - 1
    stray = pd.DataFrame({"uscc": ["91370800NOTDRAWN0"], "outcome": ["fail"]})
    with pytest.raises(InputError) as err:
        estimate_prevalence(record, pd.concat([two_items, stray]))
    assert err.value.code == "unknown_subject"


def test_screen_outcomes_keeps_only_answers_to_the_task() -> None:
    from riskgraph.models.draws.estimate import screen_outcomes

    spec = make_spec(id="J1", departments=["D1", "D2"], items=["X1", "Y1"],
                     class_ratios={c: 0.5 for c in "ABCD"}, workload_cap=500)
    record = run_draw(spec, make_population(60), make_inspectors(per_cell=8), no_conflicts(),
                      make_catalogue(), created_at=CREATED)
    a, b, c, d = (r["uscc"] for r in record["results"]["drawn"][:4])
    rows = pd.DataFrame(
        [("i1", a, "X1", "pass"), ("i2", a, "Y1", "pass"),  # both departments: answered
         ("i3", b, "X1", "pass"),  # one department, no finding yet: not known
         ("i4", c, "Y1", "fail"),  # one department's finding alone: still not known (what
         #                            is kept must not depend on what was found)
         ("i5", d, None, "pass"),  # no item code: a result of the whole visit
         ("i6", d, "Z1", "fail"),  # an item of no department of this task
         ("i7", "NOT-DRAWN", "X1", "fail"),
         ("i8", record["results"]["drawn"][4]["uscc"], "X1", "not_found")],
        columns=["inspection_id", "uscc", "item_code", "outcome"])
    rows["inspected_on"] = str(spec.as_of)
    rows.loc[rows["inspection_id"] == "i2", "inspected_on"] = "2000-01-01"  # before the draw
    kept, aside = screen_outcomes(record, rows)
    assert sorted(kept["inspection_id"]) == ["i5"]
    assert dict(zip(aside["inspection_id"], aside["reason"], strict=True)) == {
        "i1": "incomplete_joint_visit", "i2": "before_the_draw",
        "i3": "incomplete_joint_visit", "i4": "incomplete_joint_visit",
        "i6": "item_not_in_task", "i7": "not_drawn", "i8": "not_found"}


def test_screen_outcomes_when_nothing_answers_a_joint_task() -> None:
    from riskgraph.models.draws.estimate import screen_outcomes

    spec = make_spec(id="J2", departments=["D1", "D2"], items=["X1", "Y1"],
                     class_ratios={c: 0.5 for c in "ABCD"}, workload_cap=500)
    record = run_draw(spec, make_population(60), make_inspectors(per_cell=8), no_conflicts(),
                      make_catalogue(), created_at=CREATED)
    u = record["results"]["drawn"][0]["uscc"]
    absent = pd.DataFrame({"uscc": [u, u], "outcome": ["not_found"] * 2})
    kept, aside = screen_outcomes(record, absent)  # only the two required columns
    assert kept.empty and list(aside["reason"]) == ["not_found"] * 2
    kept, aside = screen_outcomes(record, absent.iloc[:0])
    assert kept.empty and aside.empty
    mixed = pd.DataFrame({"uscc": [u, u], "outcome": ["pass", "pass"], "item_code": ["X1", "Y1"],
                          "inspected_on": [pd.Timestamp(spec.as_of), pd.NaT]})
    kept, aside = screen_outcomes(record, mixed)  # dates as timestamps, one missing: kept
    assert len(kept) == 2 and aside.empty


def test_intervals_cover_a_rare_violation_where_few_or_none_are_found() -> None:
    # Class B violates at about 1 %: a draw's few dozen B respondents often show none.
    # A normal interval around a stratum variance of 0 is [0, 0] then, and covered the
    # truth in under a third of the draws; the Korn-Graubard interval covers as it says.
    pop = make_population(2000, seed=11)
    rates = pop["risk_class"].map({"A": 0.005, "B": 0.01, "C": 0.02, "D": 0.04}).to_numpy()
    violates = pd.Series(np.random.default_rng(12).random(len(pop)) < rates,
                         index=pop["uscc"].to_numpy())
    truth = violates[pop.set_index("uscc")["risk_class"].eq("B")].mean()
    assert truth > 0
    covered = none_found = 0
    reps = 120
    for seed in range(reps):
        plan = resolve_task(make_spec(seed=1000 + seed, class_ratios=RATIOS), make_catalogue())
        record = sample_record(draw_subjects(plan, pop))
        row = pick(estimate_prevalence(record, outcomes_for(record, violates)), "ht",
                   "risk_class", "B")
        covered += row["ci_low"] <= truth <= row["ci_high"]
        if row["violations"] == 0:
            none_found += 1
            assert row["ci_low"] == 0.0 and row["ci_high"] > 0.02  # not [0, 0]
    assert none_found > reps // 3  # the case the test is about does occur
    assert covered / reps >= 0.95


def test_a_census_is_exact_only_for_the_stratified_estimate_and_intervals_do_not_jump() -> None:
    from riskgraph.models.draws.estimate import _domain, _interval

    # 3 of 3 drawn at a ratio of 0.9 (the rounding drew all), 2 violated: HT weighs by
    # n/r = 3.33, not N = 3, so only the stratified estimate is the domain's rate
    st = {k: np.array(v, dtype=float) for k, v in dict(
        N=[3], ratio=[0.9], n=[3], m=[3], t=[2], phi=[0.7], q=[2 / 3]).items()}
    rows = {name: (est, se, low, high) for name, est, se, low, high in _domain(st, 0.95)}
    assert rows["stratified"][2:] == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    est, se, low, high = rows["ht"]
    assert est == pytest.approx(0.741, abs=1e-3) and se > 0 and low < 2 / 3 < high
    # an HT estimate at 1 with a large se is as uncertain as one at 0.99
    assert _interval(0.99, 0.3, 36, False, 0.95)[0] < 0.05
    assert _interval(1.0, 0.3, 36, False, 0.95)[0] < 0.05
    assert _interval(1.0, 0.0, 36, False, 0.95)[0] > 0.9  # no violation missed in 36
    # inside (0, 1) the effective size is the textbook p(1-p)/se^2, however near the edge
    from scipy.stats import beta
    n_eff = 0.002 * 0.998 / 0.004**2
    want = beta.ppf(0.975, 0.002 * n_eff + 1, n_eff - 0.002 * n_eff)
    assert _interval(0.002, 0.004, 200, False, 0.95) == (pytest.approx(0, abs=1e-6),
                                                         pytest.approx(want))
