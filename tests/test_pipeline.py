"""End to end on a small synthetic city in the real store: load, train, score, draw."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskgraph.etl.loader import LoadOptions, load_folder
from riskgraph.graph import draw_queries, score_queries
from riskgraph.graph.errors import ChainConflict, ChainForked, DuplicateDraw
from riskgraph.graph.projection import project
from riskgraph.graph.store import Store
from riskgraph.models import training
from riskgraph.models.draws import load_spec
from riskgraph.models.draws.errors import DrawError, RecordError
from riskgraph.models.draws.service import estimate, make_draw, plan, publish, verify_draw
from riskgraph.models.events import day_of
from riskgraph.models.linkage import build_links
from riskgraph.models.scores import score_subjects
from riskgraph.synth import generate_city

AS_OF = dt.date(2026, 9, 30)


@pytest.fixture(scope="module")
def city(session_store: Store, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A 3,000-subject city loaded, trained and scored once for the module."""
    root = tmp_path_factory.mktemp("city")
    generate_city(root / "in", scale=3_000, seed=5, as_of=AS_OF, truth_dir=root / "truth")
    session_store.write("MATCH (n) DETACH DELETE n")
    report = load_folder(session_store, root / "in", LoadOptions(
        today=dt.date(2026, 11, 27), pii_secret=b"k", quarantine_path=root / "q.jsonl"))
    assert report.reconciles and report.totals["quarantined"] == 0
    frames = project(session_store)
    model, evaluation = training.train(frames, trained_at=dt.datetime(2026, 10, 1))
    scores = score_subjects(frames, model, AS_OF)
    score_queries.write_scores(session_store, scores, model.version, AS_OF)
    return {"root": root, "frames": frames, "model": model, "evaluation": evaluation,
            "scores": scores}


def test_projection_matches_the_files(city: dict) -> None:
    frames = city["frames"]
    subjects = pd.read_csv(city["root"] / "in" / "subjects.csv", dtype=str)
    assert set(frames.subjects["uscc"]) == set(subjects["uscc"])
    roles = pd.read_csv(city["root"] / "in" / "roles.csv", dtype=str)
    assert len(frames.ties) == len(roles)
    # each role's day travels with it: the links of a past day are dated by it
    key = np.where(roles["holder_person_id"].notna(), "p", "s")
    got = frames.ties.assign(k=np.where(frames.ties["holder_kind"] == "person", "p", "s"))
    want = pd.to_datetime(roles["since"]).groupby([roles["subject_uscc"], roles["role"], key]) \
        .min().sort_index()
    have = got.groupby(["subject_uscc", "role", "k"])["since"].min().sort_index()
    assert have.notna().all() and (have.to_numpy() == want.to_numpy()).all()
    assert frames.penalties["decided_on"].dtype.kind == "M"


def test_commitments_travel_to_the_credit_grade(city: dict) -> None:
    promises = pd.read_csv(city["root"] / "in" / "commitments.csv", dtype=str)
    frames = city["frames"].commitments
    assert len(frames) == len(promises) and frames["verified_on"].dtype.kind == "M"
    # found broken within the 36 months before as_of: 10 points off the grade, of which
    # kept ones (+2 each, at most +6) give some back
    known = pd.to_datetime(promises["verified_on"])
    recent = (known <= pd.Timestamp(AS_OF)) & (known > pd.Timestamp(AS_OF) - pd.DateOffset(
        months=36))
    counts = pd.crosstab(promises.loc[recent, "subject_uscc"],
                         promises.loc[recent, "fulfilment"])
    broken = counts[counts["broken"] > 0]
    points = city["scores"].set_index("uscc")["credit_points"].reindex(broken.index).dropna()
    best = 90 + 2 * broken["kept"].clip(upper=3).reindex(points.index)
    assert len(points) >= 20 and (points <= best).all() and (points == 90).any()


def test_model_card_and_evaluation(city: dict, tmp_path: Path) -> None:
    model, evaluation = city["model"], city["evaluation"]
    card = model.card
    assert card["features"] and set(card["graph_features"]) <= set(card["features"])
    assert card["evaluation_split"]["train_window"][1] < card["evaluation_split"]["test_window"][0]
    full = card["metrics"]["full"]
    assert 0.5 < full["roc_auc"] <= 1 and full["top_k"]
    assert "without_graph" in card["metrics"]
    # the card says how many trees the holdout kept, and the deployed booster has them
    assert 1 <= card["trees"] == model.estimator.n_iter_ <= card["params"]["max_iter"]
    assert f"{card['trees']} trees" in training.card_markdown(card)
    boot = card["graph_lift_bootstrap"]
    assert boot["n_resamples"] == 500 and boot["roc_auc"]["low"] <= boot["roc_auc"]["high"]
    assert "Is the graph's lift more than noise?" in training.card_markdown(card)
    folder = training.save(model, tmp_path, evaluation)
    again = training.load(tmp_path)
    assert again.version == model.version
    assert (folder / "model_card.md").read_text().startswith("# Model card")
    # the reloaded model scores exactly as the one trained
    sample = score_subjects(city["frames"], again, AS_OF).set_index("uscc")["prob"]
    assert sample.equals(city["scores"].set_index("uscc")["prob"])


