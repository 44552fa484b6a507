"""The file readers on their own: CSV quoting and field size, JSON Lines headers, typed
values, encoding detection and what an undecodable row keeps. Files are built in the test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from riskgraph.etl.readers import BadLine, FileRejected, read_rows


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



# -- JSON Lines -------------------------------------------------------------------------------


def test_jsonl_header_is_the_union_of_keys_in_first_seen_order(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "subjects.jsonl", [
        '{"uscc": "A", "name": "甲", "region": "邹城市"}',
        '{"uscc": "B", "name": "乙", "region": "曲阜市", "phone": "13800138000", "status": "吊销"}',
        '{"address": "曲阜市陵城镇1号", "uscc": "C"}'])
    header, fmt, rows, bad = read(path)
    assert header == ["uscc", "name", "region", "phone", "status", "address"]
    assert fmt == "jsonl/utf-8" and bad == []
    assert rows[2]["phone"] == "13800138000" and rows[3]["address"] == "曲阜市陵城镇1号"
    assert "phone" not in rows[1]  # a key a line lacks is an empty cell


def test_a_bad_first_jsonl_line_is_quarantined_and_does_not_decide_the_header(
        tmp_path: Path) -> None:
    path = write_lines(tmp_path / "subjects.jsonl", [
        '{"uscc": "A", "name": "甲", "region": "邹城市",}',  # trailing comma
        '{"uscc": "B", "name": "乙", "region": "曲阜市"}'])
    header, _, rows, bad = read(path)
    assert header == ["uscc", "name", "region"]
    assert [(b.line, b.code) for b in bad] == [(1, "bad_json")]
    assert sorted(rows) == [2]


def test_a_first_jsonl_object_without_a_required_key_leaves_the_header_whole(
        tmp_path: Path) -> None:
    path = write_lines(tmp_path / "subjects.jsonl", [
        '{"uscc": "A", "name": "甲"}', '{"uscc": "B", "name": "乙", "region": "曲阜市"}'])
    header, _, rows, _ = read(path)
    assert "region" in header
    assert rows[1] == {"uscc": "A", "name": "甲"}


@pytest.mark.parametrize("text", [
    '[\n  {"uscc": "A", "name": "甲", "region": "邹城市"},\n  {"uscc": "B"}\n]\n',
    '[{"uscc": "A", "name": "甲", "region": "邹城市"},\n{"uscc": "B"}]\n',
    '\ufeff[{"uscc": "A", "name": "甲", "region": "邹城市"}, {"uscc": "B"}]',
])
def test_a_json_array_file_is_rejected_as_such(tmp_path: Path, text: str) -> None:
    path = tmp_path / "subjects.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FileRejected, match="JSON array, not JSON Lines") as caught:
        read_rows(path)
    assert caught.value.code == "json_array"


def test_a_jsonl_file_with_no_object_is_rejected_with_its_reason(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "subjects.json", ["{", '  "uscc": "A"', "}"])
    with pytest.raises(FileRejected, match="no line is a JSON object"):
        read_rows(path)


def test_a_jsonl_line_holding_an_array_is_one_bad_line(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "subjects.jsonl", ['["A", "甲"]', '{"uscc": "B"}'])
    header, _, rows, bad = read(path)
    assert header == ["uscc"] and [(b.line, b.code) for b in bad] == [(1, "bad_json")]
    assert sorted(rows) == [2]


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
