"""RiskClassifier: scikit-learn's contract, calibration, and per-feature contributions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from riskgraph.models.estimator import RiskClassifier


def make_risk_data(n: int = 4000, p: int = 6, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Feature 0 raises risk linearly, feature 1 through a threshold; the rest is noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    logit = -1.5 + 1.2 * X[:, 0] + 1.5 * (X[:, 1] > 0.5)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X[rng.random((n, p)) < 0.05] = np.nan
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(p)]), y


# Every check passes; none is skipped by us. (scikit-learn itself skips
# check_array_api_input unless SCIPY_ARRAY_API=1 is set.)
@parametrize_with_checks([RiskClassifier(max_iter=20, random_state=0)])
def test_sklearn_contract(estimator, check) -> None:
    check(estimator)


# Small models keep the suite fast; the behaviour under test does not depend on size.
SMALL = {"max_iter": 60, "random_state": 0}


@pytest.fixture(scope="module")
def fitted() -> tuple[RiskClassifier, pd.DataFrame, np.ndarray]:
    X, y = make_risk_data()
    return RiskClassifier(**SMALL).fit(X, y), X, y


def test_accepts_dataframe_with_nan_and_records_feature_names(fitted) -> None:
    model, X, _ = fitted
    assert list(model.feature_names_in_) == list(X.columns)
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert set(model.predict(X)) <= {0, 1}


def test_same_seed_same_scores_and_clone_is_unfitted() -> None:
    X, y = make_risk_data(n=1500)
    a = RiskClassifier(max_iter=30, max_features=0.5, random_state=7).fit(X, y)
    b = clone(a)
    assert not hasattr(b, "booster_")
    b.fit(X, y)
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))


def test_works_in_pipeline_and_time_series_grid_search() -> None:
    X, y = make_risk_data(n=1500)
    pipe = make_pipeline(SimpleImputer(), RiskClassifier(max_iter=30, random_state=0))
    search = GridSearchCV(
        pipe, {"riskclassifier__max_leaf_nodes": [4, 8]}, cv=TimeSeriesSplit(3), scoring="roc_auc"
    ).fit(X, y)
    assert search.best_params_["riskclassifier__max_leaf_nodes"] in (4, 8)
    assert search.predict_proba(X).shape == (len(X), 2)


def _holdout_log_loss(raw: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.logaddexp(0.0, raw) - y * raw))


def _platt_log_loss(raw: np.ndarray, y: np.ndarray) -> float:
    fit = LogisticRegression(C=1e6).fit(raw.reshape(-1, 1), y)
    return _holdout_log_loss(fit.decision_function(raw.reshape(-1, 1)), y)


def assert_platt(model: RiskClassifier, raw: np.ndarray, y: np.ndarray,
                 w: np.ndarray | None = None) -> None:
    """The model's calibrator is Platt's (1999) fit on these holdout scores: the cross-
    entropy against the targets (N+ + 1) / (N+ + 2) and 1 / (N- + 2) is at its optimum
    (zero gradient in slope and intercept) over the scores less the booster's baseline."""
    w = np.ones(len(y)) if w is None else w / w[w > 0].mean()  # pseudo-counts are rows
    x = raw - float(np.ravel(model.booster_._baseline_prediction)[0])
    n_fail, n_pass = w[y == 1].sum(), w[y == 0].sum()
    target = np.where(y == 1, (n_fail + 1) / (n_fail + 2), 1 / (n_pass + 2))
    p = model.calibrator_.predict_proba(x.reshape(-1, 1))[:, 1]
    gradient = w * (target - p)
    assert abs(gradient.sum()) < 1e-4 * w.sum() and abs(gradient @ x) < 1e-4 * w.sum()
    assert model.calibrator_.coef_[0, 0] > 0


