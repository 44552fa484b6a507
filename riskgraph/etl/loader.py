"""The loader: validate a folder of input files, upsert it into the graph, report.

Kinds load in dependency order (``contract.LOAD_ORDER``), files of one kind in name
order. Rows stream through validation in chunks; a writer thread sends the previous
chunk to the store while the next one is validated. A bad row goes to the quarantine
with its reason and never stops the load; a key seen twice in one load is a duplicate.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from riskgraph.etl import contract
from riskgraph.etl.pii import mask_text, mask_value
from riskgraph.etl.readers import BadLine, FileRejected, read_rows
from riskgraph.etl.report import FileReport, LoadReport, Quarantine
from riskgraph.etl.validate import Context, Record, RowError, RowValidator, map_header
from riskgraph.graph import load_queries as q
from riskgraph.graph.errors import StoreError
from riskgraph.graph.schema import ensure_schema
from riskgraph.graph.store import Store

log = logging.getLogger(__name__)

# (query, fallback upsert query when the query is a create, description, rows)
Batch = list[tuple[str, str | None, str, list[Record]]]


@dataclass(frozen=True)
class LoadOptions:
    """How to load: batch size, today's date, the PII key, where the quarantine goes."""

    today: dt.date
    pii_secret: bytes
    quarantine_path: Path
    batch_size: int = 5_000
    progress_every: float = 5.0
    # a file quarantining more than this share of its rows fails the load
    # (LoadReport.over_quarantine_share; the CLI exits 1)
    max_quarantine_share: float = 0.2

    def __post_init__(self) -> None:
        if not 0.0 <= self.max_quarantine_share <= 1.0:
            raise ValueError(f"max_quarantine_share {self.max_quarantine_share:g} is not "
                             "between 0 and 1")


def plan_files(folder: Path) -> tuple[list[tuple[str, Path]], list[Path]]:
    """Return (kind, path) pairs in load order, and the files that match no kind."""
    matched: dict[str, list[Path]] = defaultdict(list)
    skipped: list[Path] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        kind = contract.kind_of(path.name)
        (matched[kind] if kind else skipped).append(path)
    plan = [(kind, path) for kind in contract.LOAD_ORDER for path in matched.get(kind, [])]
    return plan, skipped


def load_folder(store: Store, folder: Path, options: LoadOptions) -> LoadReport:
    """Load every file of ``folder`` into the store and return the reconciled report."""
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    started = time.monotonic()
    report = LoadReport(source=str(folder), started_at=dt.datetime.now(dt.UTC).isoformat(),
                        quarantine_file=str(options.quarantine_path),
                        max_quarantine_share=options.max_quarantine_share)
    plan, skipped = plan_files(folder)
    if not plan:
        kinds = ", ".join(contract.LOAD_ORDER)
        raise FileNotFoundError(f"{folder} holds no input file (a file's name starts with "
                                f"its kind: {kinds})")
    ensure_schema(store)
    ctx = Context(today=options.today, pii_secret=options.pii_secret,
                  subjects=_existing(store, "subjects"), persons=_existing(store, "persons"),
                  items=dict(store.stream(q.ITEM_NAMES)))
    # per kind: each key loaded so far in this load, with a digest of its validated row
    seen: dict[str, dict[str, int]] = defaultdict(dict)
    # Copies: ctx grows as rows validate, ``existing`` only as batches are queued.
    existing: dict[str, set[str]] = {
        "subjects": set(ctx.subjects), "persons": set(ctx.persons)}
    options.quarantine_path.parent.mkdir(parents=True, exist_ok=True)
    with open(options.quarantine_path, "w", encoding="utf-8") as qfh, \
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="graph-writer") as writer:
        quarantine = Quarantine(qfh)
        for path in skipped:
            log.warning("skipping file=%s reason=matches no entity kind", path.name)
            report.files.append(FileReport(path.name, None, rejected="matches no entity kind"))
            quarantine.add(path.name, None, "unknown_kind", "matches no entity kind", None)
        for kind, path in plan:
            if kind not in existing:
                existing[kind] = _existing(store, kind) if kind in q.EXISTING_KEYS else set()
            file_report = FileReport(path.name, kind)
            report.files.append(file_report)
            try:
                _load_file(store, kind, path, ctx, seen[kind], existing[kind], file_report,
                           quarantine, writer, options)
            except FileRejected as exc:
                file_report.rejected = str(exc)
                quarantine.add(path.name, None, exc.code, str(exc), None)
                log.error("rejected file=%s code=%s reason=%s", path.name, exc.code, exc)
    counts = store.read(q.COUNTS)[0]
    report.nodes, report.relationships = counts["nodes"], counts["relationships"]
    report.seconds = time.monotonic() - started
    return report


