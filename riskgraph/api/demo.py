"""`riskgraph demo`: every stage end to end on a small synthetic city."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import time
from typing import Any

import pandas as pd

from riskgraph.api.settings import Settings, open_store

# The demo's task aims to find twice the violations of a uniform draw of the same size:
# its class ratios are solved for that from the model's probabilities, or for the most
# its classes allow when 2x is out of reach (docs/draws.md, "What the class ratios buy");
# the national-practice defaults are planned beside them.
TARGET_LIFT = 2.0
WINDOW_DAYS = 30  # the demo task's inspection window


def demo_spec(catalogue: Any, inspectors: Any, population: Any, as_of: dt.date,
              workload_cap: int = 30, per_subject: int = 2) -> dict[str, Any]:
    """A cross-region task the city can staff: the key item with the most qualified
    inspectors, in the largest region whose expected visits fit their capacity."""
    from riskgraph.models.draws import DEFAULT_CLASS_RATIOS

    keyed = catalogue[catalogue["key_item"]]
    quals = inspectors["qualifications"].str.split(";")
    best = max(((len(inspectors[(inspectors["department"] == dept)
                                & quals.apply(lambda q, item=item: item in q)]), dept, item)
                for item, dept in zip(keyed["item_code"], keyed["department"], strict=True)),
               default=None)
    if best is None:
        raise ValueError("the catalogue has no key item")
    _, department, item = best
    qualified = inspectors[(inspectors["department"] == department)
                           & quals.apply(lambda q: item in q)]
    active = population[population["status"] == "active"]
    ratio = active["risk_class"].map(lambda c: float(DEFAULT_CLASS_RATIOS.get(c, 0.05)))
    expected = ratio.groupby(active["region"]).sum().sort_values(ascending=False)
    # visits earlier draws of the window already gave them (a demo run again the same day)
    busy = (qualified["workload"] if "workload" in qualified.columns
            else pd.Series(0, index=qualified.index))
    free = (workload_cap - busy).clip(lower=0)
    for region, size in expected.items():
        # cross-region: inspectors come from every other district
        capacity = free[qualified["region"] != region].sum() / per_subject
        if 0 < size <= 0.7 * capacity:
            return {"id": f"DEMO-{dt.datetime.now():%Y%m%d%H%M%S}",
                    "title": "demo cross-region double-random task",
                    "departments": [department], "items": [item], "regions": [region],
                    "cross_region": True, "as_of": as_of.isoformat(), "window_days": WINDOW_DAYS,
                    "workload_cap": workload_cap, "inspectors_per_subject": per_subject,
                    "min_ratio": 0.01,  # every eligible subject keeps a 1 % chance at least
                    "seed": f"demo {as_of.isoformat()}"}
    raise ValueError("no region's task fits the qualified inspectors' capacity")


def drawn_yield(record: dict[str, Any], truth: Any, uniform_per_1000: float) -> str:
    """What this one draw's subjects hold by the hidden truth: expected violations per
    1,000 inspections, against a uniform draw's (the planning table's)."""
    drawn = [d["uscc"] for d in record["results"]["drawn"]]
    p = truth.set_index("uscc")["true_prob"].reindex(drawn)
    if not drawn or p.isna().any() or uniform_per_1000 <= 0:
        return (f"this draw, by the hidden truth: not judged ({len(drawn)} drawn, "
                f"{int(p.isna().sum())} without a truth, uniform {uniform_per_1000:.1f})")
    found = 1000 * float(p.mean())
    return (f"this draw, by the hidden truth: {found:.1f} violations per 1,000 inspections "
            f"against {uniform_per_1000:.1f} for a uniform draw: "
            f"{found / uniform_per_1000:.2f}x")


def run_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Generate, start, load, train, score, evaluate, plan, draw, verify, publish."""
    from riskgraph.api import commands
    from riskgraph.etl.loader import LoadOptions, load_folder
    from riskgraph.graph import draw_queries, embedded
    from riskgraph.models.draws import SpecError, load_spec
    from riskgraph.models.draws.service import (
        classes,
        make_draw,
        plan,
        planning_inputs,
        publish,
        ratios_for,
        verify_draw,
    )
    from riskgraph.models.linkage import build_links
    from riskgraph.synth import generate_city
    from riskgraph.synth.writer import INPUT_FILES

    started = time.monotonic()
    home = settings.home
    city = home / "demo" / f"city-{args.scale}-{args.seed}"
    truth = home / "demo" / f"city-{args.scale}-{args.seed}_truth"

    def stage(name: str) -> None:
        print(f"\n== {name}  (t+{time.monotonic() - started:.0f}s)", flush=True)

    stage("1. generate a synthetic city")
    # a city written by an earlier version may lack a file this one writes: written again
    missing = [name for name in INPUT_FILES if not (city / f"{name}.csv").exists()]
    if missing:
        if (city / "subjects.csv").exists():
            print(f"the city in {city} lacks {', '.join(missing)}: generating it again")
        summary = generate_city(city, scale=args.scale, seed=args.seed, truth_dir=truth)
        print(json.dumps(summary["rows"], ensure_ascii=False))
    print(f"input folder {city}; hidden truth {truth}")

    stage("2. graph store")
    if settings.embedded:
        state = embedded.start(settings.paths, port=settings.bolt_port, heap=settings.heap)
        print(f"embedded ArcadeDB Bolt server at {state['uri']} (loopback only)")
    else:
        print(f"Neo4j at {settings.neo4j_uri}")

    stage("3. load")
    store = open_store(settings)
    try:
        run_dir = home / "loads" / f"demo-{dt.datetime.now():%Y%m%dT%H%M%S}"
        report = load_folder(store, city, LoadOptions(
            today=dt.date.today(), pii_secret=settings.pii_key(),
            quarantine_path=run_dir / "quarantine.jsonl"))
        report.write(run_dir / "report.json")
        print(report.table())
    finally:
        store.driver.close()

    stage("4. train (time split, ablation without graph features)")
    frames = commands.project_frames(settings)  # once, for training and scoring alike
    links = build_links(frames)
    card = commands.run_train(settings, frames=frames, links=links)
    stage("5. score every active subject")
    commands.run_score(settings, dt.date.today(), frames=frames, links=links)
    stage("6. evaluate against the hidden truth")
    commands.run_evaluate(settings, truth)

    stage("7. plan and draw a double-random task")
    store = open_store(settings)
    try:
        as_of = dt.date.today()
        # read once for the task's date and window: choosing, planning and solving share it
        inputs = planning_inputs(store, as_of.isoformat(), WINDOW_DAYS)
        spec_dict = demo_spec(inputs.catalogue, inputs.inspectors, inputs.population, as_of)
        spec_path = home / "demo" / "task.json"
        spec_path.write_text(json.dumps(spec_dict, ensure_ascii=False, indent=2))
        spec = load_spec(spec_path)
        truth_frame = commands.truth_frame(truth)
        print(f"expected yield with the default class ratios {spec.class_ratios}:")
        table = plan(store, spec, truth_frame, inputs)
        print(table.to_string(index=False))
        target, solved = TARGET_LIFT, None
        try:
            solved = ratios_for(store, spec, target, inputs)
        except SpecError as exc:  # the task's classes cannot concentrate risk this much
            if exc.code != "target_unreachable":
                raise
            print(exc)
            # the most this task's classes allow, in steps of 0.05
            target = math.floor(float(exc.details.get("max_lift", 1.0)) * 20) / 20
            solved = ratios_for(store, spec, target, inputs) if target > 1.0 else None
        if solved is None:
            print("drawing with the default ratios")
        else:
            spec_dict["class_ratios"] = solved.ratios
            spec_path.write_text(json.dumps(spec_dict, ensure_ascii=False, indent=2))
            spec = load_spec(spec_path)
            print(f"ratios for {target:g}x by the model (key item, same size, no class below "
                  f"{spec.min_ratio:.0%}): {solved.spec_text()}")
            table = plan(store, spec, truth_frame, inputs)
            print(table.to_string(index=False))
        print("where the visits go:")
        print(classes(store, spec, inputs).to_string(index=False,
                                                     float_format=lambda v: f"{v:.4g}"))
        existing = draw_queries.get(store, spec.id)
        record = existing or make_draw(store, spec, home / "draws",
                                       created_at=dt.datetime.now(dt.UTC).replace(microsecond=0))
        print(commands.draw_summary(record))
        uniform = table.set_index(["basis", "strategy"]).loc[("hidden truth", "uniform")]
        print(drawn_yield(record, truth_frame, float(uniform["per_1000"])))
        rep = verify_draw(store, spec.id, home / "draws")
        print(f"verify: match={rep.verification.match} hash_ok={rep.verification.hash_ok} "
              f"chain_ok={rep.chain_ok}")
        public = publish(store, spec.id, home / "draws")
        public_path = home / "draws" / spec.id / "public.csv"
        public.to_csv(public_path, index=False, encoding="utf-8-sig")
    finally:
        store.driver.close()

    stage("done")
    store_text = (f"embedded, log {settings.paths.log_file}" if settings.embedded
                  else str(settings.neo4j_uri))
    print(f"""where to look:
  load report        {run_dir / 'report.json'}
  quarantine         {run_dir / 'quarantine.jsonl'}
  model card         {home / 'models' / card['version'] / 'model_card.md'}
  task spec          {spec_path}
  public draw list   {public_path}
  graph store        {store_text}
  stop the store     .venv/bin/riskgraph db stop
total {time.monotonic() - started:.0f}s""")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `demo`."""
    p = sub.add_parser("demo", help="run every stage end to end on a small synthetic city")
    p.add_argument("--scale", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(func=run_demo)