@pytest.mark.parametrize("max_features", [1.0, 0.5])
def test_early_stopping_keeps_the_trees_with_the_lowest_holdout_loss(max_features) -> None:
    X, y = make_risk_data(n=3000)
    cut = len(y) - int(round(0.2 * len(y)))  # the newest 20 % are the holdout
    common = {"max_iter": 200, "max_features": max_features, "random_state": 0}
    grown = RiskClassifier(early_stopping=False, refit=False, **common).fit(X, y)
    assert grown.n_iter_ == 200
    staged = list(grown.booster_.staged_decision_function(X.iloc[cut:].to_numpy()))
    # A calibrated model judges each count of trees by the loss after calibration.
    calibrated = [_platt_log_loss(raw, y[cut:]) for raw in staged]
    kept = RiskClassifier(refit=False, **common).fit(X, y)
    assert kept.n_iter_ < 150  # 3,000 noisy rows do not support 200 trees at this rate
    assert calibrated[kept.n_iter_ - 1] <= min(calibrated) + 1e-6
    # the same seed grows the same first trees (feature subsampling included): the kept
    # booster is the grown one, cut
    assert np.allclose(kept.decision_function(X.iloc[cut:]), staged[kept.n_iter_ - 1])
    # the calibrator was fitted on the kept trees' scores, not on all 200
    assert_platt(kept, staged[kept.n_iter_ - 1], y[cut:])
    # the deployed (refitted) booster grows as many trees on all rows
    assert RiskClassifier(**common).fit(X, y).n_iter_ == kept.n_iter_
    # A model without calibration still chooses its trees, by the raw scores' loss.
    raw_best = int(np.argmin([_holdout_log_loss(raw, y[cut:]) for raw in staged])) + 1
    uncalibrated = RiskClassifier(calibration=None, **common).fit(X, y)
    assert uncalibrated.n_iter_ == raw_best < 150 and uncalibrated.calibrator_ is None


def test_early_stopping_forgives_trees_a_drift_in_the_base_rate() -> None:
    # The newest rows fail more often across the board (the base rate drifts up): the
    # raw scores' loss blames every added tree for that level, the calibrated loss does not.
    X, y = make_risk_data(n=6000, seed=4)
    cut = len(y) - 1200
    rng = np.random.default_rng(5)
    y = y.copy()
    y[cut:] = np.where(rng.random(1200) < 0.4, 1, y[cut:])
    common = {"max_iter": 200, "random_state": 0}
    by_calibrated = RiskClassifier(**common).fit(X, y).n_iter_
    by_raw = RiskClassifier(calibration=None, **common).fit(X, y).n_iter_
    assert by_calibrated > 2 * by_raw  # measured: 45 trees against 11


def test_early_stopping_keeps_few_trees_on_labels_that_are_noise() -> None:
    X, _ = make_risk_data(n=3000)
    noise = np.random.default_rng(1).integers(0, 2, len(X))
    assert RiskClassifier(max_iter=200, random_state=0).fit(X, noise).n_iter_ < 20
    assert RiskClassifier(max_iter=200, early_stopping=False, random_state=0).fit(
        X, noise).n_iter_ == 200


def test_sigmoid_calibration_keeps_order_and_matches_observed_rate(fitted) -> None:
    model = fitted[0]
    X_new, y_new = make_risk_data(n=8000, seed=1)
    p = model.predict_proba(X_new)[:, 1]
    raw = model.decision_function(X_new)
    assert np.array_equal(np.argsort(raw, kind="stable"), np.argsort(p, kind="stable"))
    assert abs(p.mean() - y_new.mean()) < 0.02


@pytest.mark.parametrize("calibration", ["isotonic", None])
def test_other_calibrations(calibration: str | None) -> None:
    X, y = make_risk_data()
    model = RiskClassifier(calibration=calibration, **SMALL).fit(X, y)
    p = model.predict_proba(X)[:, 1]
    assert ((p >= 0) & (p <= 1)).all()
    assert abs(p.mean() - y.mean()) < 0.05


def test_rejects_bad_calibration_argument() -> None:
    X, y = make_risk_data(n=200)
    with pytest.raises(ValueError, match="calibration"):
        RiskClassifier(calibration="platt").fit(X, y)


