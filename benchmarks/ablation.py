"""Which feature groups carry the model? An ablation by group at city scale.

Four models on the same synthetic city, the same time split and the same estimator:
own history only (the baseline of the table), own + group rates (industry, premises,
phone, legal representative; uncapped), own + link context (the capped link graph at
monthly snapshots: 1- and 2-hop sums, clusters, propagated risk), and all features.
For each: test-period ROC-AUC, and — refitted on all inspections — the top-10 % lift of
the active subjects by the hidden truth. Every model is the booster ``riskgraph train``
fits (``training.default_estimator``). Differences come with a 95 % interval from a
paired bootstrap over the test period's subjects.

    .venv/bin/python benchmarks/ablation.py --subjects 880000
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from benchmarks.scoring import city_arguments, city_examples, publish
from riskgraph.models import training
from riskgraph.models.ablation import paired_bootstrap
from riskgraph.models.evaluation import top_share_lift
from riskgraph.models.features import (
    CONTEXT_FEATURES,
    FEATURE_NAMES,
    OWN_FEATURES,
)
from riskgraph.models.groups import GRAPH_GROUP_FEATURES

VARIANTS = {
    "own history": OWN_FEATURES,
    "own + group rates": OWN_FEATURES + GRAPH_GROUP_FEATURES,
    "own + link context": OWN_FEATURES + CONTEXT_FEATURES,
    "all": FEATURE_NAMES,
}


def main() -> None:
    args = city_arguments(__doc__, "ablation.txt")
    rows, subjects, true = city_examples(args.subjects, args.seed)
    cut = training.split_by_time(rows["inspected_on"], 0.2)
    train, test = rows[rows["inspected_on"] < cut], rows[rows["inspected_on"] >= cut]
    y = test["label"].astype(int).to_numpy()

    probs, lines = {}, []
    estimator = training.default_estimator(len(rows))  # the booster `train` fits
    for name, cols in VARIANTS.items():
        started = time.monotonic()
        model = clone(estimator).fit(train[cols], train["label"].astype(int))
        probs[name] = model.predict_proba(test[cols])[:, 1]
        deployed = clone(estimator).fit(rows[cols], rows["label"].astype(int))
        lift = top_share_lift(deployed.predict_proba(subjects[cols])[:, 1], true)
        lines.append((name, len(cols), roc_auc_score(y, probs[name]), lift,
                      time.monotonic() - started))
    base = lines[0]
    text = [f"feature-group ablation — synthetic city of {args.subjects:,} subjects (seed "
            f"{args.seed}), {len(train):,} training / {len(test):,} test inspections; run "
            f"{dt.date.today()}", "",
            f"{'features':<22} {'n':>3} {'test ROC-AUC':>12} {'vs own (95 % CI)':>28} "
            f"{'top-10 % lift by truth':>22} {'seconds':>8}"]
    for name, n, auc, lift, seconds in lines:
        if name == base[0]:
            ci = "(baseline)"
        else:
            r = paired_bootstrap(y, probs[name], probs[base[0]], n_resamples=300,
                                 groups=test["subject_uscc"].to_numpy())["roc_auc"]
            ci = f"{r['difference']:+.4f} [{r['low']:+.4f}, {r['high']:+.4f}]"
        text.append(f"{name:<22} {n:>3} {auc:>12.4f} {ci:>28} {lift:>21.3f}x {seconds:>8.0f}")
    publish("\n".join(text), args.out)


if __name__ == "__main__":
    main()
