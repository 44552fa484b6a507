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
addresses or phones takes the most widely shared one (counted today), so a neighbour at
its secondary address is not counted; the others' events and registrations count
strictly before t. A subject has one legal representative at a time: of several, the one
whose role began last (``since``; undated roles are the oldest), then the most widely
shared. Its group is dated by that day: the subject is a member from the day its
representative took over, with its events from that day (an owner's record is what its
subjects did under it, and a takeover after t is not known at t: before it the subject is
in no owner's group, as the exports do not say who ran it before). A representative's
``until`` does not take the subject out of its group: a subject always has one, and an
export that ends a role without naming the successor has lost a row. Addresses and phones
carry no dates.

Raw rates mix the group's conduct with its trades: a market of restaurants has more
complaints per stall than an office block of consultancies, however well both are run.
So each group also gets *indirectly standardised* ratios, as epidemiology compares a
region's deaths with those its age mix would give: the others' observed events over
those expected from their industries,

    ratio = (observed + RATIO_PSEUDO) / (expected + RATIO_PSEUDO)

1 is "as the industries of its members would have it", 2 twice that. For complaints,
substantiated complaints, penalties, serious penalties and list entries, a member is
expected to have its industry's events per subject-day before t times its own days on
record before t (from the later of its registration and the first event of that kind:
where the records start); for failures, each of its decided inspections is expected to fail
at its industry's shrunk failure rate before that inspection. The pseudo-count of one
expected event keeps a small group near 1. All of it is point-in-time like the rest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskgraph.models.events import Events, days_of, regroup
from riskgraph.models.frames import GraphFrames
from riskgraph.models.linkage import lookup

PRIOR_INSPECTIONS = 5.0
RATIO_PSEUDO = 1.0  # expected events added to both sides of a standardised ratio
_NEVER = -(1 << 22)  # registration day for subjects without one: they always exist
_CHUNK = 1 << 21  # expanded (group, industry, day) rows per pass: bounds memory
_SPAN, _T0 = 1 << 26, -(1 << 23)  # (owner, day) keys: days from _T0, 180,000 years

#: Group kinds and the features each gives (all graph context except the industry).
GROUPS = ("site", "phone", "owner")
#: Events whose expected count comes from exposure: the names the events dict carries.
STANDARDISED = ("complaints", "substantiated", "penalties", "serious", "listed")
OWN_GROUP_FEATURES = ["industry_failure_rate", "inspection_failure_rate_shrunk"]
GRAPH_GROUP_FEATURES = [f"{g}_{name}" for g in GROUPS
                        for name in ("others", "failure_rate", "events_per_subject",
                                     "failure_ratio", *[f"{e}_ratio" for e in STANDARDISED])]


Group = tuple[np.ndarray, int, np.ndarray]  # group id per subject (-1: none), count, joined


def group_ids(frames: GraphFrames, usccs: pd.Index) -> dict[str, Group]:
    """Per subject position, its group of each kind (-1 for none), the number of groups,
    and the day the subject joined its group (``_NEVER`` where undated: from its
    registration). Only the legal representative's group is dated, by the role's
    ``since``; addresses, phones and industries carry no dates."""
    ties = frames.ties
    legal = ties[ties["role"].astype(str) == "legal_rep"]
    since = (days_of(legal["since"]) if "since" in legal
             else (np.zeros(len(legal), np.int64), np.zeros(len(legal), bool)))
    pairs = {
        "site": (frames.addresses["subject_uscc"], frames.addresses["address_key"], None),
        "phone": (frames.phones["subject_uscc"], frames.phones["phone_key"], None),
        "owner": (legal["subject_uscc"], legal["holder_key"], np.where(since[1], since[0], _NEVER)),
    }
    # A subject has one legal representative at a time: the one whose role began last.
    out = {kind: _primary(lookup(usccs, subj), key, len(usccs), day, latest=kind == "owner")
           for kind, (subj, key, day) in pairs.items()}
    # frames.subjects is in usccs order: no lookup needed
    out["industry"] = _primary(np.arange(len(usccs)), frames.subjects["industry"], len(usccs))
    return out


def _primary(subj: np.ndarray, key: pd.Series, n: int,
             day: np.ndarray | None = None, latest: bool = False) -> Group:
    """Each subject's most widely shared key as a group id (ties: the first seen), and
    the earliest ``day`` of its rows with that key (``_NEVER`` without days); with
    ``latest``, the key whose earliest day is the latest comes first (then the most
    widely shared)."""
    codes, uniques = pd.factorize(key.astype("string").to_numpy(), use_na_sentinel=True)
    ok = (subj >= 0) & (codes >= 0)
    subj, codes = subj[ok], codes[ok]
    day = np.full(len(subj), _NEVER, np.int64) if day is None else np.asarray(day)[ok]
    pair = subj.astype(np.int64) * (len(uniques) + 1) + codes
    by = np.lexsort((day, pair))
    pair, day = pair[by], day[by]
    distinct = np.r_[True, pair[1:] != pair[:-1]] if len(pair) else np.zeros(0, bool)
    pair, day = pair[distinct], day[distinct]  # each pair with its earliest day
    subj, codes = pair // (len(uniques) + 1), pair % (len(uniques) + 1)
    size = np.bincount(codes, minlength=len(uniques))
    order = np.lexsort((-size[codes], -day, subj) if latest else (-size[codes], subj))
    first = order[np.r_[True, subj[order][1:] != subj[order][:-1]]] if len(order) else order
    group = np.full(n, -1, np.int64)
    group[subj[first]] = codes[first]
    joined = np.full(n, _NEVER, np.int64)
    joined[subj[first]] = day[first]
    return group, len(uniques), joined


class GroupRates:
    """Exact point-in-time group features over a subject history."""

    def __init__(self, groups: dict[str, Group], registered: np.ndarray,
                 reg_ok: np.ndarray, events: dict[str, Events]) -> None:
        self.groups = {k: g for k, (g, _, _) in groups.items()}
        self.own = events  # per subject, by kind (failures, decided, complaints, ...)
        n = len(registered)
        reg = np.where(reg_ok, registered, _NEVER)
        # A member counts in its group from the later of its registration and the day it
        # joined (a legal representative's role begun), with its events from that day on:
        # an owner's record is what its subjects did under it.
        self.joined = {k: j for k, (_, _, j) in groups.items()}
        self.start = {k: np.maximum(reg, j) for k, j in self.joined.items()}
        self.per_group: dict[str, dict[str, Events]] = {}
        for kind, (group, count, _) in groups.items():
            if kind == "industry":  # an industry's rate needs only failures and decisions
                of_kind = {name: events[name] for name in ("failures", "decided")}
            else:  # members count from the day they start to (GroupRates.start)
                of_kind = {**events, "members": Events(np.arange(n), self.start[kind],
                                                       np.ones(n, bool), n)}
            self.per_group[kind] = {name: regroup(ev, group, count, self.joined[kind])
                                    for name, ev in of_kind.items()}
        fails, decided = events["failures"], events["decided"]
        self._city_fail_days = np.sort(fails.day)
        self._city_decided_days = np.sort(decided.day)

        # Standardisation: industries (a missing one is a category of its own), days on
        # record, each industry's events and exposure, and expected failures.
        industry, n_industries, _ = groups["industry"]
        self.industry = np.where(industry >= 0, industry, n_industries)
        k = n_industries + 1
        # Each kind's records start with its first event: no member is expected to have
        # complaints from before complaints were recorded.
        self._first = {e: int(events[e].day.min()) if len(events[e].day) else _NEVER
                       for e in STANDARDISED}
        self._industry_exposure = Events(self.industry, reg, np.ones(n, bool), k,
                                         values=reg.astype(np.float64))
        self._industry_events = {e: regroup(events[e], self.industry, k) for e in STANDARDISED}
        # Expected failures: each decided inspection at the shrunk failure rate, before its
        # day, of the member's industry (those without one form a category, as above).
        day = decided.day.astype(np.int64)
        trade = self.industry[decided.subj]
        expected = _shrunk(regroup(fails, self.industry, k).count(trade, day),
                           regroup(decided, self.industry, k).count(trade, day),
                           self.city_rate(day))
        self.expected_failures = Events(decided.subj, decided.day, np.ones(len(expected), bool),
                                        n, values=expected)
        self._pairs = {kind: _Pairs(group, count, self.industry, k, self.start[kind],
                                    self.expected_failures, self.joined[kind], kind)
                       for kind, (group, count, _) in groups.items() if kind in GROUPS}

    def days_on_record(self, subj: np.ndarray, t: np.ndarray, kind: str,
                       group: str) -> np.ndarray:
        """Days before t each subject has been on record for an event kind, as a member
        of its ``group``: from the latest of its registration, the day it joined and the
        kind's first event (0 if it is not a member before t)."""
        member = self.start[group][subj]
        start = np.maximum(member, self._first[kind])
        return np.where(member < t, np.clip(t - start, 0, None), 0.0)

    def first_record(self, kind: str) -> int:
        """The day the records of an event kind start (its first event)."""
        return self._first[kind]

    def industry_rates(self, industry: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        """Events of each kind in STANDARDISED per subject-day of ``industry`` before t,
        computed once per distinct (industry, t)."""
        (ind, day), back = _distinct(industry, t)
        out = {}
        for e, ev in self._industry_events.items():
            days = _exposure(self._industry_exposure, ind, day, self._first[e])
            rate = np.divide(ev.count(ind, day), days, out=np.zeros(len(day)), where=days > 0)
            out[e] = rate[back]
        return out

    def _standardised(self, kind: str, subj: np.ndarray, t: np.ndarray,
                      others: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Observed-over-expected ratios of the other members of each subject's group."""
        has = self._member(kind, subj, t)
        pairs = self._pairs[kind]
        own_rates = self.industry_rates(self.industry[subj], t)
        expected = pairs.expected(self, subj, t)
        g = np.maximum(self.groups[kind][subj], 0)
        mine = self.expected_failures
        e_fail = pairs.expected_failures.total(g, t) - (
            mine.total(subj, t) - mine.total(subj, np.minimum(self.joined[kind][subj], t)))
        out = {"failure_ratio": _ratio(others["failures"], e_fail, has)}
        for e in STANDARDISED:
            own = own_rates[e] * self.days_on_record(subj, t, e, kind)
            out[f"{e}_ratio"] = _ratio(others[e], expected[e] - own, has)
        return out

    def _member(self, kind: str, subj: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Whether each subject has a group of the kind on day t: one, joined before t (a
        subject registered on t, or an inspection row dated before its registration,
        still has its industry, premises and phone)."""
        return (self.groups[kind][subj] >= 0) & (self.joined[kind][subj] < t)

    def city_rate(self, t: np.ndarray) -> np.ndarray:
        """The city's failure rate over inspections decided before t (0.5 with none)."""
        f = np.searchsorted(self._city_fail_days, t).astype(np.float64)
        d = np.searchsorted(self._city_decided_days, t).astype(np.float64)
        return np.divide(f, d, out=np.full(len(t), 0.5), where=d > 0)

    def _others(self, kind: str, subj: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        """Counts over the other members of each subject's group before t (NaN: no group)."""
        has = self._member(kind, subj, t)
        g = np.maximum(self.groups[kind][subj], 0)
        joined = np.minimum(self.joined[kind][subj], t)
        out = {}
        for name, per in self.per_group[kind].items():
            if name == "members":  # itself, if the group counts it yet
                own = (self.start[kind][subj] < t).astype(np.float64)
            else:  # its own events since it joined are in the group's
                own = self.own[name].count(subj, t, window=t - joined)
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
            for name, value in self._standardised(kind, subj, t, o).items():
                out[f"{kind}_{name}"] = value
        return out, prior


class _Pairs:
    """What one group kind needs to standardise: its members' expected failures per group,
    and its (group, industry) pairs — members' exposure per pair, each group's pairs as a
    range — to sum expected events over a group's industries."""

    def __init__(self, group: np.ndarray, n_groups: int, industry: np.ndarray,
                 n_industries: int, start: np.ndarray, expected_failures: Events,
                 joined: np.ndarray, kind: str) -> None:
        # start: the day each subject starts to count as a member (GroupRates.start)
        self.of, self.n_groups, self.kind = group, n_groups, kind
        self.expected_failures = regroup(expected_failures, group, n_groups, joined)
        member = np.flatnonzero(group >= 0)
        code = group[member].astype(np.int64) * n_industries + industry[member]
        codes, pair = np.unique(code, return_inverse=True)
        self.group = codes // n_industries
        self.industry = codes % n_industries
        self.exposure = Events(pair, start[member], np.ones(len(member), bool), len(codes),
                               values=start[member].astype(np.float64))
        # one more bound than groups, and at least two, so a masked lookup stays in range
        self.first = np.searchsorted(self.group, np.arange(max(n_groups, 1) + 1))

    def expected(self, rates: GroupRates, subj: np.ndarray,
                 t: np.ndarray) -> dict[str, np.ndarray]:
        """Expected events of each STANDARDISED kind over all members of each subject's
        group (itself included) before t. On one day for every row (scoring) a pass over
        the members is cheapest; on many days (training rows) the (group, industry) pairs
        are, once per distinct (group, t)."""
        dates = np.unique(np.asarray(t, np.int64))
        if len(dates) == 1:
            return self._on_one_day(rates, subj, int(dates[0]))
        group = self.of[subj]
        has = np.flatnonzero(group >= 0)
        out = {e: np.zeros(len(subj)) for e in STANDARDISED}
        (g, day), back = _distinct(group[has], np.asarray(t)[has])
        first = self.first[g]
        count = self.first[g + 1] - first
        # Chunks of about _CHUNK expanded (group, industry, t) rows bound the memory.
        cum = np.cumsum(count)
        cuts = np.searchsorted(cum, np.arange(_CHUNK, int(cum[-1]) if len(cum) else 0, _CHUNK),
                               side="right")
        bounds = np.unique(np.r_[0, cuts, len(g)])
        per = {e: np.zeros(len(g)) for e in STANDARDISED}
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            c = count[lo:hi]
            row = np.repeat(np.arange(hi - lo), c)
            pair = first[lo:hi][row] + np.arange(len(row)) - np.repeat(np.cumsum(c) - c, c)
            d = day[lo:hi][row]
            for e, rate in rates.industry_rates(self.industry[pair], d).items():
                days = _exposure(self.exposure, pair, d, rates.first_record(e))
                per[e][lo:hi] = np.bincount(row, weights=rate * days, minlength=hi - lo)
        for e in STANDARDISED:
            out[e][has] = per[e][back]
        return out

    def _on_one_day(self, rates: GroupRates, subj: np.ndarray,
                    day: int) -> dict[str, np.ndarray]:
        member = np.flatnonzero(self.of >= 0)
        when = np.full(len(member), day)
        g = self.of[subj]
        out = {}
        for e, rate in rates.industry_rates(rates.industry[member], when).items():
            per = np.bincount(self.of[member], minlength=max(self.n_groups, 1),
                              weights=rate * rates.days_on_record(member, when, e, self.kind))
            out[e] = np.where(g >= 0, per[np.maximum(g, 0)], 0.0)
        return out


def _distinct(owner: np.ndarray, t: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray],
                                                          np.ndarray]:
    """The distinct (owner, t) pairs, and for each input its pair's position."""
    owner, t = np.asarray(owner, np.int64), np.asarray(t, np.int64)
    key = owner * _SPAN + (t - _T0)
    keys, back = np.unique(key, return_inverse=True)
    return (keys // _SPAN, keys % _SPAN + _T0), back.reshape(-1)


def _exposure(ev: Events, owner: np.ndarray, t: np.ndarray, first: int) -> np.ndarray:
    """Subject-days on record before t of the members in ``ev`` (dated and valued by
    their registration day): each from the later of its registration and ``first``."""
    t = np.asarray(t, np.int64)
    u = np.minimum(t, first)  # members registered before u count from ``first``
    counted, summed = ev.count(owner, t), ev.total(owner, t)
    early, early_sum = ev.count(owner, u), ev.total(owner, u)
    return np.clip(counted * t - float(first) * early - (summed - early_sum), 0, None)


def _ratio(observed: np.ndarray, expected: np.ndarray, has: np.ndarray) -> np.ndarray:
    """Standardised ratio, NaN where the subject has no group."""
    ratio = (observed + RATIO_PSEUDO) / (np.clip(expected, 0, None) + RATIO_PSEUDO)
    return np.where(has, ratio, np.nan)


def _shrunk(failures: np.ndarray, decided: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Failures per decided inspection shrunk towards ``prior`` (NaN stays NaN)."""
    return (failures + PRIOR_INSPECTIONS * prior) / (decided + PRIOR_INSPECTIONS)