def test_every_active_subject_scored_with_class_grade_and_reasons(city: dict,
                                                                  session_store: Store) -> None:
    rows = session_store.read(
        "MATCH (s:Subject) RETURN s.status AS status, s.risk_class AS c, s.risk_prob AS p, "
        "s.credit_grade AS g, s.risk_reasons AS r, s.model_version AS v, s.scored_at AS d")
    active = [r for r in rows if r["status"] == "active"]
    assert active and all(r["c"] in "ABCD" and 0 <= r["p"] <= 1 for r in active)
    assert all(r["g"] in "ABCD" and r["v"] == city["model"].version for r in active)
    assert all(r["d"].to_native() == AS_OF for r in active)
    assert any(r["r"] for r in active)
    assert all(r["c"] is None for r in rows if r["status"] != "active")
    # the run records how its classes were cut
    runs = session_store.read("MATCH (r:ScoreRun {model_version: $v}) RETURN r.class_cuts AS c, "
                              "r.class_cut_points AS p, r.subjects AS n", v=city["model"].version)
    assert len(runs) == 1 and runs[0]["c"] == city["scores"].attrs["class_cuts"]
    assert runs[0]["p"] == pytest.approx(list(city["scores"].attrs["class_cut_points"]))
    assert runs[0]["n"] == len(active)
    # classes follow probability
    by_class = pd.DataFrame(active).groupby("c")["p"].max()
    assert list(by_class.sort_values().index) == sorted(by_class.index)


def test_rescoring_with_the_same_model_clears_subjects_no_longer_scored(
        city: dict, session_store: Store) -> None:
    scores, version = city["scores"], city["model"].version
    gone = list(scores["uscc"].iloc[:10])  # say these were cancelled since the last run
    try:
        fewer = scores.iloc[10:].copy()
        fewer.attrs.update(scores.attrs)
        score_queries.write_scores(session_store, fewer, version, AS_OF)
        rows = session_store.read("MATCH (s:Subject) WHERE s.uscc IN $u RETURN s.risk_class AS c, "
                                  "s.model_version AS v", u=gone)
        assert len(rows) == 10 and all(r["c"] is None and r["v"] is None for r in rows)
        counts = score_queries.class_counts(session_store)
        assert counts["subjects"].sum() == len(fewer)
    finally:
        score_queries.write_scores(session_store, scores, version, AS_OF)


def test_every_reason_given_is_borne_out_by_the_records(city: dict) -> None:
    # Checked against the raw records, not the features the rules read.
    frames, scores = city["frames"], city["scores"].set_index("uscc")
    before = pd.Timestamp(AS_OF)
    ins = frames.inspections[frames.inspections["inspected_on"] < before]
    failed = set(ins.loc[ins["outcome"] == "fail", "subject_uscc"])
    com = frames.complaints[frames.complaints["received_on"] < before]
    complained = set(com["subject_uscc"])
    lately = set(com.loc[com["received_on"] >= before - pd.Timedelta(days=365), "subject_uscc"])
    pen = frames.penalties[frames.penalties["decided_on"] < before]
    penalised = set(pen["subject_uscc"])
    pen_lately = set(pen.loc[pen["decided_on"] >= before - pd.Timedelta(days=365), "subject_uscc"])
    needs = {"inspection_failure_rate_shrunk": failed, "inspection_failure_rate": failed,
             "inspection_failure_rate_recent": failed, "past_inspection_failures": failed,
             "inspection_failures_recent": failed, "complaints": complained,
             "complaints_12m": complained, "complaints_recent": complained,
             "days_since_last_complaint": lately, "penalties": penalised,
             "penalties_recent": penalised, "days_since_last_penalty": pen_lately}
    given = [(u, r) for u, reasons in scores["reasons"].items() for r in reasons]
    assert sum(r in needs for _, r in given) >= 50  # the check is not empty
    wrong = [(u, r) for u, r in given if r in needs and u not in needs[r]]
    assert wrong == []


