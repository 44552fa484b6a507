"""Training on cities unlike the generated one: missing sources, lopsided outcomes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from riskgraph.models import training
from riskgraph.models.frames import GraphFrames
from tests.test_features import insp, subject, table

WHEN = dt.datetime(2026, 10, 1)


def city(n: int = 400, fails: np.ndarray | None = None, days: int = 700,
         seed: int = 0) -> GraphFrames:
    """Subjects with inspections only: no persons, addresses, phones, complaints,
    penalties or lists (a bureau whose first load is its inspection results)."""
    rng = np.random.default_rng(seed)
    subjects = [subject(f"S{i}", industry=["retail", "food"][i % 2]) for i in range(n)]
    rows = 3 * n
    on = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.sort(rng.integers(0, days, rows)), "D")
    who = rng.integers(0, n, rows)
    risky = who % 5 == 0
    failed = rng.random(rows) < np.where(risky, 0.5, 0.1) if fails is None else fails
    inspections = [insp(f"I{k}", f"S{who[k]}", on[k].date().isoformat(),
                        "fail" if failed[k] else "pass") for k in range(rows)]
    return GraphFrames.from_tables(subjects=table("subjects", subjects),
                                   inspections=table("inspections", inspections))


def test_a_city_without_persons_phones_or_penalties_trains() -> None:
    model, _ = training.train(city(), trained_at=WHEN)
    unused = model.card["features_without_values"]
    assert {"phone_failure_rate", "owner_failure_rate", "days_since_last_penalty"} <= set(unused)
    assert "past_inspection_failures" not in unused
    assert f"{len(unused)} of them had no value" in training.card_markdown(model.card)


def test_a_split_that_cannot_train_or_test_says_why() -> None:
    rows = 1200
    old_only = np.zeros(rows, bool)
    old_only[:3] = True  # three failures, all among the oldest inspections
    with pytest.raises(ValueError, match=r"the test period .* has no failed inspection"):
        training.train(city(fails=old_only), trained_at=WHEN)
    new_only = np.zeros(rows, bool)
    new_only[-5:] = True
    with pytest.raises(ValueError, match=r"the training period .* has no failed inspection"):
        training.train(city(fails=new_only), trained_at=WHEN)
    with pytest.raises(ValueError, match="fall on one day"):
        training.train(city(days=1), trained_at=WHEN)


def test_a_test_period_with_one_failure_says_its_figures_are_noise() -> None:
    rows = 1200
    fails = np.zeros(rows, bool)
    fails[:60:3] = True  # twenty failures to learn from, early
    fails[-2] = True  # and one in the test period
    model, _ = training.train(city(fails=fails), trained_at=WHEN)
    text = training.card_markdown(model.card)
    assert "Only 1 inspection(s) of the test period found a problem at 1 subject(s)" in text
    assert "Too few problems found to judge" in text and "**measurable**" not in text
    # 40 failures, but all at 10 subjects: as few to judge by
    card = {**model.card, "metrics": {**model.card["metrics"], "full": {
        **model.card["metrics"]["full"], "n_positive": 40}},
        "graph_lift_bootstrap": {**model.card["graph_lift_bootstrap"], "positives": 40,
                                 "positive_groups": 10}}
    assert "found a problem at 10 subject(s)" in training.card_markdown(card)
    # an ordinary city gives its figures without the warning
    assert "figures below are noise" not in training.card_markdown(
        training.train(city(), trained_at=WHEN)[0].card)
