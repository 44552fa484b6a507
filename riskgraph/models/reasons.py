"""Reason codes: the features that raise a subject's risk, in words an inspector reads,
given only where the subject's own value bears the words out.

Pure functions on arrays and DataFrames; nothing here reads the graph or the clock.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike


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


# Neutral features, said by the subject's own value: a tree can raise risk for a young
# business or an old one, so "age of the business" tells an inspector nothing. The code
# becomes ``name:low`` or ``name:high`` (at most, or above, the median of the subjects
# scored), and ``kind_code`` names the kind.
SIDED_PHRASES: dict[str, tuple[Phrase, Phrase]] = {
    "age_years": (Phrase("成立不久", "a young business"),
                  Phrase("成立时间较长", "a long-established business")),
    "registered_capital_log": (Phrase("注册资本较小", "small registered capital"),
                               Phrase("注册资本较大", "large registered capital")),
    "past_inspections": (Phrase("以往检查次数较少", "few earlier inspections"),
                         Phrase("以往检查次数较多", "many earlier inspections")),
    "inspections_decided_recent": (Phrase("近期检查较少", "few recent inspections"),
                                   Phrase("近期检查较多", "many recent inspections")),
}
KIND_PHRASES: dict[str, Phrase] = {
    "enterprise": Phrase("主体类型：企业", "kind of business: an enterprise"),
    "individual": Phrase("主体类型：个体工商户", "kind of business: an individual business"),
    "cooperative": Phrase("主体类型：农民专业合作社", "kind of business: a cooperative"),
    "branch": Phrase("主体类型：分支机构", "kind of business: a branch"),
}


@functools.cache
def _phrase_table() -> dict[str, Phrase]:
    """The built-in phrases of every feature name, made once."""
    from riskgraph.models.phrases import FEATURE_PHRASES

    return {**{k: Phrase(*v) for k, v in FEATURE_PHRASES.items()}, **REASON_PHRASES}


def reason_phrase(code: str, phrases: Mapping[str, Phrase] | None = None) -> Phrase:
    """Plain-language phrase for a feature name; falls back to the name itself."""
    base = _phrase_table()
    table = base if phrases is None else {**base, **phrases}
    if code in table:
        return table[code]
    name, _, side = code.partition(":")
    if name in SIDED_PHRASES and side in ("low", "high"):
        return SIDED_PHRASES[name][side == "high"]
    if name == "kind_code" and side in KIND_PHRASES:
        return KIND_PHRASES[side]
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


# "its industry has more violations" needs the industry's failure rate at least this many
# times the mean of the subjects scored: not merely above it (in a city of one industry
# the rates of the other members differ in the fourth decimal).
TRADE_MARGIN = 1.1


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
            elif rule == "trade":
                rate = (frame["industry_failure_rate"].to_numpy(dtype=np.float64,
                                                                na_value=np.nan)
                        if "industry_failure_rate" in frame else np.full(len(x), np.nan))
                ok = (rate > TRADE_MARGIN * np.nanmean(rate)) if (~np.isnan(rate)).any() \
                    else np.zeros(len(x), bool)
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


def plain_reasons(contributions: ArrayLike, frame: pd.DataFrame, top: int = 3,
                  evidence: ArrayLike | None = None,
                  phrases: Mapping[str, Phrase] | None = None) -> list[list[str]]:
    """Per row of ``frame`` (the features the contributions are of, in its column order),
    the codes of the ``top`` reasons an inspector reads: as ``reason_codes``, with a
    neutral feature said by the subject's value (``SIDED_PHRASES``, ``KIND_PHRASES``) and
    a reason whose phrase an earlier one of the row already gave left out ("a recent
    penalty" once, whether from its count or from the days since)."""
    from riskgraph.models.features import KIND_CODES

    names = list(frame.columns)
    # enough candidates that dropping repeats still leaves ``top``
    codes = reason_codes(contributions, names, top=min(len(names), 3 * top), evidence=evidence)
    sided = {}
    for name in SIDED_PHRASES:
        if name in frame:
            x = frame[name].to_numpy(dtype=np.float64, na_value=np.nan)
            median = np.nanmedian(x) if (~np.isnan(x)).any() else np.nan
            sided[name] = np.where(x > median, "high", "low")  # NaN: low
    kind = {v: k for k, v in KIND_CODES.items()}
    kinds = frame["kind_code"].to_numpy() if "kind_code" in frame else None
    zh: dict[str, str] = {}
    out = []
    for i, row in enumerate(codes):
        picked: list[str] = []
        said: set[str] = set()
        for code in row:
            if code in sided:
                code = f"{code}:{sided[code][i]}"
            elif code == "kind_code" and kinds is not None and kinds[i] in kind:
                code = f"kind_code:{kind[kinds[i]]}"
            words = zh.get(code)
            if words is None:
                words = zh[code] = reason_phrase(code, phrases).zh
            if words not in said:
                said.add(words)
                picked.append(code)
                if len(picked) == top:
                    break
        out.append(picked)
    return out
