"""Evaluation report and schedule replay on small, hand-checked examples."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from riskgraph.models import ablation
from riskgraph.models.evaluation import (
    evaluate,
    reliability_table,
    render_markdown,
    top_count,
    top_k_hits,
    top_share_lift,
)
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


# ---- paired bootstrap of metric differences (ablation.paired_bootstrap) ----------
# Called through the module: replay.paired_bootstrap, imported above, is another function.


def _explicit_lift(y: np.ndarray, s: np.ndarray, k: int) -> float:
    """Lift of the top k rows, those tied at the cut taken at random (expected hits)."""
    cut = np.sort(s)[::-1][k - 1]
    above, tied = s > cut, s == cut
    hits = y[above].sum() + (k - above.sum()) * y[tied].mean()
    return float(hits / k / y.mean())


@pytest.mark.parametrize(
    "decimals",
    [None, 1, 0],  # distinct scores; ten tie groups; every score tied (rounded to 0 or 1)
)
@pytest.mark.parametrize("top_fraction", [0.1, 0.37])
def test_weighted_metrics_equal_sklearn_on_explicit_resamples(
    decimals: int | None, top_fraction: float
) -> None:
    rng = np.random.default_rng(11)
    n = 301
    y = (rng.random(n) < 0.3).astype(float)
    s = np.clip(0.3 * y + rng.random(n), 0, 1)
    if decimals is not None:
        s = np.round(s, decimals)
    ranked = ablation._rank(y, s)
    k = top_count(top_fraction, n)
    checked = 0
    for _ in range(25):
        # Sorted indices: the resample laid out in input order, as the weights imply.
        idx = np.sort(rng.integers(0, n, n))
        weights = np.bincount(idx, minlength=n)
        yr, sr = y[idx], s[idx]
        if len(np.unique(yr)) < 2:
            continue
        auc, ap, lift = ablation._weighted_metrics(ranked, weights, k)
        assert auc == pytest.approx(roc_auc_score(yr, sr), abs=1e-12)
        assert ap == pytest.approx(average_precision_score(yr, sr), abs=1e-12)
        assert lift == pytest.approx(_explicit_lift(yr, sr, k), abs=1e-12)
        checked += 1
    assert checked >= 20
    # All weights one: the metrics of the data itself.
    auc, ap, lift = ablation._weighted_metrics(ranked, np.ones(n, dtype=int), k)
    assert auc == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert ap == pytest.approx(average_precision_score(y, s), abs=1e-12)
    assert lift == pytest.approx(_explicit_lift(y, s, k), abs=1e-12)


def test_top_k_cut_through_repeated_rows_takes_part_of_them() -> None:
    y = np.array([0.0, 1.0, 0.0, 1.0])
    s = np.array([0.9, 0.8, 0.7, 0.1])
    ranked = ablation._rank(y, s)
    # Row 1 (positive) drawn three times: k = 2 takes two of its three copies.
    idx = np.array([1, 1, 1, 2])
    auc, ap, lift = ablation._weighted_metrics(ranked, np.bincount(idx, minlength=4), k=2)
    assert lift == pytest.approx((2 / 2) / (3 / 4))
    # Row 0 (negative) and then one of row 1's two copies.
    idx = np.array([0, 1, 1, 2])
    auc, ap, lift = ablation._weighted_metrics(ranked, np.bincount(idx, minlength=4), k=2)
    assert lift == pytest.approx((1 / 2) / (2 / 4))
    assert auc == pytest.approx(roc_auc_score(y[idx], s[idx]))
    assert ap == pytest.approx(average_precision_score(y[idx], s[idx]))


def test_top_lift_takes_the_model_cards_count_of_rows() -> None:
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 1, 0])  # prevalence 0.3
    a = np.linspace(1.0, 0.0, 10)  # rows 0, 1, 2 first: two positive
    b = a[::-1].copy()  # rows 9, 8, 7 first: one positive
    # k = ceil(0.22 * 10) = 3, as top_k_hits counts (round would take 2)
    result = ablation.paired_bootstrap(y, a, b, n_resamples=20, top_fraction=0.22)
    assert result["top_22pct_lift"]["difference"] == pytest.approx(round((1 / 3) / 0.3, 4))
    (hit_a,) = top_k_hits(y, a, fractions=(0.22,))
    (hit_b,) = top_k_hits(y, b, fractions=(0.22,))
    assert hit_a.k == 3
    assert result["top_22pct_lift"]["difference"] == pytest.approx(
        round(hit_a.lift - hit_b.lift, 4))


def test_the_bootstraps_top_lift_does_not_depend_on_the_order_of_the_rows() -> None:
    # a coarse model (few distinct scores, many tied at the cut) against a fine one
    rng = np.random.default_rng(5)
    n = 600
    truth = rng.uniform(0, 0.5, n)
    y = (rng.random(n) < truth).astype(int)
    coarse = np.round(truth + rng.normal(0, 0.1, n), 1)
    fine = truth + rng.normal(0, 0.1, n)
    by_time = np.argsort(truth)  # rows in an order that follows the risk
    results = [ablation.paired_bootstrap(y[o], coarse[o], fine[o], n_resamples=50,
                                         groups=np.arange(n)[o])
               for o in (by_time, by_time[::-1], rng.permutation(n))]
    lifts = {r["top_10pct_lift"]["difference"] for r in results}
    assert len(lifts) == 1
    (hit_c,) = top_k_hits(y, coarse, fractions=(0.1,))
    (hit_f,) = top_k_hits(y, fine, fractions=(0.1,))
    assert lifts.pop() == pytest.approx(round(hit_c.lift - hit_f.lift, 4))
    with pytest.raises(ValueError, match="missing"):
        ablation.paired_bootstrap(y, coarse, fine, groups=np.where(y == 1, None, "s"))
    with pytest.raises(ValueError, match="NaN"):
        ablation.paired_bootstrap(y, np.where(y == 1, np.nan, coarse), fine)


def test_identical_scores_give_zero_difference_and_a_zero_interval() -> None:
    rng = np.random.default_rng(2)
    y = (rng.random(2000) < 0.2).astype(int)
    p = np.round(rng.random(2000), 2)  # with ties
    result = ablation.paired_bootstrap(y, p, p, n_resamples=100)
    for name in ("roc_auc", "pr_auc", "top_10pct_lift"):
        assert result[name] == {"difference": 0.0, "low": 0.0, "high": 0.0, "p_not_better": 1.0}
    assert "not distinguishable from noise" in ablation.render_bootstrap_markdown(result)


def _truth_and_outcomes(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.random.Generator]:
    rng = np.random.default_rng(seed)
    truth = rng.uniform(0.0, 0.6, n)
    y = (rng.random(n) < truth).astype(int)
    return truth, y, rng


def test_a_clearly_better_model_is_measurable() -> None:
    truth, y, rng = _truth_and_outcomes(5000, seed=4)
    a = truth + rng.normal(0, 0.02, len(y))
    b = rng.random(len(y))
    result = ablation.paired_bootstrap(y, a, b, n_resamples=300, seed=1)
    for name in ("roc_auc", "pr_auc", "top_10pct_lift"):
        entry = result[name]
        assert entry["low"] > 0 and entry["p_not_better"] < 0.05
        assert entry["low"] <= entry["difference"] <= entry["high"]
    k = top_count(0.10, len(y))
    assert result["roc_auc"]["difference"] == pytest.approx(
        roc_auc_score(y, a) - roc_auc_score(y, b), abs=1e-4
    )
    assert result["pr_auc"]["difference"] == pytest.approx(
        average_precision_score(y, a) - average_precision_score(y, b), abs=1e-4
    )
    assert result["top_10pct_lift"]["difference"] == pytest.approx(
        _explicit_lift(y, a, k) - _explicit_lift(y, b, k), abs=1e-4
    )
    assert (result["n_resamples"], result["skipped"], result["seed"]) == (300, 0, 1)
    text = ablation.render_bootstrap_markdown(result, label_a="A", label_b="B")
    assert "**measurable**" in text and "not distinguishable" not in text
    assert "| ROC-AUC |" in text and "| top 10 % lift |" in text


def test_two_equally_noisy_models_are_not_distinguishable() -> None:
    truth, y, rng = _truth_and_outcomes(3000, seed=8)
    a = truth + rng.normal(0, 0.3, len(y))
    b = truth + rng.normal(0, 0.3, len(y))
    result = ablation.paired_bootstrap(y, a, b, n_resamples=300, top_fraction=0.05)
    auc = result["roc_auc"]
    assert auc["low"] < 0 < auc["high"]
    assert 0.05 < auc["p_not_better"] < 0.95
    assert "top_5pct_lift" in result
    text = ablation.render_bootstrap_markdown(result)
    assert "**not distinguishable from noise**" in text and "**measurable**" not in text
    assert "full over without graph" in text and "| top 5 % lift |" in text


def test_same_seed_gives_the_same_result_and_json_survives() -> None:
    truth, y, rng = _truth_and_outcomes(1500, seed=6)
    a, b = truth + rng.normal(0, 0.1, len(y)), truth + rng.normal(0, 0.2, len(y))
    first = ablation.paired_bootstrap(y, a, b, n_resamples=100, seed=7)
    assert ablation.paired_bootstrap(y, a, b, n_resamples=100, seed=7) == first
    assert ablation.paired_bootstrap(y, a, b, n_resamples=100, seed=8) != first
    assert json.loads(json.dumps(first, allow_nan=False)) == first


def test_single_class_resamples_are_skipped_and_counted() -> None:
    # One positive in ten rows: about 0.9 ** 10 = 35 % of resamples miss it.
    y = np.zeros(10, dtype=int)
    y[3] = 1
    a = np.linspace(0.0, 1.0, 10)
    b = a[::-1].copy()
    result = ablation.paired_bootstrap(y, a, b, n_resamples=200)
    assert 30 < result["skipped"] < 110
    auc = result["roc_auc"]
    assert auc["low"] is not None and auc["low"] <= auc["high"]
    assert json.loads(json.dumps(result, allow_nan=False)) == result


def test_paired_bootstrap_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="length"):
        ablation.paired_bootstrap([0, 1, 1], [0.1, 0.2, 0.3], [0.1, 0.2])
    with pytest.raises(ValueError, match="both classes"):
        ablation.paired_bootstrap([1, 1], [0.1, 0.2], [0.2, 0.1])
    with pytest.raises(ValueError, match="0/1"):
        ablation.paired_bootstrap([0, 2], [0.1, 0.2], [0.2, 0.1])


def test_grouped_bootstrap_draws_whole_groups_and_is_wider_for_clustered_rows() -> None:
    # 400 subjects, 10 rows each, sharing the subject's outcome and scores: rows of one
    # subject carry one subject's worth of evidence, not ten.
    rng = np.random.default_rng(3)
    subject = np.repeat(np.arange(400), 10)
    y = np.repeat((rng.random(400) < 0.3).astype(int), 10)
    a = np.repeat(rng.random(400), 10) + 0.3 * y
    b = np.repeat(rng.random(400), 10) + 0.2 * y
    rows = ablation.paired_bootstrap(y, a, b, n_resamples=300, seed=1)
    grouped = ablation.paired_bootstrap(y, a, b, n_resamples=300, seed=1, groups=subject)
    assert grouped["resampled"] == "400 groups" and rows["resampled"] == "rows"
    assert grouped["roc_auc"]["difference"] == rows["roc_auc"]["difference"]
    width = {k: r["roc_auc"]["high"] - r["roc_auc"]["low"]
             for k, r in (("rows", rows), ("grouped", grouped))}
    assert width["grouped"] > 2 * width["rows"]  # ~sqrt(10) wider
    assert "whole groups drawn: 400 groups" in ablation.render_bootstrap_markdown(grouped)
    with pytest.raises(ValueError, match="groups"):
        ablation.paired_bootstrap(y, a, b, groups=subject[:-1])


def test_top_share_lift() -> None:
    true = np.array([0.1, 0.1, 0.1, 0.7])
    assert top_share_lift(true, true, 0.25) == pytest.approx(0.7 / 0.25)
    assert top_share_lift(-true, true, 0.25) == pytest.approx(0.1 / 0.25)


def test_top_share_lift_counts_ties_at_the_cut_by_their_mean_and_refuses_nan() -> None:
    true = np.array([0.9, 0.1, 0.3, 0.5, 0.7, 0.2, 0.2, 0.2, 0.2, 0.2])
    score = np.array([2.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    # k = 2: the 0.9, then one of four tied at 1.0 (mean true 0.4)
    expected = (0.9 + 0.4) / (2 * true.mean())
    for order in (np.arange(10), np.arange(10)[::-1], np.argsort(-true)):
        assert top_share_lift(score[order], true[order], 0.2) == pytest.approx(expected)
    assert top_share_lift(score, true, 0.15) == pytest.approx(expected)  # ceil(1.5) = 2
    with pytest.raises(ValueError, match="NaN"):
        top_share_lift([0.1, np.nan], [0.1, 0.2])


def test_reliability_bins_put_a_probability_on_an_edge_in_the_bin_it_opens() -> None:
    bins = reliability_table([0, 1, 0, 1], [0.3, 0.6, 0.7, 1.0])
    counts = [b.count for b in bins]
    assert counts == [0, 0, 0, 1, 0, 0, 1, 1, 0, 1]
    with pytest.raises(ValueError, match="NaN"):
        reliability_table([0, 1], [0.2, np.nan])


def test_tied_scores_give_the_expected_replay_of_a_random_order_within_the_tie() -> None:
    import itertools

    days = np.array([0, 0, 1, 1, 2, 3, 3, 4])
    labels = np.array([1, 0, 0, 1, 1, 0, 1, 0])
    scores = np.array([0.9, 0.5, 0.5, 0.5, 0.2, 0.2, 0.5, 0.1])  # runs of 4 and 2 equal
    got = replay(days, scores, labels)
    # by hand: every way of breaking the ties, each as likely
    four = [1, 2, 3, 6]
    two = [4, 5]
    results = []
    for p4 in itertools.permutations(range(4)):
        for p2 in itertools.permutations(range(2)):
            s = scores.astype(float).copy()
            s[four] = 0.5 + 1e-3 * np.array(p4)
            s[two] = 0.2 + 1e-3 * np.array(p2)
            results.append(replay(days, s, labels, ties="order"))
    for field in ("days_earlier", "first_half_share", "found_later", "found_earlier"):
        assert getattr(got, field) == pytest.approx(np.mean([getattr(r, field) for r in results]))
    # and the row order no longer matters
    shuffled = np.random.default_rng(0).permutation(len(days))
    again = replay(days[shuffled], scores[shuffled], labels[shuffled])
    assert again.days_earlier == pytest.approx(got.days_earlier)


@pytest.mark.parametrize("labels, dates, match", [
    ([1.0, np.nan, 0.0, 1.0], None, "labels must be 0/1"),
    (["Y", "N", "N", "Y"], None, "labels must be 0/1"),
    ([1, 0, 0, 1], ["2024-01-01", None, "2024-01-02", "2024-01-03"], "missing"),
    ([1, 0, 0, 1], [20240101, 20240101, 20240102, 20240103], "YYYYMMDD"),
])
def test_replay_refuses_labels_and_dates_it_cannot_read(labels, dates, match) -> None:
    from riskgraph.models.replay import paired_bootstrap

    dates = DAYS if dates is None else np.array(dates, dtype=object if None in dates else None)
    with pytest.raises(ValueError, match=match):
        replay(dates, [0.1, 0.2, 0.3, 0.4], labels)
    with pytest.raises(ValueError, match=match):
        paired_bootstrap(dates, labels, [0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1])


def test_paired_bootstrap_refuses_what_it_cannot_measure() -> None:
    from riskgraph.models.replay import paired_bootstrap

    with pytest.raises(ValueError, match="differ in length"):
        paired_bootstrap(DAYS, [1, 0, 0, 1], [0.1, 0.2, 0.3], [0.4, 0.3, 0.2, 0.1])
    with pytest.raises(ValueError, match="no positive"):
        paired_bootstrap(DAYS, [0, 0, 0, 0], [0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1])
    with pytest.raises(ValueError, match="n_boot"):
        paired_bootstrap(DAYS, [1, 0, 0, 1], [0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1], n_boot=1)


def test_top_k_counts_ties_at_the_cut_by_their_expected_hits() -> None:
    y = np.array([1, 0, 1, 0, 0, 1, 0, 0, 0, 0])
    s = np.array([0.9, 0.5, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1])
    (hit,) = top_k_hits(y, s, fractions=(0.2,))  # k = 2: 0.9, then one of four tied at 0.5
    assert hit.hits == pytest.approx(1 + 1 / 4)
    shuffled = np.random.default_rng(1).permutation(len(y))
    (again,) = top_k_hits(y[shuffled], s[shuffled], fractions=(0.2,))
    assert again.hits == pytest.approx(hit.hits)
    assert "| 1.2 |" in render_markdown(evaluate(y, s, fractions=(0.2,)))


def test_top_k_refuses_nan_scores_and_caps_k_at_the_rows() -> None:
    with pytest.raises(ValueError, match="NaN"):
        top_k_hits([1, 0, 1], [0.5, np.nan, 0.1])
    (everyone,) = top_k_hits([1, 0, 1], [0.5, 0.3, 0.1], fractions=(1.5,))
    assert everyone.k == 3 and everyone.hits == 2


def test_one_failure_in_the_test_period_is_too_few_to_judge() -> None:
    # 400 inspections, one with a problem found: any ordering that puts it first "wins"
    rng = np.random.default_rng(3)
    y = np.zeros(400, dtype=int)
    y[17] = 1
    a = rng.random(400)
    a[17] = 2.0  # model A ranks the one failure first
    b = rng.random(400)
    result = ablation.paired_bootstrap(y, a, b, n_resamples=200, groups=np.arange(400) // 2)
    assert (result["positives"], result["positive_groups"]) == (1, 1)
    text = ablation.render_bootstrap_markdown(result)
    assert "Too few problems found to judge" in text and "measurable" not in text
    # with enough failures at enough subjects the verdict is given again
    y = (rng.random(400) < 0.3).astype(int)
    result = ablation.paired_bootstrap(y, y + rng.random(400), rng.random(400),
                                       n_resamples=200, groups=np.arange(400) // 2)
    assert result["positives"] >= 30 and result["positive_groups"] >= 20
    assert "**measurable**" in ablation.render_bootstrap_markdown(result)
