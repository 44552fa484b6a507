"""What a differentiated draw finds, by the hidden truth of a synthetic city, for several
sets of class ratios — with the model's classes, and with classes cut on the true
probability (what perfect knowledge would give the same design).

Whole-city task (every active subject eligible, no minimum intervals) through the
product's own code: ``train`` → ``score_subjects`` (default relative class cuts) →
``expected_yield`` of the draw engine. The baseline is a uniform random draw of the same
expected size, in the same run; top-k by score is the other bound.

    .venv/bin/python benchmarks/draw_yield.py --subjects 880000
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from benchmarks.scoring import AS_OF, city_arguments, generated_city, publish
from riskgraph.models import training
from riskgraph.models.draws import DrawSpec, load_spec
from riskgraph.models.draws.planning import expected_yield, ratios_for_lift
from riskgraph.models.linkage import build_links
from riskgraph.models.scores import score_subjects
from riskgraph.models.scoring import ClassCuts, risk_class

RATIO_SETS = {
    "national practice (default)": {"A": 0.03, "B": 0.05, "C": 0.15, "D": 0.40},
    "steeper": {"A": 0.02, "B": 0.05, "C": 0.15, "D": 0.50},
    "A 1 %, D 50 %": {"A": 0.01, "B": 0.03, "C": 0.15, "D": 0.50},
    "A 1 %, B 2 %, C 10 %, D 50 %": {"A": 0.01, "B": 0.02, "C": 0.10, "D": 0.50},
    "key item, base 3 %: D 80 %": {"A": 0.01, "B": 0.03, "C": 0.10, "D": 0.80},
    "key item: B 2 %, D 80 %": {"A": 0.01, "B": 0.02, "C": 0.10, "D": 0.80},
}
TARGETS = (1.6, 2.0)  # lifts by the model to solve class ratios for (same task size)


def main() -> None:
    args = city_arguments(__doc__, "draw_yield.txt")
    frames, truth, items = generated_city(args.subjects, args.seed)
    links = build_links(frames)
    model, _ = training.train(frames, trained_at=dt.datetime(2026, 10, 1), links=links)
    scores = score_subjects(frames, model, AS_OF, links=links)

    subjects = frames.subjects.set_index("uscc")
    pop = scores.merge(truth[["uscc", "p_violation"]], on="uscc")
    pop["true_prob"] = pop.pop("p_violation")
    pop["region"] = pop["uscc"].map(subjects["region"])
    pop["status"] = "active"
    pop["last_inspected_on"] = pd.NaT
    perfect = pop.assign(risk_class=risk_class(pop["true_prob"],
                                               ClassCuts().points(pop["true_prob"])))
    catalogue = pd.DataFrame({"item_code": items["item_code"], "department": items["department"],
                              "key_item": items["key_item"] == "true", "name": items["name"]})
    key = catalogue[catalogue["key_item"]].iloc[0]

    lines = [f"draw yield — synthetic city of {args.subjects:,} subjects (seed {args.seed}), "
             f"{len(pop):,} active, as of {AS_OF}; run {dt.date.today()}",
             f"classes: {ClassCuts().describe()} (multiples of the mean probability); "
             "shares by the model: " + ", ".join(
                 f"{c} {s:.1%}" for c, s in
                 pop["risk_class"].value_counts(normalize=True).sort_index().items()),
             "", "violations found per 1,000 inspections, by the hidden truth; uniform = a "
             "random draw of the same expected size (baseline)", "",
             f"{'class ratios':<36} {'drawn':>6} {'uniform':>8} {'model classes':>14} "
             f"{'x uniform':>9} {'true classes':>13} {'x uniform':>9} {'top-k':>7} "
             f"{'x uniform':>9}"]
    def task(ratios: dict[str, float]) -> DrawSpec:
        return load_spec({"id": "YIELD", "departments": [key["department"]],
                          "items": [key["item_code"]], "as_of": AS_OF.isoformat(),
                          "seed": 1, "class_ratios": ratios,
                          "min_interval_days": {c: 0 for c in "ABCD"}})

    sets = dict(RATIO_SETS)
    for target in TARGETS:  # solved by the model, at the default task's size
        solved = ratios_for_lift(task(RATIO_SETS["national practice (default)"]), pop,
                                 catalogue, target)
        sets[f"solved for {target:g}x: " + "/".join(
            f"{100 * solved.ratios[c]:.3g}" for c in "ABCD")] = solved.ratios
    for name, ratios in sets.items():
        spec = task(ratios)
        by_model = expected_yield(spec, pop, catalogue, truth="true_prob").set_index("strategy")
        by_truth = expected_yield(spec, perfect, catalogue, truth="true_prob").set_index(
            "strategy")
        u = by_model.loc["uniform"]
        lines.append(
            f"{name:<36} {u['inspections']:>6.0f} {u['per_1000']:>8.1f} "
            f"{by_model.loc['differentiated', 'per_1000']:>14.1f} "
            f"{by_model.loc['differentiated', 'lift']:>9.2f} "
            f"{by_truth.loc['differentiated', 'per_1000']:>13.1f} "
            f"{by_truth.loc['differentiated', 'lift']:>9.2f} "
            f"{by_model.loc['top_k', 'per_1000']:>7.1f} {by_model.loc['top_k', 'lift']:>9.2f}")
    lines += ["", "every eligible subject keeps pi >= its class ratio > 0; 'true classes' cuts the "
              "same relative thresholds on the true probability (perfect knowledge); 'solved' "
              "ratios (in %) come from `riskgraph plan --target-lift` on the model's "
              "probabilities, keeping the default task's size."]
    publish("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
