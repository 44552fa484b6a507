"""Point-in-time subject features and the capped link graph, on small hand-built frames."""

from __future__ import annotations

import dataclasses
import datetime as dt

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from riskgraph.models.events import day_of
from riskgraph.models.features import (
    FEATURE_NAMES,
    GRAPH_FEATURES,
    OWN_FEATURES,
    inspection_features,
    subject_features,
)
from riskgraph.models.frames import COLUMNS, GraphFrames
from riskgraph.models.linkage import build_links, propagate

D = dt.date


def table(name: str, rows: list[dict]) -> pd.DataFrame:
    """A table of one kind from dicts; absent columns are NA, *_on columns are dates."""
    df = pd.DataFrame(rows, columns=list(COLUMNS[name]))
    for col in df.columns:
        if col.endswith("_on") or col in ("since", "until"):
            df[col] = pd.to_datetime(df[col])
    return df


def subject(uscc: str, **kw: object) -> dict:
    row = dict(
        uscc=uscc,
        kind="enterprise",
        industry="retail",
        region="r1",
        status="active",
        registered_on="2015-01-01",
        key_sector=False,
        registered_capital=1e6,
    )
    return row | kw


def make(n: int = 0, subjects: list[dict] | None = None, **tables: list[dict]) -> GraphFrames:
    """Frames with subjects S0..S{n-1} (or the given ones) and the given tables."""
    subs = subjects if subjects is not None else [subject(f"S{i}") for i in range(n)]
    built = {k: table(k, v) for k, v in tables.items()}
    return GraphFrames.from_tables(subjects=table("subjects", subs), **built)


def add(frames: GraphFrames, name: str, *rows: dict) -> GraphFrames:
    """The same frames with rows appended to one table."""
    old = getattr(frames, name)
    new = pd.concat([old, table(name, list(rows))], ignore_index=True)
    return dataclasses.replace(frames, **{name: new})


def tie(s: str, holder: str, role: str = "legal_rep", kind: str = "person",
        since: str | None = None, until: str | None = None) -> dict:
    return dict(subject_uscc=s, holder_key=holder, holder_kind=kind, role=role, since=since,
                until=until)


def pen(
    s: str,
    on: str,
    severity: str = "general",
    amount: float = 1000.0,
    repaired_on: str | None = None,
) -> dict:
    return dict(
        subject_uscc=s, decided_on=on, severity=severity, amount=amount, repaired_on=repaired_on
    )


def insp(iid: str, s: str, on: str, outcome: str = "pass") -> dict:
    return dict(inspection_id=iid, subject_uscc=s, inspected_on=on, outcome=outcome)


def at(frames: GraphFrames, as_of: dt.date, uscc: str) -> pd.Series:
    return subject_features(frames, as_of).loc[uscc]


# --- link graph --------------------------------------------------------------------------


@pytest.mark.parametrize("sharing, linked", [(30, True), (31, False)])
def test_hub_cap_unlinks_an_address_shared_by_more_than_30(sharing: int, linked: bool) -> None:
    frames = make(
        sharing,
        addresses=[dict(subject_uscc=f"S{i}", address_key="market hall") for i in range(sharing)],
    )
    links = build_links(frames, hub_cap=30)
    assert links.capped["address"] == (0 if linked else 1)
    assert links.adjacency.nnz == (sharing * (sharing - 1) if linked else 0)
    f = subject_features(frames, D(2024, 1, 1), links)
    assert f["linked_by_address"].eq(sharing - 1 if linked else 0).all()
    assert f["address_shared_by"].eq(sharing - 1).all()  # the sharing itself stays visible
    assert f["cluster_size"].eq(sharing if linked else 1).all()


def test_edge_kinds_and_two_hop_reachability() -> None:
    # S0 -person- S1 -shares- S2 -branch- S3 -phone- S4 -address- S5 ; S6 alone;
    # S7, S8, S9 all at one address (a triangle: nobody there is 2 hops away).
    frames = make(
        10,
        ties=[
            tie("S0", "P"),
            tie("S1", "P", "executive"),
            tie("S2", "S1", "shareholder", "subject"),
            tie("S3", "S2", "branch_of", "subject"),
        ],
        phones=[dict(subject_uscc="S3", phone_key="p"), dict(subject_uscc="S4", phone_key="p")],
        addresses=[
            dict(subject_uscc=s, address_key=k)
            for s, k in [("S4", "a"), ("S5", "a"), ("S7", "b"), ("S8", "b"), ("S9", "b")]
        ],
    )
    links = build_links(frames)
    counts = links.edge_counts()
    assert {k: counts[k] for k in ("person", "shareholding", "branch", "phone", "address")} == {
        "person": 1,
        "shareholding": 1,
        "branch": 1,
        "phone": 1,
        "address": 4,
    }
    graph = nx.from_scipy_sparse_array(links.adjacency)
    lengths = dict(nx.all_pairs_shortest_path_length(graph, cutoff=2))
    two = links.two_hop.toarray()
    for i in range(10):
        expect = {j for j, d in lengths[i].items() if d == 2}
        assert set(np.flatnonzero(two[i])) == expect
    f = subject_features(frames, D(2024, 1, 1), links)
    assert f["linked_subjects_2hop"].tolist() == [1, 1, 2, 2, 1, 1, 0, 0, 0, 0]
    assert f["cluster_size"].tolist() == [6, 6, 6, 6, 6, 6, 1, 3, 3, 3]
    assert f.loc["S2", "linked_by_ownership"] == 2 and f.loc["S0", "linked_by_person"] == 1


