"""The risk estimator: calibrated gradient-boosted trees with per-feature contributions.

Calibration design (why a time-respecting holdout and Platt scaling by default):

* Inspection data drifts: the base rate and the meaning of features move over time, and
  the model is always used on subjects *after* its training data. So the calibration map
  is learnt out of time: the booster is fitted on the oldest ``1 - calibration_fraction``
  of the rows and the calibrator on the newest rows, which plays the role of "the future"
  exactly as scoring will. Random K-fold calibration (``CalibratedClassifierCV``) would
  calibrate on rows older than the model's training rows and hide the drift.
* With ``refit=True`` (default) the booster is then refitted on all rows, so the most
  recent facts are not wasted, and the out-of-time calibration map is applied to it. The
  map has two parameters (sigmoid) and transfers well between the two boosters.
* The same holdout chooses how many trees to keep (``early_stopping=True``, default): the
  number, up to ``max_iter``, whose log-loss on the newest rows is lowest once calibrated
  (each count's scores get their own two-parameter map first, so a drift of the base rate,
  which the calibrator corrects, does not count against more trees), and the refit grows
  that many. A city of 20,000 subjects has some 13,000 inspections, on which 200
  trees learn noise. Measured on generated cities (``benchmarks/early_stopping.py``, five
  seeds each): 23-68 trees kept and the top-10 % lift by the hidden truth 2.3 % higher on
  average at 20,000 subjects; 46-117 trees and 0.5 % higher at 100,000. At 880,000
  (590,000 inspections, ``benchmarks/scoring.py``, seeds 3/4/5) the holdout keeps 180, 178
  and 177 of 200 trees, and the lift is unchanged.
  Where the holdout cannot be used (fewer than ``_MIN_CALIBRATION_ROWS`` rows, or one
  class on either side) the booster grows ``max_iter`` trees on all rows, uncalibrated.
* ``"sigmoid"`` is the default because it is strictly monotone: it never changes the
  order of subjects, and the order is what decides who gets inspected. Isotonic
  calibration is offered, but its step function ties many subjects at one probability.

Rows passed to :meth:`RiskClassifier.fit` must be in chronological order (oldest first);
the estimator cannot see dates, so it trusts the order to find "the newest rows".
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

_CALIBRATIONS = ("sigmoid", "isotonic", None)
# Fewer calibration rows than this (or one class only) and the map is the identity:
# a calibrator fitted on a handful of rows is noise, not calibration.
_MIN_CALIBRATION_ROWS = 20
_CHUNK_ROWS = 65_536


class RiskClassifier(ClassifierMixin, BaseEstimator):
    """Binary risk model: histogram gradient boosting, calibrated on the newest rows.

    Args:
        learning_rate, max_iter, max_leaf_nodes, max_depth, min_samples_leaf,
        l2_regularization, max_features, max_bins: passed to
            ``HistGradientBoostingClassifier``; ``max_iter`` is the most trees.
        calibration: ``"sigmoid"`` (Platt, order preserving), ``"isotonic"`` or ``None``.
        calibration_fraction: share of the newest rows held out to fit the calibrator
            and to choose the number of trees.
        early_stopping: keep the number of trees (up to ``max_iter``) with the lowest
            log-loss on the held-out newest rows; ``False`` always grows ``max_iter``.
        refit: refit the booster on all rows after calibrating (see module docstring).
        random_state: seed for the booster's feature subsampling.

    Attributes (besides scikit-learn's): ``booster_``, ``calibrator_``, ``n_iter_`` (the
    trees kept), ``empty_features_`` (indices of features with no value in any training
    row: they take no part in the model), ``expected_value_``, ``calibrates_departure_``
    (the calibrator reads the raw score less the booster's baseline; absent from models
    saved before, whose calibrator reads the raw score).
    """

    def __init__(
        self,
        *,
        learning_rate: float = 0.05,
        max_iter: int = 200,
        max_leaf_nodes: int | None = 15,
        max_depth: int | None = None,
        min_samples_leaf: int = 40,
        l2_regularization: float = 1.0,
        max_features: float = 1.0,
        max_bins: int = 255,
        calibration: str | None = "sigmoid",
        calibration_fraction: float = 0.2,
        refit: bool = True,
        early_stopping: bool = True,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.max_depth = max_depth
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.max_features = max_features
        self.max_bins = max_bins
        self.calibration = calibration
        self.calibration_fraction = calibration_fraction
        self.refit = refit
        self.early_stopping = early_stopping
        self.random_state = random_state

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        """Declare NaN support and binary-only targets to scikit-learn's checks."""
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False
        return tags

    def _make_booster(self, seed: int, trees: int | None = None) -> HistGradientBoostingClassifier:
        return HistGradientBoostingClassifier(
            learning_rate=self.learning_rate,
            max_iter=self.max_iter if trees is None else trees,
            max_leaf_nodes=self.max_leaf_nodes,
            max_depth=self.max_depth,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=self.l2_regularization,
            max_features=self.max_features,
            max_bins=self.max_bins,
            early_stopping=False,
            random_state=seed,
        )

    def fit(self, X: ArrayLike, y: ArrayLike,
            sample_weight: ArrayLike | None = None) -> RiskClassifier:
        """Fit the booster and its out-of-time calibration; rows must be oldest first.

        ``sample_weight`` (non-negative, one per row) weighs each row in the booster's
        loss, in the choice of trees and in the calibrator alike; weights of 1 give the
        unweighted model exactly. The holdout is still the newest ``calibration_fraction``
        of the rows, and the booster still bins features and counts ``min_samples_leaf``
        over rows, so a row of weight 0 is not quite the same as no row.
        """
        if self.calibration not in _CALIBRATIONS:
            raise ValueError(
                f"calibration must be one of {_CALIBRATIONS}, got {self.calibration!r}"
            )
        if not 0.0 < self.calibration_fraction < 1.0:
            raise ValueError("calibration_fraction must be in (0, 1)")
        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan", dtype=np.float64)
        check_classification_targets(y)
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(f"RiskClassifier needs 2 classes in y; got one class {classes}")
        if type_of_target(y) != "binary":
            raise ValueError(
                "Only binary classification is supported. "
                f"Got {type_of_target(y)!r} targets with {len(classes)} classes"
            )
        self.classes_ = classes
        y01 = (y == self.classes_[1]).astype(np.int64)
        X, self.empty_features_ = _without_empty_columns(X)
        w = None  # unweighted: scikit-learn's own unweighted paths, bit for bit
        if sample_weight is not None:
            w = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                     ensure_non_negative=True)
            if len(np.unique(y01[w > 0])) < 2:
                raise ValueError("RiskClassifier needs 2 classes among the rows whose "
                                 "sample_weight is above 0")
        # One generator, turned into one seed: both boosters get the same seed, so the
        # refit differs from the holdout booster only by the rows it sees.
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

        n = len(y01)
        holding_out = self.calibration is not None or self.early_stopping
        n_cal = int(round(n * self.calibration_fraction)) if holding_out else 0
        fit_rows = n - n_cal
        seen = y01 if w is None else y01[w > 0]  # classes count where rows weigh something
        fit_seen = fit_rows if w is None else int(np.count_nonzero(w[:fit_rows]))
        has_holdout = (
            n_cal >= _MIN_CALIBRATION_ROWS
            and len(np.unique(seen[:fit_seen])) == 2
            and len(np.unique(seen[fit_seen:])) == 2
        )
        self.calibrator_: LogisticRegression | IsotonicRegression | None = None
        self.calibrates_departure_ = True  # see _fit_on_holdout
        self.booster_ = (self._fit_on_holdout(X, y01, w, fit_rows, seed) if has_holdout
                         else self._make_booster(seed).fit(X, y01, sample_weight=w))
        self.n_iter_ = self.booster_.n_iter_
        self._prepare_contributions()
        return self

    def _fit_on_holdout(self, X: NDArray[np.float64], y01: NDArray[np.int64],
                        w: NDArray[np.float64] | None, fit_rows: int,
                        seed: int) -> HistGradientBoostingClassifier:
        """Fit a booster on the oldest ``fit_rows``; on the newest rows choose its trees
        and fit the calibrator; return the booster to deploy (refitted on all rows unless
        ``refit`` is off)."""
        old, new = slice(None, fit_rows), slice(fit_rows, None)
        w_old, w_new = (None, None) if w is None else (w[old], w[new])
        # A source that starts late is empty in the older rows alone.
        X_old, _ = _without_empty_columns(X[old])
        holdout_booster = self._make_booster(seed).fit(X_old, y01[old], sample_weight=w_old)
        if self.early_stopping:
            trees, raw = _fewest_loss_trees(holdout_booster, X[new], y01[new], w_new,
                                            recalibrate=self.calibration is not None)
        else:
            trees, raw = holdout_booster.n_iter_, holdout_booster.decision_function(X[new])
        # The calibrator reads the score's departure from the booster's baseline (the log
        # odds of its training rows' base rate): the refitted booster's baseline moves with
        # the newest rows' outcomes, and a steep calibrator of a booster with few trees
        # turned that move into probabilities near 1 for every subject (a 300-subject
        # city). The ranking is the same either way.
        raw = raw - _baseline(holdout_booster)
        if self.calibration == "sigmoid":
            cal = _platt(raw, y01[new], w_new)
            # A non-positive slope would reverse the ranking: keep the raw scores.
            self.calibrator_ = cal if cal.coef_[0, 0] > 0 else None
        elif self.calibration == "isotonic":
            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
            self.calibrator_ = iso.fit(raw, y01[new], sample_weight=w_new)
        if self.refit:
            return self._make_booster(seed, trees).fit(X, y01, sample_weight=w)
        if trees < holdout_booster.n_iter_:
            # The same seed grows the same first trees (scikit-learn draws each tree's
            # feature subsample from one stream in order; a test holds it to this), so
            # this is the holdout booster cut to its kept trees.
            return self._make_booster(seed, trees).fit(X_old, y01[old], sample_weight=w_old)
        return holdout_booster

    def decision_function(self, X: ArrayLike) -> NDArray[np.float64]:
        """Return the booster's raw log-odds (before calibration)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)
        return self.booster_.decision_function(X)

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """Return calibrated probabilities, columns ordered as ``classes_``."""
        check_is_fitted(self)
        raw = self.decision_function(X)
        if self.calibrator_ is None:
            p1 = 1.0 / (1.0 + np.exp(-raw))
            return np.column_stack([1.0 - p1, p1])
        # a model saved before calibrators read the departure from the baseline was
        # calibrated on the raw score itself
        if getattr(self, "calibrates_departure_", False):
            raw = raw - _baseline(self.booster_)
        if isinstance(self.calibrator_, LogisticRegression):
            p1 = self.calibrator_.predict_proba(raw.reshape(-1, 1))[:, 1]
        else:
            p1 = self.calibrator_.predict(raw)
        p1 = np.clip(p1, 0.0, 1.0)
        return np.column_stack([1.0 - p1, p1])

    def predict(self, X: ArrayLike) -> NDArray:
        """Return the more probable class label."""
        proba = self.predict_proba(X)
        return self.classes_[(proba[:, 1] > 0.5).astype(int)]

    # ---- per-feature contributions (reason codes) ------------------------------------

    def _prepare_contributions(self) -> None:
        """Precompute, per tree, each leaf's path contribution to each feature.

        The tree-path (Saabas) attribution: walking from the root to a leaf, every split
        moves the expected raw score from the parent's value to the child's; the move is
        credited to the split feature. Node expectations are the training-count weighted
        means of the shrunk leaf values below them, so per row
        ``sum(contributions) + expected_value_ == decision_function`` exactly.
        """
        booster = self.booster_
        n_features = self.n_features_in_
        tables: list[NDArray[np.float32]] = []
        leaf_index_predictors: list[TreePredictor] = []
        expected = _baseline(booster)
        for (predictor,) in booster._predictors:
            nodes = predictor.nodes
            n_nodes = len(nodes)
            mean = nodes["value"].astype(np.float64)
            count = nodes["count"].astype(np.float64)
            # Children always have larger indices than their parent (nodes are written
            # depth first), so one reverse pass computes the expectations bottom up.
            for i in range(n_nodes - 1, -1, -1):
                if not nodes["is_leaf"][i]:
                    left, right = nodes["left"][i], nodes["right"][i]
                    total = count[left] + count[right]
                    mean[i] = (count[left] * mean[left] + count[right] * mean[right]) / total
            table = np.zeros((n_nodes, n_features), dtype=np.float64)
            for i in range(n_nodes):
                if not nodes["is_leaf"][i]:
                    f = nodes["feature_idx"][i]
                    for child in (nodes["left"][i], nodes["right"][i]):
                        table[child] = table[i]
                        table[child, f] += mean[child] - mean[i]
            expected += mean[0]
            tables.append(table.astype(np.float32))
            # Same tree with each node's value replaced by its own index: its prediction
            # is the index of the leaf a row lands in, computed by scikit-learn's
            # compiled, multithreaded traversal.
            index_nodes = nodes.copy()
            index_nodes["value"] = np.arange(n_nodes, dtype=np.float64)
            leaf_index_predictors.append(
                TreePredictor(
                    index_nodes, predictor.binned_left_cat_bitsets, predictor.raw_left_cat_bitsets
                )
            )
        self.expected_value_ = expected
        self._leaf_tables = tables
        self._leaf_index_predictors = leaf_index_predictors

    def feature_contributions(self, X: ArrayLike) -> NDArray[np.float32]:
        """Return per-row, per-feature contributions to the raw log-odds, shape (n, p).

        Positive values push a subject's risk up. Rows sum, with ``expected_value_``, to
        :meth:`decision_function` (up to float32 rounding). Calibration is monotone, so
        the ranking of reasons is the same on the probability scale.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)
        X = np.ascontiguousarray(X)
        known_cat_bitsets, f_idx_map = self.booster_._bin_mapper.make_known_categories_bitsets()
        n_threads = _n_threads()
        out = np.zeros((X.shape[0], self.n_features_in_), dtype=np.float32)
        for start in range(0, X.shape[0], _CHUNK_ROWS):
            stop = min(start + _CHUNK_ROWS, X.shape[0])
            chunk = X[start:stop]
            acc = out[start:stop]  # a view: the chunk stays in cache while trees add up
            for predictor, table in zip(
                self._leaf_index_predictors, self._leaf_tables, strict=True
            ):
                leaves = predictor.predict(chunk, known_cat_bitsets, f_idx_map, n_threads)
                acc += table[leaves.astype(np.intp)]
        return out


