"""Settings read from the environment, and the one place a driver is opened."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import neo4j

from riskgraph.graph import embedded
from riskgraph.graph.errors import StoreUnavailable
from riskgraph.graph.store import Store


@dataclass(frozen=True)
class Settings:
    """Everything the CLI and the API read from the environment."""

    home: Path = field(default_factory=lambda: Path("var"))
    bolt_port: int = 7687
    heap: str = "4g"
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str | None = None
    neo4j_database: str = "neo4j"
    pii_secret: str | None = None
    retry_seconds: float = 15.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Build settings from ``RISKGRAPH_*`` and ``NEO4J_*`` variables."""
        env = dict(os.environ if env is None else env)
        return cls(
            home=Path(env.get("RISKGRAPH_HOME", "var")).resolve(),
            bolt_port=int(env.get("RISKGRAPH_BOLT_PORT", "7687")),
            heap=env.get("RISKGRAPH_HEAP", "4g"),
            neo4j_uri=env.get("NEO4J_URI") or None,
            neo4j_user=env.get("NEO4J_USER", "neo4j"),
            neo4j_password=env.get("NEO4J_PASSWORD"),
            neo4j_database=env.get("NEO4J_DATABASE", "neo4j"),
            pii_secret=env.get("RISKGRAPH_PII_SECRET") or None,
            retry_seconds=float(env.get("RISKGRAPH_RETRY_SECONDS", "15")),
        )

    @property
    def embedded(self) -> bool:
        """True when no external Neo4j is configured and the embedded store is used."""
        return self.neo4j_uri is None

    @property
    def paths(self) -> embedded.EmbeddedPaths:
        return embedded.EmbeddedPaths(self.home / "store")

    def pii_key(self) -> bytes:
        """Return the HMAC key for resident IDs: the setting, or one generated once."""
        if self.pii_secret:
            return self.pii_secret.encode()
        path = self.paths.home / "secrets" / "pii_key"
        if not path.exists():
            import secrets

            embedded.write_secret(path, secrets.token_hex(32))
        return path.read_text().strip().encode()


def open_store(settings: Settings, start: bool = True) -> Store:
    """Open the one driver of this process, starting the embedded server if needed."""
    if settings.embedded:
        state = embedded.read_state(settings.paths)
        if state is None:
            if not start:
                raise StoreUnavailable("embedded store is not running; run `riskgraph db start`")
            state = embedded.start(settings.paths, port=settings.bolt_port, heap=settings.heap)
        auth = (embedded.USER, embedded.password(settings.paths))
        driver = neo4j.GraphDatabase.driver(
            state["uri"], auth=auth, max_transaction_retry_time=settings.retry_seconds)
        return Store(driver, state["database"], kind="embedded")
    driver = neo4j.GraphDatabase.driver(
        settings.neo4j_uri, auth=(settings.neo4j_user, settings.neo4j_password or ""),
        max_transaction_retry_time=settings.retry_seconds)
    return Store(driver, settings.neo4j_database, kind="neo4j")