def _existing(store: Store, kind: str) -> set[str]:
    """The keys of ``kind`` already in the store (read once per load: at city scale the
    subjects' and persons' keys take 3-4 s as collected lists, 23-24 s a record per row)."""
    return {key for match, expr in q.EXISTING_KEYS[kind]
            for key in store.collected(match, expr, what=f"existing {kind} keys")}


def _count_lines(path: Path) -> int:
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    lines = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 22):
            lines += chunk.count(b"\n")
    return lines


def _load_file(store: Store, kind: str, path: Path, ctx: Context, seen: dict[str, int],
               existing: set[str], rep: FileReport, quarantine: Quarantine,
               writer: ThreadPoolExecutor, options: LoadOptions) -> None:
    header, rep.format, rows = read_rows(path)
    spec = contract.KINDS[kind]
    headers = map_header(spec, header, path.name)
    rep.headers, rep.ignored_headers = headers.columns, headers.ignored
    rep.header_units = headers.units
    if rep.unread_headers:
        log.warning("ignored headers file=%s headers=%s", path.name,
                    ",".join(rep.unread_headers))
    mapping = headers.columns
    validator = RowValidator(spec, set(mapping.values()), ctx, headers.units)
    total = max(_count_lines(path), 1)
    pending: Future[None] | None = None
    chunk: list[tuple[str, Record]] = []
    in_chunk: dict[str, int] = {}  # key -> its position in the chunk
    progress = _Progress(path.name, total, options.progress_every)

    def reject(line: int, code: str, reason: str, raw: Any) -> None:
        rep.quarantined += 1
        rep.reasons[code] = rep.reasons.get(code, 0) + 1
        quarantine.add(path.name, line, code, mask_text(reason), _masked(raw))

    def flush() -> None:
        nonlocal pending, chunk
        if pending is not None:
            pending.result()  # surface a store error before queueing more
        batches = _batches(kind, chunk, existing)
        pending = writer.submit(_write, store, batches)
        _remember(kind, chunk, ctx, existing)
        chunk = []
        in_chunk.clear()

    for item in rows:
        rep.read += 1
        if isinstance(item, BadLine):
            reject(item.line, item.code, item.reason, item.raw)
            continue
        line, raw = item
        canonical = {mapping[k]: v for k, v in raw.items() if k in mapping}
        try:
            key, record = validator.validate(canonical)
        except RowError as exc:
            reject(line, exc.code, str(exc), raw)
            continue
        cleared = record.pop("cleared", ())
        digest = hash(repr(record))
        earlier = seen.get(key)
        if earlier == digest:
            rep.duplicates += 1
            rep.reasons["duplicate_key"] = rep.reasons.get("duplicate_key", 0) + 1
            quarantine.add(path.name, line, "duplicate_key",
                           "the same row was loaded earlier in this load; nothing to apply",
                           _masked(raw))
            continue
        if earlier is not None:
            # A later row for a key loaded earlier in this load (yearly files in one
            # folder, a change log): it updates the key, as it would in a later load.
            rep.superseded += 1
        for column, code, reason in cleared:  # the row loads, without these values
            rep.cleared += 1
            rep.cleared_reasons[code] = rep.cleared_reasons.get(code, 0) + 1
            quarantine.add(path.name, line, code, mask_text(reason), _masked(raw),
                           column=column, loaded=True)
        seen[key] = digest
        if key in in_chunk and kind == "inspectors":
            # an inspector's person is named only when created (and the earlier row's
            # person must exist too): written after the earlier row, not merged into it
            flush()
        rep.loaded += 1  # a row merged into an earlier one of the chunk included
        if key in in_chunk:
            # The earlier row is still in this chunk: one write of both, as the two
            # would end written one after the other (the later's values over the
            # earlier's; a value it cleared keeps the earlier's, as the store would)
            at = in_chunk[key]
            chunk[at] = (key, _merged(chunk[at][1], record))
            continue
        in_chunk[key] = len(chunk)
        chunk.append((key, record))
        if kind == "subjects":
            ctx.subjects.add(key)  # later rows of the same file may reference it (branches)
        if len(chunk) >= options.batch_size:
            flush()
        progress.tick(rep.read)
    if chunk:
        flush()
    if pending is not None:
        pending.result()
    rep.seconds = round(progress.done(rep.read), 3)


