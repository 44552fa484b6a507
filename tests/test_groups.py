"""Group rates (industry, premises, phone, legal representative) against a naive count."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from riskgraph.models import groups
from riskgraph.models.features import FEATURE_NAMES, inspection_features, subject_features
from riskgraph.models.groups import PRIOR_INSPECTIONS, RATIO_PSEUDO, _primary
from tests.test_features import add, insp, make, subject, tie

D = dt.date


def random_frames(seed: int, n: int = 80, *, rich: bool = False):
    """Random frames (a third of the legal representatives take over on a day of the
    records); ``rich`` adds every kind of standardised event (substantiated
    complaints, penalties of each severity, list entries back before the others), a
    subject without an industry, one without a registration day and late registrations."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2018-01-01", "2024-12-31", freq="D")

    def day() -> str:
        return str(days[rng.integers(len(days))])[:10]

    registered = ["2015-01-01", "2021-06-01", *(["2023-02-01"] if rich else [])]
    subjects = [subject(f"S{i}", industry=str(rng.choice(["food", "retail", "repair"])),
                        registered_on=str(rng.choice(registered)))
                for i in range(n)]
    if rich:
        subjects[0]["industry"] = None
        subjects[1]["registered_on"] = None
    outcomes = ["pass", "pass", "fail", "not_found"]
    lists = {} if not rich else {"list_entries": [
        dict(subject_uscc=f"S{rng.integers(n)}", list="abnormal_operation",
             listed_on=str(rng.choice(["2016-07-01", day()]))) for _ in range(25)]}
    return make(
        subjects=subjects,
        addresses=[dict(subject_uscc=f"S{i}", address_key=f"a{rng.integers(12)}")
                   for i in range(n)],
        phones=[dict(subject_uscc=f"S{i}", phone_key=f"p{rng.integers(30)}")
                for i in range(n) if rng.random() < 0.8],
        # a third of the legal representatives took over later
        ties=[tie(f"S{i}", f"P{rng.integers(25)}", since=day() if rng.random() < 0.33 else None)
              for i in range(n)],
        inspections=[insp(f"I{k}", f"S{rng.integers(n)}", day(), str(rng.choice(outcomes)))
                     for k in range(400)],
        complaints=[dict(subject_uscc=f"S{rng.integers(n)}", received_on=day(),
                         substantiated=bool(rich and rng.random() < 0.4)) for _ in range(150)],
        penalties=[dict(subject_uscc=f"S{rng.integers(n)}", decided_on=day(),
                        severity=str(rng.choice(["minor", "general", "serious"])) if rich
                        else "minor", amount=0.0, repaired_on=None) for _ in range(60)],
        **lists,
    )


def joined_on(frames) -> pd.Series:
    """The day each subject's legal representative took over (NaT: from the start)."""
    ties = frames.ties.set_index("subject_uscc")
    return pd.to_datetime(ties["since"]).reindex(frames.subjects["uscc"])


