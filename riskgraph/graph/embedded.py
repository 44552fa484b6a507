"""The embedded Bolt store: ArcadeDB's Bolt server run as a background process.

``start`` launches ``python -m riskgraph.graph.embedded_main`` detached from the caller,
bound to 127.0.0.1 only, with its data, pid file, log file and a generated password
(owner-readable only) under one folder. The same ``neo4j`` driver code then talks to it
as it would to a production Neo4j.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from riskgraph.graph.errors import StoreError, StoreUnavailable

log = logging.getLogger(__name__)

DATABASE = "riskgraph"
USER = "root"


@dataclass(frozen=True)
class EmbeddedPaths:
    """Where one embedded store keeps its files."""

    home: Path

    @property
    def databases(self) -> Path:
        return self.home / "databases"

    @property
    def password_file(self) -> Path:
        return self.home / "secrets" / "bolt_password"

    @property
    def pid_file(self) -> Path:
        return self.home / "run" / "server.json"

    @property
    def log_file(self) -> Path:
        return self.home / "log" / "server.log"


@dataclass(frozen=True)
class EmbeddedStatus:
    """What ``status`` found: is a server process there, and does Bolt answer."""

    running: bool
    pid: int | None
    uri: str | None
    answers: bool
    detail: str


def write_secret(path: Path, value: str) -> None:
    """Write a secret file readable and writable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)


def password(paths: EmbeddedPaths) -> str:
    """Return the store's password, generating it once on first use."""
    if not paths.password_file.exists():
        write_secret(paths.password_file, secrets.token_urlsafe(24))
    return paths.password_file.read_text().strip()


def free_port() -> int:
    """Return a TCP port on loopback that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _pid_alive(pid: int) -> bool:
    # A server started by this very process (tests) is our child: reap it, or its
    # zombie would look alive forever. Any other pid is not our child.
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_state(paths: EmbeddedPaths) -> dict | None:
    """Return the running server's recorded state, or None when none is recorded."""
    try:
        state = json.loads(paths.pid_file.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return state if _pid_alive(int(state["pid"])) else None


def start(
    paths: EmbeddedPaths, port: int = 7687, heap: str = "4g", timeout: float = 120.0,
    max_collect: int | None = None,
) -> dict:
    """Start the embedded server unless it already runs; return its state.

    ``max_collect`` sets the engine's cap on the elements one ``collect()`` may hold
    (None: the engine's default, 2,097,152); the projection reads past it either way."""
    state = read_state(paths)
    if state is not None:
        log.info("embedded store already running pid=%s port=%s", state["pid"], state["port"])
        return state
    if _port_open(port):
        raise StoreError(
            f"port {port} on 127.0.0.1 is taken by another program; "
            "set RISKGRAPH_BOLT_PORT to a free port"
        )
    for folder in (paths.databases, paths.pid_file.parent, paths.log_file.parent):
        folder.mkdir(parents=True, exist_ok=True)
    secret = password(paths)
    http_port = free_port()
    (paths.pid_file.parent / "ready").unlink(missing_ok=True)
    cmd = [
        sys.executable, "-m", "riskgraph.graph.embedded_main",
        "--root", str(paths.databases), "--bolt-port", str(port),
        "--http-port", str(http_port), "--heap", heap, "--database", DATABASE,
    ] + (["--max-collect", str(max_collect)] if max_collect else [])
    env = dict(os.environ, RISKGRAPH_EMBEDDED_PASSWORD=secret)
    with open(paths.log_file, "ab") as logfh:
        # A new session so the server outlives this command and ignores its ^C.
        proc = subprocess.Popen(
            cmd, stdout=logfh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=paths.log_file.parent, env=env, start_new_session=True,
        )
    state = {"pid": proc.pid, "port": port, "http_port": http_port,
             "uri": f"bolt://127.0.0.1:{port}", "database": DATABASE}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StoreError(f"embedded store exited at start; see {paths.log_file}")
        if _ready(paths, port):
            paths.pid_file.write_text(json.dumps(state))
            log.info("embedded store started pid=%s port=%s", proc.pid, port)
            return state
        time.sleep(0.5)
    proc.terminate()
    raise StoreError(f"embedded store did not answer within {timeout:.0f}s; see {paths.log_file}")


def _ready(paths: EmbeddedPaths, port: int) -> bool:
    marker = paths.pid_file.parent / "ready"
    return marker.exists() and _port_open(port)


def stop(paths: EmbeddedPaths, timeout: float = 60.0) -> bool:
    """Stop the embedded server cleanly; return False when none was running."""
    state = read_state(paths)
    if state is None:
        paths.pid_file.unlink(missing_ok=True)
        return False
    pid = int(state["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _pid_alive(pid):
        time.sleep(0.2)
    if _pid_alive(pid):
        log.warning("embedded store did not stop in %.0fs, killing pid=%s", timeout, pid)
        os.kill(pid, signal.SIGKILL)
    paths.pid_file.unlink(missing_ok=True)
    return True


def status(paths: EmbeddedPaths, driver_factory) -> EmbeddedStatus:
    """Say whether the embedded server runs and answers a Bolt query."""
    state = read_state(paths)
    if state is None:
        return EmbeddedStatus(False, None, None, False, "not running")
    try:
        driver = driver_factory(state["uri"], auth=(USER, password(paths)))
        try:
            records, _, _ = driver.execute_query(
                "CALL dbms.components() YIELD name, versions, edition "
                "RETURN name, versions, edition", database_=DATABASE)
            info = records[0]
            detail = f"{info['name']} {info['versions'][0]} ({info['edition']}) via ArcadeDB Bolt"
        finally:
            driver.close()
    except Exception as exc:  # noqa: BLE001 - status reports any failure to answer
        raise StoreUnavailable(f"embedded store pid {state['pid']} does not answer: {exc}") from exc
    return EmbeddedStatus(True, int(state["pid"]), state["uri"], True, detail)
