"""Benchmark: generate the full synthetic city (880,000 subjects) and time it.

Run: ``.venv/bin/python benchmarks/generate.py [--scale N] [--seed S]``. Generates into a
temporary folder, prints a table (rows and size per file, total seconds, peak RSS from
``resource.getrusage``) and writes it to ``benchmarks/results/generate.txt``. Two
baselines are measured in the same run: check characters computed per row in Python
(``riskgraph.etl.codes``) against the vectorised ones, and pandas ``to_csv`` against the
pyarrow writer the generator uses.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from riskgraph.etl.codes import uscc_check_char
from riskgraph.synth import generate_city
from riskgraph.synth.ids import usccs
from riskgraph.synth.writer import write_csv

RESULTS = Path(__file__).parent / "results" / "generate.txt"
TARGET_SECONDS, TARGET_GB = 120.0, 4.0


def peak_gb() -> float:
    """Peak resident set size of this process so far, in GB (ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def baselines(out: Path, seed: int) -> list[str]:
    """Time the vectorised parts against straightforward per-row / pandas versions."""
    subjects = pacsv.read_csv(
        out / "subjects.csv", convert_options=pacsv.ConvertOptions(strings_can_be_null=True)
    )
    n = subjects.num_rows
    rng = np.random.default_rng(seed)
    reg = rng.integers(0, 20_000, n)
    t0 = time.perf_counter()
    codes = usccs(rng, rng.integers(1, 4, n), np.full(n, 370811), reg)
    vec = time.perf_counter() - t0
    bodies = [c[:17] for c in codes.to_pylist()]
    t0 = time.perf_counter()
    loop = [b + uscc_check_char(b) for b in bodies]
    per_row = time.perf_counter() - t0
    assert loop == codes.to_pylist()

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        write_csv(subjects, Path(tmp) / "a.csv")
        arrow = time.perf_counter() - t0
        frame = subjects.to_pandas()
        t0 = time.perf_counter()
        frame.to_csv(Path(tmp) / "b.csv", index=False)
        pandas_s = time.perf_counter() - t0
    return [
        f"{'baseline (same run)':<46} {'ours s':>8} {'baseline s':>11} {'x faster':>9}",
        "-" * 77,
        f"{f'{n:,} USCCs (drawn too) vs per-row check char':<46} {vec:>8.2f} {per_row:>11.2f} "
        f"{per_row / vec:>9.1f}",
        f"{'write subjects.csv (pandas to_csv)':<46} {arrow:>8.2f} {pandas_s:>11.2f} "
        f"{pandas_s / arrow:>9.1f}",
    ]


def main() -> None:
    """Generate the city, measure it, write the table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=880_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "city"
        t0 = time.perf_counter()
        summary = generate_city(out, scale=args.scale, seed=args.seed)
        seconds = time.perf_counter() - t0
        peak = peak_gb()
        files = [(out / name, rows) for name, rows in summary["rows"].items()]
        files += [
            (Path(summary["truth_dir"]) / name, rows)
            for name, rows in summary["truth_rows"].items()
        ]
        sizes = [p.stat().st_size / 2**20 for p, _ in files]
        extra = baselines(out, args.seed)
    total_rows = sum(summary["rows"].values())
    lines = [
        f"riskgraph generate benchmark — {dt.datetime.now():%Y-%m-%d %H:%M}, python "
        f"{platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"pyarrow {pa.__version__}, {platform.machine()}, {os.cpu_count()} CPUs",
        f"city: scale {args.scale:,}, seed {args.seed}, as_of {summary['as_of']}",
        "",
        f"{'file':<28} {'rows':>12} {'MB':>9}",
        "-" * 51,
        *[
            f"{('truth/' if i >= len(summary['rows']) else '') + p.name:<28} {rows:>12,} {mb:>9.1f}"
            for i, ((p, rows), mb) in enumerate(zip(files, sizes, strict=True))
        ],
        "-" * 51,
        f"{'input files total':<28} {total_rows:>12,} {sum(sizes[: len(summary['rows'])]):>9.1f}",
        "",
        f"generate_city total: {seconds:.1f} s (target <= {TARGET_SECONDS:.0f} s: "
        f"{'yes' if seconds <= TARGET_SECONDS else 'NO'}), {total_rows / seconds:,.0f} rows/s",
        f"peak RSS (ru_maxrss) after generation: {peak:.2f} GB (target <= {TARGET_GB:.0f} GB: "
        f"{'yes' if peak <= TARGET_GB else 'NO'})",
        "",
        *extra,
        f"whole run peak RSS (ru_maxrss): {peak_gb():.2f} GB",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
