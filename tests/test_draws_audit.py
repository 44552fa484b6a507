"""Audit: records are canonical JSON, verify recomputes bit for bit, the chain holds."""

from __future__ import annotations

import copy
import json

import pandas as pd

from riskgraph.models.draws import (
    DrawSpec,
    canonical_json,
    publication,
    record_hash,
    run_draw,
    verify,
    verify_chain,
)
from tests.draw_factories import (
    CREATED,
    make_catalogue,
    make_inspectors,
    make_population,
    make_spec,
    uscc,
)

POP = make_population(300)
INS = make_inspectors()
CONFLICTS = pd.DataFrame(
    {"uscc": [uscc(i) for i in range(0, 300, 3)], "inspector_id": ["D1-R1-0"] * 100}
)


def draw(prev_hash: str | None = None, **spec: object) -> dict:
    return run_draw(
        make_spec(**spec),
        POP,
        INS,
        CONFLICTS,
        make_catalogue(),
        created_at=CREATED,
        prev_hash=prev_hash,
    )


def test_record_is_plain_json_and_its_hash_covers_everything() -> None:
    record = draw()
    assert json.loads(json.dumps(record)) == record
    assert record["hash"] == record_hash(record)
    assert record["created_at"] == CREATED and record["prev_hash"] is None
    assert set(record["inputs"]) == {"population", "inspectors", "conflicts", "catalogue"}
    assert len(record["inputs"]["population"]["fingerprint"]) == 64
    assert canonical_json({"b": 1, "a": "区"}) == '{"a":"区","b":1}'


def test_verify_matches_a_faithful_record_even_after_a_json_round_trip() -> None:
    record = json.loads(json.dumps(draw(seed="beacon:4f2a")))
    shuffled = POP.sample(frac=1.0, random_state=1)
    result = verify(record, shuffled, INS.iloc[::-1], CONFLICTS.iloc[::-1], make_catalogue())
    assert result.match and result.hash_ok and result.path is None


def test_verify_reports_the_first_difference_of_an_edited_record() -> None:
    record = draw()
    edited = copy.deepcopy(record)
    row = edited["results"]["drawn"][3]
    original = row["team"]["D1"][0]
    row["team"]["D1"][0] = "D1-R9-9"
    edited["hash"] = record_hash(edited)  # even a re-sealed forgery is caught
    result = verify(edited, POP, INS, CONFLICTS, make_catalogue())
    assert not result.match and result.hash_ok
    assert result.path == "results.drawn[3].team.D1[0]"
    assert (result.recorded, result.recomputed) == ("D1-R9-9", original)


def test_verify_points_at_changed_inputs_and_at_an_edited_hash() -> None:
    record = draw()
    changed = POP.copy()
    changed.loc[0, "risk_class"] = "D" if changed.loc[0, "risk_class"] != "D" else "A"
    result = verify(record, changed, INS, CONFLICTS, make_catalogue())
    assert result.path == "inputs.population.fingerprint"
    drawn = {row["uscc"] for row in record["results"]["drawn"]}
    fewer = CONFLICTS[~CONFLICTS["uscc"].eq(min(drawn & set(CONFLICTS["uscc"])))]
    result = verify(record, POP, INS, fewer, make_catalogue())
    assert result.path.startswith("inputs.conflicts")
    forged = dict(record, hash="0" * 64)
    result = verify(forged, POP, INS, CONFLICTS, make_catalogue())
    assert (result.match, result.hash_ok, result.path) == (False, False, "hash")
    result = verify(record, POP.iloc[:0], INS, CONFLICTS, make_catalogue())
    assert result.path == "<recompute>" and result.recomputed.startswith("empty_population")


def test_chain_detects_an_edited_record_and_a_broken_link() -> None:
    first = draw(id="T1")
    second = draw(prev_hash=first["hash"], id="T2")
    third = draw(prev_hash=second["hash"], id="T3")
    assert verify_chain([first, second, third]).ok
    edited = copy.deepcopy(second)
    edited["results"]["drawn"].pop()
    check = verify_chain([first, edited, third])
    assert (check.ok, check.index, check.reason) == (False, 1, "hash_mismatch")
    edited["hash"] = record_hash(edited)  # re-sealed: the next link now breaks
    check = verify_chain([first, edited, third])
    assert (check.ok, check.index, check.draw_id, check.reason) == (False, 2, "T3", "broken_link")
    assert not verify_chain([second, third], start_hash="f" * 64).ok


def test_publication_lists_subjects_and_items_without_people() -> None:
    record = draw(departments=["D1", "D2"], items=["X1", "Y1"])
    public = publication(record, POP)
    assert len(public) == record["summary"]["drawn"]
    assert public["uscc"].tolist() == [r["uscc"] for r in record["results"]["drawn"]]
    assert set(public["items"]) == {"X1; Y1"} and set(public["departments"]) == {"D1; D2"}
    text = public.to_csv(index=False)
    assert not any(i in text for i in INS["inspector_id"])
    assert str(public["window_end"].iloc[0]) == "2025-03-30"


def test_conflicts_may_be_fetched_for_the_drawn_subjects_only() -> None:
    asked: list[list[str]] = []

    def fetch(usccs: list[str]) -> pd.DataFrame:
        asked.append(usccs)
        return CONFLICTS[CONFLICTS["uscc"].isin(usccs)]

    record = run_draw(make_spec(), POP, INS, fetch, make_catalogue(), created_at=CREATED)
    assert asked[0] == [row["uscc"] for row in record["results"]["drawn"]]
    assert record == draw()  # same draw as with the full conflict frame
    # Verify holds with a population pre-filtered to active subjects in scope, and
    # with inspectors of other departments left out: they cannot change the draw.
    scoped = POP[POP["status"].eq("active")]
    assert verify(record, scoped, INS[INS["department"].eq("D1")], fetch, make_catalogue()).match


def test_a_re_run_forgery_passes_alone_and_fails_against_its_publication() -> None:
    # Someone with write access edits the spec (excludes a drawn friend), re-runs the draw
    # with the record's created_at and prev_hash, and re-seals: the record is consistent
    # with itself. The hash printed in the publication is what catches it.
    honest = draw()
    published = publication(honest, POP)
    assert set(published["record_hash"]) == {honest["hash"]}
    friend = honest["results"]["drawn"][0]["uscc"]
    forged = run_draw(DrawSpec(**{**honest["spec"], "exclude_uscc": [friend]}), POP, INS,
                      CONFLICTS, make_catalogue(), created_at=honest["created_at"],
                      prev_hash=honest["prev_hash"])
    assert friend not in {r["uscc"] for r in forged["results"]["drawn"]}
    alone = verify(forged, POP, INS, CONFLICTS, make_catalogue())
    assert alone.match and alone.hash_ok  # what verify cannot see on its own
    against = verify(forged, POP, INS, CONFLICTS, make_catalogue(),
                     published_hash=published["record_hash"].iloc[0])
    assert (against.match, against.path) == (False, "published_hash")
    assert verify(honest, POP, INS, CONFLICTS, make_catalogue(),
                  published_hash=honest["hash"]).match


def test_verify_reads_the_hash_from_a_publication_file(tmp_path) -> None:
    from riskgraph.api.commands import _published_hash

    record = draw()
    path = tmp_path / "T-1.csv"
    publication(record, POP).to_csv(path, index=False)
    assert _published_hash(str(path)) == record["hash"]
    assert _published_hash(record["hash"]) == record["hash"] and _published_hash(None) is None
    import pytest

    with pytest.raises(FileNotFoundError):  # a mistyped path is not taken for a hash
        _published_hash(str(tmp_path / "missing.csv"))
