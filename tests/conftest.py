"""Test fixtures: one real Bolt server per session, a clean database per test.

Without ``NEO4J_URI`` the embedded ArcadeDB server is started on a free loopback port
with its own data folder (never the demo's); with it, the same tests run against that
Neo4j.
"""

from __future__ import annotations

import os

# As in the CLI: OpenMP threads sleep rather than spin while waiting, so the embedded
# store's JVM and scikit-learn can share two cores. Set before scikit-learn loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from collections.abc import Iterator  # noqa: E402

import neo4j
import pytest

from riskgraph.graph import embedded
from riskgraph.graph.store import Store


@pytest.fixture(scope="session")
def server_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The session's server as ``NEO4J_*`` variables: the embedded server on a free
    loopback port, or the one NEO4J_URI names. A subprocess (a CLI run, a notebook
    kernel) given these variables talks to the same store as the tests."""
    if os.environ.get("NEO4J_URI"):
        yield {k: os.environ[k] for k in
               ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE") if k in os.environ}
        return
    paths = embedded.EmbeddedPaths(tmp_path_factory.mktemp("store"))
    state = embedded.start(paths, port=embedded.free_port(), heap="2g")
    try:
        yield {"NEO4J_URI": state["uri"], "NEO4J_USER": embedded.USER,
               "NEO4J_PASSWORD": embedded.password(paths), "NEO4J_DATABASE": state["database"]}
    finally:
        embedded.stop(paths)


@pytest.fixture(scope="session")
def session_store(server_env: dict[str, str]) -> Iterator[Store]:
    """A store for the whole session: the embedded server, or NEO4J_URI when set."""
    driver = neo4j.GraphDatabase.driver(
        server_env["NEO4J_URI"],
        auth=(server_env.get("NEO4J_USER", "neo4j"), server_env.get("NEO4J_PASSWORD", "")))
    kind = "neo4j" if os.environ.get("NEO4J_URI") else "embedded"
    try:
        yield Store(driver, server_env.get("NEO4J_DATABASE", "neo4j"), kind=kind)
    finally:
        driver.close()


@pytest.fixture
def store(session_store: Store) -> Store:
    """The session's store, emptied before the test."""
    session_store.write("MATCH (n) DETACH DELETE n")
    return session_store


@pytest.fixture
def pii_secret() -> bytes:
    """A fixed PII key for tests."""
    return b"test-secret-key"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run tests that need no store first, so a store failure shows up after them."""
    items.sort(key=lambda item: "store" in getattr(item, "fixturenames", ()))