def _baseline(booster: HistGradientBoostingClassifier) -> float:
    """The booster's raw score before any tree: the log odds of its rows' base rate."""
    return float(np.asarray(booster._baseline_prediction).ravel()[0])


def _platt(raw: NDArray[np.float64], y01: NDArray[np.int64],
           w: NDArray[np.float64] | None) -> LogisticRegression:
    """Platt scaling as Platt (1999) wrote it: a logistic regression of the outcome on the
    raw score whose targets are pulled off 0 and 1 by one pseudo-count per class,
    (N+ + 1) / (N+ + 2) and 1 / (N- + 2). Each row enters twice, as a failure weighted by
    its target and as a pass weighted by the rest. On a large holdout this is plain
    Platt scaling; on a small one the raw score may separate the classes, and the plain
    fit's slope would run off without bound."""
    w = np.ones(len(raw)) if w is None else np.asarray(w, dtype=np.float64)
    w = w / w[w > 0].mean()  # the pseudo-counts are rows: weights scaled to a mean of 1
    failed = y01 == 1
    n_fail, n_pass = w[failed].sum(), w[~failed].sum()
    target = np.where(failed, (n_fail + 1) / (n_fail + 2), 1 / (n_pass + 2))
    x = np.r_[raw, raw].reshape(-1, 1)
    y = np.r_[np.ones(len(raw), np.int64), np.zeros(len(raw), np.int64)]
    # large C: two parameters need no regularisation beyond the targets
    return LogisticRegression(C=1e6).fit(x, y, sample_weight=np.r_[w * target,
                                                                      w * (1 - target)])