def naive(frames, as_of: dt.date) -> pd.DataFrame:
    """The group features by plain pandas: other members, before as_of; in the owner's
    group a member counts from the day its legal representative took over, with its
    events from that day."""
    ts = pd.Timestamp(as_of)
    sub = frames.subjects.set_index("uscc")
    never = pd.Series(pd.Timestamp("1900-01-01"), index=sub.index)

    def per_subject(since: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
        def count(table: pd.DataFrame, col: str) -> pd.Series:
            when = table[col]
            mine = (when < ts) & (when >= since.reindex(table["subject_uscc"]).to_numpy())
            return table[mine].groupby("subject_uscc").size().reindex(sub.index, fill_value=0)
        ins = frames.inspections
        return (count(ins[ins["outcome"] == "fail"], "inspected_on"),
                count(ins[ins["outcome"].isin(["pass", "fail"])], "inspected_on"),
                count(frames.complaints, "received_on") + count(frames.penalties, "decided_on"))

    f, d, _ = per_subject(never)
    city = f.sum() / d.sum()
    reg = pd.to_datetime(sub["registered_on"])
    key = {
        "site": frames.addresses.set_index("subject_uscc")["address_key"],
        "phone": frames.phones.set_index("subject_uscc")["phone_key"],
        "owner": frames.ties.set_index("subject_uscc")["holder_key"],
        "industry": sub["industry"],
    }
    out = pd.DataFrame(index=sub.index)
    for kind, k in key.items():
        since = joined_on(frames).fillna(never["S0"]) if kind == "owner" else never
        fk, dk, events = per_subject(since)
        member = (reg.isna() | (reg < ts)) & (since < ts)
        k = k.reindex(sub.index)
        for u in sub.index:
            if pd.isna(k[u]) or since[u] >= ts:  # no group, or not joined yet
                out.loc[u, f"{kind}_failure_rate"] = np.nan
                out.loc[u, f"{kind}_others"] = np.nan
                continue
            others = [v for v in sub.index[(k == k[u]).to_numpy()] if v != u]
            rate = (fk[others].sum() + PRIOR_INSPECTIONS * city) / (dk[others].sum()
                                                                    + PRIOR_INSPECTIONS)
            out.loc[u, f"{kind}_failure_rate"] = rate
            live = member[others].sum()
            out.loc[u, f"{kind}_others"] = float(live)
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
    group, count, _ = _primary(subj, key, 4)
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


def naive_ratios(frames, as_of: dt.date) -> pd.DataFrame:
    """The standardised group ratios by plain pandas, following the module's definition;
    in the owner's group a member counts from the day its legal representative took over
    (its days on record and its events from then)."""
    ts = pd.Timestamp(as_of)
    sub = frames.subjects.set_index("uscc")
    industry = sub["industry"].fillna("<none>")
    reg = pd.to_datetime(sub["registered_on"])
    com, pen = frames.complaints, frames.penalties
    lists = frames.list_entries.dropna(subset=["subject_uscc"])
    kinds = {
        "complaints": (com["subject_uscc"], com["received_on"]),
        "substantiated": (com["subject_uscc"][com["substantiated"].astype(bool)],
                          com["received_on"][com["substantiated"].astype(bool)]),
        "penalties": (pen["subject_uscc"], pen["decided_on"]),
        "serious": (pen["subject_uscc"][pen["severity"] == "serious"],
                    pen["decided_on"][pen["severity"] == "serious"]),
        "listed": (lists["subject_uscc"], lists["listed_on"]),
    }
    never = pd.Series(pd.Timestamp("1900-01-01"), index=sub.index)

    def days_on_record(first: pd.Timestamp, since: pd.Series) -> pd.Series:
        begin = reg.where(reg.notna() & (reg > first), first)  # no date: always there
        begin = begin.where(begin > since, since)
        on = (reg.isna() | (reg < ts)) & (begin < ts) & (since < ts)
        return ((ts - begin).dt.days * on).astype(float)

    # expected failures: each decided inspection at its industry's shrunk rate before it
    ins = frames.inspections[frames.inspections["outcome"].isin(["pass", "fail"])]
    ind_of = ins["subject_uscc"].map(industry)  # no industry: a category of its own
    rate_of = pd.Series(0.0, index=ins.index)
    for i, row in ins[ins["inspected_on"] < ts].iterrows():
        earlier = ins[ins["inspected_on"] < row["inspected_on"]]
        city = (earlier["outcome"] == "fail").mean() if len(earlier) else 0.5
        mine = earlier[ind_of[earlier.index] == ind_of[row.name]]
        rate_of[i] = ((mine["outcome"] == "fail").sum() + PRIOR_INSPECTIONS * city) / (
            len(mine) + PRIOR_INSPECTIONS)

    def per_subject(since: pd.Series) -> tuple[dict, dict]:
        expected, observed = {}, {}
        for kind, (who, when) in kinds.items():
            when = pd.to_datetime(when)
            rates_on = days_on_record(when.min(), never)  # the industries' rates: everyone
            before = who[when < ts].value_counts().reindex(sub.index, fill_value=0)
            rate = before.groupby(industry).sum() / rates_on.groupby(industry).sum()
            record = days_on_record(when.min(), since)
            expected[kind] = (industry.map(rate.fillna(0.0)) * record).fillna(0.0)
            mine = (when < ts) & (when >= since.reindex(who).to_numpy())
            observed[kind] = who[mine].value_counts().reindex(sub.index, fill_value=0)
        counted = (ins["inspected_on"] < ts) & (
            ins["inspected_on"] >= since.reindex(ins["subject_uscc"]).to_numpy())
        expected["failure"] = rate_of[counted].groupby(ins["subject_uscc"][counted]).sum() \
            .reindex(sub.index, fill_value=0.0)
        fails = counted & (ins["outcome"] == "fail")
        observed["failure"] = ins["subject_uscc"][fails].value_counts().reindex(
            sub.index, fill_value=0)
        return expected, observed

    key = {
        "site": frames.addresses.set_index("subject_uscc")["address_key"],
        "phone": frames.phones.set_index("subject_uscc")["phone_key"],
        "owner": frames.ties.set_index("subject_uscc")["holder_key"],
    }
    out = pd.DataFrame(index=sub.index)
    for group, k in key.items():
        since = joined_on(frames).fillna(never["S0"]) if group == "owner" else never
        expected, observed = per_subject(since)
        k = k.reindex(sub.index)
        for u in sub.index:
            others = [v for v in sub.index[(k == k[u]).to_numpy()] if v != u]
            for kind in expected:
                o, e = observed[kind][others].sum(), expected[kind][others].sum()
                out.loc[u, f"{group}_{kind}_ratio"] = (
                    np.nan if pd.isna(k[u]) or since[u] >= ts
                    else (o + RATIO_PSEUDO) / (e + RATIO_PSEUDO))
    return out


@pytest.mark.parametrize("seed, as_of", [(3, D(2022, 7, 1)), (4, D(2024, 11, 15))])
def test_standardised_ratios_match_a_naive_computation(seed: int, as_of: dt.date) -> None:
    frames = random_frames(seed, rich=True)
    got = subject_features(frames, as_of)
    want = naive_ratios(frames, as_of)
    # a subject registered after as_of did not exist yet: it has no features of its own
    # (it still counts nowhere among the others: the naive sums skip it by its days)
    registered = frames.subjects.set_index("uscc")["registered_on"]
    existed = registered.isna() | (registered <= pd.Timestamp(as_of))
    assert set(got.index) == set(registered.index[existed])
    want = want.loc[got.index]
    assert want.notna().any().all()
    for col in want.columns:
        pd.testing.assert_series_equal(got[col].astype(float), want[col].astype(float),
                                       check_names=False, rtol=1e-9, obj=col)


def test_a_market_of_restaurants_is_not_worse_than_its_trade() -> None:
    """Two sites with the same complaints per business: the one whose trade draws
    complaints anyway (food) has a ratio near 1, the quiet trade's site stands out."""
    subjects = [subject(f"F{i}", industry="food") for i in range(20)] + [
        subject(f"R{i}", industry="retail") for i in range(20)]
    complaints = [dict(subject_uscc=f"F{i}", received_on="2022-05-01", substantiated=False)
                  for i in range(10, 20) for _ in range(3)]  # food elsewhere: 3 each
    complaints += [dict(subject_uscc=f"F{i}", received_on="2022-06-01", substantiated=False)
                   for i in range(3)]  # food at the market: 1 each
    complaints += [dict(subject_uscc=f"R{i}", received_on="2022-06-01", substantiated=False)
                   for i in range(3)]  # retail at the block: 1 each, retail elsewhere none
    addresses = [dict(subject_uscc=f"F{i}", address_key="market") for i in range(4)]
    addresses += [dict(subject_uscc=f"R{i}", address_key="block") for i in range(4)]
    f = subject_features(make(subjects=subjects, complaints=complaints,
                              addresses=addresses), D(2023, 1, 1))
    assert f.loc["F3", "site_events_per_subject"] == f.loc["R3", "site_events_per_subject"]
    assert f.loc["F3", "site_complaints_ratio"] < 1 < f.loc["R3", "site_complaints_ratio"]


def test_ratios_of_inspection_rows_are_exact_per_day_and_chunking_changes_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows on many days, computed in one pass (deduplicated per group and day, expanded
    in chunks), equal the subject features of each row's own day."""
    frames = random_frames(5, rich=True)
    ratios = [c for c in FEATURE_NAMES if c.endswith("_ratio")]
    rows = inspection_features(frames)
    monkeypatch.setattr(groups, "_CHUNK", 3)
    assert rows[ratios].equals(inspection_features(frames)[ratios])
    days = rows["inspected_on"].drop_duplicates().sort_values().iloc[::5]
    checked = 0
    for day in days:
        want = subject_features(frames, day.date())
        got = rows[rows["inspected_on"] == day]
        # (an inspection dated before its subject's registration is a data error the
        # features still handle; such a subject has no subject features that day)
        got = got[got["subject_uscc"].isin(want.index)]
        checked += len(got)
        for _, row in got.iterrows():
            np.testing.assert_allclose(row[ratios].to_numpy(float),
                                       want.loc[row["subject_uscc"], ratios].to_numpy(float),
                                       rtol=1e-12)
    assert checked >= 25


def test_a_later_inspection_elsewhere_leaves_the_failure_ratio_unchanged_to_the_bit() -> None:
    """Expected failures are summed per owner: an inspection on or after t of a subject
    sorted earlier must not move the rounding of another group's sum."""
    history = [("S1", "2021-02-01", "fail"), ("S1", "2021-05-01", "pass"),
               ("S2", "2022-01-10", "fail"), ("S2", "2022-04-10", "pass"),
               ("S2", "2022-08-10", "fail"), ("S3", "2022-02-01", "pass"),
               ("S2", "2022-11-10", "pass")]
    frames = make(4, phones=[dict(subject_uscc="S0", phone_key="x"),
                             dict(subject_uscc="S2", phone_key="x")],
                  inspections=[insp("I0", "S0", "2023-03-01")] + [
                      insp(f"H{i}", s, d, o) for i, (s, d, o) in enumerate(history)])
    before = inspection_features(frames).loc["I0", FEATURE_NAMES].astype(float)
    assert 0 < before["phone_failure_ratio"] != 1
    for day in ("2023-03-01", "2023-03-02", "2023-09-17"):
        later = add(frames, "inspections", insp("Ix", "S1", day, "fail"))
        after = inspection_features(later).loc["I0", FEATURE_NAMES].astype(float)
        assert before.equals(after), before.compare(after)


def test_a_subject_registered_on_t_has_its_groups_rates() -> None:
    # registered on the day it is scored, or inspected before its registration day (a
    # data error): it still has an industry, premises and phone, only not yet as a member
    frames = make(
        subjects=[subject("S0"), subject("S1", registered_on="2024-03-01")],
        addresses=[dict(subject_uscc=s, address_key="m") for s in ("S0", "S1")],
        inspections=[insp("I0", "S0", "2023-05-01", "fail"), insp("I1", "S1", "2024-02-01")],
    )
    f = subject_features(frames, D(2024, 3, 1)).loc["S1"]
    assert f["site_others"] == 1 and f["site_failure_rate"] > 0
    assert not np.isnan(f["industry_failure_rate"])
    row = inspection_features(frames).loc["I1"]
    assert row["site_others"] == 1 and not np.isnan(row["industry_failure_rate"])
    # and it does not count itself among the others before it is registered
    assert subject_features(frames, D(2024, 3, 2)).loc["S0", "site_others"] == 1


def test_the_legal_representative_is_the_one_who_took_over_last() -> None:
    # S0 was run by A (who also runs S1, S2, S3) and is run by B (who runs S4) from June
    # 2024: B, though the less widely shared, is S0's legal representative
    frames = make(5, ties=[tie("S0", "A"), tie("S1", "A"), tie("S2", "A"), tie("S3", "A"),
                           tie("S0", "B", since="2024-06-01"), tie("S4", "B")])
    f = subject_features(frames, D(2024, 7, 1))
    assert f.loc["S0", "owner_others"] == 1  # B's other: S4
    assert f.loc["S1", "owner_others"] == 2  # A no longer runs S0
    # before B took over, S0 is in no owner's group: B's later role is not known yet
    assert np.isnan(subject_features(frames, D(2024, 1, 1)).loc["S0", "owner_others"])
