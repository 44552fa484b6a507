"""The loader against the real embedded Bolt server: contract, quarantine, idempotency."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from riskgraph.etl import loader as loader_module
from riskgraph.etl.loader import LoadOptions, load_folder
from riskgraph.graph.errors import StoreError
from riskgraph.graph.schema import KEYS
from riskgraph.graph.store import Store
from tests.factories import person_id, small_city, subject, uscc, write_csv

TODAY = dt.date(2026, 11, 27)


def run_load(store: Store, folder: Path, secret: bytes, **kw: object):
    options = LoadOptions(today=TODAY, pii_secret=secret,
                          quarantine_path=folder.parent / f"{folder.name}-quarantine.jsonl", **kw)
    return load_folder(store, folder, options)


def quarantined(report) -> list[dict]:
    return [json.loads(line) for line in Path(report.quarantine_file).read_text().splitlines()]


def dump(store: Store) -> tuple[list, list]:
    """The whole graph as comparable values: nodes by key, relationships by end keys."""
    key_of = dict(KEYS)
    nodes = sorted(
        (row["labels"][0], json.dumps(row["props"], sort_keys=True, default=str, ensure_ascii=False))
        for row in store.read("MATCH (n) RETURN labels(n) AS labels, properties(n) AS props"))
    rels = []
    for row in store.read("MATCH (a)-[r]->(b) RETURN labels(a)[0] AS la, properties(a) AS pa, "
                          "type(r) AS t, properties(r) AS pr, labels(b)[0] AS lb, properties(b) AS pb"):
        rels.append((row["la"], str(row["pa"][key_of[row["la"]]]), row["t"],
                     json.dumps(row["pr"], sort_keys=True, default=str),
                     row["lb"], str(row["pb"][key_of[row["lb"]]])))
    return nodes, sorted(rels)


def test_small_city_loads_and_reconciles(store: Store, tmp_path: Path, pii_secret: bytes) -> None:
    report = run_load(store, small_city(tmp_path / "in"), pii_secret)
    assert report.reconciles
    assert report.totals["quarantined"] == 0 and report.totals["duplicates"] == 0
    counts = store.read("MATCH (s:Subject) RETURN count(s) AS s")[0]["s"]
    assert counts == 20
    row = store.read("MATCH (p:Penalty {penalty_id: 'P1'})-[:IMPOSED_ON]->(s:Subject) "
                     "RETURN s.uscc AS u, p.severity AS sev, p.amount AS amt, p.decided_on AS d")[0]
    assert (row["u"], row["sev"], row["amt"]) == (uscc(1), "general", 2000.0)
    assert row["d"].to_native() == dt.date(2023, 1, 2)
    inspector = store.read("MATCH (i:Inspector)-[:IS]->(p:Person) RETURN i.qualifications AS q, "
                           "p.masked_id AS m")[0]
    assert inspector["q"] == ["SP01"] and inspector["m"].startswith("370802********")
    data = json.loads(json.dumps(report.to_dict()))
    assert data["reconciles"] and {f["kind"] for f in data["files"]} >= {"subjects", "roles"}


def test_reload_changes_nothing(store: Store, tmp_path: Path, pii_secret: bytes) -> None:
    folder = small_city(tmp_path / "in")
    run_load(store, folder, pii_secret)
    first = dump(store)
    second_report = run_load(store, folder, pii_secret)
    assert second_report.reconciles
    assert dump(store) == first


def test_later_load_updates_and_moves_links(store: Store, tmp_path: Path, pii_secret: bytes) -> None:
    run_load(store, small_city(tmp_path / "in"), pii_secret)
    later = tmp_path / "later"
    write_csv(later, "subjects.csv", [subject(1, status="revoked", address="任城区古槐路999号")])
    write_csv(later, "penalties.csv", [
        {"penalty_id": "P1", "subject_uscc": uscc(1), "department": "食品经营监管科",
         "decided_on": "2023-01-02", "severity": "general", "amount": "2000",
         "reason": "无证经营", "repaired_on": "2024-01-01"}])
    write_csv(later, "list_entries.csv", [
        {"subject_uscc": uscc(1), "person_id": "", "list": "abnormal_operation",
         "listed_on": "2022-01-01", "removed_on": "2023-06-30", "authority": "任城区市场监管局",
         "reason": "未按期公示年报"}])
    report = run_load(store, later, pii_secret)
    assert report.totals["loaded"] == 3
    row = store.read("MATCH (s:Subject {uscc: $u})-[:LOCATED_AT]->(a:Address) "
                     "RETURN s.status AS st, collect(a.key) AS addrs", u=uscc(1))[0]
    assert row["st"] == "revoked" and row["addrs"] == ["任城区古槐路999号"]
    assert store.read("MATCH (p:Penalty {penalty_id:'P1'}) RETURN p.repaired_on AS r")[0]["r"] \
        .to_native() == dt.date(2024, 1, 1)
    entries = store.read("MATCH (e:ListEntry)-[:LISTS]->(:Subject {uscc: $u}) "
                         "RETURN e.removed_on AS r", u=uscc(1))
    assert len(entries) == 1 and entries[0]["r"].to_native() == dt.date(2023, 6, 30)


def test_every_bad_input_kind_is_quarantined_with_reason(store: Store, tmp_path: Path,
                                                         pii_secret: bytes) -> None:
    folder = tmp_path / "bad"
    bad_uscc = uscc(3)[:-1] + ("0" if uscc(3)[-1] != "0" else "1")
    write_csv(folder, "subjects.csv", [
        subject(1), subject(2),
        subject(3, uscc=bad_uscc),                         # bad check character
        subject(4, registered_on="2099-01-01"),            # future date
        subject(5, kind="alien"),                          # unknown enumeration
        subject(6, name=""),                               # required value empty
        subject(7, registered_capital="-5"),               # negative amount
        subject(8, registered_on="2024-02-30"),            # not a date
        subject(1),                                        # the same row again
        subject(9, name="bad\x00nul"),                     # NUL byte
    ])
    write_csv(folder, "persons.csv", [
        {"person_id": person_id(1), "name": "甲"},
        {"person_id": person_id(2)[:-1] + ("0" if person_id(2)[-1] != "0" else "1"), "name": "乙"},
    ])
    write_csv(folder, "roles.csv", [
        {"subject_uscc": uscc(1), "holder_person_id": person_id(1), "holder_uscc": "",
         "role": "shareholder", "share_pct": "150"},        # share out of range
        {"subject_uscc": uscc(77), "holder_person_id": person_id(1), "holder_uscc": "",
         "role": "shareholder", "share_pct": "10"},         # missing subject
        {"subject_uscc": uscc(1), "holder_person_id": person_id(55), "holder_uscc": "",
         "role": "legal_rep", "share_pct": ""},             # missing person
        {"subject_uscc": uscc(1), "holder_person_id": person_id(1), "holder_uscc": uscc(2),
         "role": "shareholder", "share_pct": "5"},          # both holders
        {"subject_uscc": uscc(2), "holder_person_id": "", "holder_uscc": uscc(1),
         "role": "shareholder", "share_pct": "40"},         # fine
    ])
    write_csv(folder, "complaints.csv", [{"complaint_id": "C1", "subject_uscc": uscc(1)}],
              header=["complaint_id", "subject_uscc"])       # whole file: no received_on
    (folder / "penalties.csv").write_bytes(
        b"penalty_id,subject_uscc,decided_on,severity\n"
        + f"P1,{uscc(1)},2024-01-01,serious\n".encode()
        + f"P2,{uscc(1)},2024-01-01,".encode() + b"\xff\xfe\n"    # invalid UTF-8
        + f"P3,{uscc(1)},2024-01-01,serious,extra\n".encode())    # too many fields
    (folder / "notes.txt").write_text("not a kind")
    report = run_load(store, folder, pii_secret)
    assert report.reconciles
    by_file = {f.file: f for f in report.files}
    assert by_file["complaints.csv"].rejected and "received_on" in by_file["complaints.csv"].rejected
    assert by_file["notes.txt"].rejected
    codes = {(q["file"], q["code"]) for q in quarantined(report)}
    for expected in [("subjects.csv", c) for c in (
            "bad_uscc", "future_date", "bad_enum", "missing_value", "negative_amount", "bad_date",
            "duplicate_key", "nul_byte")] + [
            ("persons.csv", "bad_person_id"), ("roles.csv", "out_of_range"),
            ("roles.csv", "unknown_subject"), ("roles.csv", "unknown_person"),
            ("roles.csv", "ambiguous_reference"), ("penalties.csv", "invalid_encoding"),
            ("penalties.csv", "field_count"), ("complaints.csv", "missing_column")]:
        assert expected in codes, expected
    s = by_file["subjects.csv"]
    # a bad value in a column the row can do without is cleared and the row loads: a
    # future or impossible registration day, an unknown kind, a negative capital
    assert (s.read, s.loaded, s.quarantined, s.duplicates) == (10, 6, 3, 1)
    assert (s.cleared, s.cleared_reasons) == (
        4, {"future_date": 1, "bad_enum": 1, "negative_amount": 1, "bad_date": 1})
    lines = {q["line"] for q in quarantined(report) if q["file"] == "subjects.csv"}
    assert lines == set(range(4, 12))  # every rejected row and every cleared value is kept
    cleared = {(q["line"], q["column"]) for q in quarantined(report)
               if q["file"] == "subjects.csv" and q["loaded"]}
    assert cleared == {(5, "registered_on"), (6, "kind"), (8, "registered_capital"),
                       (9, "registered_on")}
    rows = {r["u"]: r for r in store.read(
        "MATCH (s:Subject) RETURN s.uscc AS u, s.kind AS k, s.registered_on AS d, "
        "s.registered_capital AS c")}
    assert set(rows) == {uscc(i) for i in (1, 2, 4, 5, 7, 8)}
    assert rows[uscc(4)]["d"] is None and rows[uscc(5)]["k"] is None
    assert rows[uscc(7)]["c"] is None and rows[uscc(8)]["d"] is None
    table = report.table()
    assert all(f"{code}: 1 value(s) cleared" in table for code in s.cleared_reasons)
    assert "headers:" not in table  # every header is its column's own name
    # nothing dangling: the good role and the one whose share was cleared exist, no role
    # to a missing subject
    assert by_file["roles.csv"].cleared_reasons == {"out_of_range": 1}
    assert store.read("MATCH ()-[r:HOLDS]->() RETURN count(r) AS n")[0]["n"] == 2


def test_resident_ids_never_stored_or_quarantined_in_clear(store: Store, tmp_path: Path,
                                                           pii_secret: bytes) -> None:
    folder = small_city(tmp_path / "in")
    write_csv(folder, "persons_bad.csv", [{"person_id": person_id(3), "name": ""}])
    report = run_load(store, folder, pii_secret)
    clear = {person_id(i) for i in range(1, 21)} | {person_id(900, "19850505")}
    values = store.read("MATCH (n) RETURN properties(n) AS p")
    blob = json.dumps(values, default=str)
    assert not any(pid in blob for pid in clear)
    assert person_id(3) not in Path(report.quarantine_file).read_text()
    assert "370802********" in Path(report.quarantine_file).read_text()


def test_homonyms_stay_two_persons_and_one_person_is_one_node(store: Store, tmp_path: Path,
                                                             pii_secret: bytes) -> None:
    folder = small_city(tmp_path / "in", n=4)
    write_csv(folder, "persons_homonyms.csv", [{"person_id": person_id(500), "name": "张1"}])
    write_csv(folder, "persons_z_again.csv", [{"person_id": person_id(1), "name": "张1"}])
    report = run_load(store, folder, pii_secret)
    assert report.reconciles
    rows = store.read("MATCH (p:Person {name: '张1'}) RETURN count(p) AS n")
    assert rows[0]["n"] == 2
    dup = [f for f in report.files if f.file == "persons_z_again.csv"][0]
    assert dup.duplicates == 1


def test_addresses_and_phones_become_shared_nodes(store: Store, tmp_path: Path,
                                                  pii_secret: bytes) -> None:
    folder = tmp_path / "in"
    write_csv(folder, "subjects.csv", [
        subject(1, address="山东省济宁市任城区古槐路１２３号", phone="0537-1234567"),
        subject(2, address="任城区 古槐路 123 号", phone="+86 537 1234567"),
        subject(3, address="任城区古槐路124号", phone="138-1234-5678")])
    run_load(store, folder, pii_secret)
    rows = store.read("MATCH (a:Subject)-[:LOCATED_AT]->(x:Address)<-[:LOCATED_AT]-(b:Subject) "
                      "WHERE a.uscc < b.uscc RETURN a.uscc AS a, b.uscc AS b, x.key AS k")
    assert [(r["a"], r["b"]) for r in rows] == [(uscc(1), uscc(2))]
    assert store.read("MATCH (p:Phone) RETURN count(p) AS n")[0]["n"] == 2
    raw = store.read("MATCH (s:Subject {uscc: $u}) RETURN s.address AS a", u=uscc(1))[0]["a"]
    assert raw == "山东省济宁市任城区古槐路１２３号"  # the raw text is kept as written


NASTY = ["O'Brien \"quoted\" {brace} $param", "MATCH (n) DETACH DELETE n //", "😀🏪 店",
         "x" * 10_000, "\\u0000 not a nul", "多行\n文本"]


def test_free_text_is_stored_verbatim(store: Store, tmp_path: Path, pii_secret: bytes) -> None:
    folder = tmp_path / "in"
    write_csv(folder, "subjects.csv", [subject(i + 1, name=name) for i, name in enumerate(NASTY)])
    report = run_load(store, folder, pii_secret)
    assert report.totals["loaded"] == len(NASTY)
    names = {r["n"] for r in store.read("MATCH (s:Subject) RETURN s.name AS n")}
    assert names == set(NASTY)


def test_gbk_bom_jsonl_parquet_and_chinese_headers(store: Store, tmp_path: Path,
                                                   pii_secret: bytes) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "in"
    zh = {"统一社会信用代码": uscc(1), "企业名称": "济宁市任城区老王餐馆", "所属区域": "任城区",
          "主体类型": "个体工商户", "登记状态": "存续", "成立日期": "2019/7/8", "重点监管": "是"}
    write_csv(folder, "subjects_gbk.csv", [zh], encoding="gbk")
    write_csv(folder, "subjects_bom.csv", [subject(2, name="带BOM的店")], encoding="utf-8-sig")
    (folder / "subjects_c.jsonl").write_text(
        json.dumps(subject(3, name="JSON店", registered_capital=12.5), ensure_ascii=False) + "\n")
    pq.write_table(pa.Table.from_pylist([subject(4, name="Parquet店")]), folder / "subjects_d.parquet")
    write_csv(folder, "inspections.csv", [
        {"检查编号": "I1", "统一社会信用代码": uscc(1), "检查日期": "20240102", "检查结果": "发现问题"}])
    report = run_load(store, folder, pii_secret)
    assert report.reconciles and report.totals["quarantined"] == 0, quarantined(report)
    formats = {f.file: f.format for f in report.files}
    assert formats["subjects_gbk.csv"] == "csv/gb18030"
    assert formats["subjects_bom.csv"] == "csv/utf-8"
    row = store.read("MATCH (s:Subject {uscc: $u}) RETURN s.name AS n, s.kind AS k, s.status AS st, "
                     "s.key_sector AS ks, s.registered_on AS d", u=uscc(1))[0]
    assert (row["n"], row["k"], row["st"], row["ks"]) == ("济宁市任城区老王餐馆", "individual", "active", True)
    assert row["d"].to_native() == dt.date(2019, 7, 8)
    assert store.read("MATCH (i:Inspection)-[:OF]->(:Subject {uscc: $u}) RETURN i.outcome AS o",
                      u=uscc(1))[0]["o"] == "fail"
    names = {r["n"] for r in store.read("MATCH (s:Subject) RETURN s.name AS n")}
    assert {"带BOM的店", "JSON店", "Parquet店"} <= names


def test_undetectable_encoding_rejects_the_file(store: Store, tmp_path: Path,
                                                pii_secret: bytes) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "subjects.csv").write_bytes(b"uscc,name,region\n" + bytes(range(0x80, 0x100)) * 4)
    report = run_load(store, folder, pii_secret)
    assert report.files[0].rejected and "neither UTF-8 nor GB18030" in report.files[0].rejected


def test_killed_load_then_rerun_equals_one_clean_load(store: Store, tmp_path: Path,
                                                      pii_secret: bytes, monkeypatch) -> None:
    folder = small_city(tmp_path / "in", n=60)
    run_load(store, folder, pii_secret, batch_size=7)
    clean = dump(store)
    store.write("MATCH (n) DETACH DELETE n")

    real_write = loader_module._write
    calls = {"n": 0}

    def dying_write(store_: Store, batches):
        calls["n"] += 1
        if calls["n"] == 12:
            raise StoreError("simulated crash mid-load")
        return real_write(store_, batches)

    monkeypatch.setattr(loader_module, "_write", dying_write)
    with pytest.raises(StoreError):
        run_load(store, folder, pii_secret, batch_size=7)
    monkeypatch.setattr(loader_module, "_write", real_write)
    partial = dump(store)
    assert partial != clean and len(partial[0]) > 0
    report = run_load(store, folder, pii_secret, batch_size=7)
    assert report.reconciles
    assert dump(store) == clean


def test_registry_phrases_and_full_width_ids_load(store: Store, tmp_path: Path,
                                                  pii_secret: bytes) -> None:
    # What registry exports write, which the contract's own words do not cover.
    folder = tmp_path / "in"
    write_csv(folder, "subjects.csv", [
        subject(1, kind="有限责任公司（自然人独资）", status="在营（开业）", registered_capital="50万元"),
        subject(2, kind="股份有限公司分公司", status="吊销，未注销", registered_capital="1.2亿元"),
        subject(3, kind="个人独资企业", status="注销", registered_on="2015/3/4 0:00"),
        subject(4, kind="农民专业合作社", registered_capital="100万美元")])
    full_width = person_id(7).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    legacy = "370802900101123"  # issued before 1999: 15 digits
    write_csv(folder, "persons.csv", [{"person_id": full_width, "name": "全角"},
                                      {"person_id": legacy, "name": "旧证"}])
    write_csv(folder, "roles.csv", [
        {"subject_uscc": uscc(1), "holder_person_id": person_id(7), "role": "legal_rep"},
        {"subject_uscc": uscc(2), "holder_person_id": "37080219900101123X", "role": "legal_rep"}])
    report = run_load(store, folder, pii_secret)
    assert report.reconciles
    bad = quarantined(report)
    # US dollars are refused: the subject loads without its capital
    assert [(q["line"], q["code"], q["column"], q["loaded"]) for q in bad] == [
        (5, "bad_number", "registered_capital", True)]
    rows = {r["u"]: r for r in store.read(
        "MATCH (s:Subject) RETURN s.uscc AS u, s.kind AS k, s.status AS st, "
        "s.registered_capital AS c, s.registered_on AS d")}
    assert (rows[uscc(1)]["k"], rows[uscc(1)]["st"], rows[uscc(1)]["c"]) == ("enterprise", "active", 5e5)
    assert (rows[uscc(2)]["k"], rows[uscc(2)]["st"], rows[uscc(2)]["c"]) == ("branch", "revoked", 1.2e8)
    assert (rows[uscc(3)]["st"], rows[uscc(3)]["d"].to_native()) == ("cancelled", dt.date(2015, 3, 4))
    # the full-width ID and its ASCII form are one person; the legacy ID is its 18-digit form
    reps = store.read("MATCH (p:Person)-[:LEGAL_REP_OF]->(s:Subject) "
                      "RETURN s.uscc AS u, p.name AS n, p.masked_id AS m ORDER BY u")
    assert [(r["u"], r["n"]) for r in reps] == [(uscc(1), "全角"), (uscc(2), "旧证")]
    assert reps[1]["m"] == "370802********123X"


def test_resident_ids_in_free_text_are_masked_before_they_are_stored(
        store: Store, tmp_path: Path, pii_secret: bytes) -> None:
    folder = small_city(tmp_path / "in", n=2)
    clear, legacy = person_id(5), "370802900101123"
    write_csv(folder, "penalties.csv", [
        {"penalty_id": "P9", "subject_uscc": uscc(1), "decided_on": "2023-01-02",
         "severity": "general", "reason": f"法定代表人赵六（身份证{clear}）无证经营"}])
    write_csv(folder, "list_entries.csv", [
        {"subject_uscc": uscc(2), "list": "abnormal_operation", "listed_on": "2022-01-01",
         "reason": f"负责人旧证{legacy}未年报"}])
    run_load(store, folder, pii_secret)
    blob = json.dumps(store.read("MATCH (n) RETURN properties(n) AS p"), default=str,
                      ensure_ascii=False)
    assert clear not in blob and legacy not in blob
    assert f"身份证{clear[:6]}********{clear[-4:]}）" in blob and "旧证370802******123未年报" in blob


def test_a_later_roles_file_without_share_or_since_leaves_them(store: Store, tmp_path: Path,
                                                               pii_secret: bytes) -> None:
    folder = small_city(tmp_path / "in", n=2)
    write_csv(folder, "roles_shares.csv", [
        {"subject_uscc": uscc(1), "holder_person_id": person_id(2), "role": "shareholder",
         "share_pct": "60%", "since": "2020-01-01"}])
    run_load(store, folder, pii_secret)
    later = tmp_path / "later"
    write_csv(later, "roles_2025.csv", [
        {"subject_uscc": uscc(1), "holder_person_id": person_id(2), "role": "shareholder"}])
    assert run_load(store, later, pii_secret).reconciles
    row = store.read("MATCH (:Person)-[h:HOLDS]->(s:Subject {uscc: $u}) "
                     "RETURN h.pct AS pct, h.since AS since", u=uscc(1))[0]
    assert (row["pct"], row["since"].to_native()) == (60.0, dt.date(2020, 1, 1))
    write_csv(later, "roles_2025.csv", [  # a carried, empty cell clears the value
        {"subject_uscc": uscc(1), "holder_person_id": person_id(2), "role": "shareholder",
         "share_pct": "", "since": "2020-01-01"}])
    run_load(store, later, pii_secret)
    row = store.read("MATCH (:Person)-[h:HOLDS]->(s:Subject {uscc: $u}) RETURN h.pct AS pct",
                     u=uscc(1))[0]
    assert row["pct"] is None


def test_id_shaped_codes_stay_and_spaced_ids_never_reach_the_quarantine(
        store: Store, tmp_path: Path, pii_secret: bytes) -> None:
    folder = small_city(tmp_path / "in", n=2)
    task, item = "370800202403050001", "370800240305001"  # codes shaped like resident IDs
    write_csv(folder, "items.csv", [{"item_code": item, "department": "食品经营监管科"}])
    write_csv(folder, "inspections.csv", [
        {"inspection_id": "I9", "subject_uscc": uscc(1), "task_id": task, "item_code": item,
         "inspected_on": "2024-06-01", "outcome": "pass"}])
    spaced = person_id(8)
    spaced = f"{spaced[:6]} {spaced[6:14]} {spaced[14:]}"  # accepted as an ID this way
    write_csv(folder, "persons_more.csv", [{"person_id": spaced, "name": ""}])  # no name
    report = run_load(store, folder, pii_secret)
    row = store.read("MATCH (i:Inspection {inspection_id: 'I9'}) RETURN i.task_id AS t, "
                     "i.item_code AS c")[0]
    assert (row["t"], row["c"]) == (task, item)
    text = Path(report.quarantine_file).read_text()
    assert "missing_value" in text and person_id(8) not in text and spaced not in text


def test_a_folder_with_no_input_file_is_an_error(store: Store, tmp_path: Path,
                                                 pii_secret: bytes) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "README.txt").write_text("nothing here yet")
    with pytest.raises(FileNotFoundError, match="holds no input file"):
        run_load(store, folder, pii_secret)


def test_a_mistyped_id_is_masked_in_the_quarantine_too(store: Store, tmp_path: Path,
                                                       pii_secret: bytes) -> None:
    folder = small_city(tmp_path / "in", n=2)
    typo = "370802199013451234"  # month 13: refused as an ID, still a person's number
    write_csv(folder, "persons_typo.csv", [{"person_id": typo, "name": "错号"}])
    write_csv(folder, "penalties_typo.csv", [
        {"penalty_id": "P8", "subject_uscc": uscc(1), "decided_on": "2099-01-01",
         "severity": "general", "reason": f"当事人身份证{typo}"}])  # a future date: refused
    report = run_load(store, folder, pii_secret)
    text = Path(report.quarantine_file).read_text()
    assert "bad_person_id" in text and "future_date" in text and typo not in text


def test_a_bad_optional_value_loses_neither_the_row_nor_the_stored_value(
        store: Store, tmp_path: Path, pii_secret: bytes) -> None:
    folder = tmp_path / "in"
    write_csv(folder, "subjects.csv", [subject(1, registered_capital="100"),
                                       subject(2, registered_on="2099-01-01")])
    write_csv(folder, "penalties.csv", [
        {"penalty_id": "P1", "subject_uscc": uscc(2), "decided_on": "2024-01-01",
         "severity": "general", "repaired_on": "2023-01-01"}])  # repaired before decided
    write_csv(folder, "list_entries.csv", [
        {"list": "abnormal_operation", "listed_on": "2024-05-01", "subject_uscc": uscc(2),
         "removed_on": "2024-04-01"}])  # removed before listed: still listed
    report = run_load(store, folder, pii_secret)
    assert report.reconciles and report.totals["quarantined"] == 0
    # the subject with a future registration day loaded, and so did its penalty and listing
    # (before, they followed it into the quarantine as unknown_subject)
    got = store.read("MATCH (p:Penalty)-[:IMPOSED_ON]->(s:Subject) "
                     "RETURN s.uscc AS u, p.repaired_on AS r")
    assert got == [{"u": uscc(2), "r": None}]
    got = store.read("MATCH (e:ListEntry)-[:LISTS]->(s:Subject) RETURN e.removed_on AS r")
    assert got == [{"r": None}]
    codes = sorted((q["file"], q["column"], q["code"], q["loaded"]) for q in quarantined(report))
    assert codes == [("list_entries.csv", "removed_on", "bad_date", True),
                     ("penalties.csv", "repaired_on", "bad_date", True),
                     ("subjects.csv", "registered_on", "future_date", True)]
    # a later export with an unreadable capital leaves the stored one alone
    update = tmp_path / "update"
    write_csv(update, "subjects.csv", [subject(1, registered_capital="一百")])
    report = run_load(store, update, pii_secret)
    assert report.totals["loaded"] == 1 and report.files[0].cleared == 1
    got = store.read(f"MATCH (s:Subject {{uscc: '{uscc(1)}'}}) RETURN s.registered_capital AS c")
    assert got[0]["c"] == 100


def test_cleared_values_of_a_duplicate_row_are_not_reported_and_words_load(
        store: Store, tmp_path: Path, pii_secret: bytes) -> None:
    folder = tmp_path / "in"
    write_csv(folder, "subjects.csv", [
        subject(1, registered_capital="100"),
        subject(1, registered_capital="100"),                  # the same row: a duplicate
        subject(1, registered_capital="很多", name="改名"),     # a later row: it updates
        subject(2, status="歇业"), subject(3, status="已迁出"), subject(4, status="除名"),
        subject(5, address="建设路\x001号")])                   # a NUL in an optional column
    write_csv(folder, "items.csv", [
        {"item_code": "K1", "department": "d1", "key_item": "safety"},
        {"item_code": "K2", "department": "d1", "key_item": "否"}])
    report = run_load(store, folder, pii_secret)
    assert report.reconciles and report.totals["quarantined"] == 0
    records = quarantined(report)
    # the duplicate is not applied; the later row is, without its unreadable capital
    assert [(q["line"], q["code"], q["loaded"]) for q in records if q["line"] in (3, 4)] == [
        (3, "duplicate_key", False), (4, "bad_number", True)]
    assert [(q["column"], q["code"]) for q in records if q["loaded"]] == [
        ("registered_capital", "bad_number"), ("address", "nul_byte")]
    assert report.totals["cleared"] == 2 and "2 bad value(s)" in report.table()
    assert report.totals["superseded"] == 1 and "the later row wins" in report.table()
    first = store.read(f"MATCH (s:Subject {{uscc: '{uscc(1)}'}}) "
                       "RETURN s.name AS n, s.registered_capital AS c")
    assert first == [{"n": "改名", "c": 100}]  # the later name; the capital read before stays
    rows = {r["u"]: r for r in store.read(
        "MATCH (s:Subject) RETURN s.uscc AS u, s.status AS st, s.address AS a")}
    assert [rows[uscc(i)]["st"] for i in (2, 3, 4)] == ["active", "cancelled", "revoked"]
    assert rows[uscc(5)]["a"] is None
    items = {r["c"]: r["k"] for r in store.read("MATCH (i:Item) RETURN i.item_code AS c, "
                                                 "i.key_item AS k")}
    assert items == {"K1": True, "K2": False}  # a word naming the kind of key item is key


def test_yearly_files_in_one_folder_end_as_two_loads_would(store: Store, tmp_path: Path,
                                                          pii_secret: bytes) -> None:
    # a bureau hands over a year per file: the later file's rows update the earlier's
    base = small_city(tmp_path / "base", n=30)
    year_2025 = [subject(i, status="注销" if i % 3 == 0 else "active",
                         registered_capital="50万元" if i % 3 == 1 else "")
                 for i in range(1, 31)]
    # a role whose since changed in 2025, the same key batched twice in one chunk
    roles_2025 = [{"subject_uscc": uscc(i), "holder_person_id": person_id(i),
                   "holder_uscc": "", "role": "legal_rep", "share_pct": "",
                   "since": "2025-01-02"} for i in range(1, 6)]
    together = tmp_path / "together"
    shutil.copytree(base, together)
    write_csv(together, "subjects_2025.csv", year_2025)
    write_csv(together, "roles_2025.csv", roles_2025)
    report = run_load(store, together, pii_secret, batch_size=4)
    assert report.reconciles
    by_file = {f.file: f for f in report.files}
    # rows that changed update their key; the ten unchanged ones are duplicates
    assert (by_file["subjects_2025.csv"].superseded,
            by_file["subjects_2025.csv"].duplicates) == (20, 10)
    assert by_file["roles_2025.csv"].superseded == 5
    one_load = dump(store)
    statuses = {r["st"] for r in store.read(
        "MATCH (s:Subject) WHERE s.uscc IN $u RETURN s.status AS st",
        u=[uscc(i) for i in range(3, 31, 3)])}
    assert statuses == {"cancelled"}

    store.write("MATCH (n) DETACH DELETE n")
    run_load(store, base, pii_secret, batch_size=4)
    later = tmp_path / "later"
    write_csv(later, "subjects_2025.csv", year_2025)
    write_csv(later, "roles_2025.csv", roles_2025)
    run_load(store, later, pii_secret, batch_size=4)
    assert dump(store) == one_load

    # within one file too: the same key twice in one batch, the later row wins
    store.write("MATCH (n) DETACH DELETE n")
    again = tmp_path / "again"
    write_csv(again, "subjects.csv", [subject(1), subject(1, status="吊销，未注销")])
    report = run_load(store, again, pii_secret)
    assert report.files[0].superseded == 1 and report.files[0].loaded == 2
    got = store.read(f"MATCH (s:Subject {{uscc: '{uscc(1)}'}}) RETURN s.status AS st")
    assert got == [{"st": "revoked"}]


def test_registry_headers_and_result_words_load_and_unread_headers_are_named(
        store: Store, tmp_path: Path, pii_secret: bytes) -> None:
    # Headers and words of a bureau's own exports, not the contract's names.
    folder = tmp_path / "in"
    header = ["统一社会信用代码", "企业名称", "企业类型", "所属行业", "所属区域", "住所", "联系方式",
              "成立日期", "经营状态", "注册资本（万元）", "备注"]
    write_csv(folder, "subjects.csv", [
        dict(zip(header, [uscc(1), "甲店", "有限责任公司(自然人投资或控股)", "正餐服务", "任城区",
                          "任城区古槐路1号", "13800138000", "2015-03-04", "吊销，未注销", "50",
                          "年报未报"], strict=True)),
        dict(zip(header, [uscc(2), "乙店", "个体工商户", "美发及美容服务", "任城区",
                          "任城区古槐路2号", "0537-1234567", "2016-05-06", "注销", "30万元", ""],
                     strict=True))])
    write_csv(folder, "list_entries.csv", [
        {"统一社会信用代码": uscc(1), "名单类型": "经营异常名录", "列入时间": "2022-01-01",
         "移出时间": "2023-06-30", "作出决定机关": "任城区市场监管局"}])
    words = ["未发现违法违规行为", "正常", "符合要求", "合格", "责令限期整改", "发现问题，已责令改正",
             "不符合要求", "不合格", "未发现该主体", "查无此户", "无法联系"]
    write_csv(folder, "inspections.csv", [
        {"检查编号": f"I{i}", "统一社会信用代码": uscc(1), "检查时间": "2024-06-01", "检查结果": w}
        for i, w in enumerate(words)])
    report = run_load(store, folder, pii_secret)
    assert report.reconciles and report.totals["quarantined"] == 0
    assert report.over_quarantine_share == []
    row = store.read("MATCH (s:Subject {uscc: $u}) RETURN s.kind AS k, s.industry AS i, "
                     "s.status AS st, s.registered_capital AS c, s.phone AS p", u=uscc(1))[0]
    assert row == {"k": "enterprise", "i": "正餐服务", "st": "revoked", "c": 5e5,
                   "p": "13800138000"}
    second = store.read("MATCH (s:Subject {uscc: $u})-[:USES_PHONE]->(p) RETURN s.status AS st, "
                        "s.registered_capital AS c, p.key AS p", u=uscc(2))[0]
    assert second == {"st": "cancelled", "c": 3e5, "p": "05371234567"}  # 30万元 keeps its unit
    removed = store.read("MATCH (e:ListEntry) RETURN e.removed_on AS r")[0]["r"]
    assert removed.to_native() == dt.date(2023, 6, 30)
    outcomes = [r["o"] for r in store.read(
        "MATCH (i:Inspection) RETURN i.outcome AS o ORDER BY toInteger(substring(i.inspection_id, 1))")]
    assert outcomes == ["pass"] * 4 + ["fail"] * 4 + ["not_found"] * 3
    # the report says which header went where, and which were not read
    files = {f["file"]: f for f in json.loads(json.dumps(report.to_dict()))["files"]}
    assert files["subjects.csv"]["headers"]["注册资本（万元）"] == "registered_capital"
    assert files["subjects.csv"]["headers"]["企业类型"] == "kind"
    assert files["subjects.csv"]["header_units"] == {"registered_capital": 10000.0}
    assert list(files["subjects.csv"]["ignored_headers"]) == ["备注"]
    assert files["list_entries.csv"]["headers"]["移出时间"] == "removed_on"
    assert files["inspections.csv"]["ignored_headers"] == {}
    warnings = [line for line in report.table().splitlines() if "WARNING" in line]
    assert len(warnings) == 1 and "备注" in warnings[0]
    # the table shows a file's mapping where a header is not the column's own name
    mapped = [line for line in report.table().splitlines() if "headers:" in line]
    assert any("注册资本（万元）→registered_capital ×10,000" in line for line in mapped)


def test_a_file_mostly_quarantined_is_named_by_the_report(store: Store, tmp_path: Path,
                                                           pii_secret: bytes) -> None:
    folder = small_city(tmp_path / "in", n=4)
    write_csv(folder, "inspections.csv", [
        {"inspection_id": f"I{i}", "subject_uscc": uscc(1), "inspected_on": "2024-06-01",
         "outcome": outcome} for i, outcome in enumerate(["pass", "fail", "基本合格", "待定", "pass"])])
    report = run_load(store, folder, pii_secret)
    assert report.reconciles  # the bad rows are accounted for, as always
    assert [f.file for f in report.over_quarantine_share] == ["inspections.csv"]
    error = report.quarantine_share_error()
    assert error is not None and "inspections.csv: 2 of 5 rows (40 %)" in error
    assert "ERROR 40 % of the rows quarantined, more than 20 %" in report.table()
    assert report.to_dict()["over_quarantine_share"] == ["inspections.csv"]
    assert [q["code"] for q in quarantined(report)] == ["bad_enum", "bad_enum"]  # nothing lost
    assert run_load(store, folder, pii_secret, max_quarantine_share=0.5).over_quarantine_share == []
    with pytest.raises(ValueError, match="between 0 and 1"):
        LoadOptions(today=TODAY, pii_secret=pii_secret, quarantine_path=tmp_path / "q",
                    max_quarantine_share=20)


def test_a_change_log_is_written_in_batches_not_a_write_per_row(
        store: Store, tmp_path: Path, pii_secret: bytes) -> None:
    # each key twice, one after the other (registered, then a change): the later row is
    # merged into the batch's earlier one, not written in a batch of its own
    from dataclasses import dataclass, field

    @dataclass(frozen=True)
    class Counting(Store):
        writes: list = field(default_factory=list)

        def write(self, query: str, **params: object):
            self.writes.append(len(params.get("rows", ())))  # type: ignore[arg-type]
            return super().write(query, **params)

    folder = tmp_path / "changes"
    rows = []
    for i in range(1, 301):
        rows += [subject(i), subject(i, status="注销", registered_capital="很多")]
    write_csv(folder, "subjects.csv", rows)
    counting = Counting(store.driver, store.database, store.kind)
    report = run_load(counting, folder, pii_secret, batch_size=100)
    f = report.files[0]
    assert report.reconciles and (f.read, f.loaded, f.superseded) == (600, 600, 300)
    batches = [n for n in counting.writes if n]  # not the schema's statements
    assert len(batches) <= 8  # 300 keys in batches of 100 (it was 300 writes)
    statuses = {r["st"] for r in store.read("MATCH (s:Subject) RETURN s.status AS st")}
    assert statuses == {"cancelled"}


def test_an_inspector_twice_in_one_batch_ends_as_two_loads_would(
        store: Store, tmp_path: Path, pii_secret: bytes) -> None:
    # an inspector's person is named when created: the second row (another name, another
    # department) must not rename it, and both rows' persons must exist, as two loads
    # would leave them
    def rows(folder: Path, which: list[dict]) -> Path:
        write_csv(folder, "inspectors.csv", which)
        return folder

    first = {"inspector_id": "E1", "person_id": person_id(900, "19850505"), "name": "王检",
             "department": "食品经营监管科", "region": "任城区", "qualifications": "SP01"}
    second = {**first, "person_id": person_id(901, "19860606"), "name": "",
              "department": "市场秩序科"}
    run_load(store, rows(tmp_path / "together", [first, second]), pii_secret)
    together = dump(store)
    store.write("MATCH (n) DETACH DELETE n")
    run_load(store, rows(tmp_path / "one", [first]), pii_secret)
    run_load(store, rows(tmp_path / "two", [second]), pii_secret)
    assert dump(store) == together


def test_an_inspection_that_names_its_item_gets_the_items_code(store: Store, tmp_path: Path,
                                                               pii_secret: bytes) -> None:
    # result publications name the item (食品经营检查) where the catalogue codes it (SP01)
    folder = small_city(tmp_path / "in", n=3)
    write_csv(folder, "items_more.csv", [
        {"item_code": "X1", "department": "d", "name": "重名事项"},
        {"item_code": "X2", "department": "d", "name": "重名事项"}])
    write_csv(folder, "inspections_named.csv", [
        {"inspection_id": "N1", "subject_uscc": uscc(1), "inspected_on": "2024-06-01",
         "outcome": "pass", "item_code": "食品经营 检查"},   # the name, a space typed in
        {"inspection_id": "N2", "subject_uscc": uscc(1), "inspected_on": "2024-06-01",
         "outcome": "pass", "item_code": "重名事项"},        # two items bear it: as written
        {"inspection_id": "N3", "subject_uscc": uscc(1), "inspected_on": "2024-06-01",
         "outcome": "pass", "item_code": "SP01"}])
    run_load(store, folder, pii_secret)
    later = tmp_path / "later"  # a later load: the catalogue is the store's
    write_csv(later, "inspections.csv", [
        {"inspection_id": "N4", "subject_uscc": uscc(2), "inspected_on": "2024-07-01",
         "outcome": "fail", "item_code": "食品经营检查"}])
    run_load(store, later, pii_secret)
    got = {r["i"]: r["c"] for r in store.read(
        "MATCH (i:Inspection) WHERE i.inspection_id STARTS WITH 'N' "
        "RETURN i.inspection_id AS i, i.item_code AS c")}
    assert got == {"N1": "SP01", "N2": "重名事项", "N3": "SP01", "N4": "SP01"}


def test_commitments_load_with_a_bureaus_headers_and_words(store: Store, tmp_path: Path,
                                                           pii_secret: bytes) -> None:
    folder = tmp_path / "in"
    write_csv(folder, "subjects.csv", [subject(1), subject(2)])
    rows = [("CM1", uscc(1), "2025-01-02", "2025-03-01", "已履诺", "2025-03-15"),
            ("CM2", uscc(1), "2025-02-02", "2027-02-01", "待核查", ""),  # deadline to come
            ("CM3", uscc(2), "2025-02-02", "2025-04-01", "未履诺", "2025-01-01"),  # bad day
            ("CM4", uscc(2), "2025-02-02", "2025-04-01", "说不清", "2025-05-01"),  # bad word
            ("CM5", uscc(9), "2025-02-02", "2025-04-01", "已履诺", "2025-05-01")]  # no subject
    # a verification export's result column too, and the category of commitment: the
    # file's 履诺情况 is read, whichever comes first, and 承诺类型 is not the matter
    header = ["承诺编号", "统一社会信用代码", "承诺日期", "履诺期限", "核查结果", "履诺情况", "核查日期",
              "承诺类型"]
    write_csv(folder, "commitments.csv", [
        dict(zip(header, [*r[:4], "符合", r[4], r[5], "审批替代型"], strict=True)) for r in rows])
    # verification results as such exports word them
    words = ["符合承诺", "不符合承诺", "与承诺不符", "承诺不实", "违反承诺", "核查不通过", "未到履诺期限"]
    write_csv(folder, "commitments_check.csv", [
        {"承诺编号": f"V{i}", "统一社会信用代码": uscc(2), "承诺日期": "2025-02-02",
         "核查结果": w, "核查日期": "2025-06-01"} for i, w in enumerate(words)])
    report = run_load(store, folder, pii_secret, max_quarantine_share=0.5)
    assert report.reconciles
    codes = sorted((q["code"], q.get("column"), q.get("loaded", False))
                   for q in quarantined(report))
    # an unread fulfilment loses its row: a commitment is there for its outcome
    assert codes == [("bad_date", "verified_on", True), ("bad_enum", None, False),
                     ("unknown_subject", None, False)]
    files = {f["file"]: f for f in json.loads(json.dumps(report.to_dict()))["files"]}
    assert files["commitments.csv"]["headers"]["履诺情况"] == "fulfilment"
    assert files["commitments.csv"]["ignored_headers"] == {
        "核查结果": "fulfilment is read from '履诺情况'",
        "承诺类型": "not a column of the contract"}
    checks = dict(store.rows("MATCH (c:Commitment) WHERE c.commitment_id STARTS WITH 'V' "
                             "RETURN c.commitment_id, c.fulfilment"))
    assert [checks[f"V{i}"] for i in range(len(words))] == [
        "kept", "broken", "broken", "broken", "broken", "broken", "pending"]
    got = {r["id"]: r for r in store.read(
        "MATCH (c:Commitment)-[:MADE_BY]->(s:Subject) WHERE c.commitment_id STARTS WITH 'CM' "
        "RETURN c.commitment_id AS id, "
        "s.uscc AS u, c.fulfilment AS f, toString(c.due_on) AS due, "
        "toString(c.verified_on) AS v")}
    assert got == {
        "CM1": {"id": "CM1", "u": uscc(1), "f": "kept", "due": "2025-03-01", "v": "2025-03-15"},
        "CM2": {"id": "CM2", "u": uscc(1), "f": "pending", "due": "2027-02-01", "v": None},
        "CM3": {"id": "CM3", "u": uscc(2), "f": "broken", "due": "2025-04-01", "v": None}}


def test_roles_carry_the_day_they_ended(store: Store, tmp_path: Path,
                                        pii_secret: bytes) -> None:
    from riskgraph.graph.projection import project

    folder = small_city(tmp_path / "in", n=3)
    header = ["统一社会信用代码", "身份证号码", "职务", "任职日期", "离任日期"]
    rows = [(uscc(1), person_id(3), "supervisor", "2019-03-01", "2023-06-30"),  # ended
            (uscc(2), person_id(3), "supervisor", "2021-01-01", ""),  # lasts
            (uscc(3), person_id(2), "supervisor", "2022-05-01", "2021-01-01")]  # bad day
    write_csv(folder, "roles_officers.csv", [dict(zip(header, r, strict=True)) for r in rows])
    report = run_load(store, folder, pii_secret)
    assert report.reconciles
    files = {f["file"]: f for f in json.loads(json.dumps(report.to_dict()))["files"]}
    assert files["roles_officers.csv"]["headers"]["离任日期"] == "until"
    # a role that ended before it began keeps the role, without the end
    assert [(q["code"], q["column"], q["loaded"]) for q in quarantined(report)] == [
        ("bad_date", "until", True)]
    ties = project(store).ties
    officers = ties[ties["role"] == "supervisor"].set_index("subject_uscc")
    assert officers.loc[uscc(1), "until"] == pd.Timestamp("2023-06-30")
    assert officers[["since", "until"]].loc[[uscc(2), uscc(3)]].isna().to_numpy().tolist() \
        == [[False, True], [False, True]]


def test_a_later_file_ends_or_renews_a_stored_role(store: Store, tmp_path: Path,
                                                   pii_secret: bytes) -> None:
    def load_role(folder: Path, **days: str) -> None:
        # person 2 as an executive of subject 1, with the given since / until columns
        write_csv(folder, "roles_officers.csv", [
            {"subject_uscc": uscc(1), "holder_person_id": person_id(2), "role": "executive",
             **days}])
        assert run_load(store, folder, pii_secret).reconciles

    load_role(small_city(tmp_path / "in", n=2), since="2019-03-01", until="2022-06-30")
    query = ("MATCH (:Person)-[x:OFFICER_OF]->(:Subject {uscc: $u}) "
             "RETURN toString(x.since), toString(x.until)")
    assert store.rows(query, u=uscc(1)) == [("2019-03-01", "2022-06-30")]
    later = tmp_path / "later"
    # the holder came back: this year's current-roles file has no until column
    load_role(later, since="2024-03-01")
    assert store.rows(query, u=uscc(1)) == [("2024-03-01", None)]
    # and left again: a file with only the day of leaving keeps the day of coming
    load_role(later, until="2025-01-31")
    assert store.rows(query, u=uscc(1)) == [("2024-03-01", "2025-01-31")]
    # an until before the stored since cannot stand
    load_role(later, until="2023-01-31")
    assert store.rows(query, u=uscc(1)) == [("2024-03-01", None)]


def test_every_role_that_loads_is_projected_and_links(store: Store, tmp_path: Path,
                                                      pii_secret: bytes,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    """Each (holder, role) the validator accepts is written, read back as a known key on a
    reload, projected and linked: a subject named executive or supervisor of another (a
    partnership's managing partner) loaded but never linked before."""
    from riskgraph.etl.contract import ROLES
    from riskgraph.graph.projection import project
    from riskgraph.models.linkage import build_links

    folder = small_city(tmp_path / "in", n=30)
    rows, n = [], 1
    for role in ROLES:
        for holder in ("person", "subject"):
            n += 2  # subject n gets the role, held by person n+1 or subject n+1
            rows.append({"subject_uscc": uscc(n), "role": role, "since": "2018-01-01",
                         "holder_person_id": person_id(n + 1) if holder == "person" else "",
                         "holder_uscc": uscc(n + 1) if holder == "subject" else ""})
    write_csv(folder, "roles_all.csv", rows)
    report = run_load(store, folder, pii_secret)
    assert report.reconciles
    # a branch's head office is a subject, a legal representative a person
    assert sorted((q["code"], q["raw"]["role"]) for q in quarantined(report)) == [
        ("bad_reference", "branch_of"), ("bad_reference", "legal_rep")]
    ties = project(store).ties
    got = {(h, r) for h, r, s in ties[["holder_kind", "role", "since"]].itertuples(index=False)
           if s == pd.Timestamp("2018-01-01")}
    assert got == {("person", r) for r in ROLES if r != "branch_of"} | {
        ("subject", r) for r in ROLES if r != "legal_rep"}
    links = build_links(project(store))
    kinds = links.to_networkx([uscc(n - 2 * i) for i in range(len(rows))], hops=1)
    by_pair = {frozenset((a, b)): d["kinds"] for a, b, d in kinds.edges(data=True)}
    for row in rows:
        if row["holder_uscc"] and row["role"] != "legal_rep":
            want = {"shareholder": ["shareholding"], "branch_of": ["branch"]}.get(
                row["role"], ["officer"])
            assert by_pair[frozenset((row["subject_uscc"], row["holder_uscc"]))] == want, row
    # a reload knows every stored role: no create of one already there, the same graph
    before = dump(store)
    with caplog.at_level("WARNING"):
        assert run_load(store, folder, pii_secret).reconciles
    assert "create path failed" not in caplog.text
    assert dump(store) == before
