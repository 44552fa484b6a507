"""Reproduce the City of Chicago's published evaluation on its real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from riskgraph.models import chicago
from riskgraph.models.estimator import RiskClassifier
from riskgraph.models.replay import perfect_replay, random_replays, replay

DATA = chicago.default_data_path()
pytestmark = pytest.mark.skipif(not DATA.exists(), reason=f"no Chicago data at {DATA}")


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return chicago.load_model_data(DATA)


@pytest.fixture(scope="module")
def split(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return chicago.split_masks(frame)


def test_data_is_what_the_readme_describes(frame: pd.DataFrame, split) -> None:
    train, test = split
    assert len(frame) == 18_712
    assert test.sum() == 1_637 and frame.loc[test, chicago.TARGET].sum() == 258
    assert (train ^ test).all()
    dates = frame.loc[test, chicago.DATE]
    assert (dates.min(), dates.max()) == (pd.Timestamp("2014-09-02"), pd.Timestamp("2014-10-31"))
    assert frame.loc[train, chicago.DATE].max() < dates.min()  # a clean time split


def test_published_features(frame: pd.DataFrame) -> None:
    X = chicago.published_features(frame)
    assert X.shape == (len(frame), 16)
    assert chicago.inspector_penalty_mask(X.columns).sum() == 6
    assert X[["pastSerious", "pastCritical", "ageAtInspection"]].isin([0, 1]).all().all()
    assert X["heat_burglary"].max() <= 70 and X["heat_garbage"].max() <= 50
    assert not X.isna().any().any()
    assert list(chicago.published_features(frame, inspector_dummies=False).columns) == list(
        X.columns[6:]
    )


def test_replay_of_the_published_score(frame: pd.DataFrame, split) -> None:
    test = split[1]
    result = replay(
        frame.loc[test, chicago.DATE], frame.loc[test, "score"], frame.loc[test, chicago.TARGET]
    )
    assert round(result.days_earlier, 2) == 7.79
    assert round(100 * result.first_half_share, 2) == 68.22
    assert round(100 * result.first_half_share_real, 2) == 54.65
    assert result.found_later == 104


def _ridge_replay(frame: pd.DataFrame, split, inspector_dummies: bool):
    train, test = split
    X = chicago.published_features(frame, inspector_dummies)
    y = frame[chicago.TARGET].to_numpy()
    model = chicago.PublishedRidge().fit(X[train], y[train])
    p = model.predict_proba(X[test])[:, 1]
    return model, replay(frame.loc[test, chicago.DATE], p, y[test]), p


def test_ridge_refit_reproduces_the_published_result(frame: pd.DataFrame, split) -> None:
    model, result, _ = _ridge_replay(frame, split, inspector_dummies=True)
    assert result.days_earlier == pytest.approx(7.43, abs=0.05)
    assert result.found_later == 99
    # published 68.99 %; ours finds one of the 258 criticals fewer in the first half
    # (68.60 %: the ridge solver is not glmnet's)
    assert abs(result.first_half_share - 0.6899) * 258 <= 1.01
    assert model.lambda_ > 0


def test_ridge_without_inspectors_reproduces_the_published_result(frame, split) -> None:
    model, result, _ = _ridge_replay(frame, split, inspector_dummies=False)
    assert model.lambda_ == 0.0  # nothing left to penalise
    assert result.days_earlier == pytest.approx(2.29, abs=0.05)
    assert result.first_half_share == pytest.approx(0.5659, abs=0.005)
    assert abs(result.found_later - 122) <= 1


def test_random_and_perfect_orderings(frame: pd.DataFrame, split) -> None:
    test = split[1]
    dates, y = frame.loc[test, chicago.DATE], frame.loc[test, chicago.TARGET]
    assert round(perfect_replay(dates, y).days_earlier, 2) == 24.06
    draws = [r.days_earlier for r in random_replays(dates, y, n_draws=200, random_state=0)]
    assert np.mean(draws) == pytest.approx(-1.55, abs=0.25)
    assert np.std(draws, ddof=1) == pytest.approx(1.06, abs=0.2)


def test_riskgraph_model_finds_criticals_earlier_than_the_ridge(frame, split) -> None:
    train, test = split
    X = chicago.published_features(frame)
    y = frame[chicago.TARGET].to_numpy()
    rows = np.flatnonzero(train)[chicago.time_order(frame.loc[train, chicago.DATE])]
    model = RiskClassifier(random_state=0).fit(X.iloc[rows], y[rows])
    p = model.predict_proba(X[test])[:, 1]
    ours = replay(frame.loc[test, chicago.DATE], p, y[test])
    _, ridge, p_ridge = _ridge_replay(frame, split, inspector_dummies=True)
    assert ours.days_earlier > ridge.days_earlier
    assert roc_auc_score(y[test], p) > roc_auc_score(y[test], p_ridge)
