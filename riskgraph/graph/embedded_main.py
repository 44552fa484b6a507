"""Process entry point of the embedded Bolt store (run by ``riskgraph db start``)."""

from __future__ import annotations

import argparse
import os
import signal
import threading
from pathlib import Path


def main() -> None:
    """Run ArcadeDB with its Bolt plugin on loopback until SIGTERM."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--bolt-port", type=int, required=True)
    parser.add_argument("--http-port", type=int, required=True)
    parser.add_argument("--heap", default="4g")
    parser.add_argument("--database", default="riskgraph")
    # ArcadeDB's cap on the elements one collect() may hold (its default 2,097,152)
    parser.add_argument("--max-collect", type=int, default=None)
    args = parser.parse_args()

    import arcadedb_embedded as arcadedb
    from arcadedb_embedded.jvm import start_jvm

    jvm_args = ([f"-Darcadedb.queryMaxHeapElementsAllowedPerOp={args.max_collect}"]
                if args.max_collect else None)
    start_jvm(heap_size=args.heap, jvm_args=jvm_args)
    server = arcadedb.create_server(
        args.root,
        root_password=os.environ.pop("RISKGRAPH_EMBEDDED_PASSWORD"),
        config={
            "host": "127.0.0.1",
            "http_port": args.http_port,
            "server_plugins": "Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
            "bolt_port": args.bolt_port,
        },
    )
    server.start()
    if not Path(args.root, args.database).exists():
        server.create_database(args.database)
    ready = Path(args.root).parent / "run" / "ready"
    ready.write_text(str(os.getpid()))

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    try:
        while not done.is_set():
            done.wait(1.0)  # short waits so the signal handler runs promptly
    finally:
        ready.unlink(missing_ok=True)
        server.stop()
        os._exit(0)  # the JVM keeps non-daemon threads; leave without waiting for them


if __name__ == "__main__":
    main()
