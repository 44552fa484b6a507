"""Score every active subject: probability, risk class, credit grade and reasons."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence

import numpy as np
import pandas as pd

from riskgraph.models.features import subject_features
from riskgraph.models.frames import GraphFrames
from riskgraph.models.linkage import Links, build_links
from riskgraph.models.reasons import plain_reasons, reason_evidence, reason_phrase
from riskgraph.models.scoring import (
    ClassCuts,
    commitment_counts,
    credit_grade,
    penalty_counts,
    risk_class,
)
from riskgraph.models.training import TrainedModel

log = logging.getLogger(__name__)

DEFAULT_CUTS = ClassCuts()
CREDIT_INPUTS = ("list_serious_dishonest", "list_joint_punishment", "list_abnormal_operation",
                 "complaints_substantiated_12m")


def score_subjects(frames: GraphFrames, model: TrainedModel, as_of: dt.date | str, *,
                   links: Links | None = None, hub_cap: int = 30,
                   cuts: ClassCuts = DEFAULT_CUTS,
                   top_reasons: int = 3, active_only: bool = True) -> pd.DataFrame:
    """Return one row per active subject: prob, risk_class, credit points and grade, reasons.

    With ``active_only`` off, every subject registered by ``as_of`` is scored, whatever its
    status today: a past day's subjects include those cancelled since.

    The probability thresholds the classes were cut at are in ``.attrs["class_cut_points"]``
    (with relative cuts they depend on the mean probability of the subjects scored).
    """
    started = time.monotonic()
    if isinstance(as_of, str):  # an analyst's "2026-09-30"
        as_of = dt.date.fromisoformat(as_of)
    links = links if links is not None else build_links(frames, hub_cap=hub_cap)
    feats = subject_features(frames, as_of, links)
    status = frames.subjects.set_index("uscc")["status"].reindex(feats.index)
    active = (status.fillna("active") == "active").to_numpy() | (not active_only)
    feats = feats[active]
    if feats.empty:
        raise ValueError(f"no active subject was registered before {as_of}: nothing to score")
    X = feats[model.features]
    prob = model.estimator.predict_proba(X)[:, 1]
    contributions = model.estimator.feature_contributions(X)
    reasons = plain_reasons(contributions, X, top=top_reasons,
                            evidence=reason_evidence(X, model.features))
    credit_in = feats[list(CREDIT_INPUTS)].copy()
    penalties = penalty_counts(frames.penalties, as_of)
    commitments = commitment_counts(frames.commitments, as_of)
    credit_in = credit_in.join(penalties, how="left").join(commitments, how="left").fillna(0)
    credit_in["registered_on"] = frames.subjects.set_index("uscc")["registered_on"]
    points, grade = credit_grade(credit_in, as_of)
    cut_points = cuts.points(prob)
    out = pd.DataFrame({
        "uscc": feats.index.to_numpy(),
        "prob": prob.astype(np.float64),
        "risk_class": risk_class(prob, cut_points),
        "credit_points": points.to_numpy(),
        "credit_grade": grade.to_numpy(),
        "reasons": reasons,
    })
    out.attrs["class_cut_points"] = cut_points
    out.attrs["class_cuts"] = cuts.describe()
    log.info("scored subjects=%d seconds=%.1f", len(out), time.monotonic() - started)
    return out


def reasons_text(codes: Sequence[str]) -> list[str]:
    """Return the plain-language Chinese / English phrase of each reason code."""
    return [reason_phrase(code).text() for code in codes]