def spec_for(store: Store, task_id: str, **extra: object) -> dict:
    catalogue = draw_queries.catalogue(store)
    inspectors = draw_queries.inspectors(store)
    keyed = catalogue[catalogue["key_item"]]
    counts = {(d, i): inspectors[(inspectors["department"] == d)
                                 & inspectors["qualifications"].str.contains(i, regex=False)].shape[0]
              for i, d in zip(keyed["item_code"], keyed["department"], strict=True)}
    (department, item), _ = max(counts.items(), key=lambda kv: kv[1])
    spec = {"id": task_id, "departments": [department], "items": [item],
            "as_of": "2026-10-01", "seed": "lottery 2026-10-01 3 1 4", "cross_region": True,
            "class_ratios": {"A": 0.01, "B": 0.01, "C": 0.02, "D": 0.05},
            "workload_cap": 500}  # every test draw shares one window: caps add up
    spec.update(extra)
    return spec


def test_plan_compares_strategies_by_model_and_by_hidden_truth(city: dict,
                                                               session_store: Store) -> None:
    truth = pd.read_csv(city["root"] / "truth" / "subject_risk.csv")
    truth = truth.rename(columns={"p_violation": "true_prob"})
    spec = load_spec(spec_for(session_store, "P-1", class_ratios={
        "A": 0.03, "B": 0.05, "C": 0.15, "D": 0.40}))
    table = plan(session_store, spec, truth).set_index(["basis", "strategy"])
    assert set(table.index) == {(b, s) for b in ("model", "hidden truth")
                                for s in ("uniform", "differentiated", "top_k")}
    for basis in ("model", "hidden truth"):
        rows = table.loc[basis]
        assert rows.loc["uniform", "lift"] == pytest.approx(1.0)
        # risk-weighted draws find more than a uniform one, and top-k most of all
        assert 1.0 < rows.loc["differentiated", "lift"] < rows.loc["top_k", "lift"]
    assert len(plan(session_store, spec)) == 3  # without truth: the model's view only