def test_networkx_view_of_the_link_graph() -> None:
    # S0 -person- S1 -shares- S2 -branch- S3 -phone and address- S4 ; S5 alone
    frames = make(
        6,
        ties=[tie("S0", "P"), tie("S1", "P", "executive"),
              tie("S2", "S1", "shareholder", "subject"), tie("S3", "S2", "branch_of", "subject")],
        phones=[dict(subject_uscc="S3", phone_key="p"), dict(subject_uscc="S4", phone_key="p")],
        addresses=[dict(subject_uscc="S3", address_key="a"),
                   dict(subject_uscc="S4", address_key="a")],
    )
    links = build_links(frames)
    whole = links.to_networkx()
    assert whole.number_of_nodes() == 6 and whole.number_of_edges() == 4
    assert whole.edges["S3", "S4"]["kinds"] == ["address", "phone"]
    assert whole.edges["S0", "S1"]["kinds"] == ["person"]
    assert whole.edges["S2", "S3"]["kinds"] == ["branch"]
    ego = links.to_networkx(["S1"], hops=2)
    assert set(ego) == set(nx.ego_graph(whole, "S1", radius=2)) == {"S0", "S1", "S2", "S3"}
    assert set(links.to_networkx(["S4", "S5"], hops=1)) == {"S3", "S4", "S5"}
    assert ego.nodes["S0"]["component"] == ego.nodes["S3"]["component"]
    with pytest.raises(KeyError, match="S9"):
        links.to_networkx(["S9"])


def test_an_investigators_graph_shows_former_links_when_asked() -> None:
    # P was an officer of S0 and S1 until the end of 2023; Q took S1 over from R in 2024;
    # R also runs S2
    frames = make(3, ties=[tie("S0", "P", "executive"),
                           tie("S1", "P", "executive", until="2023-12-31"),
                           tie("S1", "R"), tie("S2", "R"), tie("S1", "Q", since="2024-03-01")])
    links = build_links(frames)
    assert set(links.to_networkx(["S0"])) == {"S0"}
    ego = links.to_networkx(["S0"], hops=2, former=True)
    assert set(ego) == {"S0", "S1", "S2"}
    assert ego.edges["S0", "S1"] == {"kinds": ["person"], "current": False,
                                     "ended": "2023-12-31"}
    assert ego.edges["S1", "S2"] == {"kinds": ["person"], "current": False,
                                     "ended": "2024-03-01"}
    # a past day's view: what held then is current, what came later is not there
    then = links.at(day_of(D(2023, 6, 1))).to_networkx(["S0"], hops=2, former=True)
    assert then.edges["S0", "S1"] == {"kinds": ["person"], "current": True}
    assert then.edges["S1", "S2"]["current"]
    assert links.to_networkx(former=True).number_of_edges() == 2


def test_legal_reps_other_company_seriously_penalised() -> None:
    frames = make(
        3,
        ties=[tie("S0", "P"), tie("S1", "P", "shareholder"), tie("S2", "Q")],
        penalties=[pen("S1", "2023-05-01", "serious")],
    )
    f = subject_features(frames, D(2024, 1, 1))
    assert f.loc["S0", "linked_serious_penalties"] >= 1
    assert f.loc["S0", "legal_rep_other_serious_penalties"] == 1
    assert f.loc["S0", "legal_rep_other_subjects"] == 1
    assert f.loc["S2", "linked_serious_penalties"] == 0


def test_person_on_dishonesty_list_marks_their_subjects_while_listed() -> None:
    frames = make(
        2,
        ties=[tie("S0", "P"), tie("S1", "P", "shareholder")],
        list_entries=[
            dict(
                person_key="P",
                list="serious_dishonest",
                listed_on="2023-01-01",
                removed_on="2023-07-01",
            )
        ],
    )
    listed = at(frames, D(2023, 3, 1), "S0")
    assert listed["legal_rep_listed"] == 1 and listed["persons_serious_dishonest"] == 1
    assert at(frames, D(2023, 3, 1), "S1")["legal_rep_listed"] == 0
    assert at(frames, D(2023, 7, 1), "S0")["persons_listed"] == 1  # removed on t: still on
    assert at(frames, D(2023, 7, 2), "S0")["persons_listed"] == 0


def test_repaired_penalty_counts_as_repaired_only_after_repaired_on() -> None:
    frames = make(1, penalties=[pen("S0", "2022-01-01", "serious", 5000, "2022-06-01")])
    before, on, after = (at(frames, d, "S0") for d in (D(2022, 3, 1), D(2022, 6, 1), D(2022, 6, 2)))
    assert (before["penalties_repaired"], before["penalties_unrepaired"]) == (0, 1)
    assert on["penalties_repaired"] == 0
    assert (after["penalties_repaired"], after["penalties_unrepaired"]) == (1, 0)
    assert before["penalty_amount_log"] == pytest.approx(np.log1p(5000))


def test_own_history_counts_by_hand() -> None:
    frames = make(
        1,
        complaints=[
            dict(subject_uscc="S0", received_on=d, substantiated=s)
            for d, s in [
                ("2021-06-01", True),
                ("2023-03-01", pd.NA),
                ("2023-09-01", False),
                ("2024-01-01", True),
            ]
        ],
        penalties=[
            pen("S0", "2020-01-01", "minor"),
            pen("S0", "2023-02-01", "serious"),
            pen("S0", "2023-10-01", "general"),
        ],
        inspections=[
            insp("a", "S0", "2022-01-01", "fail"),
            insp("b", "S0", "2022-06-01"),
            insp("c", "S0", "2023-06-01", "not_found"),
            insp("d", "S0", "2024-01-01", "fail"),
        ],
        list_entries=[
            dict(
                subject_uscc="S0",
                list="abnormal_operation",
                listed_on="2023-07-01",
                removed_on=None,
            )
        ],
    )
    f = at(frames, D(2024, 1, 1), "S0")
    assert (f["complaints"], f["complaints_substantiated"], f["complaints_12m"]) == (3, 1, 2)
    assert f["complaints_substantiated_12m"] == 0  # the 2024-01-01 one is on t, not before
    assert (f["penalties"], f["penalties_serious_24m"], f["penalties_minor_24m"]) == (3, 1, 0)
    assert f["days_since_last_penalty"] == (D(2024, 1, 1) - D(2023, 10, 1)).days
    assert (f["past_inspections"], f["past_inspection_failures"]) == (3, 1)
    assert f["inspection_failure_rate"] == 0.5  # not_found is neither pass nor fail
    assert f["list_abnormal_operation"] == 1
    assert f["age_years"] == pytest.approx(9.0, abs=0.01)