def _merged(earlier: Record, later: Record) -> Record:
    """One record that writes what ``earlier`` then ``later`` would: the later's fields,
    its properties over the earlier's."""
    if "props" not in later:
        return later
    return {**later, "props": {**earlier.get("props", {}), **later["props"]}}


def _masked(raw: Any) -> Any:
    if isinstance(raw, dict):
        return {k: mask_value(v) if isinstance(v, str) else v for k, v in raw.items()}
    return mask_text(raw) if isinstance(raw, str) else raw


def _remember(kind: str, chunk: list[tuple[str, Record]], ctx: Context,
              existing: set[str]) -> None:
    if kind == "items":
        ctx.set_items({key: rec["props"].get("name", ctx.items.get(key)) for key, rec in chunk})
    if kind == "persons":
        ctx.persons.update(key for key, _ in chunk)
    elif kind == "inspectors":
        ctx.persons.update(rec["person"] for _, rec in chunk)
    if kind in q.EXISTING_KEYS:
        existing.update(_node_key(kind, key, rec) for key, rec in chunk)


def _node_key(kind: str, key: str, rec: Record) -> str:
    return rec["id"] if kind == "list_entries" else key


def _batches(kind: str, chunk: list[tuple[str, Record]], existing: set[str]) -> Batch:
    """Split a validated chunk into the queries that write it."""
    if kind in ("roles", "list_entries"):
        groups: dict[tuple[str, ...], list[Record]] = defaultdict(list)
        for key, rec in chunk:
            if kind == "roles":
                groups[(rec["holder_kind"], rec["role"], key not in existing)].append(rec)
            else:
                groups[(rec["target_kind"], rec["id"] not in existing)].append(rec)
        out: Batch = []
        for group, recs in sorted(groups.items()):
            make = q.role_query if kind == "roles" else q.list_entry_query
            create = bool(group[-1])
            fallback = make(*group[:-1], False) if create else None  # type: ignore[operator]
            out.append((make(*group), fallback, f"{kind} {group}", recs))  # type: ignore[operator]
        return out
    if kind == "inspectors":
        return [(q.INSPECTORS_UPSERT, None, "inspectors", [r for _, r in chunk])]
    if kind == "items":
        return [(q.ITEMS_UPSERT, None, "items", [r for _, r in chunk])]
    create, upsert = _QUERIES[kind]
    new = [rec for key, rec in chunk if key not in existing]
    old = [rec for key, rec in chunk if key in existing]
    out = []
    if new:
        out.append((create, upsert, f"{kind} create", new))
    if old:
        out.append((upsert, None, f"{kind} upsert", old))
    return out


_QUERIES: dict[str, tuple[str, str]] = {
    "subjects": (q.SUBJECTS_CREATE, q.SUBJECTS_UPSERT),
    "persons": (q.PERSONS_CREATE, q.PERSONS_UPSERT),
    **{k: (q.event_create(k), q.event_upsert(k)) for k in q.EVENTS},
}


def _write(store: Store, batches: Batch) -> None:
    for query, fallback, what, rows in batches:
        try:
            store.write(query, rows=rows)
        except StoreError as exc:
            if fallback is None:
                raise
            # A key created since the existing keys were read (a concurrent or resumed
            # load): the upsert path converges on the same state.
            log.warning("create path failed for %s, retrying as upsert: %s", what, exc)
            store.write(fallback, rows=rows)


class _Progress:
    """Log rows, rows/s and ETA every few seconds."""

    def __init__(self, name: str, total: int, every: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.name, self.total, self.every, self.clock = name, total, every, clock
        self.start = self.last = clock()

    def tick(self, rows: int) -> None:
        now = self.clock()
        if now - self.last < self.every:
            return
        self.last = now
        rate = rows / max(now - self.start, 1e-9)
        eta = max(self.total - rows, 0) / rate if rate else float("inf")
        log.info("loading file=%s rows=%d/%d rate=%.0f/s eta=%.0fs",
                 self.name, rows, self.total, rate, eta)

    def done(self, rows: int) -> float:
        elapsed = self.clock() - self.start
        log.info("loaded file=%s rows=%d seconds=%.1f rate=%.0f/s", self.name, rows, elapsed,
                 rows / max(elapsed, 1e-9))
        return elapsed
