"""City-scale run of the whole pipeline through the store, as an operator runs it: each
step is the `riskgraph` command line on a fresh embedded store (the README's defaults:
4 GB heap), timed, with the peak memory of its process; the store's own peak is read at
the end. Where a step has a target, the table gives its ratio to it.

    .venv/bin/python benchmarks/city.py --subjects 880000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.scoring import publish
from riskgraph.graph import embedded

# step -> (target seconds, what the target is) where the issues set one
TARGETS = {"score": (60.0, "score with reasons <= 60 s (scoring alone, see scoring.txt)")}


def _run(cmd: list[str], env: dict[str, str], log: Path) -> tuple[float, float, str]:
    """Run one command; return its seconds, its peak resident memory in GB, its output."""
    started = time.monotonic()
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)  # the child's own peak, not the largest
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    out = log.read_text(errors="replace")
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd[3:])} failed ({proc.returncode}):\n{out[-3000:]}")
    return seconds, usage.ru_maxrss / 1024 / 1024, out


def _store_peak_gb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024 / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=880_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "city.txt"))
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="rg-bench-city-run-"))
    env = dict(os.environ, RISKGRAPH_HOME=str(root / "home"),
               RISKGRAPH_BOLT_PORT=str(embedded.free_port()))
    cli = [sys.executable, "-m", "riskgraph.api.cli"]
    city, truth = root / "in", root / "in_truth"  # where `generate` puts the truth
    spec = root / "task.json"
    rows: list[tuple[str, float, float, str]] = []
    try:
        steps: list[tuple[str, list[str]]] = [
            ("generate", ["generate", str(city), "--scale", str(args.subjects),
                          "--seed", str(args.seed)]),
            ("db start", ["db", "start"]),
            ("load", ["load", str(city)]),
            ("train", ["train"]),
            ("score", ["score"]),
            ("evaluate", ["evaluate", "--truth", str(truth)]),
        ]
        for name, argv in steps:
            seconds, peak, out = _run(cli + argv, env, root / "step.log")
            rows.append((name, seconds, peak, _summary(name, out)))
            print(f"{name}: {seconds:.0f} s", flush=True)
        # the demo's task: the key item with the most qualified inspectors, in the largest
        # region their capacity can take, cross-region
        write_spec = (
            "import datetime as dt, json, sys\n"
            "from riskgraph.api.settings import Settings, open_store\n"
            "from riskgraph.api.demo import demo_spec, WINDOW_DAYS\n"
            "from riskgraph.models.draws.service import planning_inputs\n"
            "store = open_store(Settings.from_env())\n"
            "day = dt.date.today()\n"
            "i = planning_inputs(store, day.isoformat(), WINDOW_DAYS)\n"
            "s = demo_spec(i.catalogue, i.inspectors, i.population, day)\n"
            "s['id'] = 'CITY-RUN'\n"
            f"json.dump(s, open({str(spec)!r}, 'w'), ensure_ascii=False)\n")
        seconds, peak, _ = _run([sys.executable, "-c", write_spec], env, root / "step.log")
        rows.append(("task spec (reads the population)", seconds, peak, ""))
        for name, argv in [
            ("plan", ["plan", str(spec), "--truth", str(truth)]),
            ("draw", ["draw", str(spec)]),
            ("verify", ["verify", "CITY-RUN"]),
            ("publish", ["publish", "CITY-RUN", "--out", str(root / "public.csv")]),
        ]:
            seconds, peak, out = _run(cli + argv, env, root / "step.log")
            rows.append((name, seconds, peak, _summary(name, out)))
            print(f"{name}: {seconds:.0f} s", flush=True)
        state = embedded.read_state(embedded.EmbeddedPaths(root / "home" / "store"))
        store_peak = _store_peak_gb(int(state["pid"])) if state else float("nan")
    finally:
        subprocess.run(cli + ["db", "stop"], env=env, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
    lines = [f"city-scale pipeline through the store — {args.subjects:,} subjects (seed "
             f"{args.seed}), fresh embedded store (heap 4 GB), {dt.date.today()}, 2 cores", "",
             f"{'step':<34} {'seconds':>8} {'peak GB':>8}  what it did"]
    lines += [f"{n:<34} {s:>8.1f} {g:>8.2f}  {w}" for n, s, g, w in rows]
    total = sum(s for _, s, _, _ in rows)
    lines += ["", f"total {total:,.0f} s; the store's own peak (resident) {store_peak:.2f} GB",
              "targets: " + "; ".join(t for _, t in TARGETS.values())
              + f" -> this run's score step (with its projection) "
              f"{next(s for n, s, _, _ in rows if n == 'score'):.0f} s"]
    publish("\n".join(lines), args.out)


def _summary(name: str, out: str) -> str:
    """The line of a step's output that says what it did."""
    keys = {"load": "rows/s", "train": "trees", "score": "scored", "evaluate": "top 10 %",
            "plan": "differentiated", "draw": "drawn", "verify": "MATCH",
            "publish": "public list", "generate": "subjects.csv"}
    key = keys.get(name)
    hits = [line.strip() for line in out.splitlines() if key and key in line
            and "INFO" not in line]
    return hits[-1][:150] if hits else ""


if __name__ == "__main__":
    main()
