"""Design-based estimates of violation prevalence from a draw's inspection outcomes.

For stratum h (class x region): ``N_h`` eligible, ratio ``r_h`` (= pi_i), ``n_h`` drawn,
``phi_h = frac(N_h r_h)`` (the rounding Bernoulli's probability), ``m_h`` inspected, ``ybar_h``
their violation rate, ``s2_h = m_h/(m_h-1) ybar_h (1-ybar_h)``. Non-inspected drawn subjects
are treated as missing at random within their stratum: the respondents' weight is
``1/pi*_i = n_h / (r_h m_h)``. A stratum with drawn subjects but no respondent at all (a small
class x region cell) is missing at random within its risk class instead: it takes ``ybar_h
= q_c``, the Hajek rate of its class's responding strata over the whole draw (of all of them
when its class has none). Dropping it instead would bias HT down by its share and Hajek
towards the other strata. For a domain D (overall, a class or a region, all unions of
strata) with ``N_D`` subjects:

- naive:      sum(y) / m                                 (biased: D is oversampled)
- ht:         T / N_D,  T = sum_h (n_h / r_h) ybar_h     (Horvitz-Thompson, unbiased; the
              sum runs over the strata with respondents and those filled with q_c)
  V(T) = sum_h (n_h/r_h)^2 (1 - m_h/N_h) s2_h / m_h      (SRS within strata, given n_h)
       + sum_h phi_h (1 - phi_h) (ybar_h / r_h)^2        (the random rounding of n_h)
- hajek:      T / Nhat,  Nhat = sum_h n_h / r_h over the same strata; variance by linearisation: the
  same formula on residuals y - p (within-stratum s2_h unchanged, ybar_h -> ybar_h - p),
  divided by Nhat^2.
- stratified: sum_h N_h ybar_h / sum_h N_h over strata with m_h > 0 (HT given the
  allocation, pi_i = m_h / N_h); V = sum_h W_h^2 (1 - m_h/N_h) s2_h / m_h, the exact
  stratified SRS variance with finite-population correction.

Where a stratum has one respondent (no s2_h), the domain's Hajek estimate p stands in:
s2_h = p(1-p); a filled stratum adds ``(n_h/r_h)^2 q_c (1 - q_c) / n_h`` to V(T), as if its
drawn subjects had answered (the uncertainty of q_c itself is not counted). Where a stratum
had nothing drawn, p stands in for ybar_h in the rounding term.

Intervals are Korn and Graubard's (1998): Clopper-Pearson on the effective sample size
``n* = p(1-p)/se^2``, at most the domain's respondents ``m``, and ``m`` itself when the
estimate is 0 or 1 or its se is 0. A normal interval covers far less than it claims where
violations are rare: a stratum whose respondents all passed has ``s2_h = 0``, so a domain
with none found got [0, 0] (in a review's simulation, class B at 0.4 % prevalence with 72
respondents: 29.5 % coverage; Korn-Graubard 100 %). A census (every stratum of the domain
fully inspected) makes the stratified estimate exact: its interval is the estimate (HT and
Hajek weigh strata by n/r, which the rounding can set apart from N). An estimate at or past
0 or 1 with an se above 0 takes its effective size at half a respondent inside the range.
A domain without respondents (every stratum filled from its class) keeps the normal
interval, clipped to [0, 1].
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import beta

from riskgraph.models.draws._frames import require_columns
from riskgraph.models.draws.errors import InputError

METHODS = ("naive", "ht", "hajek", "stratified")
ESTIMATE_COLUMNS = (
    "domain",
    "group",
    "method",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "N",
    "n",
    "violations",
    "coverage",
)


def _responses(
    record: Mapping[str, Any],
    outcomes: pd.DataFrame,
    violation: tuple[str, ...],
    allow_missing: bool,
) -> dict[str, bool]:
    require_columns(outcomes, ("uscc", "outcome"), "outcomes")
    drawn = {row["uscc"] for row in record["results"]["drawn"]}
    hits = frozenset(violation)
    y: dict[str, bool] = {}
    for subject, outcome in zip(
        outcomes["uscc"].astype(str).tolist(), outcomes["outcome"].astype(str).tolist(), strict=True
    ):
        if subject not in drawn:
            raise InputError(
                f"an outcome for subject {subject}, which this draw did not draw",
                code="unknown_subject",
                uscc=subject,
            )
        # A subject inspected on several items violated if any item failed.
        y[subject] = y.get(subject, False) or outcome in hits
    missing = len(drawn) - len(y)
    if missing and not allow_missing:
        raise InputError(
            f"{missing} drawn subject(s) have no outcome; pass allow_missing=True to treat "
            "them as missing at random within their stratum",
            code="missing_outcome",
        )
    return y


def _strata(record: Mapping[str, Any], y: dict[str, bool]) -> dict[str, np.ndarray]:
    rows = record["strata"]
    index = {(s["risk_class"], s["region"]): h for h, s in enumerate(rows)}
    seen = [
        (index[(r["risk_class"], r["region"])], y[r["uscc"]])
        for r in record["results"]["drawn"]
        if r["uscc"] in y
    ]
    h = np.array([s for s, _ in seen], dtype=np.int64)
    v = np.array([b for _, b in seen], dtype=float)
    expected = np.array([s["expected"] for s in rows], dtype=float)
    return {
        "risk_class": np.array([s["risk_class"] for s in rows], dtype=object),
        "region": np.array([s["region"] for s in rows], dtype=object),
        "N": np.array([s["N"] for s in rows], dtype=float),
        "ratio": np.array([s["ratio"] for s in rows], dtype=float),
        "n": np.array([s["n"] for s in rows], dtype=float),
        "m": np.bincount(h, minlength=len(rows)).astype(float),
        # float even when nothing was observed (bincount of nothing is integer)
        "t": np.bincount(h, weights=v, minlength=len(rows)).astype(float),
        "phi": expected - np.floor(expected),
    }


def _class_rates(st: dict[str, np.ndarray]) -> np.ndarray:
    """Per stratum, the Hajek violation rate of the responding strata of its risk class
    over the whole draw (of every responding stratum when its class has none, 0.5 when
    nothing was answered at all)."""
    seen = st["m"] > 0
    weight = np.where(seen, st["n"] / st["ratio"], 0.0)
    level = np.divide(st["t"], st["m"], out=np.zeros_like(st["t"]), where=seen)
    overall = float((weight * level).sum() / weight.sum()) if weight.sum() > 0 else 0.5
    out = np.full(len(seen), overall)
    for cls in set(st["risk_class"].tolist()):
        mine = st["risk_class"] == cls
        if weight[mine].sum() > 0:
            out[mine] = (weight[mine] * level[mine]).sum() / weight[mine].sum()
    return out


def _interval(est: float, se: float, respondents: float, census: bool,
              confidence: float) -> tuple[float, float]:
    """Korn-Graubard interval of a prevalence estimate (see the module docstring)."""
    if math.isnan(est) or math.isnan(se):
        return math.nan, math.nan
    if census:
        return est, est
    if respondents <= 0:
        z = NormalDist().inv_cdf(0.5 + confidence / 2)
        return max(0.0, est - z * se), min(1.0, est + z * se)
    p = min(max(est, 0.0), 1.0)
    if se > 0:
        # an estimate at or past 0 or 1 (HT can pass 1 in a small domain) takes its
        # effective size from its se at a rate half a respondent inside the range, so the
        # interval does not jump from [0, 1] at 0.99 to [0.9, 1] at 1.0
        inside = p if 0 < est < 1 else min(max(p, 0.5 / respondents),
                                           1 - 0.5 / respondents)
        n_eff = min(inside * (1 - inside) / se**2, respondents)
    else:
        n_eff = respondents
    x, alpha = p * n_eff, 1.0 - confidence
    low = 0.0 if x <= 0 else float(beta.ppf(alpha / 2, x, n_eff - x + 1))
    high = 1.0 if x >= n_eff else float(beta.ppf(1 - alpha / 2, x + 1, n_eff - x))
    return low, high


def _domain(st: dict[str, np.ndarray],
            confidence: float) -> list[tuple[str, float, float, float, float]]:
    N, r, n, m, t, phi, q = (st[k] for k in ("N", "ratio", "n", "m", "t", "phi", "q"))
    seen = m > 0
    filled = (n > 0) & ~seen  # drawn, nobody answered: missing at random within the class
    ybar = np.divide(t, m, out=np.zeros_like(t), where=seen)
    used = np.where(seen, ybar, np.where(filled, q, 0.0))
    expand = np.where(seen | filled, n / r, 0.0)  # sum of 1/pi* over a stratum's respondents
    total = float((expand * used).sum())
    n_hat = float(expand.sum())
    n_dom = float(N.sum())
    hajek = total / n_hat if n_hat > 0 else math.nan
    fill = hajek if not math.isnan(hajek) else 0.5
    s2 = np.where(m >= 2, m / np.maximum(m - 1, 1) * ybar * (1 - ybar), fill * (1 - fill))
    fpc = np.where(seen, 1 - m / N, 0.0)
    within = np.where(seen, expand**2 * fpc * s2 / np.maximum(m, 1), 0.0).sum()
    within += np.where(filled, expand**2 * q * (1 - q) / np.maximum(n, 1), 0.0).sum()
    level = np.where(seen | filled, used, fill)
    rounding_ht = (phi * (1 - phi) * (level / r) ** 2).sum()
    rounding_hj = (phi * (1 - phi) * ((level - fill) / r) ** 2).sum()
    covered = float(N[seen].sum())
    if covered > 0:
        w = N[seen] / covered
        strat = float((w * ybar[seen]).sum())
        strat_var = float((w**2 * fpc[seen] * s2[seen] / m[seen]).sum())
    else:
        strat, strat_var = math.nan, math.nan
    naive = float(t.sum() / m.sum()) if m.sum() > 0 else math.nan
    rows = [
        ("naive", naive, math.nan),
        ("ht", total / n_dom, math.sqrt(within + rounding_ht) / n_dom),
        ("hajek", hajek, math.sqrt(within + rounding_hj) / n_hat if n_hat > 0 else math.nan),
        ("stratified", strat, math.sqrt(strat_var)),
    ]
    # every stratum inspected whole: the stratified estimate is the domain's rate (HT and
    # Hajek weight strata by n/r, which rounding can set apart from N: not exact)
    census = bool(seen.all() and (m >= N).all())
    return [(name, est, se, *_interval(est, se, float(m.sum()),
                                       census and name == "stratified", confidence))
            for name, est, se in rows]


SCREEN_REASONS = ("not_drawn", "item_not_in_task", "before_the_draw", "not_found",
                  "incomplete_joint_visit")
NOT_FOUND = "not_found"  # nobody at the address: the subject was not inspected


def screen_outcomes(
    record: Mapping[str, Any], outcomes: pd.DataFrame, violation: tuple[str, ...] = ("fail",)
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split result rows carrying the task's id into those that answer the task and those
    set aside, each set-aside row with its ``reason``:

    - ``not_drawn``: the subject was not drawn by this task;
    - ``item_not_in_task``: an item the task did not check (rows without an item code
      count as a result of the whole visit);
    - ``before_the_draw``: inspected before the task's ``as_of`` (rows without a date stay);
    - ``not_found``: nobody was at the address, so nothing was inspected: the subject is
      missing, not a subject without a violation (a bureau follows it up by other means);
    - ``incomplete_joint_visit``: a joint task's subject with results from some of its
      departments only — its outcome is not known yet, even when one of them found a
      violation (keeping those alone would bias the estimate up: whether a row is kept
      must not depend on what it found).

    Optional columns: ``inspection_id``, ``item_code``, ``inspected_on``.
    """
    require_columns(outcomes, ("uscc", "outcome"), "outcomes")
    frame = outcomes.reset_index(drop=True).copy()
    for column in ("inspection_id", "item_code", "inspected_on"):
        if column not in frame.columns:
            frame[column] = None
    drawn = {row["uscc"] for row in record["results"]["drawn"]}
    department = {item: dept for dept, items in record["plan"]["items_by_department"].items()
                  for item in items}
    item = frame["item_code"].astype("string")
    day = pd.to_datetime(frame["inspected_on"].astype("string"), errors="coerce")
    reason = pd.Series(pd.NA, index=frame.index, dtype="string")
    reason[~frame["uscc"].astype(str).isin(drawn)] = "not_drawn"
    reason[reason.isna() & item.notna() & ~item.isin(list(department))] = "item_not_in_task"
    before = day.notna() & (day < pd.Timestamp(record["spec"]["as_of"]))
    reason[reason.isna() & before.to_numpy()] = "before_the_draw"
    reason[reason.isna() & (frame["outcome"].astype(str) == NOT_FOUND).to_numpy()] = NOT_FOUND
    departments = set(record["plan"]["items_by_department"])
    ok = reason.isna().to_numpy(dtype=bool)
    if len(departments) > 1 and ok.any():
        rows = frame[ok]
        covers = item[ok].map(department).astype(object).where(item[ok].notna(), "*")
        seen = covers.groupby(rows["uscc"].astype(str)).agg(set)
        complete = seen.map(lambda s: "*" in s or departments <= s).astype(bool)
        # A violation found by one department does not make the visit known: keeping it
        # while the passes of the same task wait would make what is kept depend on what was
        # found (one department's results alone would read as prevalence near 1).
        unknown = ~frame["uscc"].astype(str).map(complete).fillna(False).astype(bool).to_numpy()
        reason[ok & unknown] = "incomplete_joint_visit"
    kept = frame[reason.isna()].reset_index(drop=True)
    aside = frame[reason.notna()].assign(reason=reason[reason.notna()]).reset_index(drop=True)
    return kept, aside