def test_plan_command_compares_ratio_sets(city: dict, session_store: Store, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from riskgraph.api import commands
    from riskgraph.models.draws.errors import SpecError

    spec_path = tmp_path / "task.json"
    spec_path.write_text(json.dumps(spec_for(session_store, "P-2")))
    args = argparse.Namespace(spec=str(spec_path), truth=str(city["root"] / "truth"),
                              ratios=["A=0.01,B=0.03,C=0.1,D=0.8", "a=0.05,b=0.05,c=0.05,d=0.05"],
                              target_lift=[1.6])
    assert commands._plan(args, None, session_store) == 0
    out = capsys.readouterr().out
    assert out.count("class ratios {") == 4 and "'D': 0.8" in out
    assert out.count("staffing: ") == 4  # each plan says whether its visits can be staffed
    assert out.count("differentiated") == 8  # model and hidden truth, four times
    # the solved ratios, planned by the model, give the lift asked for
    assert "ratios for 1.6x by the model" in out and "class_ratios: {A: " in out
    tables = out.split("class ratios {")
    solved = next(line for line in tables[-1].splitlines()
                  if line.split()[:2] == ["model", "differentiated"])
    assert 1.6 <= float(solved.split()[-1]) < 1.65

    def truth_lift(table: str) -> float:
        row = next(line for line in table.splitlines()
                   if line.split()[:3] == ["hidden", "truth", "differentiated"])
        return float(row.split()[-1])

    # by the hidden truth too, the solved ratios find more than the spec's flatter ones
    assert truth_lift(tables[-1]) > truth_lift(tables[1]) > 1.0

    def run(**kw: object) -> None:
        commands._plan(argparse.Namespace(**{"spec": str(spec_path), "truth": None,
                                             "ratios": None, "target_lift": None, **kw}),
                       None, session_store)

    with pytest.raises(SpecError) as bad:
        run(ratios=["A:1"])
    assert bad.value.code == "invalid_spec"
    with pytest.raises(SpecError) as high:
        run(ratios=["A=0.01,B=0.03,C=0.1,D=1.5"])
    assert high.value.code == "ratio_out_of_range"
    with pytest.raises(SpecError) as far:
        run(target_lift=[40.0, 1.2])
    assert far.value.code == "target_unreachable"
    assert "ratios for 1.2x" in capsys.readouterr().out  # the reachable target still planned

    # a spec written with multipliers: --ratios overrides only the classes it names
    multiplied = tmp_path / "mult.json"
    multiplied.write_text(json.dumps(spec_for(session_store, "P-3", base_ratio=0.05,
                                              class_multipliers={"A": 0.5, "D": 8})))
    run(spec=str(multiplied), ratios=["D=0.6"])
    headers = [line for line in capsys.readouterr().out.splitlines()
               if line.startswith("class ratios")]
    assert headers == ["class ratios {'A': 0.025, 'B': 0.01, 'C': 0.02, 'D': 0.4}:",
                       "class ratios {'A': 0.025, 'B': 0.01, 'C': 0.02, 'D': 0.6}:"]


def test_a_forked_chain_refuses_new_draws_with_its_own_code(city: dict, session_store: Store,
                                                            tmp_path: Path) -> None:
    # a fork as a version without the constraint on `follows` could leave it: two draws
    # after the newest one, stored without `follows`
    newest = draw_queries.latest_hash(session_store)
    plant = ("CREATE (:Draw {draw_id: $id, hash: $hash, prev_hash: $prev, record: $record})"
             if newest is None else
             "MATCH (p:Draw {hash: $prev}) "
             "CREATE (p)-[:NEXT]->(:Draw {draw_id: $id, hash: $hash, prev_hash: $prev, "
             "record: $record})")
    # an old draw's record, its window long past (the workload of inspectors reads it)
    old = json.dumps({"spec": {"as_of": "2020-01-01", "window_days": 30},
                      "results": {"drawn": []}})
    session_store.write(plant, prev=newest, id="F-LEGACY-1", hash="1" * 64, record=old)
    session_store.write(plant, prev=newest, id="F-LEGACY-2", hash="2" * 64, record=old)
    try:
        with pytest.raises(ChainForked) as forked:
            make_draw(session_store, load_spec(spec_for(session_store, "F-NEW")), tmp_path,
                      created_at=dt.datetime(2026, 9, 1, 10))
        assert forked.value.code == "chain_forked"
        message = str(forked.value)
        assert "F-LEGACY-1" in message and "F-LEGACY-2" in message and "2 draws" in message
        assert draw_queries.get(session_store, "F-NEW") is None
    finally:
        session_store.write("MATCH (d:Draw) WHERE d.draw_id STARTS WITH 'F-LEGACY' "
                            "DETACH DELETE d")
    assert draw_queries.latest_hash(session_store) == newest


def test_draw_verify_publish_and_tamper(city: dict, session_store: Store, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    spec = load_spec(spec_for(session_store, "T-1"))
    record = make_draw(session_store, spec, tmp_path, created_at=dt.datetime(2026, 10, 1, 9))
    assert record["summary"]["drawn"] > 0 and record["prev_hash"] is None
    with pytest.raises(RecordError):
        make_draw(session_store, spec, tmp_path, created_at=dt.datetime(2026, 10, 1, 9))
    second = make_draw(session_store, load_spec(spec_for(session_store, "T-2")), tmp_path,
                       created_at=dt.datetime(2026, 10, 1, 10))
    assert second["prev_hash"] == record["hash"]
    third = make_draw(session_store, load_spec(spec_for(session_store, "T-CHAIN")), tmp_path,
                      created_at=dt.datetime(2026, 10, 1, 11))
    assert third["prev_hash"] == second["hash"]  # the chain grows from its newest record
    assert [r["draw_id"] for r in draw_queries.chain(session_store)][-3:] == ["T-1", "T-2", "T-CHAIN"]

    report = verify_draw(session_store, "T-1", tmp_path)
    assert report.verification.match and report.verification.hash_ok and report.chain_ok
    assert verify_draw(session_store, "T-CHAIN", tmp_path).chain_ok
    # a draw sealed after T-1 while T-2 was being saved cannot fork the chain: it is refused
    late = {**third, "draw_id": "T-LATE", "spec": {**third["spec"], "id": "T-LATE"},
            "prev_hash": record["hash"], "hash": "f" * 64}
    with pytest.raises(ChainConflict) as conflict:
        draw_queries.save(session_store, late, json.dumps(late))
    assert conflict.value.code == "chain_conflict"
    assert draw_queries.get(session_store, "T-LATE") is None
    # another process saving T-CHAIN again (same id, drawn anew): a duplicate, not a conflict
    again = {**third, "prev_hash": third["hash"], "hash": "e" * 64}
    with pytest.raises(DuplicateDraw) as duplicate:
        draw_queries.save(session_store, again, json.dumps(again))
    assert duplicate.value.code == "duplicate_draw"
    assert draw_queries.latest_hash(session_store) == third["hash"]
    # the same race through make_draw (it read the newest record before T-2 was saved):
    # refused, and its kept inputs are not left behind
    with monkeypatch.context() as patch:
        stale, real = iter([record["hash"]]), draw_queries.latest_hash
        patch.setattr(draw_queries, "latest_hash", lambda store: next(stale, None) or real(store))
        with pytest.raises(ChainConflict):
            make_draw(session_store, load_spec(spec_for(session_store, "T-RACE")), tmp_path,
                      created_at=dt.datetime(2026, 10, 1, 12))
    assert not (tmp_path / "T-RACE").exists() and not list(tmp_path.glob(".*partial"))
    assert draw_queries.get(session_store, "T-RACE") is None
    assert report.live_population_same

    public = publish(session_store, "T-1", tmp_path)
    assert len(public) == record["summary"]["drawn"]
    text = public.to_csv()
    assert "inspector" not in " ".join(public.columns) and "********" not in text
    # the publication's hash anchors the record: the published one verifies, another not
    assert set(public["record_hash"]) == {record["hash"]}
    assert verify_draw(session_store, "T-1", tmp_path,
                       published_hash=record["hash"]).verification.match
    other = verify_draw(session_store, "T-1", tmp_path, published_hash=second["hash"])
    assert other.verification.path == "published_hash"

    # edit the stored record: the chain and the recomputation both notice
    stored = draw_queries.get(session_store, "T-1")
    stored["results"]["drawn"][0]["pi"] = 0.99
    session_store.write("MATCH (d:Draw {draw_id: 'T-1'}) SET d.record = $r", r=json.dumps(stored))
    tampered = verify_draw(session_store, "T-1", tmp_path)
    assert not tampered.verification.match or not tampered.verification.hash_ok
    assert not tampered.chain_ok


def test_no_assignment_breaches_a_conflict(city: dict, session_store: Store,
                                           tmp_path: Path) -> None:
    conflicts = pd.read_csv(city["root"] / "truth" / "conflicts.csv", dtype=str)
    direct = conflicts[conflicts["hops"].astype(int) <= 2]
    assert len(direct), "the generator plants conflicts"
    found = draw_queries.conflicts(session_store, sorted(direct["subject_uscc"].unique()))
    pairs = set(zip(found["uscc"], found["inspector_id"], strict=True))
    planted = set(zip(direct["subject_uscc"], direct["inspector_id"], strict=True))
    assert planted <= pairs
    # every subject of a conflicted subject's region, all classes at 100 % (a key item)
    subjects = city["frames"].subjects.set_index("uscc")
    inspectors = draw_queries.inspectors(session_store).set_index("inspector_id")
    catalogue = draw_queries.catalogue(session_store).set_index("item_code")
    keyed = set(catalogue.index[catalogue["key_item"]])
    # a planted conflict of an active subject whose inspector can take a key item, so a
    # task on that item may draw every subject of the region (key items lift the cap)
    for _, first in direct.iterrows():
        dept, quals = inspectors.loc[first["inspector_id"], ["department", "qualifications"]]
        items = sorted(set(quals.split(";")) & keyed)
        if subjects.loc[first["subject_uscc"], "status"] == "active" and items:
            break
    else:
        pytest.fail("no planted conflict on a key item")
    item, ratio, region = items[0], 1.0, subjects.loc[first["subject_uscc"], "region"]
    spec = load_spec({"id": "T-3", "departments": [dept], "items": [item], "regions": [region],
                      "as_of": "2026-10-02", "seed": 7, "workload_cap": 100_000,
                      "inspectors_per_subject": 1,
                      "class_ratios": {c: ratio for c in "ABCD"},
                      "min_interval_days": {c: 0 for c in "ABCD"}})
    record = make_draw(session_store, spec, tmp_path, created_at=dt.datetime(2026, 10, 2))
    drawn = [r["uscc"] for r in record["results"]["drawn"]]
    assigned = {(row["uscc"], i) for row in record["results"]["drawn"]
                for team in row["team"].values() for i in team}
    all_pairs = draw_queries.conflicts(session_store, drawn)
    at_risk = set(zip(all_pairs["uscc"], all_pairs["inspector_id"], strict=True))
    assert at_risk, "the region holds a conflicted subject"
    assert not assigned & at_risk
    reasons = {row["reason"] for row in record["results"]["unassigned"]}
    assert reasons <= {"no_qualified_inspector", "all_conflicted", "workload_cap"}


def test_estimate_from_loaded_results(city: dict, session_store: Store, tmp_path: Path) -> None:
    spec = load_spec(spec_for(session_store, "T-4"))
    record = make_draw(session_store, spec, tmp_path, created_at=dt.datetime(2026, 10, 3))
    drawn = [r["uscc"] for r in record["results"]["drawn"]]
    session_store.write(
        "UNWIND $rows AS r MATCH (s:Subject {uscc: r.u}) "
        "CREATE (i:Inspection {inspection_id: r.id, task_id: 'T-4', outcome: r.o, "
        "inspected_on: date('2026-10-10')})-[:OF]->(s)",
        rows=[{"u": u, "id": f"T4-{k}", "o": "fail" if k % 3 == 0 else "pass"}
              for k, u in enumerate(drawn)])
    # stray rows with the task's id: not drawn, another item, before the draw
    item = next(iter(record["plan"]["items_by_department"].values()))[0]
    other = session_store.read("MATCH (s:Subject) WHERE NOT s.uscc IN $d RETURN s.uscc AS u "
                               "LIMIT 1", d=drawn)[0]["u"]
    session_store.write(
        "UNWIND $rows AS r MATCH (s:Subject {uscc: r.u}) "
        "CREATE (i:Inspection {inspection_id: r.id, task_id: 'T-4', outcome: 'fail', "
        "item_code: r.item, inspected_on: date(r.day)})-[:OF]->(s)",
        rows=[{"u": other, "id": "T4-X1", "item": item, "day": "2026-10-10"},
              {"u": drawn[1], "id": "T4-X2", "item": "NOT-THIS-ITEM", "day": "2026-10-10"},
              {"u": drawn[1], "id": "T4-X3", "item": item, "day": "2026-09-01"}])
    result = estimate(session_store, "T-4")
    table = result.table
    overall = table[(table["domain"] == "overall") & (table["method"] == "naive")]
    assert abs(float(overall["estimate"].iloc[0]) - sum(k % 3 == 0 for k in range(len(drawn)))
               / len(drawn)) < 1e-9  # the stray fails changed nothing
    assert {"ht", "hajek"} <= set(table["method"])
    assert result.answered == result.drawn == len(drawn)
    aside = dict(zip(result.set_aside["inspection_id"], result.set_aside["reason"], strict=True))
    assert aside == {"T4-X1": "not_drawn", "T4-X2": "item_not_in_task",
                     "T4-X3": "before_the_draw"}


def test_bad_spec_is_a_clear_error(city: dict, session_store: Store) -> None:
    with pytest.raises(DrawError) as err:
        load_spec(spec_for(session_store, "T-5", class_ratios={"A": 1.5}))
    assert err.value.code == "ratio_out_of_range"


def test_a_store_never_scored_is_not_drawn_from(city: dict, session_store: Store,
                                                tmp_path: Path) -> None:
    spec = load_spec(spec_for(session_store, "T-UNSCORED"))
    try:
        session_store.write("MATCH (s:Subject) REMOVE s.risk_class")
        with pytest.raises(DrawError) as err:
            make_draw(session_store, spec, tmp_path, created_at=dt.datetime(2026, 10, 2, 9))
        assert err.value.code == "not_scored"
        assert draw_queries.get(session_store, "T-UNSCORED") is None
    finally:
        score_queries.write_scores(session_store, city["scores"], city["model"].version, AS_OF)



def test_two_tasks_of_one_window_make_one_visit_per_subject(city: dict, session_store: Store,
                                                             tmp_path: Path) -> None:
    from riskgraph.models.draws import merge_visits

    records = [make_draw(session_store, load_spec(spec_for(session_store, task, seed=task)),
                         tmp_path, created_at=dt.datetime(2026, 10, 4))
               for task in ("T-6", "T-7")]
    drawn = [{r["uscc"] for r in rec["results"]["drawn"]} for rec in records]
    visits = merge_visits(records)
    assert len(visits) == len(drawn[0] | drawn[1])
    assert visits["uscc"].is_unique
    both = visits[visits["draw_ids"].map(len) == 2]
    assert len(both) == len(drawn[0] & drawn[1])

    # the workload cap counts every draw of the window: T-6's visits weigh on T-7's cap
    from collections import Counter

    from riskgraph.models.draws.service import load_inputs

    def sent(record: dict) -> Counter:
        return Counter(i for r in record["results"]["drawn"] for ids in r["team"].values()
                       for i in ids)

    busy = load_inputs(tmp_path, "T-7").inspectors.set_index("inspector_id")["workload"]
    assert all(busy[i] >= n for i, n in sent(records[0]).items())
    assert all(busy[i] + n <= records[1]["spec"]["workload_cap"]
               for i, n in sent(records[1]).items())
    assert verify_draw(session_store, "T-7", tmp_path).verification.match


NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "risk_analysis.ipynb"


def test_analyst_notebook_runs_in_a_real_kernel(city: dict, server_env: dict[str, str],
                                                tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import nbformat
    from nbclient import NotebookClient

    home = tmp_path / "home"
    training.save(city["model"], home / "models", city["evaluation"])
    for key, value in server_env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("RISKGRAPH_HOME", str(home))
    # a past day: the network it shows is the graph of that day, not today's, around a
    # subject whose network grew since (RISKGRAPH_SUBJECT; default the riskiest)
    past = AS_OF - dt.timedelta(days=2 * 365)
    monkeypatch.setenv("RISKGRAPH_AS_OF", past.isoformat())
    links = build_links(city["frames"])  # recount here from the dated links
    then, now = links.at(day_of(past)), links
    grew = [u for u in city["frames"].subjects["uscc"][:400]
            if 1 < then.to_networkx([u], hops=2).number_of_nodes()
            < now.to_networkx([u], hops=2).number_of_nodes()]
    assert grew
    explored = grew[0]
    # as typed: full-width (an input method's), a space inside, lower case
    typed = "".join(chr(ord(c) + 0xFEE0) for c in explored[:6]) + " " + explored[6:].lower()
    monkeypatch.setenv("RISKGRAPH_SUBJECT", typed)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code"), \
        "commit the notebook without outputs"
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()

    def text(cell: int) -> str:
        # The kernel may deliver one print in several stream messages: stream pieces are
        # joined as they came, rich outputs each start a new line.
        out = []
        for o in notebook.cells[cell].outputs:
            if o.get("output_type") == "stream":
                out.append(o.get("text", ""))
                continue
            data = o.get("data", {})
            out.append("\n" + data.get("text/plain", "") + "\n" + data.get("text/markdown", ""))
        return "".join(out)

    codes = [i for i, c in enumerate(notebook.cells) if c.cell_type == "code"]
    assert f"model {city['model'].version}; as of {past}" in text(codes[0])
    assert "risk classes cut at relative:0.7,1.3,2.0" in text(codes[1])
    scores = score_subjects(city["frames"], city["model"], past, links=links)
    riskiest = scores.nlargest(1, "prob")["uscc"].iloc[0]
    assert riskiest in text(codes[2])  # the top-20 table, with reasons in words
    ego = then.to_networkx([explored], hops=2)
    assert f"{explored}: {ego.number_of_nodes() - 1} subjects within two links" in text(codes[3])
    # the neighbours it did not have a year before, from the graph as it stood then
    before = links.at(day_of(past - dt.timedelta(days=365))).to_networkx([explored], hops=2)
    came = ego.number_of_nodes() - len(set(ego.nodes) & set(before.nodes))
    assert f"{explored}: {came} of {ego.number_of_nodes() - 1} subjects within two links came " \
        "in the last year" in text(codes[4])
    assert "# Model card" in text(codes[5])


def test_workload_counts_draws_of_overlapping_windows_only(city: dict, session_store: Store,
                                                           tmp_path: Path) -> None:
    from collections import Counter

    december = make_draw(session_store, load_spec(spec_for(
        session_store, "T-DEC", as_of="2026-12-01", window_days=10)), tmp_path,
        created_at=dt.datetime(2026, 11, 30))
    sent = Counter(i for r in december["results"]["drawn"] for ids in r["team"].values()
                   for i in ids)
    assert sent

    def busy(as_of: str, days: int) -> dict[str, int]:
        frame = draw_queries.workload(session_store, {"as_of": as_of, "window_days": days})
        return dict(zip(frame["inspector_id"], frame["workload"], strict=True))

    # [12-01, 12-11): a window ending on its first day or starting on its end does not meet
    for as_of, days in (("2026-11-21", 10), ("2026-12-11", 5)):
        assert not set(busy(as_of, days)) & set(sent)
    for as_of, days in (("2026-11-21", 11), ("2026-12-10", 1), ("2026-11-01", 90)):
        assert all(busy(as_of, days).get(i, 0) >= n for i, n in sent.items())


def test_scoring_says_when_there_is_nothing_to_score_or_grade_by(city: dict) -> None:
    import dataclasses

    from riskgraph.api.commands import credit_warnings

    frames = city["frames"]
    with pytest.raises(ValueError, match="no active subject was registered before 1980-01-01"):
        score_subjects(frames, city["model"], dt.date(1980, 1, 1))
    assert credit_warnings(frames) == []
    bare = dataclasses.replace(frames, penalties=frames.penalties.iloc[:0],
                               list_entries=frames.list_entries.iloc[:0])
    assert credit_warnings(bare) == [
        "the store holds no penalties, list entries: credit grades count none, so they say "
        "nothing of them (load those exports)"]


def test_a_draw_says_which_scores_its_classes_come_from(city: dict,
                                                       session_store: Store) -> None:
    version, n = city["model"].version, len(city["scores"])
    cuts = city["scores"].attrs["class_cuts"]
    assert score_queries.scores_in_use(session_store, "2026-10-15") == [
        f"risk classes: model {version} scored as of {AS_OF} ({n:,} subjects, cut at {cuts})"]
    stale = score_queries.scores_in_use(session_store, "2027-01-01")
    assert stale[1] == f"warning: scores as of {AS_OF} are 93 days before the task's day " \
        "2027-01-01"
    # a run that stopped part-way leaves two runs' scores on the subjects
    first = city["scores"]["uscc"].iloc[0]
    session_store.write("MATCH (s:Subject {uscc: $u}) SET s.score_run = 'stopped'", u=first)
    try:
        mixed = score_queries.scores_in_use(session_store, "2026-10-15")
        assert mixed[1].endswith("(1 subjects)")
        assert "warning: the subjects carry scores of several runs" in mixed
    finally:
        score_queries.write_scores(session_store, city["scores"], version, AS_OF)


def test_a_days_scores_are_judged_on_the_inspections_that_followed(city: dict) -> None:
    import dataclasses

    from sklearn.metrics import roc_auc_score

    from riskgraph.models.followup import followup

    frames, model, day = city["frames"], city["model"], dt.date(2025, 6, 30)
    got = followup(frames, model, day, days=120)
    ins = frames.inspections
    window = ins[(ins["inspected_on"] >= "2025-06-30") & (ins["inspected_on"] < "2025-10-28")
                 & ins["outcome"].isin(["pass", "fail"])]
    # every subject registered before the day, cancelled since or not
    scores = score_subjects(frames.known_before(day), model, day,
                            active_only=False).set_index("uscc")["prob"]
    registered = frames.subjects.set_index("uscc")["registered_on"]
    assert set(scores.index) == set(registered.index[registered < "2025-06-30"])
    kept = window[window["subject_uscc"].isin(scores.index)]
    assert got.inspections == len(window) > 0
    assert got.unscored == len(window) - len(kept)
    assert got.evaluation.n_positive == (kept["outcome"] == "fail").sum() > 0
    assert got.evaluation.roc_auc == pytest.approx(
        roc_auc_score(kept["outcome"] == "fail", kept["subject_uscc"].map(scores)))
    assert got.replay is not None and got.replay.n_inspections == len(kept)
    # a random order's replay, averaged over many orders, gives what chance gives
    rng = np.random.default_rng(0)
    y = (kept["outcome"] == "fail").to_numpy()
    from riskgraph.models.replay import replay
    randomly = np.mean([replay(kept["inspected_on"], rng.random(len(kept)), y).days_earlier
                        for _ in range(300)])
    assert got.days_earlier_by_chance == pytest.approx(randomly, abs=0.5)
    # by visit: a subject on a day, a problem if any item found one
    visits = kept.assign(f=y).groupby(["subject_uscc", "inspected_on"])["f"].max()
    assert (got.visits.n, got.visits.n_positive) == (len(visits), int(visits.sum()))
    # the city's model learnt from the inspections up to 2026-09-30: the report says so
    assert "learnt from the very inspections" in got.warnings[0] in got.markdown()
    assert "against the inspections that followed" in got.markdown()
    # a window with too few problems found says so
    assert ("are noise" in got.markdown()) == (got.evaluation.n_positive < 30)
    year = followup(frames, model, day, days=365)
    assert year.evaluation.n_positive >= 30 and "are noise" not in year.markdown()
    assert "are noise" in followup(frames, model, day, days=3).markdown()
    # the scores are frozen on the day: a penalty decided after it changes nothing
    penalised = dataclasses.replace(frames, penalties=pd.concat([frames.penalties, pd.DataFrame({
        "subject_uscc": kept["subject_uscc"].iloc[:50], "decided_on": pd.Timestamp("2025-07-15"),
        "severity": "serious", "amount": 50_000.0, "repaired_on": pd.NaT})], ignore_index=True))
    assert followup(penalised, model, day, days=120).to_dict() == got.to_dict()
    with pytest.raises(ValueError, match="no pass/fail inspection from 2026-10-15"):
        followup(frames, model, dt.date(2026, 10, 15))