def test_pagerank_mass_decreases_away_from_a_penalised_subject() -> None:
    chain = [dict(subject_uscc=f"S{i}", phone_key=f"p{i}") for i in range(5)]
    chain += [dict(subject_uscc=f"S{i + 1}", phone_key=f"p{i}") for i in range(4)]
    frames = make(
        7,
        phones=chain
        + [dict(subject_uscc="S5", phone_key="q"), dict(subject_uscc="S6", phone_key="q")],
        penalties=[pen("S0", "2023-01-01", "serious")],
    )
    f = subject_features(frames, D(2024, 1, 1))["propagated_risk"]
    assert f["S1"] > f["S2"] > f["S3"] > f["S4"] > 0
    assert f["S5"] == f["S6"] == 0
    links = build_links(frames)
    mass = propagate(links, np.eye(7)[4], tol=1e-9)
    assert mass.sum() == pytest.approx(1.0) and mass[3] > mass[0] and mass[5] == 0
    warm = propagate(links, np.eye(7)[4], tol=1e-9, start=mass * 0.9)
    assert warm == pytest.approx(mass, rel=1e-6)


# --- point in time -----------------------------------------------------------------------

T = "2023-03-01"  # a month start: the graph snapshot of this inspection is its own day


def base() -> GraphFrames:
    """S0 is inspected on T; S1 shares its legal rep, S2 its phone, S3 is 2 hops away."""
    return make(
        5,
        ties=[
            tie("S0", "P"),
            tie("S1", "P", "shareholder"),
            tie("S3", "S1", "shareholder", "subject"),
        ],
        phones=[dict(subject_uscc="S0", phone_key="x"), dict(subject_uscc="S2", phone_key="x")],
        penalties=[pen("S0", "2021-01-01", "minor", 100, None)],
        inspections=[insp("I0", "S0", T), insp("I1", "S2", "2023-03-17", "fail")],
    )


def shifted(day: str, offset: int) -> str:
    return str(pd.Timestamp(day) + pd.Timedelta(days=offset))[:10]


FACTS = {
    "penalty on linked subject": lambda d: ("penalties", pen("S1", d, "serious")),
    "penalty 2 hops away": lambda d: ("penalties", pen("S3", d)),
    "complaint": lambda d: (
        "complaints",
        dict(subject_uscc="S0", received_on=d, substantiated=True),
    ),
    "list entry": lambda d: (
        "list_entries",
        dict(subject_uscc="S0", list="joint_punishment", listed_on=d),
    ),
    "list entry of linked": lambda d: (
        "list_entries",
        dict(subject_uscc="S2", list="abnormal_operation", listed_on=d),
    ),
    "person list entry": lambda d: (
        "list_entries",
        dict(person_key="P", list="serious_dishonest", listed_on=d),
    ),
    "failed inspection of linked": lambda d: ("inspections", insp("Ix", "S1", d, "fail")),
    "own earlier inspection": lambda d: ("inspections", insp("Iy", "S0", d, "fail")),
    # S2 shares S0's phone: its failures move the phone group's rate, uncapped and exact
    "failed inspection on the same phone": lambda d: ("inspections", insp("Iz", "S2", d, "fail")),
    "complaint on the same phone": lambda d: (
        "complaints", dict(subject_uscc="S2", received_on=d, substantiated=False)),
}


@pytest.mark.parametrize("fact", sorted(FACTS))
@pytest.mark.parametrize("offset", [-1, 0, 1, 200])
def test_facts_on_or_after_t_leave_features_unchanged(fact: str, offset: int) -> None:
    frames = base()
    name, row = FACTS[fact](shifted(T, offset))
    before = inspection_features(frames).loc["I0", FEATURE_NAMES].astype(float)
    after = inspection_features(add(frames, name, row)).loc["I0", FEATURE_NAMES].astype(float)
    unchanged = before.equals(after)
    assert unchanged == (offset >= 0), (before.compare(after), fact, offset)


@pytest.mark.parametrize("repaired_offset, changes", [(-1, True), (0, False), (30, False)])
def test_repair_on_or_after_t_leaves_features_unchanged(
    repaired_offset: int, changes: bool
) -> None:
    frames = base()
    repaired = frames.penalties.assign(repaired_on=pd.Timestamp(shifted(T, repaired_offset)))
    before = inspection_features(frames).loc["I0", FEATURE_NAMES]
    after = inspection_features(dataclasses.replace(frames, penalties=repaired))
    assert (not before.equals(after.loc["I0", FEATURE_NAMES])) == changes


def test_graph_context_uses_the_snapshot_on_or_before_the_inspection() -> None:
    # I1 is on March 17: a linked penalty on March 5 is after its snapshot (March 1) and is
    # not seen by graph context, while the inspected subject's own March 5 penalty is.
    frames = add(base(), "penalties", pen("S0", "2023-03-05"), pen("S3", "2023-03-05"))
    f = inspection_features(frames).loc["I1"]
    assert f["linked_penalties"] == 1  # only S0's 2021 penalty
    daily = inspection_features(frames, snapshot_freq="D").loc["I1"]
    assert daily["linked_penalties"] == 2


