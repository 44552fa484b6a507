"""Is model A better than model B on the same rows? A paired bootstrap of ROC-AUC, PR-AUC
and top-k lift differences — for the graph-feature ablation, where a lift counts as
measurable only when its interval excludes zero."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from riskgraph.models.evaluation import _fmt, top_count

# Below this many rows with a problem found, or subjects with one, a test period cannot
# say whether one model is better than another: the resamples that hold its few failures
# decide everything, and the interval collapses around them (one failure in the test
# period gave "measurable", ROC-AUC 0.916 against 0.445, in an acceptance test).
MIN_POSITIVES = 30
MIN_POSITIVE_GROUPS = 20


def too_few_to_judge(positives: int, positive_groups: int) -> bool:
    """Whether rows with a problem found (and the subjects they fall on) are too few for
    an evaluation to say anything: below ``MIN_POSITIVES`` or ``MIN_POSITIVE_GROUPS``."""
    return positives < MIN_POSITIVES or positive_groups < MIN_POSITIVE_GROUPS


@dataclass(frozen=True)
class _Ranked:
    """Rows of one model in descending score order, with the score ties grouped.

    ``order`` sorts the rows by ``-score`` with a stable sort (ties keep input order);
    ``y`` holds the outcomes in that order; ``ends`` is the position (in that order) of
    the last row of each group of equal scores; ``tied`` says whether any group holds
    more than one row.
    """

    order: np.ndarray
    y: np.ndarray
    ends: np.ndarray
    tied: bool


def _rank(y: np.ndarray, scores: np.ndarray) -> _Ranked:
    order = np.argsort(-scores, kind="stable")
    s = scores[order]
    ends = np.flatnonzero(np.append(s[1:] != s[:-1], True))
    return _Ranked(order=order, y=y[order], ends=ends, tied=len(ends) < len(s))


def _dot(x: np.ndarray, z: np.ndarray) -> float:
    # Not np.dot: a multithreaded BLAS call on a busy machine costs milliseconds per call
    # here (threads waking up), while this single-threaded sum costs microseconds.
    return float(np.einsum("i,i->", x, z))


def _weighted_metrics(ranked: _Ranked, weights: np.ndarray, k: int) -> tuple[float, float, float]:
    """ROC-AUC, average precision and top-``k`` lift with integer row weights.

    A weight is the number of times the row occurs in a resample, so the three values
    equal sklearn's ``roc_auc_score`` and ``average_precision_score`` on the explicit
    resample (tied scores: half credit in the AUC, one threshold per distinct score in
    the AP), and the expected lift of the top ``k`` rows of the resample, the rows tied
    at the cut taken at random (as ``evaluation.top_k_hits`` counts them). The caller
    makes sure both classes carry weight.
    """
    w = weights[ranked.order].astype(np.float64)
    cum_w = np.cumsum(w)
    tp = np.cumsum(w * ranked.y)  # positives at or above each distinct score
    fp = cum_w - tp  # negatives at or above each distinct score
    if ranked.tied:
        tp, fp = tp[ranked.ends], fp[ranked.ends]
    n_pos, n_neg = tp[-1], fp[-1]
    group_w = tp + fp  # weight at or above each distinct score
    pos_g = np.diff(tp, prepend=0.0)  # positives per tie group
    neg_g = np.diff(fp, prepend=0.0)
    # Mann-Whitney: a positive beats every negative below its group, half of those in it.
    auc = _dot(pos_g, (n_neg - fp) + 0.5 * neg_g) / (n_pos * n_neg)
    # AP = sum over thresholds of (recall step) x precision. Weights are counts, so the
    # rows at or above a threshold weigh 0 or at least 1; at 0 there is no recall step
    # either, and the guard only keeps 0 / 0 out.
    ap = _dot(pos_g, tp / np.maximum(tp + fp, 1.0)) / n_pos
    # The cut at k falls in the first group whose weight at or above it reaches k; the
    # groups above are taken whole, that group by its share (its rows are equally likely).
    g = int(np.searchsorted(group_w, k, side="left"))
    above_w = group_w[g - 1] if g else 0.0
    above_pos = tp[g - 1] if g else 0.0
    hits = above_pos + (k - above_w) * pos_g[g] / (group_w[g] - above_w)
    lift = (hits / k) / (n_pos / cum_w[-1])
    return auc, ap, lift


def paired_bootstrap(
    y_true: ArrayLike,
    prob_a: ArrayLike,
    prob_b: ArrayLike,
    *,
    n_resamples: int = 500,
    top_fraction: float = 0.10,
    seed: int = 0,
    confidence: float = 0.95,
    groups: ArrayLike | None = None,
) -> dict[str, Any]:
    """Paired bootstrap of the differences A - B in ROC-AUC, PR-AUC and top-k lift.

    With ``groups`` (e.g. the subject of each inspection row) whole groups are drawn
    with replacement instead of rows — a cluster bootstrap: rows of one subject share
    features and outcomes, so drawing them one by one makes the interval too narrow.
    The top-k cut then takes ``top_count(top_fraction, rows drawn)`` rows of each resample.

    Each resample draws ``len(y_true)`` rows with replacement and scores the *same* rows
    with both models, so the spread of A - B reflects only which rows happened to be in
    the test set, not two independent draws. Rows are weighted by how often they were
    drawn, and the metrics are computed from each model's score order, sorted once; the
    results equal sklearn's on the explicit resample. The top-k cut uses
    ``k = evaluation.top_count(top_fraction, n)`` rows, as the model card's top-k table;
    rows tied at the cut count by their expected hits, so the order of the rows does not
    matter. Resamples with a single class are skipped and counted.

    Args:
        y_true: 0/1 outcomes.
        prob_a: scores of model A for the same rows (e.g. with graph features).
        prob_b: scores of model B (e.g. without graph features).
        n_resamples: number of resamples drawn (skipped ones included).
        top_fraction: fraction of rows in the top-k lift.
        seed: seed of ``numpy.random.default_rng``; same seed, same result.
        confidence: coverage of the percentile interval.

    Returns:
        A JSON-ready dict. For each metric (``roc_auc``, ``pr_auc``,
        ``top_{pct}pct_lift``): ``difference`` (A - B on the full data), ``low`` and
        ``high`` (percentile interval of the resampled differences) and ``p_not_better``
        (share of used resamples with A - B <= 0); ``None`` if every resample was
        skipped. Also ``n_resamples``, ``skipped``, ``confidence`` and ``seed``. Floats
        are rounded to 4 decimals.
    """
    y = np.asarray(y_true, dtype=np.float64).ravel()
    a = np.asarray(prob_a, dtype=np.float64).ravel()
    b = np.asarray(prob_b, dtype=np.float64).ravel()
    if not (y.shape == a.shape == b.shape):
        raise ValueError(
            f"y_true, prob_a and prob_b differ in length: {y.shape}, {a.shape}, {b.shape}"
        )
    if np.isnan(a).any() or np.isnan(b).any():
        raise ValueError("prob_a or prob_b contain NaN")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("y_true must be 0/1")
    if len(np.unique(y)) != 2:
        raise ValueError("y_true must contain both classes")
    if not 0.0 < top_fraction <= 1.0:
        raise ValueError("top_fraction must be in (0, 1]")
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be in (0, 1)")
    if n_resamples < 1:
        raise ValueError("n_resamples must be at least 1")

    n = len(y)
    k = top_count(top_fraction, n)
    ranked_a, ranked_b = _rank(y, a), _rank(y, b)
    ones = np.ones(n, dtype=np.int64)
    point = np.subtract(_weighted_metrics(ranked_a, ones, k), _weighted_metrics(ranked_b, ones, k))

    rng = np.random.default_rng(seed)
    positives = np.flatnonzero(y)
    if groups is not None:
        g = np.asarray(groups).ravel()
        if g.shape != y.shape:
            raise ValueError(f"groups has {g.shape} rows, y_true {y.shape}")
        codes, uniques = pd.factorize(g)
        if (codes < 0).any():
            raise ValueError(f"groups has {int((codes < 0).sum())} missing value(s): every "
                             "row needs the group (e.g. subject) it is drawn with")
        n_groups = len(uniques)
    diffs = []
    skipped = 0
    for _ in range(n_resamples):
        if groups is None:
            weights = np.bincount(rng.integers(0, n, n), minlength=n)
            k_r = k
        else:
            drawn = np.bincount(rng.integers(0, n_groups, n_groups), minlength=n_groups)
            weights = drawn[codes]
            k_r = top_count(top_fraction, int(weights.sum()))
        n_pos = int(weights[positives].sum())
        if n_pos == 0 or n_pos == int(weights.sum()):
            skipped += 1
            continue
        diffs.append(
            np.subtract(
                _weighted_metrics(ranked_a, weights, k_r),
                _weighted_metrics(ranked_b, weights, k_r),
            )
        )

    names = ("roc_auc", "pr_auc", f"top_{round(top_fraction * 100)}pct_lift")
    tail = 100.0 * (1.0 - confidence) / 2.0
    result: dict[str, Any] = {}
    for j, name in enumerate(names):
        entry: dict[str, float | None] = {
            "difference": round(float(point[j]), 4),
            "low": None,
            "high": None,
            "p_not_better": None,
        }
        if diffs:
            d = np.array([row[j] for row in diffs])
            low, high = np.percentile(d, [tail, 100.0 - tail])
            entry["low"] = round(float(low), 4)
            entry["high"] = round(float(high), 4)
            entry["p_not_better"] = round(float(np.mean(d <= 0.0)), 4)
        result[name] = entry
    result.update(
        n_resamples=int(n_resamples), skipped=skipped, confidence=float(confidence), seed=seed,
        resampled="rows" if groups is None else f"{n_groups} groups",
        positives=len(positives),
        positive_groups=(len(positives) if groups is None
                         else len(np.unique(codes[positives]))),
    )
    return result


def render_bootstrap_markdown(
    result: dict[str, Any], label_a: str = "full", label_b: str = "without graph"
) -> str:
    """Render a ``paired_bootstrap`` result as a Markdown table and a one-line verdict.

    The verdict is about ROC-AUC: "measurable" if the interval's low bound is above 0,
    otherwise "not distinguishable from noise"; with fewer than ``MIN_POSITIVES`` rows
    with a problem found, or ``MIN_POSITIVE_GROUPS`` subjects with one, "too few problems
    found to judge".
    """
    level = f"{100 * result['confidence']:g} %"
    labels = {"roc_auc": "ROC-AUC", "pr_auc": "PR-AUC (average precision)"}
    lines = [
        f"| metric ({label_a} − {label_b}) | difference | {level} CI "
        "| share of resamples not better |",
        "|---|---|---|---|",
    ]
    for name, entry in result.items():
        if not isinstance(entry, dict):
            continue
        label = labels.get(name)
        if label is None:  # top_{pct}pct_lift
            label = f"top {name.removeprefix('top_').removesuffix('pct_lift')} % lift"
        ci = "—" if entry["low"] is None else f"[{_fmt(entry['low'], 4)}, {_fmt(entry['high'], 4)}]"
        lines.append(
            f"| {label} | {_fmt(entry['difference'], 4)} | {ci} | "
            f"{_fmt(entry['p_not_better'], percent=True)} |"
        )
    used = result["n_resamples"] - result["skipped"]
    auc = result["roc_auc"]
    positives = result.get("positives", MIN_POSITIVES)
    positive_groups = result.get("positive_groups", MIN_POSITIVE_GROUPS)
    if too_few_to_judge(positives, positive_groups):
        verdict = (
            f"**Too few problems found to judge** {label_a} against {label_b}: the test "
            f"rows hold {positives:,} with a problem found, at {positive_groups:,} "
            f"subject(s); at least {MIN_POSITIVES} at {MIN_POSITIVE_GROUPS} are needed "
            "before an interval says anything. Train on a longer history."
        )
    elif auc["low"] is not None and auc["low"] > 0:
        verdict = (
            f"The ROC-AUC lift of {label_a} over {label_b} is **measurable**: the {level} "
            f"interval's low bound ({_fmt(auc['low'], 4)}) is above 0."
        )
    elif auc["low"] is None:
        verdict = (
            f"The ROC-AUC lift of {label_a} over {label_b} is **not distinguishable from "
            "noise**: every resample had a single class, so there is no interval."
        )
    else:
        verdict = (
            f"The ROC-AUC lift of {label_a} over {label_b} is **not distinguishable from "
            f"noise**: the {level} interval's low bound ({_fmt(auc['low'], 4)}) is not "
            "above 0."
        )
        if auc["high"] < 0:
            verdict += f" The whole interval is below 0: {label_b} scores higher."
    lines += [
        "",
        f"Paired bootstrap: {used:,} resamples of the same test rows "
        + (f"(whole groups drawn: {result['resampled']}) "
           if result.get("resampled", "rows") != "rows" else "")
        + f"({result['skipped']:,} skipped with a single class), seed {result['seed']}. "
        + verdict,
    ]
    return "\n".join(lines) + "\n"
