"""Projection benchmark: the loaded graph of a city into typed frames, one table at a time
(the baseline) and two at a time, in the same run on the same store.

    .venv/bin/python benchmarks/projection.py --subjects 880000
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.etl import _rss_mb, fresh_store
from riskgraph.etl.loader import LoadOptions, load_folder
from riskgraph.graph import embedded
from riskgraph.graph.projection import project
from riskgraph.models.frames import COLUMNS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=880_000)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "projection.txt"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    root = Path(tempfile.mkdtemp(prefix="rg-bench-proj-"))
    rows = []
    try:
        subprocess.run([sys.executable, "-m", "riskgraph.api.cli", "generate", str(root / "in"),
                        "--scale", str(args.subjects), "--seed", "7"], check=True,
                       capture_output=True)
        paths, store = fresh_store(root, "store")
        try:
            t = time.monotonic()
            load_folder(store, root / "in", LoadOptions(
                today=dt.date(2026, 11, 27), pii_secret=b"bench",
                quarantine_path=root / "q.jsonl"))
            load_s = time.monotonic() - t
            for workers in (1, 2, 1, 2):
                before = _rss_mb()
                t = time.monotonic()
                frames = project(store, workers=workers)
                seconds = time.monotonic() - t
                n = sum(len(getattr(frames, name)) for name in COLUMNS)
                rows.append((workers, seconds, n, _rss_mb() - before))
                del frames
        finally:
            store.driver.close()
            embedded.stop(paths)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    base = min(s for w, s, _, _ in rows if w == 1)
    lines = [f"projection benchmark — synthetic city of {args.subjects:,} subjects loaded in "
             f"{load_s:.0f} s, {dt.date.today()}, 2 cores", "",
             f"{'tables at a time':>16} {'seconds':>8} {'rows':>11} {'+MB':>7} {'vs 1':>6}"]
    lines += [f"{w:>16} {s:>8.1f} {n:>11,} {mb:>7,.0f} {base / s:>6.2f}" for w, s, n, mb in rows]
    lines.append("target: <= 60 s and <= 6 GB at 880,000 subjects")
    text = "\n".join(lines)
    print(text)
    Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
