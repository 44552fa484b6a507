"""The file readers on their own: CSV quoting and field size, JSON Lines headers, typed
values, encoding detection and what an undecodable row keeps. Files are built in the test."""

from __future__ import annotations

import json
from pathlib import Path

from riskgraph.etl.readers import BadLine, read_rows


def read(path: Path) -> tuple[list[str], str, dict[int, dict], list[BadLine]]:
    """Header, format, rows by line number, and the bad lines of a file."""
    header, fmt, items = read_rows(path)
    rows: dict[int, dict] = {}
    bad: list[BadLine] = []
    for item in items:
        if isinstance(item, BadLine):
            bad.append(item)
        else:
            assert item[0] not in rows, f"line {item[0]} came out twice"
            rows[item[0]] = item[1]
    return header, fmt, rows, bad


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path



# -- typed values -----------------------------------------------------------------------------


def test_parquet_float_columns_with_nulls_read_as_written(tmp_path: Path) -> None:
    import pandas as pd

    frame = pd.DataFrame({"uscc": ["A", "B", "C"], "phone": [13800138000, None, 5371234567],
                          "registered_capital": [12.5, 1e-05, float("nan")]})
    assert frame["phone"].dtype == "float64"  # what pandas makes of a column with a null
    path = tmp_path / "subjects.parquet"
    frame.to_parquet(path)
    _, _, rows, _ = read(path)
    assert [rows[k]["phone"] for k in (1, 2, 3)] == ["13800138000", None, "5371234567"]
    assert [rows[k]["registered_capital"] for k in (1, 2, 3)] == ["12.5", "0.00001", None]


def test_json_numbers_read_as_written(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "subjects.jsonl", [json.dumps(
        {"phone": 13800138000.0, "capital": 1e22, "pct": 33.3, "small": 2.5e-7, "n": 7,
         "flag": True, "none": None, "nan": float("nan"), "neg": -0.0})])
    _, _, rows, _ = read(path)
    assert rows[1] == {"phone": "13800138000", "capital": "10000000000000000000000",
                       "pct": "33.3", "small": "0.00000025", "n": "7", "flag": "true",
                       "none": None, "nan": None, "neg": "0"}
