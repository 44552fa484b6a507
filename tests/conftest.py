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
def session_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A store for the whole session: the embedded server, or NEO4J_URI when set."""
    uri = os.environ.get("NEO4J_URI")
    if uri:
        driver = neo4j.GraphDatabase.driver(
            uri, auth=(os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", "")))
        yield Store(driver, os.environ.get("NEO4J_DATABASE", "neo4j"))
        driver.close()
        return
    paths = embedded.EmbeddedPaths(tmp_path_factory.mktemp("store"))
    state = embedded.start(paths, port=embedded.free_port(), heap="2g")
    driver = neo4j.GraphDatabase.driver(state["uri"], auth=(embedded.USER, embedded.password(paths)))
    try:
        yield Store(driver, state["database"], kind="embedded")
    finally:
        driver.close()
        embedded.stop(paths)


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

