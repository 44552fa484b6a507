"""Scoring helpers: risk classes, the credit scorecard, and reason codes.

Pure functions on arrays and DataFrames; nothing here reads the graph or the clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
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
    (minor/general/serious) and optional ``repaired_on``. Penalties decided after
    ``as_of``, or repaired on or before it, or older than 36 months, are not counted.
    """
    frame = penalties.copy()
    decided = pd.to_datetime(frame["decided_on"])
    repaired = pd.to_datetime(frame.get("repaired_on", pd.Series(pd.NaT, index=frame.index)))
    at = pd.Timestamp(as_of)
    unknown = set(frame["severity"].dropna()) - set(SEVERITIES)
    if unknown:
        raise ValueError(f"unknown severities: {sorted(unknown)}")
    live = (decided <= at) & ~(repaired <= at)
    age_days = (at - decided).dt.days
    window = np.select([age_days < 365, age_days < 3 * 365], ["12m", "36m"], default="")
    keep = live & (window != "")
    window_names = pd.Series(window, index=frame.index)
    columns = "penalties_" + frame["severity"].astype(str) + "_" + window_names
    wanted = [f"penalties_{s}_{w}" for s in SEVERITIES for w in ("12m", "36m")]
    subjects = pd.Index(frame[subject].unique(), name=subject)
    if not keep.any():
        return pd.DataFrame(0, index=subjects, columns=wanted, dtype=np.int64)
    counts = pd.crosstab(frame.loc[keep, subject], columns[keep])
    return counts.reindex(index=subjects, columns=wanted, fill_value=0).astype(np.int64)


# ---- reason codes ------------------------------------------------------------------


@dataclass(frozen=True)
class Phrase:
    """A reason in plain language for an inspector, in Chinese and English."""

    zh: str
    en: str

    def text(self) -> str:
        """Return ``"中文 / English"``."""
        return f"{self.zh} / {self.en}"


_SEVERITY_WORDS = {
    "minor": ("轻微", "minor"),
    "general": ("一般", "general"),
    "serious": ("严重", "serious"),
}
_LIST_WORDS = {
    "abnormal_operation": ("经营异常名录", "the abnormal-operation list"),
    "serious_dishonest": ("严重违法失信名单", "the serious-dishonesty list"),
    "joint_punishment": ("联合惩戒对象名单", "the joint-punishment list"),
}

# Exact feature names → phrase. Extend freely (or pass your own mapping).
REASON_PHRASES: dict[str, Phrase] = {
    "past_inspection_failures": Phrase("以往检查发现问题", "earlier inspections found problems"),
    "complaints_substantiated_12m": Phrase(
        "近12个月有查实的投诉", "substantiated complaints in the last 12 months"
    ),
    "age_years": Phrase("成立时间", "age of the business"),
    "key_sector": Phrase("属于重点监管行业", "in a key supervised sector"),
    "cluster_size": Phrase("关联企业群规模较大", "part of a large cluster of linked subjects"),
    "linked_penalties": Phrase(
        "关联主体（共同股东、地址或电话）受过行政处罚",
        "linked subjects (shared owner, address or phone) were penalised",
    ),
    "linked_listed": Phrase(
        "关联主体在失信或异常名单上", "linked subjects are on a dishonesty or abnormal list"
    ),
    "legal_rep_other_penalties": Phrase(
        "法定代表人的其他企业受过处罚", "the legal representative's other businesses were penalised"
    ),
    "propagated_risk": Phrase("关联网络风险传导", "risk passed on through linked subjects"),
    "days_since_last_inspection": Phrase(
        "距上次检查时间较长", "long time since the last inspection"
    ),
    # Chicago model features, so reason codes work on the real-data replay too.
    "pastSerious": Phrase("以往检查有严重违规", "serious violations at earlier inspections"),
    "pastCritical": Phrase("以往检查有重大违规", "critical violations at earlier inspections"),
    "timeSinceLast": Phrase("距上次检查时间较长", "long time since the last inspection"),
    "ageAtInspection": Phrase("经营年限", "years in business"),
    "temperatureMax": Phrase("近期气温高", "hot weather"),
    "heat_burglary": Phrase("周边盗窃案件多", "many burglaries nearby"),
    "heat_sanitation": Phrase("周边卫生投诉多", "many sanitation complaints nearby"),
    "heat_garbage": Phrase("周边垃圾问题多", "many garbage complaints nearby"),
}

