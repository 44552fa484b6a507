"""Point-in-time rates of the groups a subject belongs to: its industry, premises, phone
and legal representative.

A bureau asks of a subject not only "what has it done?" but "how do the others like it
fare?": the failure rate of its industry, of the other businesses at the same premises
(a market's management, a landlord's fire safety), on the same phone, and run by the same
legal representative. Each is computed exactly for every (subject, day t) from facts
dated before t, over the *other* members of the group (the subject's own history is
already in its own features), and shrunk towards a prior so that one failed inspection
of one neighbour does not make a rate of 100 %:

    rate = (failures of the others + PRIOR_INSPECTIONS * prior) / (their decided inspections
           + PRIOR_INSPECTIONS)

The prior is the city's failure rate before t (for the industry, premises, phone and owner
rates) or the subject's industry rate (for its own shrunk failure rate). Unlike the link
graph, groups have no hub cap: a rate over a market of 300 stalls is a sound statistic,
where 300 links would glue unrelated stalls into one cluster. A subject with several
addresses, phones or legal representatives takes the most widely shared one (counted
today: ties and addresses carry no dates), so a neighbour at its secondary address is
not counted; the others' events and registrations count strictly before t.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskgraph.models.events import Events, regroup
from riskgraph.models.frames import GraphFrames
from riskgraph.models.linkage import lookup

PRIOR_INSPECTIONS = 5.0
_NEVER = -(1 << 22)  # registration day for subjects without one: they always exist

#: Group kinds and the features each gives (all graph context except the industry).
GROUPS = ("site", "phone", "owner")
OWN_GROUP_FEATURES = ["industry_failure_rate", "inspection_failure_rate_shrunk"]
GRAPH_GROUP_FEATURES = [f"{g}_{name}" for g in GROUPS
                        for name in ("others", "failure_rate", "events_per_subject")]


def group_ids(frames: GraphFrames, usccs: pd.Index) -> dict[str, tuple[np.ndarray, int]]:
    """Per subject position, its group id of each kind (-1 for none) and the group count."""
    ties = frames.ties
    legal = ties[ties["role"].astype(str) == "legal_rep"]
    pairs = {
        "site": (frames.addresses["subject_uscc"], frames.addresses["address_key"]),
        "phone": (frames.phones["subject_uscc"], frames.phones["phone_key"]),
        "owner": (legal["subject_uscc"], legal["holder_key"]),
    }
    out = {kind: _primary(lookup(usccs, subj), key, len(usccs))
           for kind, (subj, key) in pairs.items()}
    # frames.subjects is in usccs order: no lookup needed
    out["industry"] = _primary(np.arange(len(usccs)), frames.subjects["industry"], len(usccs))
    return out


def _primary(subj: np.ndarray, key: pd.Series, n: int) -> tuple[np.ndarray, int]:
    """Each subject's most widely shared key as a group id (ties: the first seen)."""
    codes, uniques = pd.factorize(key.astype("string").to_numpy(), use_na_sentinel=True)
    ok = (subj >= 0) & (codes >= 0)
    subj, codes = subj[ok], codes[ok]
    pair = np.sort(subj.astype(np.int64) * (len(uniques) + 1) + codes)
    pair = pair[np.r_[True, pair[1:] != pair[:-1]]] if len(pair) else pair  # distinct pairs
    subj, codes = pair // (len(uniques) + 1), pair % (len(uniques) + 1)
    size = np.bincount(codes, minlength=len(uniques))
    order = np.lexsort((-size[codes], subj))
    first = order[np.r_[True, subj[order][1:] != subj[order][:-1]]] if len(order) else order
    group = np.full(n, -1, np.int64)
    group[subj[first]] = codes[first]
    return group, len(uniques)


class GroupRates:
    """Exact point-in-time group features over a subject history."""

    def __init__(self, groups: dict[str, tuple[np.ndarray, int]], registered: np.ndarray,
                 reg_ok: np.ndarray, events: dict[str, Events]) -> None:
        self.groups = {k: g for k, (g, _) in groups.items()}
        self.own = events  # per subject: failures, decided, complaints, penalties
        n = len(registered)
        reg = np.where(reg_ok, registered, _NEVER)
        self.member = Events(np.arange(n), reg, np.ones(n, bool), n)
        self.per_group = {
            kind: {name: regroup(ev, group, count) for name, ev in {**events,
                   "members": self.member}.items()}
            for kind, (group, count) in groups.items()
        }
        fails, decided = events["failures"], events["decided"]
        self._city_fail_days = np.sort(fails.day)
        self._city_decided_days = np.sort(decided.day)

    def city_rate(self, t: np.ndarray) -> np.ndarray:
        """The city's failure rate over inspections decided before t (0.5 with none)."""
        f = np.searchsorted(self._city_fail_days, t).astype(np.float64)
        d = np.searchsorted(self._city_decided_days, t).astype(np.float64)
        return np.divide(f, d, out=np.full(len(t), 0.5), where=d > 0)

    def _others(self, kind: str, subj: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        """Counts over the other members of each subject's group before t (NaN: no group)."""
        group = self.groups[kind][subj]
        has = group >= 0
        g = np.maximum(group, 0)
        out = {}
        for name, per in self.per_group[kind].items():
            own = (self.member if name == "members" else self.own[name]).count(subj, t)
            out[name] = np.where(has, per.count(g, t) - own, np.nan)
        return out

    def features(self, subj: np.ndarray, t: np.ndarray, own_failures: np.ndarray,
                 own_decided: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Own-group and graph-group features of each (subject, day) pair, and the prior
        of the subject's own failure rate (its industry's, else the city's)."""
        city = self.city_rate(t)
        out: dict[str, np.ndarray] = {}
        ind = self._others("industry", subj, t)
        industry = _shrunk(ind["failures"], ind["decided"], city)
        out["industry_failure_rate"] = industry
        # no industry on record: the city's rate is the prior of the subject's own rate
        prior = np.where(np.isnan(industry), city, industry)
        out["inspection_failure_rate_shrunk"] = _shrunk(own_failures, own_decided, prior)
        for kind in GROUPS:
            o = self._others(kind, subj, t)
            others = o["members"]
            out[f"{kind}_others"] = others
            out[f"{kind}_failure_rate"] = _shrunk(o["failures"], o["decided"], city)
            events = o["complaints"] + o["penalties"]
            out[f"{kind}_events_per_subject"] = np.divide(
                events, others, out=np.full(len(subj), np.nan), where=others > 0)
        return out, prior


def _shrunk(failures: np.ndarray, decided: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Failures per decided inspection shrunk towards ``prior`` (NaN stays NaN)."""
    return (failures + PRIOR_INSPECTIONS * prior) / (decided + PRIOR_INSPECTIONS)