def test_inspection_rows_match_subject_features_on_a_snapshot_day() -> None:
    frames = add(base(), "penalties", pen("S1", "2022-11-01", "serious"))
    rows = inspection_features(frames)
    assert list(rows.index) == ["I0", "I1"] and rows["label"].tolist() == [False, True]
    same = subject_features(frames, D(2023, 3, 1)).loc["S0", FEATURE_NAMES]
    pd.testing.assert_series_equal(
        rows.loc["I0", FEATURE_NAMES].astype(float), same.astype(float), check_names=False
    )


def test_not_found_inspections_are_history_not_rows() -> None:
    frames = add(base(), "inspections", insp("I2", "S0", "2023-01-10", "not_found"))
    rows = inspection_features(frames)
    assert "I2" not in rows.index
    assert rows.loc["I0", "past_inspections_not_found"] == 1


def test_frames_without_inspections_give_no_rows() -> None:
    rows = inspection_features(make(3, ties=[tie("S0", "P"), tie("S1", "P")]))
    assert rows.empty and list(rows.columns[: len(FEATURE_NAMES)]) == FEATURE_NAMES


def test_linked_subjects_registered_after_t_are_not_counted() -> None:
    frames = make(
        subjects=[subject("S0"), subject("S1", registered_on="2024-06-01")],
        ties=[tie("S0", "P"), tie("S1", "P")],
    )
    assert at(frames, D(2024, 1, 1), "S0")["linked_subjects_1hop"] == 0
    assert at(frames, D(2024, 7, 1), "S0")["linked_subjects_1hop"] == 1


def test_a_path_through_a_subject_registered_later_is_not_there_yet() -> None:
    # S0 -P- S1 -Q- S2, S1 registered in June 2024: before, S0 and S2 are not 2 hops
    # apart and each is a cluster of one
    frames = make(
        subjects=[subject("S0"), subject("S1", registered_on="2024-06-01"), subject("S2")],
        ties=[tie("S0", "P"), tie("S1", "P"), tie("S1", "Q"), tie("S2", "Q")],
        penalties=[pen("S2", "2023-09-01")],
    )
    before, after = at(frames, D(2024, 1, 1), "S0"), at(frames, D(2024, 7, 1), "S0")
    assert before[["linked_subjects_2hop", "linked_2hop_penalties", "cluster_size"]].tolist() \
        == [0, 0, 1]
    assert after[["linked_subjects_2hop", "linked_2hop_penalties", "cluster_size"]].tolist() \
        == [1, 1, 3]
    assert before["propagated_risk"] == 0 and after["propagated_risk"] > 0
    frames = add(frames, "inspections", insp("I0", "S0", "2024-01-02"),
                 insp("I1", "S0", "2024-08-01"))
    rows = inspection_features(frames)
    assert rows.loc[["I0", "I1"], "linked_2hop_penalties"].tolist() == [0, 1]
    assert rows.loc[["I0", "I1"], "cluster_size"].tolist() == [1, 3]


def test_a_role_begun_after_t_does_not_link_yet() -> None:
    # P has run S0 all along and takes over S1, penalised in 2023, in June 2024
    frames = make(
        2,
        ties=[tie("S0", "P"), tie("S1", "P", since="2024-06-01")],
        penalties=[pen("S1", "2023-01-01", "serious")],
    )
    cols = ["linked_subjects_1hop", "linked_by_person", "legal_rep_other_subjects",
            "legal_rep_other_serious_penalties", "owner_others"]
    assert at(frames, D(2024, 6, 1), "S0")[cols].tolist() == [0, 0, 0, 0, 0]
    assert at(frames, D(2024, 6, 2), "S0")[cols].tolist() == [1, 1, 1, 1, 1]
    # a shareholding and a branch count from their own day too
    frames = make(2, ties=[tie("S1", "S0", "shareholder", "subject", since="2024-06-01")])
    assert at(frames, D(2024, 1, 1), "S0")["linked_by_ownership"] == 0
    assert at(frames, D(2024, 7, 1), "S0")["linked_by_ownership"] == 1


def test_a_pair_linked_directly_later_was_two_hops_apart_before() -> None:
    # S0 -P- S1 -Q- S2 from the start; S0 and S2 share R from June 2024
    frames = make(3, ties=[tie("S0", "P"), tie("S1", "P"), tie("S1", "Q"), tie("S2", "Q"),
                           tie("S0", "R", "executive", since="2024-06-01"),
                           tie("S2", "R", "executive")])
    cols = ["linked_subjects_1hop", "linked_subjects_2hop"]
    assert at(frames, D(2024, 1, 1), "S0")[cols].tolist() == [1, 1]
    assert at(frames, D(2024, 7, 1), "S0")[cols].tolist() == [2, 0]


def test_a_role_that_ended_before_t_links_no_more() -> None:
    # P supervised S1 until the end of June 2024 and supervises S0 still
    frames = make(2, ties=[tie("S0", "P", "supervisor"),
                           tie("S1", "P", "supervisor", until="2024-06-30")],
                  penalties=[pen("S1", "2023-01-01", "serious")])
    cols = ["linked_subjects_1hop", "linked_by_person", "linked_penalties"]
    assert at(frames, D(2024, 6, 30), "S0")[cols].tolist() == [1, 1, 1]
    assert at(frames, D(2024, 7, 1), "S0")[cols].tolist() == [0, 0, 0]
    links = build_links(frames)  # today, with every fact: the ended role is gone
    assert links.adjacency.nnz == 0 and links.persons.nnz == 1
    # a shareholding between subjects ends the same way
    frames = make(2, ties=[tie("S1", "S0", "shareholder", "subject", until="2024-06-30")])
    assert at(frames, D(2024, 1, 1), "S0")["linked_by_ownership"] == 1
    assert at(frames, D(2024, 7, 1), "S0")["linked_by_ownership"] == 0


