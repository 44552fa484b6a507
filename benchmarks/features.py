"""Benchmark: links and point-in-time features on a random city of 880,000 subjects.

Run: ``.venv/bin/python benchmarks/features.py [--subjects N] [--seed S] [--ended SHARE]``.
Prints a table and writes it to ``benchmarks/results/features.txt``; with ``--ended``, a
share of the roles ends on a random day (shareholders leaving, officers stepping down: the
link graph is then no longer monotone in time) and the table goes to
``features_ended.txt``. Peak RSS per stage is the process
high-water mark (VmHWM) reset before each stage through /proc/self/clear_refs, so it
includes what the process already held (the frames, the links): "RSS before" says how
much. Where /proc is missing it falls back to ``resource.getrusage`` (whole-run peak).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import resource
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskgraph.models.features import (
    FEATURE_NAMES,
    inspection_features,
    subject_features,
)
from riskgraph.models.frames import GraphFrames
from riskgraph.models.linkage import build_links

RESULTS = Path(__file__).parent / "results" / "features.txt"
AS_OF = dt.date(2025, 7, 1)
START, END = np.datetime64("2018-01-01"), np.datetime64("2025-06-30")


def random_frames(n: int, seed: int) -> GraphFrames:
    """A random city with the proportions of the real one (per 880,000 subjects)."""
    rng = np.random.default_rng(seed)
    k = n / 880_000
    uscc = np.array([f"S{i:08d}" for i in range(n)], dtype=object)
    risk = rng.gamma(0.5, 2.0, n)
    p = risk / risk.sum()

    def days(size: int, lo: np.datetime64 = START, hi: np.datetime64 = END) -> pd.Series:
        span = int((hi - lo).astype(int))
        return pd.Series(lo + rng.integers(0, span, size).astype("timedelta64[D]"))

    def skewed(size: int, keys: int, hubs: int, hub_share: float, prefix: str) -> np.ndarray:
        # Most identifiers are shared by a handful of subjects, a few (market halls,
        # agents' phones, nominees) by hundreds: a Zipf tail over `hubs` keys.
        key = rng.integers(0, keys, size)
        tail = rng.random(size) < hub_share
        key[tail] = keys + np.minimum(rng.zipf(1.3, tail.sum()), hubs) - 1
        return np.char.add(prefix, key.astype(str)).astype(object)

    def pick(size: int) -> np.ndarray:
        return uscc[rng.choice(n, size, p=p)]

    subjects = pd.DataFrame({
        "uscc": uscc,
        "kind": rng.choice(["enterprise", "individual", "cooperative", "branch"], n,
                           p=[0.45, 0.5, 0.02, 0.03]),
        "industry": rng.choice(list("ABCDEFGHIJKLMNOPQRST"), n),
        "region": rng.choice([f"R{i:02d}" for i in range(14)], n),
        "status": "active",
        "registered_on": days(n, np.datetime64("1995-01-01"), np.datetime64("2025-06-01")),
        "key_sector": rng.random(n) < 0.05,
        "registered_capital": np.where(rng.random(n) < 0.2, np.nan, rng.lognormal(13, 2, n)),
    })
    n_ties = int(1_500_000 * k)
    legal = rng.permutation(n)[: int(0.55 * n_ties)]
    others = n_ties - len(legal)
    n_person = others - int(0.03 * n_ties)
    person_ties = pd.DataFrame({
        "subject_uscc": np.concatenate([uscc[legal], uscc[rng.integers(0, n, n_person)]]),
        "holder_key": skewed(len(legal) + n_person, int(650_000 * k), 3000, 0.02, "P"),
        "holder_kind": "person",
        "role": np.concatenate([np.full(len(legal), "legal_rep"),
                                rng.choice(["shareholder", "executive", "supervisor"],
                                           n_person, p=[0.8, 0.12, 0.08])]),
        "share_pct": np.nan,
    })
    n_corp = n_ties - len(person_ties)
    groups = uscc[rng.integers(0, n, 60)]  # holding groups with dozens to hundreds of subs
    holders = np.where(rng.random(n_corp) < 0.3, groups[rng.integers(0, 60, n_corp)],
                       uscc[rng.integers(0, n, n_corp)])
    corp_ties = pd.DataFrame({
        "subject_uscc": uscc[rng.integers(0, n, n_corp)], "holder_key": holders,
        "holder_kind": "subject",
        "role": rng.choice(["shareholder", "branch_of"], n_corp, p=[0.7, 0.3]),
        "share_pct": rng.uniform(1, 100, n_corp),
    })
    n_addr, n_phone = int(1_000_000 * k), int(900_000 * k)
    addresses = pd.DataFrame({
        "subject_uscc": np.concatenate([uscc, uscc[rng.integers(0, n, n_addr - n)]]),
        "address_key": skewed(n_addr, int(800_000 * k), 4000, 0.06, "A"),
    })
    phones = pd.DataFrame({
        "subject_uscc": uscc[np.concatenate([rng.permutation(n),
                                             rng.integers(0, n, max(n_phone - n, 0))])[:n_phone]],
        "phone_key": skewed(n_phone, int(850_000 * k), 2000, 0.02, "T"),
    })
    n_com, n_pen, n_ins = int(500_000 * k), int(300_000 * k), int(1_000_000 * k)
    complaints = pd.DataFrame({
        "subject_uscc": pick(n_com), "received_on": days(n_com),
        "substantiated": pd.array(rng.choice([True, False, None], n_com), dtype="boolean"),
    })
    decided = days(n_pen)
    repaired = decided + pd.to_timedelta(rng.integers(90, 900, n_pen), unit="D")
    penalties = pd.DataFrame({
        "subject_uscc": pick(n_pen), "decided_on": decided,
        "severity": rng.choice(["minor", "general", "serious"], n_pen, p=[0.5, 0.4, 0.1]),
        "amount": rng.lognormal(8, 1.5, n_pen),
        "repaired_on": repaired.where((rng.random(n_pen) < 0.3) & (repaired < END)),
    })
    ins_subj = np.where(rng.random(n_ins) < 0.5, pick(n_ins), uscc[rng.integers(0, n, n_ins)])
    fail_p = np.clip(0.05 + 0.1 * risk[pd.Index(uscc).get_indexer(ins_subj)], 0, 0.9)
    inspections = pd.DataFrame({
        "inspection_id": np.char.add("I", np.arange(n_ins).astype(str)).astype(object),
        "subject_uscc": ins_subj,
        "inspected_on": days(n_ins, np.datetime64("2019-01-01")),
        "outcome": np.where(rng.random(n_ins) < 0.03, "not_found",
                            np.where(rng.random(n_ins) < fail_p, "fail", "pass")),
        "task_id": rng.integers(0, 5000, n_ins),
    })
    n_sl, n_pl = int(60_000 * k), int(15_000 * k)
    listed = days(n_sl + n_pl)
    removed = listed + pd.to_timedelta(rng.integers(30, 1500, n_sl + n_pl), unit="D")
    list_entries = pd.DataFrame({
        "subject_uscc": np.concatenate([pick(n_sl), np.full(n_pl, None)]),
        "person_key": np.concatenate([np.full(n_sl, None),
                                      person_ties["holder_key"].sample(n_pl, random_state=seed)]),
        "list": np.concatenate([rng.choice(["abnormal_operation", "serious_dishonest",
                                            "joint_punishment"], n_sl, p=[0.7, 0.2, 0.1]),
                                np.full(n_pl, "serious_dishonest")]),
        "listed_on": listed,
        "removed_on": removed.where((rng.random(n_sl + n_pl) < 0.4) & (removed < END)),
    })
    ties = pd.concat([person_ties, corp_ties], ignore_index=True)
    # One role in eight began after its subject's registration (a change of legal
    # representative, a new shareholder); the others carry no day. Drawn last, so the
    # other tables are as they were before roles had days.
    ties["since"] = days(len(ties)).where(rng.random(len(ties)) < 0.125)
    return GraphFrames(
        subjects=subjects, complaints=complaints, penalties=penalties, inspections=inspections,
        list_entries=list_entries, ties=ties, addresses=addresses, phones=phones,
    )


def end_roles(frames: GraphFrames, share: float, seed: int) -> GraphFrames:
    """The same frames with ``share`` of the roles ended on a random day after they began
    (at the earliest in 2018) and before the end of the records."""
    rng = np.random.default_rng([seed, 0xE0])
    ties = frames.ties.copy()
    ended = rng.random(len(ties)) < share
    began = ties["since"].fillna(pd.Timestamp(START)).clip(lower=pd.Timestamp(START))
    span = (pd.Timestamp(END) - began).dt.days.to_numpy()
    gap = pd.to_timedelta((rng.random(len(ties)) * span).astype(np.int64), unit="D")
    ties["until"] = (began + gap).where(ended).astype("datetime64[us]")
    return replace(frames, ties=ties)


def pandas_one_hop(frames: GraphFrames, hub_cap: int, as_of: dt.date) -> pd.Series:
    """Baseline: penalties among 1-hop linked subjects via pandas merge / groupby."""
    t = pd.Timestamp(as_of)
    subj = frames.subjects[["uscc"]]
    ident = []
    ties = frames.ties
    for table, col in ((ties[ties["holder_kind"] == "person"], "holder_key"),
                       (frames.addresses, "address_key"), (frames.phones, "phone_key")):
        m = table[["subject_uscc", col]].drop_duplicates().set_axis(["s", "k"], axis=1)
        m["size"] = m.groupby("k")["s"].transform("size")  # every subject it ever linked
        if "until" in table:  # a role ended before the day links nobody
            live = table.loc[table["until"].isna() | (table["until"] >= t), ["subject_uscc", col]]
            m = m.merge(live.drop_duplicates().set_axis(["s", "k"], axis=1), on=["s", "k"])
        m = m[(m["size"] >= 2) & (m["size"] <= hub_cap)]
        pairs = m.merge(m, on="k")
        ident.append(pairs.loc[pairs["s_x"] != pairs["s_y"], ["s_x", "s_y"]])
    if "until" in ties:
        ties = ties[ties["until"].isna() | (ties["until"] >= t)]
    corp = ties[(ties["holder_kind"] == "subject") & ties["holder_key"].isin(subj["uscc"])]
    d = corp[["subject_uscc", "holder_key"]].set_axis(["s_x", "s_y"], axis=1)
    d = d[d["s_x"] != d["s_y"]]
    ident += [d, d.set_axis(["s_y", "s_x"], axis=1)]
    edges = pd.concat(ident, ignore_index=True).drop_duplicates()
    pen = frames.penalties[frames.penalties["decided_on"] < t]
    counts = pen.groupby("subject_uscc").size().rename("n")
    joined = edges.merge(counts, left_on="s_y", right_index=True, how="left")
    out = joined.groupby("s_x")["n"].sum()
    return out.reindex(subj["uscc"], fill_value=0.0)


def _status(field: str) -> float:
    """A memory field of /proc/self/status in GB (0 where /proc is missing)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 2**20
    return 0.0


