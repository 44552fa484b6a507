"""Model evaluation: discrimination, calibration, and top-k hit rate against a random draw."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import spearmanr
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

DEFAULT_TOP_FRACTIONS: tuple[float, ...] = (0.05, 0.10, 0.20)


@dataclass(frozen=True)
class ReliabilityBin:
    """One bin of the reliability table (predicted probability in ``[lower, upper)``)."""

    lower: float
    upper: float
    mean_predicted: float | None
    observed_rate: float | None
    count: int


@dataclass(frozen=True)
class TopKHit:
    """Hit rate of the top ``fraction`` of subjects by score, against a random draw."""

    fraction: float
    k: int
    hits: float  # expected, when scores tie at the cut
    hit_rate: float
    random_hit_rate: float
    lift: float | None
    share_of_positives: float | None


@dataclass(frozen=True)
class Evaluation:
    """Evaluation of one set of scores; ``to_dict`` gives a JSON-ready dict."""

    n: int
    n_positive: int
    prevalence: float
    roc_auc: float | None
    pr_auc: float | None
    brier: float
    reliability: list[ReliabilityBin] = field(default_factory=list)
    top_k: list[TopKHit] = field(default_factory=list)
    spearman_truth: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a plain dict: only str, int, float and None (NaN becomes None)."""
        return _clean(asdict(self))


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def reliability_table(y_true: ArrayLike, prob: ArrayLike, n_bins: int = 10) -> list[ReliabilityBin]:
    """Bin predicted probabilities into equal-width bins; observed rate per bin."""
    y = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(prob, dtype=np.float64)
    if np.isnan(p).any():
        raise ValueError("probabilities contain NaN")
    # b / n_bins, not linspace: 0.3 must fall in 0.3-0.4 (linspace's 0.30000000000000004
    # put it in the bin below)
    edges = np.arange(n_bins + 1) / n_bins
    # Right edge inclusive for the last bin, so p == 1.0 is counted.
    idx = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, n_bins - 1)
    bins = []
    for b in range(n_bins):
        mask = idx == b
        count = int(mask.sum())
        bins.append(
            ReliabilityBin(
                lower=float(edges[b]),
                upper=float(edges[b + 1]),
                mean_predicted=float(p[mask].mean()) if count else None,
                observed_rate=float(y[mask].mean()) if count else None,
                count=count,
            )
        )
    return bins


def top_k_hits(
    y_true: ArrayLike,
    scores: ArrayLike,
    fractions: tuple[float, ...] = DEFAULT_TOP_FRACTIONS,
) -> list[TopKHit]:
    """Hit rate of the top fraction by score versus a uniform random draw of the same size.

    A uniform draw of ``k`` subjects without replacement has expected hit rate equal to
    the prevalence, whatever ``k``; ``lift`` is the ratio. Subjects tied with the last one
    in (equal scores across the cut) count by the expected hits of a random choice among
    them, so the result does not depend on the order of the rows (``hits`` can then be
    fractional).
    """
    y = np.asarray(y_true, dtype=np.float64)
    s = np.asarray(scores, dtype=np.float64)
    if np.isnan(s).any():
        raise ValueError("scores contain NaN")
    order = np.argsort(-s, kind="stable")
    prevalence = float(y.mean()) if len(y) else float("nan")
    n_pos = float(y.sum())
    out = []
    for fraction in fractions:
        k = top_count(fraction, len(y))
        hits = _expected_hits(y, s, order, k)
        rate = hits / k if k else float("nan")
        out.append(
            TopKHit(
                fraction=float(fraction),
                k=k,
                hits=hits,
                hit_rate=rate,
                random_hit_rate=prevalence,
                lift=rate / prevalence if prevalence > 0 else None,
                share_of_positives=hits / n_pos if n_pos > 0 else None,
            )
        )
    return out


def top_count(fraction: float, n: int) -> int:
    """How many of ``n`` subjects "the top ``fraction``" holds: ``ceil(fraction * n)``, at
    least 1 and at most ``n`` (0 when ``n`` is 0). Every top-k figure of the project
    counts with it."""
    return min(n, max(1, int(math.ceil(fraction * n)))) if n else 0


def _expected_hits(y: np.ndarray, s: np.ndarray, order: np.ndarray, k: int) -> float:
    """Hits among the ``k`` highest scores, the subjects tied at the cut taken at random."""
    if k == 0:
        return 0.0
    cut = s[order[k - 1]]
    above = s > cut
    tied = s == cut
    room = k - int(above.sum())
    return float(y[above].sum() + room * y[tied].sum() / tied.sum())