def test_a_new_legal_representative_ends_the_one_before() -> None:
    # P ran S0 and S1; Q took S1 over in June 2024 (the export keeps P's old row)
    frames = make(2, ties=[tie("S0", "P"), tie("S1", "P"), tie("S1", "Q", since="2024-06-01")],
                  penalties=[pen("S1", "2023-01-01", "serious")])
    cols = ["linked_subjects_1hop", "legal_rep_other_subjects",
            "legal_rep_other_serious_penalties"]
    assert at(frames, D(2024, 6, 1), "S0")[cols].tolist() == [1, 1, 1]
    assert at(frames, D(2024, 6, 2), "S0")[cols].tolist() == [0, 0, 0]
    links = build_links(frames)
    assert links.legal_reps.nnz == 2 and links.adjacency.nnz == 0
    # undated representatives, or ones begun the same day, end none of each other
    for since in (None, "2020-01-01"):
        frames = make(2, ties=[tie("S0", "P", since=since), tie("S1", "P", since=since),
                               tie("S1", "Q", since=since)])
        assert build_links(frames).legal_reps.nnz == 3
    # representatives named before the subject was registered: the later one runs it
    frames = make(subjects=[subject("S0"), subject("S1", registered_on="2015-01-01")],
                  ties=[tie("S0", "P"), tie("S1", "P", since="2010-01-01"),
                        tie("S1", "Q", since="2012-01-01")])
    links = build_links(frames)
    assert links.legal_reps.nnz == 2 and links.adjacency.nnz == 0
    # a shareholder stays when a new legal representative comes
    frames = make(2, ties=[tie("S0", "P", "shareholder"), tie("S1", "P", "shareholder"),
                           tie("S1", "Q", since="2024-06-01")])
    assert at(frames, D(2024, 7, 1), "S0")["linked_subjects_1hop"] == 1


def test_a_role_that_ends_and_begins_again_links_only_while_it_holds() -> None:
    frames = make(2, ties=[tie("S0", "P", "executive"),
                           tie("S1", "P", "executive", until="2020-12-31"),
                           tie("S1", "P", "supervisor", since="2022-06-30")])
    links = build_links(frames, hub_cap=1000)
    linked = [links.at(day_of(d)).adjacency[0].sum()
              for d in (D(2020, 12, 31), D(2021, 6, 1), D(2022, 6, 30), D(2022, 7, 1))]
    assert linked == [1, 0, 0, 1]


def test_two_hops_end_with_a_path_and_begin_when_a_direct_link_ends() -> None:
    # S0 -P- S1 -Q- S2 until Q leaves S2 at the end of 2022
    frames = make(3, ties=[tie("S0", "P", "executive"), tie("S1", "P", "executive"),
                           tie("S1", "Q", "executive"),
                           tie("S2", "Q", "executive", until="2022-12-31")])
    cols = ["linked_subjects_2hop", "cluster_size"]
    assert at(frames, D(2022, 12, 31), "S0")[cols].tolist() == [1, 3]
    assert at(frames, D(2023, 1, 1), "S0")[cols].tolist() == [0, 2]
    # and S0, S2 linked directly through R until mid-2023 are 2 hops apart after
    frames = make(3, ties=[tie("S0", "P", "executive"), tie("S1", "P", "executive"),
                           tie("S1", "Q", "executive"), tie("S2", "Q", "executive"),
                           tie("S0", "R", "executive", until="2023-06-30"),
                           tie("S2", "R", "executive", until="2023-06-30")])
    cols = ["linked_subjects_1hop", "linked_subjects_2hop"]
    assert at(frames, D(2023, 6, 30), "S0")[cols].tolist() == [2, 0]
    assert at(frames, D(2023, 7, 1), "S0")[cols].tolist() == [1, 1]


def test_components_are_not_merged_from_a_later_or_foreign_view() -> None:
    frames = make(3, ties=[tie("S0", "P", "executive", since="2020-01-01"),
                           tie("S1", "P", "executive", since="2020-01-01"),
                           tie("S1", "Q", "executive", until="2020-06-01"),
                           tie("S2", "Q", "executive")])
    links, other = build_links(frames), build_links(frames)
    early, late = day_of(D(2019, 1, 1)), day_of(D(2021, 1, 1))
    assert links.at(early, after=links.at(late)).component.tolist() == [0, 1, 1]
    assert links.at(early, after=other.at(late)).component.tolist() == [0, 1, 1]
    # an earlier view of other frames is not merged from either
    foreign = build_links(make(3, ties=[tie("S0", "R", "executive"),
                                        tie("S2", "R", "executive")]))
    assert links.at(late, after=foreign.at(early)).component.tolist() == [0, 0, 1]


@pytest.mark.parametrize("seed, cap", [(1, 1000), (2, 1000), (3, 1000), (4, 1000),
                                       (1, 3), (2, 4), (3, 3), (4, 5)])
