"""A handle on the graph store: a driver someone else opened, and the database to use."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import neo4j
from neo4j.exceptions import ServiceUnavailable, SessionExpired

from riskgraph.graph.errors import StoreError, StoreUnavailable


@dataclass(frozen=True)
class Store:
    """The driver and database every graph function takes; it never opens a driver."""

    driver: neo4j.Driver
    database: str
    kind: str = "neo4j"  # "embedded" when the store is the embedded ArcadeDB server

    def read(self, query: str, **params: Any) -> list[dict[str, Any]]:
        """Run a read query and return its records as dicts."""
        return [r.data() for r in self._run(query, params, neo4j.RoutingControl.READ)]

    def value(self, query: str, **params: Any) -> Any:
        """Run a read that returns one record and return its first value as the driver
        decoded it, or None without a record. Unlike ``read`` no value is converted
        element by element (``Record.data``), which halves the time of a large collected
        list: 880,000 rows in 4.4 s against 8.9 s on the embedded store."""
        records = self._run(query, params, neo4j.RoutingControl.READ)
        return records[0][0] if records else None

    def write(self, query: str, **params: Any) -> list[dict[str, Any]]:
        """Run a write query in its own transaction and return its records as dicts."""
        return [r.data() for r in self._run(query, params, neo4j.RoutingControl.WRITE)]

    def rows(self, query: str, **params: Any) -> list[tuple[Any, ...]]:
        """Run a read and return its records as value tuples, in the query's RETURN order:
        no per-element conversion as in ``read`` (880,000 subjects of the draws'
        population in 19-21 s against 29 s), and, unlike ``stream`` (16-18 s), retried on
        a transient error."""
        return [tuple(r.values()) for r in self._run(query, params, neo4j.RoutingControl.READ)]

    def stream(self, query: str, **params: Any) -> Iterator[tuple[Any, ...]]:
        """Yield the value tuples of a large read without holding them all. It sees every
        write this driver made before (the bookmarks ``read`` and ``write`` keep), but a
        stream is not retried."""
        try:
            with self.driver.session(
                    database=self.database, default_access_mode=neo4j.READ_ACCESS,
                    bookmark_manager=self.driver.execute_query_bookmark_manager) as session:
                result = session.run(query, params)
                for record in result:
                    yield tuple(record.values())
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            raise StoreUnavailable(f"graph store unreachable: {exc}") from exc
        except neo4j.exceptions.Neo4jError as exc:
            raise StoreError(f"graph query failed: {exc.message}") from exc

    def _run(self, query: str, params: Mapping[str, Any],
             routing: neo4j.RoutingControl) -> list[neo4j.Record]:
        try:
            records, _, _ = self.driver.execute_query(
                query, dict(params), database_=self.database, routing_=routing)
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            raise StoreUnavailable(f"graph store unreachable: {exc}") from exc
        except neo4j.exceptions.Neo4jError as exc:
            raise StoreError(f"graph query failed: {exc.message}") from exc
        return records
