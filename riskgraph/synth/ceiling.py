"""How well *could* any model rank a synthetic city's subjects? Ceilings from the generator.

A model sees each subject's industry, age and own history — complaints, penalties and the
item-by-item outcomes of its inspections — and, through the graph, its neighbours'. The
generator knows the formulas that turned the hidden risk into that history, so it can
compute the Bayes posterior of each subject's risk from its own complaints, penalties
and inspection outcomes: about the best ranking those allow, whatever the learner (a
reference, not a strict bound: see the approximations below; lists, absences at
inspections and the graph carry more). Comparing a model's top-10 % lift with

- ``prior``: industry, age (new-business effect) and shell-cluster effect only, no history;
- ``bayes_own``: the posterior given own complaints, penalties and inspection outcomes,
  with the cluster effect known (a generous bound: a model has to infer it);
- ``bayes_own_no_cluster``: the same without knowing the cluster effect;
- ``perfect``: the true probability

says whether a gap is the model's fault or the data's. Diagnosis only: never used to
score. Approximations, each of which leaves information a model can use: the latent is taken
as constant over the history (it drifts by ``TREND_SD`` a year, so recent events deserve
more weight), the new-business effect is taken at ``as_of`` for every past event, and the
posterior ignores whether complaints were substantiated, penalty severities, absences at
inspections, list entries, and the shares of risk a subject has with its premises and its
legal representative. Penalties that follow failed visits are counted as independent
evidence. ``bayes_own_no_cluster`` treats every subject as outside a shell cluster.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskgraph.models.evaluation import top_share_lift
from riskgraph.synth import vocab
from riskgraph.synth.city import City
from riskgraph.synth.history import YEARS
from riskgraph.synth.inspections import FAIL, PASS
from riskgraph.synth.risk import NEW, YEAR, sigmoid
from riskgraph.synth.subjects import LATENT_SD

COMPLAINT_SLOPE, PENALTY_SLOPE = 0.8, 1.0  # as in riskgraph.synth.history
_GRID = np.linspace(-4.0, 4.0, 161)
_CHUNK = 50_000


def posterior_probability(city: City, *, cluster_known: bool = True,
                          use_history: bool = True) -> np.ndarray:
    """Each subject's posterior mean violation probability as of the city's ``as_of``."""
    s, risk = city.subjects, city.risk
    n, t = s.n, risk.as_of
    end = np.minimum(s.closed_on.astype(np.float64), t)
    exposure = np.clip((end - np.maximum(s.registered_on, t - YEARS * YEAR)) / YEAR, 0, None)
    rate_c = np.array([i.complaints for i in vocab.INDUSTRIES])[s.industry] * exposure
    rate_p = np.array([i.penalties for i in vocab.INDUSTRIES])[s.industry] * exposure
    n_c = np.bincount(city.complaints.subject, minlength=n)
    n_p = np.bincount(city.penalties.subject, minlength=n)
    ins = city.inspections
    fails = np.bincount(ins.subject, weights=ins.outcome == FAIL, minlength=n)
    passes = np.bincount(ins.subject, weights=ins.outcome == PASS, minlength=n)
    age = (t - risk.registered_on) / YEAR
    shift = NEW * np.clip(1.0 - age / 2.0, 0.0, 1.0) + (risk.cluster if cluster_known else 0.0)
    out = np.empty(n)
    prior = -(_GRID**2) / (2 * LATENT_SD**2)
    for lo in range(0, n, _CHUNK):
        sl = slice(lo, min(lo + _CHUNK, n))
        x = _GRID[None, :] + shift[sl, None]
        p = sigmoid(risk.base[sl, None] + x)
        ll = np.broadcast_to(prior, p.shape).copy()
        if use_history:
            lam_c = rate_c[sl, None] * np.exp(COMPLAINT_SLOPE * x)
            lam_p = rate_p[sl, None] * np.exp(PENALTY_SLOPE * x)
            ll += n_c[sl, None] * COMPLAINT_SLOPE * x - lam_c
            ll += n_p[sl, None] * PENALTY_SLOPE * x - lam_p
            ll += fails[sl, None] * np.log(p) + passes[sl, None] * np.log1p(-p)
        w = np.exp(ll - ll.max(axis=1, keepdims=True))
        out[sl] = (w * p).sum(axis=1) / w.sum(axis=1)
    return out


def ceilings(city: City, fraction: float = 0.10) -> dict[str, float]:
    """Top-``fraction`` lift (by the true probability) of each reference ranking, over the
    subjects open on ``as_of``."""
    s = city.subjects
    open_ = s.closed_on >= city.risk.as_of
    true = city.risk.now()[open_]
    rankings = {
        "prior": posterior_probability(city, use_history=False),
        "bayes_own_no_cluster": posterior_probability(city, cluster_known=False),
        "bayes_own": posterior_probability(city),
    }
    out = {name: top_share_lift(score[open_], true, fraction) for name, score in rankings.items()}
    out["perfect"] = top_share_lift(true, true, fraction)
    return out


def shared_effects(city: City) -> pd.DataFrame:
    """The parts of each subject's hidden risk that other subjects share, which only the
    graph could reveal (logit scale, 0 where none), indexed by USCC:

    - ``site``: its premises' effect (subjects at an address nobody else has get none);
    - ``owner``: its legal representative's conduct, only where that person also
      represents another subject (a sole business's share is inseparable from its own);
    - ``cluster``: its shell cluster's effect.

    A model given these exactly is an *oracle* for the graph: the most any graph feature
    could add (``benchmarks/scoring.py`` trains one). Diagnosis only: never used to score.
    """
    legal = city.legal
    has = legal >= 0
    others = np.zeros(len(legal), np.int64)
    if has.any():
        others[has] = np.bincount(legal[has])[legal[has]] - 1
    return pd.DataFrame({
        "site": city.shared["site"],
        "owner": np.where(others > 0, city.shared["owner"], 0.0),
        "cluster": city.risk.cluster,
    }, index=pd.Index(np.asarray(city.uscc), name="uscc"))
