"""ETL benchmark: the validating loader against raw ``UNWIND $rows CREATE``, same rows.

Generates a synthetic city of N subjects (``riskgraph.synth``: all ten files, with
proportional persons, roles, complaints, penalties, commitments, inspections, list entries, inspectors
and items); loads it into a fresh embedded store with the
loader; loads the same rows into another fresh store with unvalidated CREATE queries
(same driver, same batch size); prints rows/s per file and overall, the loader's peak
memory, and the ratio.

    .venv/bin/python benchmarks/etl.py --subjects 100000
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import logging
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import neo4j

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.scoring import publish
from riskgraph.etl.loader import LoadOptions, load_folder
from riskgraph.graph import embedded
from riskgraph.graph.projection import project
from riskgraph.graph.store import Store
from riskgraph.models.frames import COLUMNS

RAW = {
    "items.csv": "UNWIND $rows AS r CREATE (n:Item) SET n = r",
    "subjects.csv": "UNWIND $rows AS r CREATE (n:Subject) SET n = r",
    "persons.csv": "UNWIND $rows AS r CREATE (n:Person) SET n = r",
    "roles.csv": "UNWIND $rows AS r MATCH (s:Subject {uscc: r.subject_uscc}) "
                 "CREATE (p:Role)-[:HOLDS]->(s) SET p = r",
    "inspectors.csv": "UNWIND $rows AS r CREATE (n:Inspector) SET n = r",
    "complaints.csv": "UNWIND $rows AS r MATCH (s:Subject {uscc: r.subject_uscc}) "
                      "CREATE (e:Complaint)-[:AGAINST]->(s) SET e = r",
    "penalties.csv": "UNWIND $rows AS r MATCH (s:Subject {uscc: r.subject_uscc}) "
                     "CREATE (e:Penalty)-[:IMPOSED_ON]->(s) SET e = r",
    "commitments.csv": "UNWIND $rows AS r MATCH (s:Subject {uscc: r.subject_uscc}) "
                       "CREATE (e:Commitment)-[:MADE_BY]->(s) SET e = r",
    "inspections.csv": "UNWIND $rows AS r MATCH (s:Subject {uscc: r.subject_uscc}) "
                       "CREATE (e:Inspection)-[:OF]->(s) SET e = r",
    "list_entries.csv": "UNWIND $rows AS r CREATE (e:ListEntry) SET e = r",
}


def raw_load(store: Store, folder: Path, batch: int) -> dict[str, float]:
    """The baseline: the same rows, no validation, plain CREATE."""
    store.write("CREATE CONSTRAINT subject_uscc_unique IF NOT EXISTS "
                "FOR (n:Subject) REQUIRE n.uscc IS UNIQUE")
    seconds = {}
    for name, query in RAW.items():
        t0 = time.monotonic()
        with open(folder / name, encoding="utf-8", newline="") as fh:
            rows: list[dict] = []
            for row in csv.DictReader(fh):
                rows.append(row)
                if len(rows) >= batch:
                    store.write(query, rows=rows)
                    rows = []
            if rows:
                store.write(query, rows=rows)
        seconds[name] = time.monotonic() - t0
    return seconds


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def fresh_store(root: Path, name: str) -> tuple[embedded.EmbeddedPaths, Store]:
    paths = embedded.EmbeddedPaths(root / name)
    state = embedded.start(paths, port=embedded.free_port(), heap="6g")
    driver = neo4j.GraphDatabase.driver(state["uri"], auth=(embedded.USER, embedded.password(paths)))
    return paths, Store(driver, state["database"], kind="embedded")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=5_000)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "etl.txt"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    root = Path(tempfile.mkdtemp(prefix="rg-bench-etl-"))
    try:
        t0 = time.monotonic()
        # generated in a child process, so this process's peak memory is the loader's
        out = subprocess.run([sys.executable, "-m", "riskgraph.api.cli", "generate",
                              str(root / "in"), "--scale", str(args.subjects), "--seed", "7"],
                             check=True, capture_output=True, text=True).stdout
        counts = dict(json.loads(out)["rows"])
        write_s = time.monotonic() - t0

        paths, store = fresh_store(root, "raw")
        try:
            raw = raw_load(store, root / "in", args.batch_size)
        finally:
            store.driver.close()
            embedded.stop(paths)

        paths, store = fresh_store(root, "loader")
        try:
            options = LoadOptions(today=dt.date(2026, 11, 27), pii_secret=b"bench",
                                  quarantine_path=root / "q.jsonl", batch_size=args.batch_size)
            report = load_folder(store, root / "in", options)
            load_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            t1 = time.monotonic()
            again = load_folder(store, root / "in", options)
            reload_s = time.monotonic() - t1
            # the projection the scoring reads, from the graph just loaded
            rss_before = _rss_mb()
            t2 = time.monotonic()
            frames = project(store)
            project_s = time.monotonic() - t2
            project_mb = _rss_mb() - rss_before
            projected = sum(len(getattr(frames, name)) for name in COLUMNS)
            del frames
        finally:
            store.driver.close()
            embedded.stop(paths)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    finally:
        shutil.rmtree(root, ignore_errors=True)

    per_file = {f.file: f for f in report.files}
    lines = [f"ETL benchmark — synthetic city of {args.subjects:,} subjects, batch "
             f"{args.batch_size:,}, {dt.date.today().isoformat()}, {sys.platform}, 2 cores",
             f"(folder generated in {write_s:.1f} s; loader and baseline each into a fresh "
             "embedded store, same driver, same batch size)", "",
             f"{'file':<18} {'rows':>10} {'loader s':>9} {'loader r/s':>11} {'raw s':>8} "
             f"{'raw r/s':>10} {'ratio':>6}"]
    total_rows = total_raw = 0.0
    for name, rows in counts.items():
        f = per_file[name]
        assert f.loaded == rows and f.reconciles, (name, f)
        lines.append(f"{name:<18} {rows:>10,} {f.seconds:>9.1f} {rows / f.seconds:>11,.0f} "
                     f"{raw[name]:>8.1f} {rows / raw[name]:>10,.0f} "
                     f"{raw[name] / f.seconds:>6.2f}")
        total_rows += rows
        total_raw += raw[name]
    total_loader = report.seconds
    ratio = total_raw / total_loader
    lines += ["", f"{'overall':<18} {int(total_rows):>10,} {total_loader:>9.1f} "
                  f"{total_rows / total_loader:>11,.0f} {total_raw:>8.1f} "
                  f"{total_rows / total_raw:>10,.0f} {ratio:>6.2f}",
              f"reload of the same folder (all upserts): {reload_s:.1f} s "
              f"({total_rows / reload_s:,.0f} rows/s), graph unchanged: "
              f"{(again.nodes, again.relationships) == (report.nodes, report.relationships)}",
              f"projection of the loaded graph into frames: {project_s:.1f} s for {projected:,} "
              f"rows, +{project_mb:,.0f} MB resident (target <= 60 s, <= 6 GB)",
              f"loader peak memory (max RSS of this process after the first load): "
              f"{load_peak_mb:,.0f} MB; after reload and projection: {peak_mb:,.0f} MB",
              "targets: >= 25,000 rows/s overall, >= 0.70 of raw CREATE, <= 2,048 MB at 880,000 subjects"]
    publish("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