def test_the_graph_on_a_day_is_the_graph_built_from_what_existed_that_day(seed: int,
                                                                          cap: int) -> None:
    rng = np.random.default_rng(seed)
    n = 80
    days = pd.date_range("2018-01-01", "2025-12-31", freq="D")

    def day(missing: float = 0.2) -> pd.Timestamp | None:
        return None if rng.random() < missing else days[rng.integers(len(days))]

    subs = [subject(f"S{i}", registered_on=day()) for i in range(n)]
    roles = ["legal_rep", "shareholder", "executive"]
    ties = [tie(f"S{rng.integers(n)}", f"P{rng.integers(40)}", str(rng.choice(roles)),
                since=day(), until=day(0.7)) for _ in range(90)]
    ties += [tie(f"S{rng.integers(n)}", f"S{rng.integers(n)}",
                 str(rng.choice(["shareholder", "branch_of"])), "subject", since=day(),
                 until=day(0.8 if seed % 2 else 1.0)) for _ in range(15)]
    frames = make(
        subjects=subs, ties=ties,
        addresses=[dict(subject_uscc=f"S{i}", address_key=f"a{rng.integers(30)}")
                   for i in rng.integers(n, size=50)],
        phones=[dict(subject_uscc=f"S{i}", phone_key=f"p{rng.integers(30)}")
                for i in rng.integers(n, size=40)],
    )
    # the cap of a day counts the subjects of that day (1000: no cap at all)
    links = build_links(frames, hub_cap=cap)
    reg = frames.subjects.set_index("uscc")["registered_on"]
    ty = frames.ties
    # each role's first day and last day, row by row: from the later of its since and its
    # subject's registration; to its until, or a later legal representative's since (not
    # before the registration)

    def later(*days: pd.Timestamp | None) -> pd.Timestamp | None:
        known = [x for x in days if not pd.isna(x)]
        return max(known) if known else None

    first = [later(row.since, reg.get(row.subject_uscc)) for row in ty.itertuples()]
    last = []
    for row in ty.itertuples():
        ends = [row.until] if not pd.isna(row.until) else []
        if row.role == "legal_rep" and row.holder_kind == "person":
            ends += [later(other.since, reg.get(row.subject_uscc))
                     for other in ty.itertuples()
                     if other.subject_uscc == row.subject_uscc and other.role == "legal_rep"
                     and other.holder_kind == "person" and not pd.isna(other.since)
                     and (pd.isna(row.since) or other.since > row.since)]
        last.append(min(ends) if ends else None)
    earlier = None
    for t in pd.to_datetime(["2019-06-01", "2021-01-01", "2023-03-15", "2026-01-01"]):
        def existed(col: pd.Series, t: pd.Timestamp = t) -> np.ndarray:
            r = reg.reindex(col.astype(str)).to_numpy()
            return (pd.isna(r) | (r < t)) & col.notna().to_numpy()

        ok = existed(ty["subject_uscc"]) & np.array(
            [(b is None or b < t) and (e is None or t <= e)
             for b, e in zip(first, last, strict=True)])
        ok &= (ty["holder_kind"] == "person").to_numpy() | existed(ty["holder_key"])
        then = dataclasses.replace(
            frames, ties=ty[ok].assign(until=pd.NaT),
            addresses=frames.addresses[existed(frames.addresses["subject_uscc"])],
            phones=frames.phones[existed(frames.phones["subject_uscc"])])
        rebuilt = build_links(then, hub_cap=cap)
        view = links.at(day_of(t.date()))
        for name in ("adjacency", "kinds", "two_hop", "persons", "legal_reps"):
            got, want = getattr(view, name), getattr(rebuilt, name)
            if name in ("persons", "legal_reps"):  # person columns: match them by key
                assert got.count_nonzero() == want.nnz
                got = got[:, view.person_keys.get_indexer(rebuilt.person_keys)]
            assert (got != want).nnz == 0, (t, name)
        # the same partition into components, computed afresh or merged from the day before
        earlier = links.at(day_of(t.date()), after=earlier)
        for component in (view.component, earlier.component):
            pairs = set(zip(component, rebuilt.component, strict=True))
            assert len(pairs) == len(set(component)) == len(set(rebuilt.component))


def test_random_frames_match_a_naive_computation() -> None:
    rng = np.random.default_rng(7)
    n = 60
    days = pd.date_range("2019-01-01", "2024-12-31", freq="D")

    def when(k: int) -> list[pd.Timestamp]:
        return list(days[rng.integers(0, len(days), k)])

    frames = make(
        n,
        addresses=[
            dict(subject_uscc=f"S{rng.integers(n)}", address_key=f"a{rng.integers(25)}")
            for _ in range(50)
        ],
        ties=[tie(f"S{rng.integers(n)}", f"P{rng.integers(30)}") for _ in range(40)],
        penalties=[
            pen(f"S{rng.integers(n)}", d, str(rng.choice(["minor", "serious"]))) for d in when(80)
        ],
        complaints=[
            dict(subject_uscc=f"S{rng.integers(n)}", received_on=d, substantiated=True)
            for d in when(80)
        ],
    )
    as_of = D(2023, 1, 1)
    f = subject_features(frames, as_of)
    ts = pd.Timestamp(as_of)
    p = frames.penalties[frames.penalties["decided_on"] < ts]
    own = p.groupby("subject_uscc").size().reindex(f.index, fill_value=0)
    assert (f["penalties"] == own).all()
    c = frames.complaints
    recent = c[(c["received_on"] < ts) & (c["received_on"] >= ts - pd.Timedelta(days=365))]
    assert (
        f["complaints_12m"] == recent.groupby("subject_uscc").size().reindex(f.index, fill_value=0)
    ).all()
    graph = nx.from_scipy_sparse_array(build_links(frames).adjacency)
    names = list(f.index)
    for i in range(n):
        near = nx.single_source_shortest_path_length(graph, i, cutoff=2)
        ring1 = [names[j] for j, d in near.items() if d == 1]
        ring2 = [names[j] for j, d in near.items() if d == 2]
        assert f.iloc[i]["linked_penalties"] == own[ring1].sum()
        assert f.iloc[i]["linked_2hop_penalties"] == own[ring2].sum()
        assert f.iloc[i]["cluster_size"] == len(nx.node_connected_component(graph, i))


