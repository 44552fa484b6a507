"""Group rates (industry, premises, phone, legal representative) against a naive count."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from riskgraph.models.features import inspection_features, subject_features
from riskgraph.models.groups import PRIOR_INSPECTIONS, _primary
from tests.test_features import insp, make, subject, tie

D = dt.date


def random_frames(seed: int, n: int = 80):
    rng = np.random.default_rng(seed)
    days = pd.date_range("2018-01-01", "2024-12-31", freq="D")

    def day() -> str:
        return str(days[rng.integers(len(days))])[:10]

    subjects = [subject(f"S{i}", industry=str(rng.choice(["food", "retail", "repair"])),
                        registered_on=str(rng.choice(["2015-01-01", "2021-06-01"])))
                for i in range(n)]
    outcomes = ["pass", "pass", "fail", "not_found"]
    return make(
        subjects=subjects,
        addresses=[dict(subject_uscc=f"S{i}", address_key=f"a{rng.integers(12)}")
                   for i in range(n)],
        phones=[dict(subject_uscc=f"S{i}", phone_key=f"p{rng.integers(30)}")
                for i in range(n) if rng.random() < 0.8],
        ties=[tie(f"S{i}", f"P{rng.integers(25)}") for i in range(n)],
        inspections=[insp(f"I{k}", f"S{rng.integers(n)}", day(), str(rng.choice(outcomes)))
                     for k in range(400)],
        complaints=[dict(subject_uscc=f"S{rng.integers(n)}", received_on=day(),
                         substantiated=False) for _ in range(150)],
        penalties=[dict(subject_uscc=f"S{rng.integers(n)}", decided_on=day(),
                        severity="minor", amount=0.0, repaired_on=None) for _ in range(60)],
    )


def naive(frames, as_of: dt.date) -> pd.DataFrame:
    """The group features by plain pandas: other members, before as_of."""
    ts = pd.Timestamp(as_of)
    sub = frames.subjects.set_index("uscc")
    ins = frames.inspections[frames.inspections["inspected_on"] < ts]
    fails = ins[ins["outcome"] == "fail"].groupby("subject_uscc").size()
    decided = ins[ins["outcome"].isin(["pass", "fail"])].groupby("subject_uscc").size()
    com = frames.complaints[frames.complaints["received_on"] < ts].groupby("subject_uscc").size()
    pen = frames.penalties[frames.penalties["decided_on"] < ts].groupby("subject_uscc").size()
    f, d = (s.reindex(sub.index, fill_value=0) for s in (fails, decided))
    events = com.reindex(sub.index, fill_value=0) + pen.reindex(sub.index, fill_value=0)
    city = f.sum() / d.sum()
    exists = pd.to_datetime(sub["registered_on"]) < ts
    key = {
        "site": frames.addresses.set_index("subject_uscc")["address_key"],
        "phone": frames.phones.set_index("subject_uscc")["phone_key"],
        "owner": frames.ties.set_index("subject_uscc")["holder_key"],
        "industry": sub["industry"],
    }
    out = pd.DataFrame(index=sub.index)
    for kind, k in key.items():
        k = k.reindex(sub.index)
        for u in sub.index:
            if pd.isna(k[u]):
                out.loc[u, f"{kind}_failure_rate"] = np.nan
                out.loc[u, f"{kind}_others"] = np.nan
                continue
            others = [v for v in sub.index[(k == k[u]).to_numpy()] if v != u]
            rate = (f[others].sum() + PRIOR_INSPECTIONS * city) / (d[others].sum() + PRIOR_INSPECTIONS)
            out.loc[u, f"{kind}_failure_rate"] = rate
            out.loc[u, f"{kind}_others"] = float(exists[others].sum())
            live = exists[others].sum()
            out.loc[u, f"{kind}_events_per_subject"] = (
                events[others].sum() / live if live else np.nan)
    ind = out["industry_failure_rate"]
    out["inspection_failure_rate_shrunk"] = (f + PRIOR_INSPECTIONS * ind) / (d + PRIOR_INSPECTIONS)
    return out


@pytest.mark.parametrize("seed, as_of", [(1, D(2022, 7, 1)), (2, D(2024, 3, 15))])
def test_group_features_match_a_naive_count(seed: int, as_of: dt.date) -> None:
    frames = random_frames(seed)
    got = subject_features(frames, as_of)
    want = naive(frames, as_of)
    for col in ["industry_failure_rate", "inspection_failure_rate_shrunk",
                *[f"{g}_{c}" for g in ("site", "phone", "owner")
                  for c in ("failure_rate", "others", "events_per_subject")]]:
        pd.testing.assert_series_equal(got[col].astype(float), want[col].astype(float),
                                       check_names=False, rtol=1e-9, obj=col)


def test_inspection_rows_use_exact_days_for_group_rates() -> None:
    """Group rates are exact per inspection day, not a monthly snapshot."""
    frames = make(
        2, addresses=[dict(subject_uscc="S0", address_key="m"),
                      dict(subject_uscc="S1", address_key="m")],
        inspections=[insp("I0", "S1", "2023-03-10", "fail"), insp("I1", "S0", "2023-03-11"),
                     insp("I2", "S0", "2023-03-10")],
    )
    rows = inspection_features(frames)
    # I1 (March 11) sees S1's failure of March 10; I2 (March 10) does not.
    assert rows.loc["I1", "site_failure_rate"] > rows.loc["I2", "site_failure_rate"]
    assert rows.loc["I1", "site_others"] == rows.loc["I2", "site_others"] == 1


def test_primary_key_is_the_most_shared_one() -> None:
    subj = np.array([0, 0, 1, 2, 2])
    key = pd.Series(["x", "y", "y", "y", None])
    group, count = _primary(subj, key, 4)
    assert count == 2
    assert group.tolist() == [1, 1, 1, -1]  # S0 takes y (3 subjects) over x; S3 has none


def test_a_subject_without_industry_keeps_its_own_rates() -> None:
    frames = make(subjects=[subject("S0", industry=None), subject("S1")],
                  inspections=[insp("I0", "S0", "2023-01-10", "fail"),
                               insp("I1", "S1", "2023-01-10", "pass")])
    f = subject_features(frames, D(2023, 6, 1)).loc["S0"]
    assert np.isnan(f["industry_failure_rate"])
    city = 0.5  # one fail, one pass before t
    assert f["inspection_failure_rate_shrunk"] == pytest.approx(
        (1 + PRIOR_INSPECTIONS * city) / (1 + PRIOR_INSPECTIONS))
    assert not np.isnan(f["inspection_failure_rate_recent"])


def test_others_registered_on_or_after_t_do_not_count() -> None:
    frames = make(
        subjects=[subject("S0"), subject("S1", registered_on="2023-03-01"),
                  subject("S2", registered_on=None)],
        addresses=[dict(subject_uscc=s, address_key="m") for s in ("S0", "S1", "S2")],
    )
    # S2 has no registration date: it counts as always there
    assert subject_features(frames, D(2023, 3, 1)).loc["S0", "site_others"] == 1
    assert subject_features(frames, D(2023, 3, 2)).loc["S0", "site_others"] == 2