def measure(fn: Callable[[], Any]) -> tuple[Any, float, float, float, float]:
    """Run fn; return its result, wall and CPU seconds, RSS before and peak during (GB)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        reset = True
    except OSError:
        reset = False
    before = _status("VmRSS")
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    sec, cpu = time.perf_counter() - t0, time.process_time() - c0
    # Without a reset the whole-process peak from getrusage is the best bound there is.
    peak = _status("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return out, sec, cpu, before, peak


def main() -> None:
    """Build a random city, time every stage against a baseline, write the table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--subjects", type=int, default=880_000)
    ap.add_argument("--seed", type=int, default=20250701)
    ap.add_argument("--ended", type=float, default=0.0,
                    help="share of the roles that end on a random day (default 0)")
    args = ap.parse_args()
    frames, gen_s, *_ = measure(lambda: end_roles(random_frames(args.subjects, args.seed),
                                                  args.ended, args.seed)
                                if args.ended else random_frames(args.subjects, args.seed))
    rows: list[tuple[str, str, float, float, float, float]] = []

    def stage(name: str, size: str, fn: Callable[[], Any]) -> tuple[Any, float]:
        out, sec, cpu, before, peak = measure(fn)
        rows.append((name, size, sec, cpu, before, peak))
        return out, sec

    n = len(frames.subjects)
    links, _ = stage("build_links (with exact 2-hop matrix)", f"{n:,} subjects",
                     lambda: build_links(frames))
    feats, _ = stage("subject_features (one as_of)", f"{n:,} rows",
                     lambda: subject_features(frames, AS_OF, links))
    ins, s_ins = stage("inspection_features (monthly snapshots)",
                       f"{(frames.inspections['outcome'] != 'not_found').sum():,} rows",
                       lambda: inspection_features(frames, links))
    x = feats["penalties"].to_numpy()
    ours, s_ours = stage("1-hop linked penalties: sparse A @ x", "given links",
                         lambda: links.adjacency @ x)
    base, s_base = stage("  baseline: pandas merge/groupby", "from frames",
                         lambda: pandas_one_hop(frames, links.hub_cap, AS_OF))
    assert np.allclose(base.to_numpy(), ours), "baseline and sparse 1-hop counts differ"
    assert np.allclose(feats["linked_penalties"].to_numpy(), ours)
    a = links.adjacency
    exact, _ = stage("2-hop penalties: exact distinct, two_hop @ x", "given links",
                     lambda: links.two_hop.astype(np.float64) @ x)
    walks, _ = stage("  walks A @ (A @ x) - backtracking", "given links",
                     lambda: a @ (a @ x) - a.sum(axis=1).A1 * x)
    s_links2 = measure(lambda: build_links(frames))[1]

    inflation = float(walks.sum() / max(exact.sum(), 1.0))
    counts = links.edge_counts()
    lines = [
        f"riskgraph features benchmark — {dt.datetime.now():%Y-%m-%d %H:%M}, "
        f"python {platform.python_version()}, {platform.machine()}, seed {args.seed}",
        f"frames: {len(frames.subjects):,} subjects, {len(frames.ties):,} ties, "
        f"{len(frames.addresses):,} addresses, {len(frames.phones):,} phones, "
        f"{len(frames.complaints):,} complaints, {len(frames.penalties):,} penalties, "
        f"{len(frames.inspections):,} inspections, {len(frames.list_entries):,} list entries "
        f"(generated in {gen_s:.1f} s)"
        + (f"; {frames.ties['until'].notna().mean():.0%} of the roles end on a random day"
           if args.ended else ""),
        f"links: {counts['total']:,} edges {dict((k, v) for k, v in counts.items() if k not in ('total', 'two_hop_pairs'))}, "  # noqa: E501
        f"{counts['two_hop_pairs']:,} pairs at 2 hops, capped identifiers {links.capped} "
        f"(hub_cap {links.hub_cap}), largest component {int(np.bincount(links.component).max()):,}",
        f"features: {len(FEATURE_NAMES)}; inspections/s {len(ins) / s_ins:,.0f}",
        "",
        f"{'stage':<46} {'size':>16} {'wall s':>7} {'CPU s':>7} {'RSS before GB':>14} "
        f"{'peak GB':>8}",
        "-" * 103,
        *[f"{name:<46} {size:>16} {sec:>7.2f} {cpu:>7.2f} {before:>14.2f} {peak:>8.2f}"
          for name, size, sec, cpu, before, peak in rows],
        "-" * 103,
        f"1-hop linked penalties, same counts: sparse {s_base / max(s_ours, 1e-9):,.0f}x "
        f"faster than the pandas baseline given links; {s_base / (s_links2 + s_ours):.1f}x "
        f"counting a build_links rerun ({s_links2:.1f} s)",
        f"walk counts overstate distinct 2-hop penalties {inflation:.1f}x (shared-address "
        f"cliques), which is why the exact 2-hop matrix is built",
        f"peak RSS of the run: {max(r[5] for r in rows):.2f} GB (frames alone "
        f"{rows[0][4]:.2f} GB); load average at the end {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs (the machine is shared: CPU s is the steadier number)",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    out = RESULTS.with_name("features_ended.txt") if args.ended else RESULTS
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)


if __name__ == "__main__":
    main()
