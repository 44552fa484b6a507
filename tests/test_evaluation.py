"""Evaluation report and schedule replay on small, hand-checked examples."""

from __future__ import annotations

import json

import numpy as np
import pytest

from riskgraph.models.evaluation import evaluate, reliability_table, render_markdown, top_k_hits
from riskgraph.models.replay import (
    first_half_days,
    paired_bootstrap,
    perfect_replay,
    random_replays,
    replay,
    simulated_days,
    to_day_numbers,
)


def test_perfect_scores_give_perfect_discrimination() -> None:
    ev = evaluate([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert ev.roc_auc == 1.0 and ev.pr_auc == 1.0
    assert ev.brier == pytest.approx((0.01 + 0.04 + 0.04 + 0.01) / 4)
    assert ev.n == 4 and ev.n_positive == 2 and ev.prevalence == 0.5


def test_top_k_hit_rate_and_lift_against_a_random_draw() -> None:
    y = np.zeros(100, dtype=int)
    y[:10] = 1  # prevalence 10 %
    scores = np.linspace(1.0, 0.0, 100)
    scores[5:10] = 0.0  # five of the ten positives fall out of the top 10
    (top5, top10) = top_k_hits(y, scores, fractions=(0.05, 0.10))
    assert (top5.k, top5.hits, top5.hit_rate) == (5, 5, 1.0)
    assert top5.lift == pytest.approx(10.0)
    assert (top10.k, top10.hits) == (10, 5)
    assert top10.random_hit_rate == pytest.approx(0.1)
    assert top10.lift == pytest.approx(5.0)
    assert top10.share_of_positives == pytest.approx(0.5)


def test_reliability_table_bins_every_score_once() -> None:
    prob = np.array([0.0, 0.05, 0.15, 0.95, 1.0, 1.0])
    y = np.array([0, 0, 1, 1, 1, 0])
    bins = reliability_table(y, prob, n_bins=10)
    assert len(bins) == 10
    assert sum(b.count for b in bins) == len(prob)
    assert bins[0].count == 2 and bins[0].observed_rate == 0.0
    last = bins[-1]  # 0.95, 1.0, 1.0: the right edge is inclusive
    assert last.count == 3 and last.observed_rate == pytest.approx(2 / 3)
    assert bins[5].count == 0 and bins[5].mean_predicted is None


def test_report_is_json_serialisable_and_renders_markdown() -> None:
    rng = np.random.default_rng(0)
    truth = rng.uniform(0, 0.5, 2000)
    y = (rng.random(2000) < truth).astype(int)
    ev = evaluate(y, truth, truth=truth)
    assert ev.spearman_truth == pytest.approx(1.0)
    data = json.loads(json.dumps(ev.to_dict(), allow_nan=False))
    assert data["top_k"][0]["fraction"] == 0.05
    assert data["reliability"][9]["mean_predicted"] is None  # empty bin, not NaN
    text = render_markdown(ev, title="Test model")
    assert text.startswith("## Test model")
    assert "| ROC-AUC |" in text and "Spearman" in text
    assert text.count("\n| 0.") >= 10  # ten reliability rows


def test_one_class_outcomes_give_no_auc_and_bad_input_is_rejected() -> None:
    ev = evaluate([0, 0, 0], [0.1, 0.2, 0.3])
    assert ev.roc_auc is None and ev.pr_auc is None
    with pytest.raises(ValueError, match="length"):
        evaluate([0, 1], [0.5])
    with pytest.raises(ValueError, match="0/1"):
        evaluate([0, 2], [0.5, 0.5])


# ---- replay ------------------------------------------------------------------------

DAYS = np.array(["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"], dtype="datetime64[D]")


def test_replay_hands_the_earliest_slots_to_the_highest_scores() -> None:
    labels = np.array([0, 0, 1, 1])
    scores = np.array([0.1, 0.2, 0.9, 0.5])
    result = replay(DAYS, scores, labels)
    # Visit order C, D, B, A takes days 1..4: C moves 2 days earlier, D too.
    assert result.days_earlier == 2.0
    assert (result.found_later, result.found_earlier) == (0, 2)
    # One inspection a day, half of 4 is 2: only day 1 has cumulative count < 2.
    assert list(first_half_days(DAYS)) == [to_day_numbers(DAYS)[0]]
    assert result.first_half_share == 0.5 and result.first_half_share_real == 0.0


def test_first_half_is_strictly_below_half_the_inspections() -> None:
    # Day 1 holds exactly half the inspections: it is *not* in the first half.
    days = np.array(["2024-01-01"] * 2 + ["2024-01-02", "2024-01-03"], dtype="datetime64[D]")
    assert len(first_half_days(days)) == 0


def test_ties_keep_input_order_and_strings_are_dates() -> None:
    days = ["2024-01-03", "2024-01-01", "2024-01-02"]
    sim = simulated_days(to_day_numbers(days), [1.0, 1.0, 1.0])
    assert list(sim - sim.min()) == [0, 1, 2]


def test_perfect_and_random_orderings_bracket_a_model() -> None:
    rng = np.random.default_rng(3)
    days = np.repeat(np.arange(30), 20)
    labels = (rng.random(len(days)) < 0.2).astype(int)
    best = perfect_replay(days, labels)
    draws = [r.days_earlier for r in random_replays(days, labels, n_draws=50, random_state=1)]
    assert best.first_half_share == 1.0
    assert best.days_earlier > np.mean(draws) + 5
    assert abs(np.mean(draws)) < 2.0
    again = [r.days_earlier for r in random_replays(days, labels, n_draws=50, random_state=1)]
    assert draws == again


def test_replay_rejects_mismatched_input() -> None:
    with pytest.raises(ValueError, match="shape"):
        replay(DAYS, [0.1, 0.2], [0, 1, 0, 1])
    with pytest.raises(ValueError, match="positive"):
        replay(DAYS, [0.1, 0.2, 0.3, 0.4], [0, 0, 0, 0])


def test_paired_bootstrap_separates_a_good_ordering_from_a_random_one() -> None:
    rng = np.random.default_rng(5)
    days = np.repeat(np.arange(20), 30)
    risk = rng.random(len(days))
    labels = (rng.random(len(days)) < risk * 0.4).astype(int)
    mean, sd = paired_bootstrap(days, labels, risk, rng.random(len(days)), 200, random_state=0)
    assert mean > 3 * sd > 0
    same = paired_bootstrap(days, labels, risk, risk, 50, random_state=0)
    assert same == (0.0, 0.0)