def test_feature_lists_are_consistent() -> None:
    assert FEATURE_NAMES == OWN_FEATURES + GRAPH_FEATURES
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    f = subject_features(make(2), D(2024, 1, 1))
    assert list(f.columns[: len(FEATURE_NAMES)]) == FEATURE_NAMES
    assert all(pd.api.types.is_float_dtype(f[c]) for c in FEATURE_NAMES)


def test_recent_features_halve_a_year_on() -> None:
    frames = make(2, complaints=[dict(subject_uscc="S0", received_on="2022-01-01",
                                      substantiated=False)],
                  inspections=[insp("I0", "S1", "2022-01-01", "fail"),
                               insp("I1", "S1", "2020-01-01", "pass")])
    day = pd.Timestamp("2022-01-01")
    for days, expect in ((1, 2 ** (-1 / 365)), (365, 0.5), (730, 0.25)):
        when = (day + pd.Timedelta(days=days)).date()
        f = subject_features(frames, when)
        assert f.loc["S0", "complaints_recent"] == pytest.approx(expect)
        assert f.loc["S1", "inspection_failures_recent"] == pytest.approx(expect)
        older = 2.0 ** (-(when - D(2020, 1, 1)).days / 365)
        assert f.loc["S1", "inspections_decided_recent"] == pytest.approx(expect + older)
    assert subject_features(frames, D(2022, 1, 1)).loc["S0", "complaints_recent"] == 0


def test_recent_features_of_one_subject_ignore_others_dates() -> None:
    """A typo'd far-future date on one subject changes nobody else's weights."""
    def frames(other_day: str):
        return make(2, complaints=[
            dict(subject_uscc="S0", received_on=other_day, substantiated=False),
            dict(subject_uscc="S1", received_on="2022-01-01", substantiated=False),
            dict(subject_uscc="S1", received_on="2023-01-01", substantiated=False)])
    a = subject_features(frames("2021-05-01"), D(2024, 1, 1)).loc["S1", "complaints_recent"]
    b = subject_features(frames("2202-05-01"), D(2024, 1, 1)).loc["S1", "complaints_recent"]
    assert a == b == pytest.approx(2 ** (-365 / 365) + 2 ** (-730 / 365))


def test_subjects_registered_after_as_of_are_not_there_yet() -> None:
    frames = make(subjects=[subject("S0"), subject("S1", registered_on="2025-03-01"),
                            subject("S2", registered_on=None)])
    assert list(subject_features(frames, D(2025, 2, 28)).index) == ["S0", "S2"]
    assert list(subject_features(frames, D(2025, 3, 1)).index) == ["S0", "S1", "S2"]


def test_an_address_or_phone_shared_only_later_is_not_shared_yet() -> None:
    frames = make(
        subjects=[subject("S0"), subject("S1", registered_on="2024-06-01"), subject("S2")],
        addresses=[dict(subject_uscc=s, address_key="A") for s in ("S0", "S1", "S2")],
        phones=[dict(subject_uscc=s, phone_key="T") for s in ("S0", "S1")],
    )
    before, after = D(2024, 1, 1), D(2024, 7, 1)
    assert at(frames, before, "S0")[["address_shared_by", "phone_shared_by"]].tolist() == [1, 0]
    assert at(frames, after, "S0")[["address_shared_by", "phone_shared_by"]].tolist() == [2, 1]
    # the training rows use the same rule on their own day
    frames = add(frames, "inspections", insp("I0", "S0", "2024-01-02"),
                 insp("I1", "S0", "2024-08-01"))
    rows = inspection_features(frames)
    assert rows.loc[["I0", "I1"], "address_shared_by"].tolist() == [1, 2]


def test_industry_share_is_of_the_subjects_that_existed() -> None:
    frames = make(subjects=[subject("S0"), subject("S1", industry="food"),
                            subject("S2", registered_on="2024-06-01"),
                            subject("S3", industry="food", registered_on=None),
                            subject("S4", industry=None)])
    before = subject_features(frames, D(2024, 1, 1))["industry_share"]
    assert before["S0"] == pytest.approx(1 / 4) and before["S1"] == pytest.approx(2 / 4)
    after = subject_features(frames, D(2024, 7, 1))["industry_share"]
    assert after["S0"] == pytest.approx(2 / 5) and np.isnan(after["S4"])
    frames = add(frames, "inspections", insp("I0", "S0", "2024-01-01"),
                 insp("I1", "S0", "2024-07-01"))
    rows = inspection_features(frames)
    assert rows.loc[["I0", "I1"], "industry_share"].tolist() == pytest.approx([1 / 4, 2 / 5])


def test_dates_of_mixed_formats_are_read_and_a_non_date_is_refused() -> None:
    # an analyst's own frames: pandas would judge the column by its first value
    ties = pd.DataFrame({"subject_uscc": ["S0", "S1", "S2"], "holder_key": "P",
                         "holder_kind": "person", "role": "legal_rep", "share_pct": np.nan,
                         "since": ["2016-01-01", "2024/06/01", "20240601"]})
    frames = dataclasses.replace(make(3), ties=ties)
    assert at(frames, D(2024, 1, 1), "S0")["linked_subjects_1hop"] == 0
    assert at(frames, D(2024, 7, 1), "S0")["linked_subjects_1hop"] == 2
    frames = dataclasses.replace(frames, ties=ties.assign(since=["2016-01-01", "soon", None]))
    with pytest.raises(ValueError, match="since: 1 value.*'soon'"):
        build_links(frames)


