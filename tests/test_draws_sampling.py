"""The subject draw: eligibility, exact inclusion probabilities, reproducibility."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from riskgraph.models.draws import (
    DrawSpec,
    draw_subjects,
    eligible_population,
    resolve_task,
    run_draw,
)
from tests.draw_factories import (
    AS_OF,
    CREATED,
    make_catalogue,
    make_inspectors,
    make_population,
    make_spec,
    no_conflicts,
)


def draw(spec: DrawSpec, population: pd.DataFrame) -> dict:
    return run_draw(
        spec, population, make_inspectors(), no_conflicts(), make_catalogue(), created_at=CREATED
    )


def test_eligibility_applies_status_scope_industry_exclusions_and_intervals() -> None:
    pop = make_population(12)
    pop["region"] = ["R1"] * 10 + ["R2"] * 2
    pop["industry"] = "food"
    pop["risk_class"] = list("AAAABBBCCDDA")
    pop.loc[0, "status"] = "cancelled"
    pop.loc[1, "status"] = "revoked"
    pop.loc[2, "last_inspected_on"] = pd.Timestamp(AS_OF - dt.timedelta(days=364))  # A: 365
    pop.loc[3, "last_inspected_on"] = pd.Timestamp(AS_OF - dt.timedelta(days=365))
    pop.loc[4, "last_inspected_on"] = pd.Timestamp(AS_OF - dt.timedelta(days=10))  # B: 180
    pop.loc[9, "last_inspected_on"] = pd.Timestamp(AS_OF)  # D: no minimum interval
    pop.loc[8, "industry"] = "retail"
    spec = make_spec(regions=["R1"], industries=["food"], exclude_uscc=[pop.loc[5, "uscc"]])
    eligible = eligible_population(resolve_task(spec, make_catalogue()), pop)
    assert eligible["uscc"].tolist() == pop.loc[[3, 6, 7, 9], "uscc"].tolist()
    assert eligible["pi"].tolist() == [0.03, 0.05, 0.15, 0.40]


def test_unclassified_subjects_use_the_base_ratio() -> None:
    pop = make_population(30, risk_class=None)
    eligible = eligible_population(resolve_task(make_spec(base_ratio=0.08), make_catalogue()), pop)
    assert set(eligible["risk_class"]) == {"U"} and set(eligible["pi"]) == {0.08}


def test_every_eligible_subject_has_a_positive_pi_recorded() -> None:
    spec = make_spec(class_ratios={"A": 0.0, "B": 0.0})
    plan = resolve_task(spec, make_catalogue())
    drawn = draw_subjects(plan, make_population(500))
    assert (drawn.eligible["pi"] > 0).all()
    record = draw(spec, make_population(500))
    assert all(row["pi"] > 0 for row in record["results"]["drawn"])


def test_stratum_counts_are_floor_or_ceil_of_the_expected_count() -> None:
    plan = resolve_task(make_spec(), make_catalogue())
    strata = draw_subjects(plan, make_population(400)).strata
    assert (strata["n"] >= np.floor(strata["expected"])).all()
    assert (strata["n"] <= np.ceil(strata["expected"])).all()
    exact = resolve_task(make_spec(class_ratios={"A": 0.07}), make_catalogue())
    pop = make_population(100, risk_class="A", region="R1")
    assert draw_subjects(exact, pop).strata["n"].tolist() == [7]  # 100 x 0.07 is exactly 7


def test_inclusion_frequencies_match_pi_over_many_seeds() -> None:
    """Monte Carlo: each subject's inclusion frequency over R draws is its recorded pi."""
    pop = make_population(40, seed=3)
    pop["region"] = ["R1"] * 25 + ["R2"] * 15
    pop["risk_class"] = ["A"] * 7 + ["D"] * 18 + ["C"] * 10 + ["B"] * 5
    ratios = {"A": 0.2, "B": 0.35, "C": 0.15, "D": 0.3}
    reps = 800
    hits = np.zeros(len(pop))
    for seed in range(reps):
        plan = resolve_task(make_spec(seed=seed, class_ratios=ratios), make_catalogue())
        result = draw_subjects(plan, pop)
        hits[np.isin(result.eligible["uscc"], result.drawn["uscc"])] += 1
    pi = result.eligible["pi"].to_numpy()
    freq = hits / reps
    # Pooled per stratum (tight), and per subject within 5 sigma (Bonferroni over 40).
    sigma = np.sqrt(pi * (1 - pi) / reps)
    assert np.all(np.abs(freq - pi) < 5 * sigma)
    for cls_, ratio in ratios.items():
        mask = result.eligible["risk_class"].to_numpy() == cls_
        pooled_sigma = np.sqrt(ratio * (1 - ratio) / (reps * mask.sum()))
        assert abs(freq[mask].mean() - ratio) < 4 * pooled_sigma, cls_


def test_same_seed_gives_the_same_record_whatever_the_row_order() -> None:
    pop = make_population(300)
    a = draw(make_spec(seed="2025-03-01 lottery 7 14 21"), pop)
    b = draw(make_spec(seed="2025-03-01 lottery 7 14 21"), pop.iloc[::-1].reset_index(drop=True))
    assert a == b and a["hash"] == b["hash"]


def test_different_seeds_give_different_draws() -> None:
    pop = make_population(300)
    drawn = {
        tuple(row["uscc"] for row in draw(make_spec(seed=s), pop)["results"]["drawn"])
        for s in range(5)
    }
    assert len(drawn) == 5


def test_record_shows_strata_and_pi_of_each_drawn_subject() -> None:
    record = draw(make_spec(), make_population(300))
    strata = {(s["risk_class"], s["region"]): s for s in record["strata"]}
    for row in record["results"]["drawn"]:
        assert row["pi"] == strata[(row["risk_class"], row["region"])]["ratio"]
    assert record["summary"]["drawn"] == sum(s["n"] for s in record["strata"])
    assert record["summary"]["eligible"] == sum(s["N"] for s in record["strata"])
