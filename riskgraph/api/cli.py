"""The ``riskgraph`` command line: thin commands that parse, call one function, render."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
from pathlib import Path

from riskgraph.api.settings import Settings, open_store
from riskgraph.graph import embedded
from riskgraph.graph.errors import StoreError
from riskgraph.models.draws.errors import DrawError

log = logging.getLogger("riskgraph")


def _db(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.embedded:
        if args.action in ("start", "stop"):
            print(f"NEO4J_URI is set ({settings.neo4j_uri}): the embedded store is not used")
            return 0
        store = open_store(settings)
        try:
            if args.action == "init":
                from riskgraph.graph.schema import ensure_schema

                print(f"schema: {ensure_schema(store)} constraints and indexes ensured")
            else:
                info = store.read("CALL dbms.components() YIELD name, versions, edition "
                                  "RETURN name, versions, edition")[0]
                print(f"external store {settings.neo4j_uri} answers: {info['name']} "
                      f"{info['versions'][0]} ({info['edition']}) db={settings.neo4j_database}")
        finally:
            store.driver.close()
        return 0
    paths = settings.paths
    if args.action == "start":
        state = embedded.start(paths, port=settings.bolt_port, heap=settings.heap)
        print(f"embedded store running: {state['uri']} (pid {state['pid']}, "
              f"data {paths.databases}, log {paths.log_file})")
    elif args.action == "stop":
        print("embedded store stopped" if embedded.stop(paths) else "embedded store not running")
    elif args.action == "status":
        import neo4j

        st = embedded.status(paths, neo4j.GraphDatabase.driver)
        if not st.running:
            print("embedded store: not running")
            return 3
        print(f"embedded store: running pid {st.pid} at {st.uri}; answers: {st.detail}")
    elif args.action == "init":
        from riskgraph.graph.schema import ensure_schema

        store = open_store(settings)
        try:
            print(f"schema: {ensure_schema(store)} constraints and indexes ensured")
        finally:
            store.driver.close()
    return 0


def _load(args: argparse.Namespace, settings: Settings) -> int:
    from riskgraph.etl.loader import LoadOptions, load_folder

    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    run_dir = settings.home / "loads" / stamp
    options = LoadOptions(
        today=dt.date.fromisoformat(args.today) if args.today else dt.date.today(),
        pii_secret=settings.pii_key(),
        quarantine_path=Path(args.quarantine) if args.quarantine else run_dir / "quarantine.jsonl",
        batch_size=args.batch_size,
        max_quarantine_share=args.max_quarantine_share,
    )
    store = open_store(settings)
    try:
        report = load_folder(store, Path(args.folder), options)
    finally:
        store.driver.close()
    report_path = Path(args.report) if args.report else run_dir / "report.json"
    report.write(report_path)
    print(report.table())
    print(f"report: {report_path}")
    # A file of a known kind rejected whole (a required column missing, unreadable) is a
    # failed load for a scheduler, though the other files loaded. A file of no entity kind
    # (a readme next to the exports) is only reported.
    failed = any(f.rejected and f.kind is not None for f in report.files)
    # So is a file whose rows were mostly quarantined (a wording or a column the contract
    # does not read): the report and the quarantine are written first, nothing is lost.
    too_many = report.quarantine_share_error()
    if too_many:
        print(f"error [too_many_quarantined]: {too_many}", file=sys.stderr)
    return 0 if report.reconciles and not failed and not too_many else 1


def _generate(args: argparse.Namespace, settings: Settings) -> int:
    from riskgraph.synth import generate_city

    as_of = dt.date.fromisoformat(args.as_of) if args.as_of else None
    kwargs = {"as_of": as_of} if as_of else {}
    summary = generate_city(Path(args.out), scale=args.scale, seed=args.seed, **kwargs)
    print(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of every command."""
    parser = argparse.ArgumentParser(prog="riskgraph", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="the embedded Bolt store (or report the Neo4j in use)")
    db.add_argument("action", choices=["start", "stop", "status", "init"])
    db.set_defaults(func=_db)

    load = sub.add_parser("load", help="validate and upsert a folder of input files")
    load.add_argument("folder")
    load.add_argument("--report", help="write the JSON report here")
    load.add_argument("--quarantine", help="write rejected rows here (JSON Lines)")
    load.add_argument("--batch-size", type=int, default=5_000)
    load.add_argument("--today", help="the date after which dates are 'in the future'")
    load.add_argument("--max-quarantine-share", type=float, default=0.2, metavar="SHARE",
                      help="fail the load (exit 1) when a file quarantines more than this "
                           "share of its rows (default 0.2; 1 never fails)")
    load.set_defaults(func=_load)

    gen = sub.add_parser("generate", help="write a synthetic city in the input format")
    gen.add_argument("out")
    gen.add_argument("--scale", type=int, default=20_000)
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("--as-of", help="generation date, YYYY-MM-DD")
    gen.set_defaults(func=_generate)

    from riskgraph.api import commands

    commands.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; errors print one line and a non-zero exit code."""
    # The store's JVM shares the cores: OpenMP threads that spin while they wait (the
    # default) starve it and each other, so they sleep instead. Set before sklearn loads.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr)
    logging.getLogger("neo4j").setLevel(logging.WARNING)
    try:
        settings = Settings.from_env()
        return int(args.func(args, settings) or 0)
    except (StoreError, DrawError) as exc:
        return _error(exc.code, exc)
    except FileNotFoundError as exc:
        return _error("not_found", exc)
    except (FileExistsError, IsADirectoryError, NotADirectoryError, PermissionError) as exc:
        return _error("file_error", exc)  # an output path that is a folder, and the like
    except ValueError as exc:  # bad dates, specs or data a command cannot use
        return _error("invalid_input", exc)


def _error(code: str, exc: BaseException) -> int:
    """Print the error on one line (a driver's message may span several) and return 2."""
    message = " ".join(str(exc).split())
    print(f"error [{code}]: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
