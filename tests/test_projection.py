"""The projection reads a table past the embedded engine's cap on one collect()."""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

import neo4j
import pandas as pd
import pytest

from riskgraph.etl.loader import LoadOptions, load_folder
from riskgraph.graph import embedded
from riskgraph.graph.projection import project
from riskgraph.graph.store import Store
from tests.factories import small_city


def _frames(store: Store, folder: Path, secret: bytes) -> dict[str, pd.DataFrame]:
    load_folder(store, folder, LoadOptions(today=dt.date(2026, 10, 1), pii_secret=secret,
                                           quarantine_path=folder.parent / "q.jsonl",
                                           batch_size=100))  # writes under the cap too
    frames = project(store)
    out = {}
    for name in ("subjects", "complaints", "penalties", "inspections", "list_entries", "ties",
                 "addresses", "phones"):
        table = getattr(frames, name)
        out[name] = table.sort_values(list(table.columns), kind="stable",
                                      ignore_index=True, na_position="first")
    return out


@pytest.mark.skipif(bool(os.environ.get("NEO4J_URI")), reason="the embedded engine's cap")
def test_a_table_past_the_collect_cap_is_read_row_by_row(store: Store, tmp_path: Path,
                                                         pii_secret: bytes,
                                                         caplog: pytest.LogCaptureFixture
                                                         ) -> None:
    folder = small_city(tmp_path / "in", n=300)
    want = _frames(store, folder, pii_secret)
    assert len(want["subjects"]) == 300 and len(want["ties"]) >= 300
    # A store whose collect() holds at most 250 elements: every table of 250 rows or
    # more failed the projection (the city's person ties passed the default cap of
    # 2,097,152 at 880,000 subjects)
    paths = embedded.EmbeddedPaths(tmp_path / "capped")
    state = embedded.start(paths, port=embedded.free_port(), heap="1g", max_collect=250)
    driver = neo4j.GraphDatabase.driver(state["uri"],
                                        auth=(embedded.USER, embedded.password(paths)))
    try:
        capped = Store(driver, state["database"], kind="embedded")
        with caplog.at_level(logging.WARNING):
            got = _frames(capped, folder, pii_secret)
            assert "table=subjects: too large for one collect" in caplog.text
            for name, table in want.items():
                pd.testing.assert_frame_equal(got[name], table, check_like=False)
            # a reload reads the keys already there past the cap too: all upserts, the
            # same graph
            assert "existing subjects keys: too large" not in caplog.text
            again = _frames(capped, folder, pii_secret)
            assert "existing subjects keys: too large" in caplog.text
            assert "existing roles keys: too large" in caplog.text
            # every key was known: no create of a key already there, retried as upsert
            assert "create path failed" not in caplog.text
        for name, table in want.items():
            pd.testing.assert_frame_equal(again[name], table, check_like=False)
    finally:
        driver.close()
        embedded.stop(paths)


def test_store_value_returns_the_decoded_value_or_none(store: Store) -> None:
    """``Store.value`` hands back the driver's values unconverted, and None for no record."""
    rows = store.value("UNWIND range(1, 3) AS i RETURN collect([i, toString(i), null]) AS r")
    assert rows == [[1, "1", None], [2, "2", None], [3, "3", None]]
    assert store.value("MATCH (s:Subject {uscc: 'none such'}) RETURN s.uscc AS u") is None
