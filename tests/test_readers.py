"""The file readers on their own: CSV quoting and field size, JSON Lines headers, typed
values, encoding detection and what an undecodable row keeps. Files are built in the test."""

from __future__ import annotations

import codecs
import datetime as dt
import json
import random
from pathlib import Path

import pytest

from riskgraph.etl import encoding as enc
from riskgraph.etl import readers
from riskgraph.etl.loader import LoadOptions, load_folder
from riskgraph.etl.readers import BadLine, FileRejected, detect_encoding, read_rows
from riskgraph.graph.store import Store
from tests.factories import subject, uscc, write_csv


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


@pytest.mark.parametrize("name", ["items_补充.xlsx", "subjects.XLS"])
def test_an_excel_workbook_is_rejected_with_how_to_save_it_as_csv(tmp_path: Path,
                                                                  name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"PK\x03\x04")  # what is inside is not looked at
    with pytest.raises(FileRejected, match=f"{name}: an Excel workbook.*CSV UTF-8") as caught:
        read_rows(path)
    assert caught.value.code == "unknown_format"


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


# -- encoding ---------------------------------------------------------------------------------


def original_bytes(bad: BadLine) -> bytes:
    """Recover an undecodable line's bytes the way docs/input-contract.md says."""
    assert bad.code == "invalid_encoding"
    for encoding in ("gb18030", "utf-8"):
        if f"decoded as {encoding}" in bad.reason:
            return bad.raw.encode(encoding)
    assert "\\xNN" in bad.reason
    encoding = bad.reason.removeprefix("bytes not valid ").split(";")[0]
    return codecs.escape_decode(bad.raw.encode(encoding))[0]


def test_gbk_rows_after_a_megabyte_of_ascii_are_read_as_gbk(tmp_path: Path) -> None:
    head = "inspection_id,subject_uscc,outcome,department\n"
    ascii_rows = "".join(f"X{i},{uscc(i)},pass,\n" for i in range(40_000))
    assert len(ascii_rows) > 1 << 20
    path = tmp_path / "inspections.csv"
    path.write_bytes((head + ascii_rows + "Y1,U1,发现问题,食品安全监管科\n"
                      "Y2,U2,未发现问题,特种设备安全监察科\n").encode("gbk"))
    _, fmt, rows, bad = read(path)
    assert fmt == "csv/gb18030" and bad == []
    assert rows[40_002]["outcome"] == "发现问题"
    assert rows[40_003]["department"] == "特种设备安全监察科"


LINE_KINDS = {
    "ascii": b"plain,ascii,line",
    "both": "café,ok".encode(),                      # UTF-8 that is valid GB18030 too
    "utf8_only": "中,x".encode(),                    # UTF-8, an odd high byte before ','
    "gbk_only": "中文,检查".encode("gbk"),
    "neither": b"\xff\xfe,\x80",
}


def reference_verdict(data: bytes) -> str:
    """The detection rule applied to every line at once, as docs/input-contract.md says."""
    lines = data.splitlines()
    other = [line for line in lines if not line.isascii()]
    utf8 = sum(enc._decodes(line, "utf-8") for line in other)
    gb = sum(enc._decodes(line, "gb18030") for line in other)
    if not other or 2 * utf8 >= len(other):
        return "utf-8-sig"
    if 2 * gb >= len(other):
        return "gb18030"
    return "utf-8-sig" if len(lines) - len(other) > len(other) else "reject"


def test_streamed_detection_agrees_with_the_rule_over_the_whole_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(20)
    path = tmp_path / "x.csv"
    for trial in range(400):
        monkeypatch.setattr(enc, "CHUNK_BYTES", rng.choice([8, 16, 64, 1 << 20]))
        weights = [rng.random() for _ in LINE_KINDS]
        kinds = rng.choices(list(LINE_KINDS), weights, k=rng.randrange(1, 60))
        ending = rng.choice([b"\n", b"\r\n", b"\r"])
        data = ending.join(LINE_KINDS[k] for k in kinds) + rng.choice([ending, b""])
        path.write_bytes(data)
        expected = reference_verdict(data)
        try:
            got = detect_encoding(path)
        except FileRejected:
            got = "reject"
        assert got == expected, (trial, kinds, ending)


def test_detection_stops_once_the_rest_cannot_change_the_answer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "subjects.csv"
    path.write_bytes(b"uscc,name\n" + "A1,济宁店\n".encode() * 10_000)
    monkeypatch.setattr(enc, "CHUNK_BYTES", 4096)
    scanned: list[int] = []
    real_add = enc._Tally.add
    monkeypatch.setattr(enc._Tally, "add",
                        lambda self, chunk: scanned.append(len(chunk)) or real_add(self, chunk))
    assert detect_encoding(path) == "utf-8-sig"
    assert sum(scanned) < path.stat().st_size * 0.6  # certain at about half the lines