def test_contributions_add_up_to_the_raw_score(fitted) -> None:
    model, X, _ = fitted
    contrib = model.feature_contributions(X)
    assert contrib.shape == X.shape
    total = contrib.sum(axis=1) + model.expected_value_
    assert np.allclose(total, model.decision_function(X), atol=1e-4)


def test_contributions_credit_the_features_that_carry_risk(fitted) -> None:
    model, X, _ = fitted
    contrib = model.feature_contributions(X)
    strength = np.abs(contrib).mean(axis=0)
    assert set(np.argsort(-strength)[:2]) == {0, 1}
    assert strength[2:].max() < 0.4 * strength[:2].min()
    # Above the threshold feature 1 raises risk; below it, it lowers risk.
    above = X["f1"].to_numpy() > 0.5
    assert contrib[above, 1].mean() > 0 > contrib[X["f1"].to_numpy() < 0, 1].mean()


def test_weights_of_one_give_the_unweighted_model_exactly() -> None:
    X, y = make_risk_data(n=2000)
    for kw in ({}, {"calibration": "isotonic"}, {"refit": False, "max_features": 0.5}):
        plain = RiskClassifier(**SMALL, **kw).fit(X, y)
        ones = RiskClassifier(**SMALL, **kw).fit(X, y, sample_weight=np.ones(len(y)))
        assert ones.n_iter_ == plain.n_iter_
        assert np.array_equal(ones.predict_proba(X), plain.predict_proba(X))


def test_weights_choose_the_trees_and_fit_the_calibrator_on_the_weighted_holdout() -> None:
    X, y = make_risk_data(n=3000)
    cut = len(y) - int(round(0.2 * len(y)))
    w = np.random.default_rng(2).choice([0.0, 0.5, 1.0, 4.0], len(y))
    common = {"max_iter": 200, "random_state": 0, "refit": False}
    grown = RiskClassifier(early_stopping=False, **common).fit(X, y, sample_weight=w)
    staged = list(grown.booster_.staged_decision_function(X.iloc[cut:].to_numpy()))

    def weighted_platt_loss(raw: np.ndarray) -> float:
        fit = LogisticRegression(C=1e6).fit(raw.reshape(-1, 1), y[cut:], sample_weight=w[cut:])
        z = fit.decision_function(raw.reshape(-1, 1))
        return float(np.average(np.logaddexp(0.0, z) - y[cut:] * z, weights=w[cut:]))

    losses = [weighted_platt_loss(raw) for raw in staged]
    kept = RiskClassifier(**common).fit(X, y, sample_weight=w)
    assert losses[kept.n_iter_ - 1] <= min(losses) + 1e-6
    assert_platt(kept, staged[kept.n_iter_ - 1], y[cut:], w[cut:])
    # the weights reached the booster: unweighted, the same rows give other scores
    unweighted = RiskClassifier(**common).fit(X, y)
    assert not np.allclose(kept.decision_function(X), unweighted.decision_function(X))


def test_weighted_soft_labels_learn_the_probability_itself() -> None:
    # Each row twice, as a failure with weight p and a pass with weight 1 - p (in time
    # order): the model learns p without the noise of one drawn outcome per row.
    rng = np.random.default_rng(8)
    n = 4000
    X = rng.normal(size=(n, 4))
    p = 1 / (1 + np.exp(-(-1.0 + 1.2 * X[:, 0] + 1.0 * (X[:, 1] > 0.5))))
    drawn = (rng.random(n) < p).astype(int)
    twice = np.repeat(X, 2, axis=0)
    soft = RiskClassifier(**SMALL).fit(twice, np.tile([1, 0], n),
                                       sample_weight=np.column_stack([p, 1 - p]).ravel())
    hard = RiskClassifier(**SMALL).fit(X, drawn)
    error_soft = np.abs(soft.predict_proba(X)[:, 1] - p).mean()
    error_hard = np.abs(hard.predict_proba(X)[:, 1] - p).mean()
    assert error_soft < 0.03 and error_soft < 0.7 * error_hard


