"""Chicago food-inspection data: the published model's features, split and ridge refit.

Real data from the City of Chicago's public evaluation of its food-inspection forecasting
model (see ``/work/shared/data/chicago/README.md``). The ridge refit mirrors the
published R code (``CODE/30_glmnet_model.R``): ``glmnet(family="binomial", alpha=0,
penalty.factor = 1 for the inspector dummies, 0 otherwise)`` and the 100th (smallest)
lambda of glmnet's default path.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils.validation import check_is_fitted, validate_data

from riskgraph.models.estimator import RiskClassifier

DATA_FILE = "food_inspections_model_data.csv.gz"
TARGET = "criticalFound"
DATE = "Inspection_Date"
INSPECTOR = "Inspector_Assigned"
INSPECTOR_PREFIX = "Inspector_"

# Outcomes of the inspection itself: never features (they *are* the label, or follow it).
LEAKY_COLUMNS = (
    "criticalCount", "seriousCount", "minorCount", "pass_flag", "fail_flag", TARGET, "score",
)  # fmt: skip
# Identifiers and bookkeeping: not features either.
ID_COLUMNS = ("Inspection_Date", "License", "Inspection_ID", "Business_ID", "Test", "Train")

# glmnet's defaults (nobs > nvars): 100 lambdas down to 1e-4 of lambda_max; for ridge,
# lambda_max is computed as if alpha were 0.001 (it would be infinite at alpha = 0).
GLMNET_N_LAMBDA = 100
GLMNET_LAMBDA_MIN_RATIO = 1e-4
GLMNET_ALPHA_FLOOR = 1e-3
# The search space for riskgraph's model on this data (time-CV inside Train picks one).
TUNING_GRID: dict[str, list] = {
    "learning_rate": [0.02, 0.05],
    "max_iter": [100, 200, 400],
    "max_leaf_nodes": [3, 4, 6, 8, 15],
    "min_samples_leaf": [20, 100],
}
# Unpenalised columns are multiplied by this before an L2 fit, which shrinks their
# effective penalty by its square (1e-6): sklearn has no per-feature penalty factor.
_UNPENALISED_SCALE = 1e3


def default_data_path() -> Path:
    """Return the shared data file: under ``$RISKGRAPH_SHARED_DATA``, beside this
    repository (``../shared/data``), or in the workplace's ``/work/shared/data`` — the
    first that exists (a clone made elsewhere still finds the machine's copy)."""
    roots = [os.environ.get("RISKGRAPH_SHARED_DATA"),
             Path(__file__).resolve().parents[3] / "shared" / "data", "/work/shared/data"]
    candidates = [Path(r) / "chicago" / DATA_FILE for r in roots if r]
    return next((c for c in candidates if c.exists()), candidates[0])


def load_model_data(path: str | Path) -> pd.DataFrame:
    """Read the model table; ``Inspection_Date`` becomes datetime64, row order is kept."""
    frame = pd.read_csv(path)
    frame[DATE] = pd.to_datetime(frame[DATE], format="%Y-%m-%d")
    frame[TARGET] = frame[TARGET].astype(np.int64)
    return frame


def published_features(frame: pd.DataFrame, inspector_dummies: bool = True) -> pd.DataFrame:
    """Build the published model's features exactly as its R code does.

    Columns: one dummy per inspector team (all levels, as R's ``model.matrix(~ . - 1)``
    gives for the first factor), then ``pastSerious`` and ``pastCritical`` capped at 1,
    ``timeSinceLast``, ``ageAtInspection > 4``, the two license-activity flags,
    ``temperatureMax``, and the heat-map values capped at 70 / 70 / 50.
    """
    numeric = pd.DataFrame(
        {
            "pastSerious": frame["pastSerious"].clip(upper=1),
            "pastCritical": frame["pastCritical"].clip(upper=1),
            "timeSinceLast": frame["timeSinceLast"],
            "ageAtInspection": (frame["ageAtInspection"] > 4).astype(np.float64),
            "consumption_on_premises_incidental_activity": frame[
                "consumption_on_premises_incidental_activity"
            ],
            "tobacco_retail_over_counter": frame["tobacco_retail_over_counter"],
            "temperatureMax": frame["temperatureMax"],
            "heat_burglary": frame["heat_burglary"].clip(upper=70),
            "heat_sanitation": frame["heat_sanitation"].clip(upper=70),
            "heat_garbage": frame["heat_garbage"].clip(upper=50),
        },
        index=frame.index,
    ).astype(np.float64)
    if not inspector_dummies:
        return numeric
    dummies = pd.get_dummies(frame[INSPECTOR], prefix=INSPECTOR_PREFIX.rstrip("_"), dtype=float)
    return pd.concat([dummies.sort_index(axis=1), numeric], axis=1)


def extended_features(frame: pd.DataFrame) -> pd.DataFrame:
    """All columns known before the inspection (uncapped), facility type as dummies.

    Not the published feature set: used to show what more data buys. Excludes the
    inspection's own outcomes (``LEAKY_COLUMNS``) and identifiers.
    """
    drop = set(LEAKY_COLUMNS) | set(ID_COLUMNS) | {INSPECTOR, "Facility_Type"}
    numeric = frame[[c for c in frame.columns if c not in drop]].astype(np.float64)
    facility = pd.get_dummies(frame["Facility_Type"], prefix="facility", dtype=float)
    inspector = pd.get_dummies(frame[INSPECTOR], prefix="Inspector", dtype=float)
    return pd.concat([inspector, facility, numeric], axis=1)


def split_masks(frame: pd.DataFrame) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Return the published (train, test) row masks."""
    return frame["Train"].to_numpy(dtype=bool), frame["Test"].to_numpy(dtype=bool)


def time_order(dates: ArrayLike) -> NDArray[np.intp]:
    """Indices that sort rows oldest first, ties kept in input order."""
    return np.argsort(np.asarray(dates, dtype="datetime64[D]"), kind="stable")


def inspector_penalty_mask(columns: pd.Index | list[str]) -> NDArray[np.bool_]:
    """True for the inspector dummies: the only columns the published ridge penalises."""
    return np.array([str(c).startswith(INSPECTOR_PREFIX) for c in columns])


def _standardise(X: NDArray[np.float64]) -> NDArray[np.float64]:
    # glmnet standardises with the population (1/n) standard deviation.
    sd = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def glmnet_penalty_factors(penalized: ArrayLike) -> NDArray[np.float64]:
    """glmnet's ``penalty.factor`` after its internal rescaling to sum to ``nvars``."""
    pen = np.asarray(penalized, dtype=np.float64)
    return pen * len(pen) / pen.sum()


def glmnet_lambda(
    X: ArrayLike,
    y: ArrayLike,
    penalized: ArrayLike,
    index: int = GLMNET_N_LAMBDA,
    alpha: float = 0.0,
) -> float:
    """Lambda number ``index`` (1-based) of glmnet's default binomial path.

    glmnet fits the unpenalised columns first; lambda_max is the largest
    ``|mean((y - p) * z_j)| / vp_j`` over the penalised standardised columns ``z_j``,
    divided by ``max(alpha, 0.001)``; the path falls geometrically to
    ``lambda_min_ratio * lambda_max`` in ``nlambda`` steps.
    """
    Z = _standardise(np.asarray(X, dtype=np.float64))
    yv = np.asarray(y, dtype=np.float64)
    pen = np.asarray(penalized, dtype=bool)
    if (~pen).any():
        free = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-10, max_iter=1000)
        p0 = free.fit(Z[:, ~pen], yv).predict_proba(Z[:, ~pen])[:, 1]
    else:
        p0 = np.full_like(yv, yv.mean())
    gradient = np.abs(((yv - p0)[:, None] * Z[:, pen]).mean(axis=0))
    vp = glmnet_penalty_factors(pen)[pen]
    lambda_max = float((gradient / vp).max()) / max(alpha, GLMNET_ALPHA_FLOOR)
    step = GLMNET_LAMBDA_MIN_RATIO ** ((index - 1) / (GLMNET_N_LAMBDA - 1))
    return lambda_max * step