# Name patterns → phrase templates, so "penalties_serious_24m" needs no entry of its own.
REASON_PATTERNS: list[tuple[re.Pattern[str], Phrase]] = [
    (
        re.compile(r"^penalties_(?P<sev>minor|general|serious)_(?P<n>\d+)m$"),
        Phrase("近{n}个月有{sev_zh}行政处罚", "{sev_en} penalty in the last {n} months"),
    ),
    (
        re.compile(r"^penalties_(?P<n>\d+)m$"),
        Phrase("近{n}个月有行政处罚", "administrative penalty in the last {n} months"),
    ),
    (
        re.compile(r"^complaints_(?P<n>\d+)m$"),
        Phrase("近{n}个月有投诉", "complaints in the last {n} months"),
    ),
    (
        re.compile(r"^list_(?P<list>abnormal_operation|serious_dishonest|joint_punishment)$"),
        Phrase("列入{list_zh}", "on {list_en}"),
    ),
    (
        re.compile(r"^list_(?P<list>abnormal_operation|serious_dishonest|joint_punishment)_ever$"),
        Phrase("曾列入{list_zh}", "was once on {list_en}"),
    ),
    (
        re.compile(r"^linked_penalties_(?P<hops>\d)hop$"),
        Phrase("{hops}度关联主体受过行政处罚", "subjects {hops} hop(s) away were penalised"),
    ),
    (re.compile(r"^industry_(?P<name>.+)$"), Phrase("行业：{name}", "industry: {name}")),
    (re.compile(r"^Inspector_(?P<name>.+)$"), Phrase("检查组：{name}", "inspection team: {name}")),
]


def reason_phrase(code: str, phrases: Mapping[str, Phrase] | None = None) -> Phrase:
    """Plain-language phrase for a feature name; falls back to the name itself."""
    from riskgraph.models.phrases import FEATURE_PHRASES

    base = {**{k: Phrase(*v) for k, v in FEATURE_PHRASES.items()}, **REASON_PHRASES}
    table = base if phrases is None else {**base, **phrases}
    if code in table:
        return table[code]
    for pattern, template in REASON_PATTERNS:
        match = pattern.match(code)
        if match:
            fields = dict(match.groupdict())
            if "sev" in fields:
                fields["sev_zh"], fields["sev_en"] = _SEVERITY_WORDS[fields["sev"]]
            if "list" in fields:
                fields["list_zh"], fields["list_en"] = _LIST_WORDS[fields["list"]]
            en = template.en.format(**fields)
            return Phrase(template.zh.format(**fields), en[:1].upper() + en[1:])
    return Phrase(code, code)


_YEAR_DAYS = 365
# A decayed count (half-life one year) of at least this is worth one event a year old.
_RECENT_WEIGHT = 0.5


def reason_evidence(frame: pd.DataFrame, feature_names: Sequence[str]) -> np.ndarray:
    """Per row and feature, whether the subject's own value shows what the feature's
    phrase says (``phrases.EVIDENCE``): a rate among linked subjects needs linked subjects,
    "a recent complaint" a complaint within the year, "many" more than the median of the
    subjects in ``frame`` that have any. A feature without a rule (one of a model trained
    on other data) needs a known value."""
    from riskgraph.models.features import FEATURE_NAMES
    from riskgraph.models.phrases import EVIDENCE

    ours = set(FEATURE_NAMES)
    out = np.zeros((len(frame), len(feature_names)), dtype=bool)
    for j, name in enumerate(feature_names):
        rule = EVIDENCE.get(name, "present" if name in ours else "any")
        rule, needs = rule if isinstance(rule, tuple) else (rule, None)
        x = frame[name].to_numpy(dtype=np.float64, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            if rule == "any":
                ok = ~np.isnan(x)
            elif rule == "present":
                ok = x > 0
            elif rule == "recent":
                ok = x >= _RECENT_WEIGHT
            elif rule == "within":
                ok = x <= _YEAR_DAYS
            elif rule == "long":
                ok = np.isnan(x) | (x > _YEAR_DAYS)
            elif rule == "most":
                ok = x > 0.5
            elif rule == "excess":
                ok = x > 1
            elif rule == "high":
                positive = x[x > 0]
                ok = (x > np.median(positive)) if len(positive) else np.zeros(len(x), bool)
            else:
                raise ValueError(f"unknown evidence rule {rule!r} for {name}")
            if needs is not None:
                ok &= frame[needs].to_numpy(dtype=np.float64, na_value=np.nan) > 0
        out[:, j] = ok
    return out


def reason_codes(
    contributions: ArrayLike,
    feature_names: Sequence[str],
    top: int = 3,
    min_contribution: float = 0.0,
    evidence: ArrayLike | None = None,
) -> list[list[str]]:
    """Per row, the names of the ``top`` features that raise risk the most, largest first.

    Only contributions strictly above ``min_contribution`` count: a feature that lowers
    a subject's risk is never given as a reason to inspect it. With ``evidence`` (a
    boolean array of the same shape, see :func:`reason_evidence`) only features whose
    value bears their phrase out count. Ties keep column order.
    """
    c = np.asarray(contributions, dtype=np.float64)
    if c.ndim != 2 or c.shape[1] != len(feature_names):
        raise ValueError(f"contributions shape {c.shape} does not match {len(feature_names)} names")
    if evidence is not None:
        shown = np.asarray(evidence, dtype=bool)
        if shown.shape != c.shape:
            raise ValueError(f"evidence shape {shown.shape} does not match {c.shape}")
        c = np.where(shown, c, -np.inf)
    names = np.asarray(feature_names, dtype=object)
    k = min(top, c.shape[1])
    order = np.argsort(-c, axis=1, kind="stable")[:, :k]
    picked = np.take_along_axis(c, order, axis=1)
    return [
        [str(names[j]) for j, v in zip(row, vals, strict=True) if v > min_contribution]
        for row, vals in zip(order, picked, strict=True)
    ]
