"""The file readers on their own: CSV quoting and field size, JSON Lines headers, typed
values, encoding detection and what an undecodable row keeps. Files are built in the test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from riskgraph.etl import readers
from riskgraph.etl.readers import BadLine, FileRejected, read_rows
from tests.factories import uscc, write_csv


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



# -- CSV: field size and quotes ---------------------------------------------------------------


def test_a_field_past_the_csv_default_limit_is_read(tmp_path: Path) -> None:
    reason = "违" * 200_000  # the csv module's default limit is 131,072 characters
    path = write_csv(tmp_path, "penalties.csv", [
        {"penalty_id": "P1", "reason": reason}, {"penalty_id": "P2", "reason": "ok"}])
    _, _, rows, bad = read(path)
    assert bad == []
    assert rows[2]["reason"] == reason and rows[3]["reason"] == "ok"


def stray_quote_file(tmp_path: Path, n: int, stray: set[int]) -> Path:
    """Subjects with ``n`` data lines; the name on each line in ``stray`` opens a quote
    that never closes. Line k holds uscc(k), so a row's line number can be checked."""
    lines = ["uscc,name,region"]
    for k in range(2, n + 2):
        quote = '"' if k in stray else ""
        lines.append(f"{uscc(k)},{quote}店{k},任城区")
    path = tmp_path / "subjects.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_stray_quote_costs_one_line_not_the_rest_of_the_file(tmp_path: Path) -> None:
    path = stray_quote_file(tmp_path, 300, stray={3})
    _, _, rows, bad = read(path)
    assert [(b.line, b.code) for b in bad] == [(3, "unbalanced_quote")]
    assert "unbalanced quote" in bad[0].reason
    assert bad[0].raw == f'{uscc(3)},"店3,任城区'  # the line as written, quote and all
    assert sorted(rows) == [k for k in range(2, 302) if k != 3]
    assert all(row["uscc"] == uscc(k) and row["name"] == f"店{k}" for k, row in rows.items())


def test_two_stray_quotes_cost_their_two_lines(tmp_path: Path) -> None:
    # The quote opened on line 5 is closed by the one on line 40 (quote, then text):
    # the record in between has the wrong field count and is read again line by line.
    path = stray_quote_file(tmp_path, 60, stray={5, 40})
    _, _, rows, bad = read(path)
    assert [(b.line, b.code) for b in bad] == [(5, "unbalanced_quote"), (40, "unbalanced_quote")]
    assert sorted(rows) == [k for k in range(2, 62) if k not in (5, 40)]
    assert all(row["uscc"] == uscc(k) for k, row in rows.items())


def test_an_unclosed_quote_is_cut_off_and_the_lines_after_it_still_load(tmp_path: Path) -> None:
    n = readers.MAX_RECORD_LINES * 2 + 500
    path = stray_quote_file(tmp_path, n, stray={10})
    _, _, rows, bad = read(path)
    assert [(b.line, b.code) for b in bad] == [(10, "unbalanced_quote")]
    assert f"still open after {readers.MAX_RECORD_LINES} lines" in bad[0].reason
    assert len(rows) == n - 1
    assert all(row["uscc"] == uscc(k) for k, row in rows.items())


def test_a_line_in_a_run_together_record_with_the_wrong_count_is_its_own_bad_line(
        tmp_path: Path) -> None:
    path = tmp_path / "subjects.csv"
    path.write_text("uscc,name,region\n"
                    f'{uscc(2)},"店2,任城区\n'        # opens a quote
                    f"{uscc(3)},店3,任城区,extra\n"   # four fields on its own
                    f'{uscc(4)},店4,任城"区\n'        # closes it (quote mid-field)
                    f"{uscc(5)},店5,任城区\n", encoding="utf-8")
    _, _, rows, bad = read(path)
    assert [(b.line, b.code) for b in bad] == [
        (2, "unbalanced_quote"), (3, "field_count"), (4, "unbalanced_quote")]
    assert "4 fields, header has 3" in bad[1].reason and "unbalanced quote" in bad[1].reason
    assert sorted(rows) == [5]


def test_quoted_fields_with_line_breaks_still_read_and_lines_stay_right(tmp_path: Path) -> None:
    path = tmp_path / "penalties.csv"
    path.write_bytes(
        "penalty_id,reason,severity\r\n"
        'P1,"第一行\r\n第二行, 含逗号\r\n第三行 ""引号""",minor\r\n'
        "P2,ok,minor\r\n"
        'P3,"a\nb",serious\r\n'
        "P4,,minor\r\n".encode())
    _, _, rows, bad = read(path)
    assert bad == []
    assert sorted(rows) == [2, 5, 6, 8]
    assert rows[2]["reason"] == '第一行\r\n第二行, 含逗号\r\n第三行 "引号"'
    assert rows[6]["reason"] == "a\nb" and rows[8]["penalty_id"] == "P4"


def test_a_record_with_an_extra_field_on_one_line_is_still_field_count(tmp_path: Path) -> None:
    path = tmp_path / "subjects.csv"
    path.write_text(f"uscc,name,region\n{uscc(1)},a,b,c\n{uscc(2)},a,b\n", encoding="utf-8")
    _, _, rows, bad = read(path)
    assert [(b.line, b.code, b.raw) for b in bad] == [(2, "field_count", f"{uscc(1)},a,b,c")]
    assert sorted(rows) == [3]


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