def test_the_credit_grade_sees_the_record_as_the_features_do() -> None:
    """A penalty, its repair, a listing, a substantiated complaint and a commitment found
    broken all count from the day after they happened, in the features and the credit
    grade alike (the grade counted penalties and commitments on their own day)."""
    from riskgraph.models.scoring import commitment_counts, penalty_counts

    frames = make(
        2,
        penalties=[pen("S0", "2024-03-01", "serious"),
                   pen("S1", "2023-01-01", "general", repaired_on="2024-03-01")],
        list_entries=[dict(subject_uscc="S0", list="serious_dishonest",
                           listed_on="2024-03-01")],
        complaints=[dict(subject_uscc="S0", received_on="2024-03-01", substantiated=True)],
        commitments=[dict(subject_uscc="S0", made_on="2024-01-01", due_on="2024-02-01",
                          fulfilment="broken", verified_on="2024-03-01")],
    )
    for day, seen in ((dt.date(2024, 3, 1), 0), (dt.date(2024, 3, 2), 1)):
        feats, pens = subject_features(frames, day), penalty_counts(frames.penalties, day)
        assert feats.loc["S0", "penalties_unrepaired"] == pens.loc["S0"].sum() == seen
        assert feats.loc["S1", "penalties_unrepaired"] == pens.loc["S1"].sum() == 1 - seen
        assert feats.loc["S0", ["list_serious_dishonest",
                                "complaints_substantiated_12m"]].tolist() == [seen, seen]
        assert commitment_counts(frames.commitments, day).loc["S0", "commitments_broken"] \
            == seen


def test_the_hub_cap_of_a_day_counts_the_subjects_of_that_day() -> None:
    """Nine subjects share an address before the day; 35 more register there after it.
    On the day the address links the nine (it counted all 44 before: a fact after the day
    changed the day's features); once the 31st has registered it links nobody."""
    early = [subject(f"S{i}", registered_on="2015-01-01") for i in range(9)]
    late = [subject(f"L{i}", registered_on=str(dt.date(2026, 1, 1) + dt.timedelta(days=i)))
            for i in range(35)]  # one a day
    frames = make(subjects=early + late, addresses=[
        dict(subject_uscc=s["uscc"], address_key="A") for s in early + late])
    day = dt.date(2025, 6, 30)
    assert at(frames, day, "S0")["linked_by_address"] == 8
    then = frames.known_before(day)
    assert list(then.subjects["uscc"]) == [f"S{i}" for i in range(9)]
    assert at(then, day, "S0")["linked_by_address"] == 8
    # a subject counts from the day after it registered: 30 there on 01-22, 31 on 01-23
    assert at(frames, dt.date(2026, 1, 22), "S0")["linked_by_address"] == 29
    assert at(frames, dt.date(2026, 1, 23), "S0")["linked_by_address"] == 0
    assert at(frames, dt.date(2026, 3, 1), "L0")["linked_by_address"] == 0
    assert build_links(frames).capped["address"] == 1


def test_frames_known_before_a_day_forget_what_came_after() -> None:
    frames = make(
        2,
        ties=[tie("S0", "P", since="2020-01-01", until="2025-08-01"),
              tie("S1", "Q", since="2025-07-01")],
        penalties=[pen("S0", "2024-01-01", repaired_on="2025-09-01"), pen("S0", "2025-07-01")],
        list_entries=[dict(subject_uscc="S1", list="abnormal_operation",
                           listed_on="2024-01-01", removed_on="2025-12-31")],
        commitments=[dict(subject_uscc="S0", made_on="2025-01-01", due_on="2025-03-01",
                          fulfilment="kept", verified_on="2025-04-01"),
                     dict(subject_uscc="S1", made_on="2025-01-01", due_on="2025-09-01",
                          fulfilment="broken", verified_on="2025-09-15")],
    )
    then = frames.known_before(dt.date(2025, 6, 30))
    assert list(then.ties["holder_key"]) == ["P"] and then.ties["until"].isna().all()
    assert len(then.penalties) == 1 and then.penalties["repaired_on"].isna().all()
    assert then.list_entries["removed_on"].isna().all()
    assert list(then.commitments["fulfilment"]) == ["kept", "pending"]
    assert then.commitments["verified_on"].isna().tolist() == [False, True]
    # the day's own features are the same either way
    for uscc in ("S0", "S1"):
        pd.testing.assert_series_equal(at(then, dt.date(2025, 6, 30), uscc),
                                       at(frames, dt.date(2025, 6, 30), uscc))


def test_a_nominee_with_roles_one_after_another_pairs_only_those_held_together() -> None:
    """A person holds 3,000 roles, each for two days, one a day: never more than two at a
    time, so under the cap throughout. Only roles held together make pairs: 2,999 links,
    each for a day. (All the roles of one spell were paired, 9 million candidate pairs
    for 3,000 roles, growing with the square: 8,000 roles took 30 s and 5 GB.)"""
    from riskgraph.models.linkage import _dated_incidence, _pairs_within

    n = 3_000
    days = np.arange(n, dtype=np.int32) + day_of(D(2010, 1, 1))
    inc, periods = _dated_incidence(np.arange(n), np.zeros(n, np.int64), days, days + 2, n, 1)
    capped: dict[str, int] = {}
    a, b, since, until = _pairs_within(inc, periods, 30, capped, "person")
    assert len(a) == 2 * (n - 1) and (until - since == 1).all()
    assert capped == {"person": 1}  # ever held by more than 30
    links = build_links(make(subjects=[subject(f"S{i}", registered_on="2009-01-01")
                                       for i in range(4)],
                             ties=[tie(f"S{i}", "P", "executive", since=f"201{i}-01-01",
                                       until=f"201{i}-01-03") for i in range(4)]), hub_cap=1)
    assert links.dated.adjacency.nnz == 0  # one at a time never links under a cap of 1