def _without_empty_columns(
    X: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """``X`` with every column that holds no value set to 0 (a copy, if there is one), and
    the indices of those columns: a feature without a single value (a city whose exports
    carry no phones, a source that starts after the training window) cannot be binned; as
    a constant no tree splits on it, so it adds nothing and costs nothing."""
    empty = np.isnan(X).all(axis=0)
    if not empty.any():
        return X, np.flatnonzero(empty)
    X = X.copy()
    X[:, empty] = 0.0
    return X, np.flatnonzero(empty)


def _fewest_loss_trees(
    booster: HistGradientBoostingClassifier, X: NDArray[np.float64], y: NDArray[np.int64],
    w: NDArray[np.float64] | None, *, recalibrate: bool
) -> tuple[int, NDArray[np.float64]]:
    """The number of the booster's trees whose log-loss on (X, y), weighted by ``w``, is
    lowest (the first, on a tie), and the raw scores of that many trees.

    With ``recalibrate`` each count's scores are first mapped by the best two-parameter
    logistic map on (X, y), as the calibrator will map them: the newest rows' base rate
    drifts, the calibrator corrects that level, and the raw loss would count it against
    more trees. (On the generated city of 880,000 subjects, seed 4, the raw loss kept 123
    trees and the calibrated loss 174; the top-10 % lift by truth was 2.474x and 2.481x.)
    """
    best, best_loss, best_raw = 0, np.inf, np.empty(0)
    for trees, raw in enumerate(booster.staged_decision_function(X), start=1):
        score = _platt_scores(raw, y, w) if recalibrate else raw
        loss = float(np.average(np.logaddexp(0.0, score) - y * score, weights=w))
        if loss < best_loss:  # each stage's scores are a fresh array: no copy needed
            best, best_loss, best_raw = trees, loss, raw
    if best == 0:  # no finite loss (a degenerate holdout): keep every tree
        return booster.n_iter_, booster.decision_function(X)
    return best, best_raw


def _platt_scores(raw: NDArray[np.float64], y: NDArray[np.int64],
                  weight: NDArray[np.float64] | None = None,
                  steps: int = 25) -> NDArray[np.float64]:
    """``a * raw + b`` with (a, b) maximising the likelihood of ``y``, each row counted with
    its ``weight`` (Newton's method from the identity map; unregularised, like the sigmoid
    calibrator)."""
    weight = 1.0 if weight is None else weight
    a, b = 1.0, 0.0
    for _ in range(steps):
        z = a * raw + b
        p = 0.5 * (1.0 + np.tanh(0.5 * z))  # the logistic function, without overflow
        g = weight * (y - p)
        w = weight * p * (1.0 - p)
        wr = np.dot(w, raw)
        grad = np.array([np.dot(g, raw), g.sum()])
        hess = np.array([[np.dot(w * raw, raw), wr], [wr, w.sum()]])
        try:
            da, db = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:  # separable scores: no finite optimum
            break
        if not (np.isfinite(da) and np.isfinite(db)):
            break
        a, b = a + da, b + db
        if abs(da) < 1e-10 and abs(db) < 1e-10:
            break
    return a * raw + b


def _n_threads() -> int:
    """Threads for the compiled tree traversal (scikit-learn's cgroup-aware count)."""
    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

    return int(_openmp_effective_n_threads())