def evaluate(
    y_true: ArrayLike,
    scores: ArrayLike,
    truth: ArrayLike | None = None,
    *,
    n_bins: int = 10,
    fractions: tuple[float, ...] = DEFAULT_TOP_FRACTIONS,
) -> Evaluation:
    """Evaluate probability scores against outcomes (and a hidden truth, if known).

    Args:
        y_true: 0/1 outcomes (1 = the inspection found a problem).
        scores: predicted probabilities in [0, 1] (Brier and reliability assume so).
        truth: for synthetic data, the hidden true probability; adds Spearman's rho.
    """
    y = np.asarray(y_true, dtype=np.float64).ravel()
    s = np.asarray(scores, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError(f"y_true and scores differ in length: {y.shape} vs {s.shape}")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("y_true must be 0/1")
    two_classes = len(np.unique(y)) == 2
    rho = None
    if truth is not None:
        t = np.asarray(truth, dtype=np.float64).ravel()
        if t.shape != s.shape:
            raise ValueError("truth and scores differ in length")
        rho = float(spearmanr(s, t).statistic)
    return Evaluation(
        n=len(y),
        n_positive=int(y.sum()),
        prevalence=float(y.mean()),
        roc_auc=float(roc_auc_score(y, s)) if two_classes else None,
        pr_auc=float(average_precision_score(y, s)) if two_classes else None,
        brier=float(brier_score_loss(y, s)),
        reliability=reliability_table(y, s, n_bins),
        top_k=top_k_hits(y, s, fractions),
        spearman_truth=rho,
    )


def _count(value: float) -> str:
    """A count, with one decimal when it is an expectation over tied scores."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.1f}"


def _fmt(value: float | None, digits: int = 3, percent: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{100 * value:.1f} %" if percent else f"{value:.{digits}f}"


def render_markdown(evaluation: Evaluation, title: str = "Model evaluation") -> str:
    """Render an evaluation as a Markdown model-card section."""
    e = evaluation
    lines = [
        f"## {title}",
        "",
        f"Evaluated on {e.n:,} inspections, {e.n_positive:,} with a problem found "
        f"(prevalence {_fmt(e.prevalence, percent=True)}).",
        "",
        "| metric | value |",
        "|---|---|",
        f"| ROC-AUC | {_fmt(e.roc_auc)} |",
        f"| PR-AUC (average precision) | {_fmt(e.pr_auc)} |",
        f"| Brier score | {_fmt(e.brier, 4)} |",
    ]
    if e.spearman_truth is not None:
        lines.append(f"| Spearman ρ with the hidden true risk | {_fmt(e.spearman_truth)} |")
    lines += [
        "",
        "### Top-k hit rate versus a random draw of the same size",
        "",
        "| top | subjects | problems found | hit rate | random draw | lift "
        "| share of all problems |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in e.top_k:
        lift = "—" if t.lift is None else f"{t.lift:.2f}×"
        lines.append(
            f"| {_fmt(t.fraction, percent=True)} | {t.k:,} | {_count(t.hits)} | "
            f"{_fmt(t.hit_rate, percent=True)} | {_fmt(t.random_hit_rate, percent=True)} | "
            f"{lift} | {_fmt(t.share_of_positives, percent=True)} |"
        )
    lines += [
        "",
        "### Reliability (calibration)",
        "",
        "| predicted probability | mean predicted | observed rate | inspections |",
        "|---|---|---|---|",
    ]
    for b in e.reliability:
        lines.append(
            f"| {b.lower:.1f}–{b.upper:.1f} | {_fmt(b.mean_predicted)} | "
            f"{_fmt(b.observed_rate)} | {b.count:,} |"
        )
    return "\n".join(lines) + "\n"


def top_share_lift(score: ArrayLike, true: ArrayLike, fraction: float = 0.10) -> float:
    """Expected violations (by the true probability ``true``) of the top ``fraction`` of
    subjects by ``score`` (``top_count`` of them), over those of a random draw of the same
    size. Subjects tied with the last one in count by their mean ``true`` (a random choice
    among them), so the order of the rows does not matter."""
    s, p = np.asarray(score, np.float64), np.asarray(true, np.float64)
    if not len(s) or len(s) != len(p):
        raise ValueError("score and true must be non-empty and of one length")
    if np.isnan(s).any() or np.isnan(p).any():
        raise ValueError("score or true contain NaN")
    k = top_count(fraction, len(s))
    hits = _expected_hits(p, s, np.argsort(-s, kind="stable"), k)
    return float(hits / (k * p.mean()))