def _scale_columns(X: NDArray[np.float64], factors: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(X, dtype=np.float64) * factors


def ridge_logistic(lam: float, n_samples: int, penalized: ArrayLike) -> Pipeline:
    """An unfitted pipeline minimising glmnet's ridge objective with penalty factors.

    glmnet minimises ``mean log-loss + lam/2 * sum(vp_j * b_j**2)`` on standardised
    columns. ``LogisticRegression(C)`` minimises ``C * sum log-loss + 1/2 * sum(w_j**2)``;
    dividing by ``C * n`` and scaling column j by ``1/sqrt(vp_j)`` makes the two equal
    when ``C = 1 / (n * lam)``. Unpenalised columns get a large scale (near-zero penalty).
    """
    vp = glmnet_penalty_factors(penalized)
    factors = np.where(vp > 0, 1.0 / np.sqrt(np.where(vp > 0, vp, 1.0)), _UNPENALISED_SCALE)
    return make_pipeline(
        StandardScaler(),
        FunctionTransformer(_scale_columns, kw_args={"factors": factors}),
        LogisticRegression(C=1.0 / (n_samples * lam), solver="newton-cholesky", tol=1e-10),
    )


class PublishedRidge(ClassifierMixin, BaseEstimator):
    """The published model as an estimator: glmnet-style ridge, only inspectors penalised.

    Args:
        penalized: one flag per column; ``None`` penalises the columns whose names start
            with ``Inspector_`` (needs a DataFrame). With no penalised column the fit is
            a plain (unpenalised) logistic regression.
        lambda_index: which lambda of glmnet's default path (the published code: 100).
    """

    def __init__(
        self, penalized: tuple[bool, ...] | None = None, lambda_index: int = GLMNET_N_LAMBDA
    ) -> None:
        self.penalized = penalized
        self.lambda_index = lambda_index

    def fit(self, X: ArrayLike, y: ArrayLike) -> PublishedRidge:
        """Compute glmnet's lambda on the training rows and fit the ridge."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        self.classes_, y01 = np.unique(y, return_inverse=True)
        if len(self.classes_) != 2:
            raise ValueError("Only binary classification is supported.")
        if self.penalized is not None:
            pen = np.asarray(self.penalized, dtype=bool)
        elif hasattr(self, "feature_names_in_"):
            pen = inspector_penalty_mask(list(self.feature_names_in_))
        else:
            pen = np.zeros(X.shape[1], dtype=bool)
        if pen.any():
            self.lambda_ = glmnet_lambda(X, y01, pen, index=self.lambda_index)
            self.pipeline_ = ridge_logistic(self.lambda_, len(X), pen).fit(X, y01)
        else:
            self.lambda_ = 0.0
            plain = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-10)
            self.pipeline_ = make_pipeline(StandardScaler(), plain).fit(X, y01)
        return self

    def predict_proba(self, X: ArrayLike) -> NDArray[np.float64]:
        """Return probabilities, columns ordered as ``classes_``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return self.pipeline_.predict_proba(X)

    def predict(self, X: ArrayLike) -> NDArray:
        """Return the more probable class label."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def tune_risk_classifier(
    X: ArrayLike,
    y: ArrayLike,
    grid: dict[str, list],
    n_splits: int = 4,
    random_state: int = 0,
    n_jobs: int | None = None,
) -> GridSearchCV:
    """Grid-search a RiskClassifier by forward-chaining time CV; rows must be oldest first.

    Each fold trains on the past and scores ROC-AUC on the next block of time, so no
    configuration is chosen with knowledge of its own future. Refits the best on all rows.
    """
    search = GridSearchCV(
        RiskClassifier(random_state=random_state),
        grid,
        cv=TimeSeriesSplit(n_splits=n_splits),
        scoring="roc_auc",
        n_jobs=n_jobs,
    )
    return search.fit(X, y)