def test_rejects_weights_that_leave_one_class() -> None:
    X, y = make_risk_data(n=500)
    with pytest.raises(ValueError, match="2 classes among the rows"):
        RiskClassifier(**SMALL).fit(X, y, sample_weight=(y == 1).astype(float))
    with pytest.raises(ValueError, match="(?i)negative"):
        RiskClassifier(**SMALL).fit(X, y, sample_weight=np.full(len(y), -1.0))


def test_a_feature_without_any_value_takes_no_part() -> None:
    # A city whose exports carry no phones: every phone feature is NaN in every row.
    X, y = make_risk_data(n=2000)
    empty = X.assign(f_empty=np.nan)
    model = RiskClassifier(**SMALL).fit(empty, y)
    assert list(model.empty_features_) == [X.shape[1]]
    without = RiskClassifier(**SMALL).fit(X, y)
    assert model.n_iter_ == without.n_iter_
    assert np.allclose(model.predict_proba(empty)[:, 1], without.predict_proba(X)[:, 1])
    # values that turn up when scoring change nothing, and are credited nothing
    filled = empty.assign(f_empty=5.0)
    assert np.array_equal(model.predict_proba(filled), model.predict_proba(empty))
    assert not model.feature_contributions(filled)[:, -1].any()


def test_a_feature_that_starts_late_fits() -> None:
    # Values only in the newest rows (a source loaded from this year): empty where the
    # holdout booster is fitted, but not empty overall.
    X, y = make_risk_data(n=2000)
    late = X.assign(f_late=np.where(np.arange(len(X)) >= 1700, 1.0, np.nan))
    model = RiskClassifier(**SMALL).fit(late, y)
    assert len(model.empty_features_) == 0
    assert RiskClassifier(**SMALL, refit=False).fit(late, y).n_iter_ == model.n_iter_


def test_a_refit_on_drifted_outcomes_keeps_the_calibrated_rate() -> None:
    """A booster that learns little keeps its raw scores in a narrow band, so Platt's
    slope on the holdout is steep; the refit's baseline moves with the newest rows'
    outcomes, and the calibrator read that move as a change of risk: every subject of a
    300-subject city got a probability near 1. It reads each booster's departure from its
    own baseline instead."""
    rng = np.random.default_rng(5)
    n = 150
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=list("abcd"))
    newest = np.arange(n) >= n - 30
    risk = np.where(newest, 0.3, 0.14) * np.where(X["a"] > 0, 1.5, 0.5)  # drifts up
    y = (rng.random(n) < risk).astype(int)
    # two trees: the few a small city's early stopping kept
    model = RiskClassifier(max_iter=2, early_stopping=False, random_state=0).fit(X, y)
    assert model.calibrator_.coef_[0, 0] > 5  # steep: the raw band is narrow
    p = model.predict_proba(X)[:, 1]
    assert 0.1 < p.mean() < 0.4 and p.max() < 0.8


def test_calibration_ignores_the_scale_of_weights_and_old_models_keep_theirs() -> None:
    from riskgraph.models.estimator import _platt

    X, y = make_risk_data(n=1500)
    ones = RiskClassifier(random_state=0).fit(X, y)
    # Platt's pseudo-counts are rows: the same weights at another scale, the same map
    raw = ones.decision_function(X)
    w = np.random.default_rng(1).choice([0.0, 0.5, 1.0, 4.0], len(y))
    fits = [_platt(raw, y, w * scale) for scale in (1.0, 1e-3, 1e3)]
    assert all(np.allclose(f.coef_, fits[0].coef_, rtol=1e-4) and
               np.allclose(f.intercept_, fits[0].intercept_, rtol=1e-4) for f in fits)
    # a model saved before calibrators read the departure from the baseline
    del ones.calibrates_departure_
    assert np.allclose(ones.predict_proba(X)[:, 1],
                       ones.calibrator_.predict_proba(raw.reshape(-1, 1))[:, 1])
