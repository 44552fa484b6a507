"""Scoring helpers: risk classes and the credit scorecard (reason codes: ``reasons``).

Pure functions on arrays and DataFrames; nothing here reads the graph or the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

# ---- risk class A (low) … D (high) --------------------------------------------------

RISK_CLASSES = ("A", "B", "C", "D")
# Default cut points are *relative risks*: multiples of the mean calibrated probability of
# the subjects scored together. "D" means at least twice the average chance that an
# inspection finds a problem, "A" less than 0.7 times it, in any city and any year. Fixed
# probabilities (the first design: A < 5 % <= B < 15 % <= C < 30 % <= D) put 77 % of the
# synthetic city in B and 0.7 % in D, so a differentiated draw hardly differed from a
# uniform one (1.35x its yield, against 1.59x with these; measured on a 100,000-subject
# city, `docs/draws.md`); and in a city whose base rate is 30 % they would put most
# subjects in D. Absolute thresholds stay available (``ClassCuts("absolute", ...)``).
DEFAULT_RELATIVE_CUTS = (0.7, 1.3, 2.0)
# Kept for absolute thresholds on calibrated probabilities.
DEFAULT_RISK_CUT_POINTS = (0.05, 0.15, 0.30)
# Population shares for the quantile fallback (A, B, C, D): for scores that are not
# calibrated probabilities, e.g. a new model before its calibration is validated.
DEFAULT_CLASS_SHARES = (0.50, 0.30, 0.15, 0.05)


@dataclass(frozen=True)
class ClassCuts:
    """How probabilities become classes: ``relative`` (multiples of the mean probability
    of the subjects scored), ``absolute`` (probabilities) or ``quantile`` (shares A..D)."""

    mode: str = "relative"
    values: tuple[float, ...] = DEFAULT_RELATIVE_CUTS

    @classmethod
    def parse(cls, text: str) -> ClassCuts:
        """Parse ``relative:0.7,1.3,2``, ``absolute:0.05,0.15,0.3`` or
        ``quantile:.5,.3,.15,.05``."""
        mode, sep, rest = text.partition(":")
        if not sep:
            raise ValueError(f"class cuts {text!r}: write MODE:VALUES, MODE one of relative, "
                             "absolute, quantile")
        try:
            values = tuple(float(v) for v in rest.split(","))
        except ValueError:
            raise ValueError(f"class cuts {text!r}: values must be numbers") from None
        cuts = cls(mode.strip().lower(), values)
        cuts.points(np.array([0.1, 0.2]))  # validates
        return cuts

    def points(self, prob: ArrayLike) -> tuple[float, float, float]:
        """The three probability thresholds for these scores."""
        p = np.asarray(prob, dtype=np.float64)
        v = np.asarray(self.values, dtype=np.float64)
        if not len(p) or np.isnan(p).any():
            raise ValueError("class cuts need at least one score and no NaN")
        if self.mode == "quantile":
            return quantile_cut_points(p, self.values)
        if self.mode not in ("relative", "absolute"):
            raise ValueError(f"class cuts mode must be relative, absolute or quantile, "
                             f"got {self.mode!r}")
        if v.shape != (3,) or np.any(np.diff(v) <= 0) or v[0] <= 0:
            raise ValueError(f"{self.mode} class cuts must be 3 positive increasing values, "
                             f"got {self.values}")
        if self.mode == "absolute":
            if v[2] > 1:
                raise ValueError(f"absolute class cuts are probabilities, got {self.values}")
            return (float(v[0]), float(v[1]), float(v[2]))
        mean = float(p.mean())  # p is not empty: checked above
        if not mean > 0:
            raise ValueError("relative class cuts need scores with a positive mean")
        return tuple(float(x) for x in v * mean)  # type: ignore[return-value]

    def describe(self) -> str:
        return f"{self.mode}:" + ",".join(repr(float(v)) for v in self.values)


def risk_class(
    prob: ArrayLike, cut_points: Sequence[float] = DEFAULT_RISK_CUT_POINTS
) -> NDArray[np.str_]:
    """Map probabilities to classes 'A' (low) … 'D' (high); a value on a cut goes up.

    ``cut_points`` are three increasing thresholds: A < c1 <= B < c2 <= C < c3 <= D.
    With uncalibrated scores, pass ``quantile_cut_points(scores)`` instead.
    """
    cuts = np.asarray(cut_points, dtype=np.float64)
    if cuts.shape != (len(RISK_CLASSES) - 1,) or np.any(np.diff(cuts) <= 0):
        raise ValueError(f"cut_points must be 3 strictly increasing values, got {cut_points}")
    p = np.asarray(prob, dtype=np.float64)
    if np.isnan(p).any():
        raise ValueError("prob contains NaN")
    return np.asarray(RISK_CLASSES)[np.searchsorted(cuts, p, side="right")]


def quantile_cut_points(
    scores: ArrayLike, shares: Sequence[float] = DEFAULT_CLASS_SHARES
) -> tuple[float, float, float]:
    """Cut points that put ``shares`` of the population into A, B, C, D (fallback)."""
    s = np.asarray(shares, dtype=np.float64)
    if s.shape != (len(RISK_CLASSES),) or not np.isclose(s.sum(), 1.0) or (s <= 0).any():
        raise ValueError(f"shares must be 4 positive values summing to 1, got {shares}")
    q = np.quantile(np.asarray(scores, dtype=np.float64), np.cumsum(s)[:-1])
    # Keep the cuts strictly increasing even when many scores tie.
    q = np.maximum.accumulate(q + np.arange(3) * np.finfo(np.float64).eps)
    return (float(q[0]), float(q[1]), float(q[2]))


# ---- credit grade (transparent additive scorecard) -----------------------------------

CREDIT_BASE_POINTS = 100
# Points per unit of each input column: (points, cap on the column's total, or None).
# Penalties count only when *unrepaired*: a repaired penalty (信用修复) has left public
# view and must not lower a grade; `penalty_counts` drops repaired ones by construction.
CREDIT_POINTS: dict[str, tuple[int, int | None]] = {
    "penalties_serious_12m": (-30, None),
    "penalties_general_12m": (-10, None),
    "penalties_minor_12m": (-3, -15),
    "penalties_serious_36m": (-15, None),
    "penalties_general_36m": (-5, None),
    "penalties_minor_36m": (-1, -5),
    "list_serious_dishonest": (-60, None),
    "list_joint_punishment": (-40, None),
    "list_abnormal_operation": (-15, None),
    "complaints_substantiated_12m": (-2, -10),
    "commitments_broken": (-10, None),
    "commitments_kept": (2, 6),
}
# Grade thresholds on points (a value on a threshold gets the better grade).
CREDIT_GRADES: tuple[tuple[str, int, str], ...] = (
    ("A", 90, "守信 / trustworthy"),
    ("B", 75, "基本守信 / largely trustworthy"),
    ("C", 60, "失信风险 / at risk of dishonesty"),
    ("D", -(10**9), "失信 / dishonest"),
)
# A subject on the serious-dishonesty list is D whatever its points.
FORCE_D_COLUMNS = ("list_serious_dishonest",)
# Subjects registered less than this before `as_of` have too short a record to be A.
NEW_SUBJECT_DAYS = 365
SEVERITIES = ("minor", "general", "serious")


def credit_grade(frame: pd.DataFrame, as_of: date) -> tuple[pd.Series, pd.Series]:
    """Score subjects on the additive scorecard; return (points, grade) indexed like frame.

    Args:
        frame: one row per subject. Count columns (missing columns count as 0):
            ``penalties_{minor,general,serious}_12m`` — unrepaired penalties decided in
            the 12 months up to ``as_of``; ``penalties_{…}_36m`` — decided 12–36 months
            before ``as_of`` (older ones have expired); ``list_serious_dishonest``,
            ``list_joint_punishment``, ``list_abnormal_operation`` — list entries active
            on ``as_of``; ``complaints_substantiated_12m``; ``commitments_kept``,
            ``commitments_broken`` (信用承诺). Optional ``registered_on`` (date).
            Build the penalty columns with :func:`penalty_counts`, which drops repaired
            penalties; a ``penalties_repaired`` column, if present, is ignored.
        as_of: the evaluation date; subjects registered within ``NEW_SUBJECT_DAYS``
            before it are capped at grade B.

    Points: ``CREDIT_BASE_POINTS`` plus ``CREDIT_POINTS[column] * count`` per column
    (each capped), clipped to 0..100. Grades by ``CREDIT_GRADES``; serious-dishonesty
    listing forces D.
    """
    points = pd.Series(float(CREDIT_BASE_POINTS), index=frame.index)
    for column, (per_unit, cap) in CREDIT_POINTS.items():
        if column not in frame:
            continue
        counts = pd.to_numeric(frame[column], errors="raise").fillna(0)
        if (counts < 0).any():
            raise ValueError(f"negative counts in {column}")
        delta = counts * per_unit
        if cap is not None:
            delta = delta.clip(lower=cap) if cap < 0 else delta.clip(upper=cap)
        points += delta
    points = points.clip(0, CREDIT_BASE_POINTS)
    grade = pd.Series(CREDIT_GRADES[-1][0], index=frame.index, dtype=object)
    for letter, threshold, _ in reversed(CREDIT_GRADES[:-1]):
        grade[points >= threshold] = letter
    if "registered_on" in frame:
        registered = pd.to_datetime(frame["registered_on"])
        is_new = registered > pd.Timestamp(as_of - timedelta(days=NEW_SUBJECT_DAYS))
        grade[is_new & (grade == "A")] = "B"
    for column in FORCE_D_COLUMNS:
        if column in frame:
            grade[frame[column].fillna(0) > 0] = "D"
    return points.astype(np.int64), grade


def penalty_counts(
    penalties: pd.DataFrame, as_of: date, subject: str = "subject_uscc"
) -> pd.DataFrame:
    """Per-subject penalty counts by severity and recency, as ``credit_grade`` expects.

    Input: one row per penalty with ``subject_uscc``, ``decided_on``, ``severity``
    (minor/general/serious) and optional ``repaired_on``. The counts are the record as it
    stood when ``as_of`` began, as the risk score's features are: penalties decided on or
    after ``as_of``, or repaired before it, or older than 36 months, are not counted.
    """
    frame = penalties.copy()
    decided = pd.to_datetime(frame["decided_on"])
    repaired = pd.to_datetime(frame.get("repaired_on", pd.Series(pd.NaT, index=frame.index)))
    at = pd.Timestamp(as_of)
    unknown = set(frame["severity"].dropna()) - set(SEVERITIES)
    if unknown:
        raise ValueError(f"unknown severities: {sorted(unknown)}")
    live = (decided < at) & ~(repaired < at)
    # calendar months, as the windows are named: 36 months are 1,096 days across a leap day
    window = np.select([decided > at - pd.DateOffset(months=12),
                        decided > at - pd.DateOffset(months=36)], ["12m", "36m"], default="")
    keep = live & (window != "")
    window_names = pd.Series(window, index=frame.index)
    columns = "penalties_" + frame["severity"].astype(str) + "_" + window_names
    wanted = [f"penalties_{s}_{w}" for s in SEVERITIES for w in ("12m", "36m")]
    return _counts(frame[subject], keep, columns, wanted)


def _counts(subject: pd.Series, keep: pd.Series, column: pd.Series,
            wanted: list[str]) -> pd.DataFrame:
    """Per subject (every one in ``subject``), how many kept rows fall in each ``wanted``
    column, 0 where none."""
    subjects = pd.Index(subject.unique(), name=subject.name)
    if not keep.any():
        return pd.DataFrame(0, index=subjects, columns=wanted, dtype=np.int64)
    counts = pd.crosstab(subject[keep], column[keep])
    return counts.reindex(index=subjects, columns=wanted, fill_value=0).astype(np.int64)


COMMITMENT_WINDOW_MONTHS = 36  # a kept or broken commitment counts for 36 months


def commitment_counts(
    commitments: pd.DataFrame, as_of: date, subject: str = "subject_uscc"
) -> pd.DataFrame:
    """Per-subject ``commitments_kept`` and ``commitments_broken``, as ``credit_grade``
    expects: commitments found kept or broken before ``as_of`` (the record as it stood
    when the day began) and less than ``COMMITMENT_WINDOW_MONTHS`` (calendar months)
    before it.

    Input: one row per commitment with ``subject_uscc``, ``made_on``, ``fulfilment``
    (pending/kept/broken) and optional ``due_on`` and ``verified_on``. A commitment counts
    from the day it was verified; without that day, from its deadline (``due_on``), and
    without a deadline from the day it was made. A pending one never counts.
    """
    none = pd.Series(pd.NaT, index=commitments.index)
    known = pd.to_datetime(commitments.get("verified_on", none))
    for fallback in ("due_on", "made_on"):
        known = known.fillna(pd.to_datetime(commitments.get(fallback, none)))
    at = pd.Timestamp(as_of)
    since = at - pd.DateOffset(months=COMMITMENT_WINDOW_MONTHS)
    fulfilment = commitments["fulfilment"]
    keep = (known < at) & (known > since) & fulfilment.isin(["kept", "broken"])
    return _counts(commitments[subject], keep, "commitments_" + fulfilment.astype(str),
                   ["commitments_kept", "commitments_broken"])