def estimate_prevalence(
    record: Mapping[str, Any],
    outcomes: pd.DataFrame,
    *,
    violation: tuple[str, ...] = ("fail",),
    confidence: float = 0.95,
    allow_missing: bool = False,
) -> pd.DataFrame:
    """Estimate violation prevalence in the eligible population, overall, by class, by region.

    ``outcomes`` holds ``uscc, outcome`` rows of the drawn subjects (several rows per subject
    allowed, one per item: any outcome in ``violation`` makes the subject a violator).
    Returns one row per domain, group and method (naive, ht, hajek, stratified) with the
    estimate, its standard error and a ``confidence`` interval (see the module docstring).

    Raises:
        InputError: ``unknown_subject`` for an outcome of a subject not drawn,
            ``missing_outcome`` for a drawn subject without one (unless ``allow_missing``).
    """
    y = _responses(record, outcomes, violation, allow_missing)
    strata = _strata(record, y)
    strata["q"] = _class_rates(strata)
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be in (0, 1)")
    everything = np.ones(len(strata["N"]), dtype=bool)
    groups: list[tuple[str, str, np.ndarray]] = [("overall", "all", everything)]
    for column in ("risk_class", "region"):
        for value in sorted(set(strata[column].tolist())):
            groups.append((column, str(value), strata[column] == value))
    rows = []
    for domain, group, mask in groups:
        part = {k: v[mask] for k, v in strata.items()}
        size, m = part["N"].sum(), part["m"]
        coverage = float(part["N"][m > 0].sum() / size)
        for method, est, se, low, high in _domain(part, confidence):
            rows.append(
                (
                    domain,
                    group,
                    method,
                    est,
                    se,
                    low,
                    high,
                    int(size),
                    int(m.sum()),
                    int(part["t"].sum()),
                    coverage,
                )
            )
    return pd.DataFrame(rows, columns=list(ESTIMATE_COLUMNS))