def test_an_undecodable_csv_row_keeps_its_bytes(tmp_path: Path) -> None:
    gbk_line = "P2,U1,发现问题".encode("gbk")
    garbage = b"P3,U1,\\x41 \xff\xfe"  # a literal backslash escape, then bytes valid nowhere
    path = tmp_path / "penalties.csv"
    path.write_bytes("penalty_id,subject_uscc,reason\nP1,U1,罚款\n".encode()
                     + gbk_line + b"\n" + garbage + b"\r\n" + "P4,U1,警告\n".encode())
    _, fmt, rows, bad = read(path)
    assert fmt == "csv/utf-8" and sorted(rows) == [2, 5]
    assert [(b.line, b.code) for b in bad] == [(3, "invalid_encoding"), (4, "invalid_encoding")]
    assert bad[0].raw == "P2,U1,发现问题"  # shown decoded the other way
    assert [original_bytes(b) for b in bad] == [gbk_line, garbage]
    assert "\ufffd" not in bad[1].raw


def test_a_utf8_row_in_a_gbk_file_keeps_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "subjects.csv"
    utf8_line = "U9,中,任城区".encode()  # not GB18030: an odd run of high bytes
    path.write_bytes("uscc,name,region\n".encode("gbk")
                     + "".join(f"U{i},店{i},任城区\n" for i in range(5)).encode("gbk")
                     + utf8_line + b"\n")
    _, fmt, rows, bad = read(path)
    assert fmt == "csv/gb18030" and len(rows) == 5
    assert [(b.line, b.raw) for b in bad] == [(7, "U9,中,任城区")]
    assert original_bytes(bad[0]) == utf8_line


def test_bytes_valid_nowhere_in_a_gbk_file_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "subjects.csv"
    line = "U9,店\\".encode("gbk") + b"\xff\x80"
    path.write_bytes("uscc,name,region\n".encode("gbk")
                     + "".join(f"U{i},店{i},任城区\n" for i in range(5)).encode("gbk")
                     + line + b"\n")
    _, _, _, bad = read(path)
    assert [b.line for b in bad] == [7] and original_bytes(bad[0]) == line


def test_an_undecodable_jsonl_line_keeps_its_bytes(tmp_path: Path) -> None:
    line = '{"uscc": "A", "name": "老王餐馆"}'.encode("gbk")
    path = tmp_path / "subjects.jsonl"
    path.write_bytes(b'{"uscc": "B"}\n' + line + b"\n")
    _, _, rows, bad = read(path)
    assert sorted(rows) == [1] and [(b.line, b.code) for b in bad] == [(2, "invalid_encoding")]
    assert original_bytes(bad[0]) == line


# -- through the loader: the quarantine file ----------------------------------------------


def test_the_quarantine_keeps_its_format_and_a_bad_rows_bytes(store: Store, tmp_path: Path,
                                                             pii_secret: bytes) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    gbk_row = f"{uscc(3)},老王餐馆,任城区".encode("gbk")
    (folder / "subjects.csv").write_bytes(
        f"uscc,name,region\n{uscc(1)},店1,任城区\n{uscc(2)},店2,任城区\n".encode()
        + gbk_row + b"\n" + f'{uscc(4)},"店4,任城区\n'.encode()
        + "".join(f"{uscc(k)},店{k},任城区\n" for k in range(5, 25)).encode())
    (folder / "subjects_b.jsonl").write_text(
        json.dumps(subject(30)) + "\n" + json.dumps(subject(31, phone=13800138000.0)) + "\n"
        + '{"uscc": "X",}\n', encoding="utf-8")
    quarantine = tmp_path / "q.jsonl"
    report = load_folder(store, folder, LoadOptions(
        today=dt.date(2026, 11, 27), pii_secret=pii_secret, quarantine_path=quarantine))
    assert report.reconciles and report.totals["loaded"] == 2 + 20 + 2
    records = [json.loads(line) for line in quarantine.read_text().splitlines()]
    assert all(set(r) == {"file", "line", "code", "reason", "raw", "column", "loaded"}
               for r in records)
    by_code = {r["code"]: r for r in records}
    assert set(by_code) == {"invalid_encoding", "unbalanced_quote", "bad_json"}
    bad = BadLine(by_code["invalid_encoding"]["line"], "invalid_encoding",
                  by_code["invalid_encoding"]["reason"], by_code["invalid_encoding"]["raw"])
    assert (bad.line, original_bytes(bad)) == (4, gbk_row)
    assert by_code["unbalanced_quote"]["line"] == 5
    phone = store.read("MATCH (s:Subject {uscc: $u}) RETURN s.phone AS p", u=uscc(31))[0]["p"]
    assert phone == "13800138000"
