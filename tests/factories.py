"""Small factories for test data: valid codes and contract files written in the test."""

from __future__ import annotations

import csv
from pathlib import Path

from riskgraph.etl.codes import resident_id_check_char, uscc_check_char


def uscc(n: int, region: str = "370800") -> str:
    """Return a valid USCC numbered ``n``."""
    body = f"92{region}MA{n:07d}"
    return body + uscc_check_char(body)


def person_id(n: int, born: str = "19800101") -> str:
    """Return a valid resident ID numbered ``n``."""
    body = f"370802{born}{n % 1000:03d}"
    return body + resident_id_check_char(body)


def write_csv(folder: Path, name: str, rows: list[dict], encoding: str = "utf-8",
              header: list[str] | None = None) -> Path:
    """Write rows as a CSV file with a header."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    fields = header or list(dict.fromkeys(k for row in rows for k in row))
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def subject(n: int, **overrides: object) -> dict:
    """Return a valid subject row."""
    row = {"uscc": uscc(n), "name": f"测试{n}号店", "kind": "individual", "industry": "餐饮服务",
           "region": "任城区", "address": f"山东省济宁市任城区古槐路{n}号", "phone": "",
           "registered_on": "2015-03-04", "status": "active", "registered_capital": "",
           "key_sector": "false"}
    row.update(overrides)
    return row


def small_city(folder: Path, n: int = 20) -> Path:
    """Write a small valid folder of every kind."""
    write_csv(folder, "items.csv", [
        {"item_code": "SP01", "department": "食品经营监管科", "area": "食品", "name": "食品经营检查",
         "key_item": "true"}])
    write_csv(folder, "subjects.csv", [subject(i) for i in range(1, n + 1)])
    write_csv(folder, "persons.csv", [{"person_id": person_id(i), "name": f"张{i}"}
                                      for i in range(1, n + 1)])
    write_csv(folder, "roles.csv", [
        {"subject_uscc": uscc(i), "holder_person_id": person_id(i), "holder_uscc": "",
         "role": "legal_rep", "share_pct": "", "since": "2015-03-04"} for i in range(1, n + 1)])
    write_csv(folder, "complaints.csv", [
        {"complaint_id": f"C{i}", "subject_uscc": uscc(i), "received_on": "2024-05-06",
         "channel": "12315", "category": "食品", "substantiated": "是"} for i in range(1, n + 1)])
    write_csv(folder, "penalties.csv", [
        {"penalty_id": f"P{i}", "subject_uscc": uscc(i), "department": "食品经营监管科",
         "decided_on": "2023-01-02", "severity": "general", "amount": "2000", "reason": "无证经营",
         "repaired_on": ""} for i in range(1, n // 2 + 1)])
    write_csv(folder, "commitments.csv", [
        {"commitment_id": f"CM{i}", "subject_uscc": uscc(i), "department": "食品经营监管科",
         "matter": "食品经营许可告知承诺", "made_on": "2024-01-02", "due_on": "2024-04-01",
         "fulfilment": ("kept", "broken", "pending")[i % 3],
         "verified_on": "" if i % 3 == 2 else "2024-05-06"} for i in range(1, n // 2 + 1)])
    write_csv(folder, "inspections.csv", [
        {"inspection_id": f"I{i}", "subject_uscc": uscc(i), "task_id": "T2024-1", "item_code": "SP01",
         "department": "食品经营监管科", "inspected_on": "2024-06-01",
         "outcome": "fail" if i % 3 == 0 else "pass"} for i in range(1, n + 1)])
    write_csv(folder, "list_entries.csv", [
        {"subject_uscc": uscc(1), "person_id": "", "list": "abnormal_operation",
         "listed_on": "2022-01-01", "removed_on": "", "authority": "任城区市场监管局",
         "reason": "未按期公示年报"}])
    write_csv(folder, "inspectors.csv", [
        {"inspector_id": "E1", "person_id": person_id(900, "19850505"), "name": "王检",
         "department": "食品经营监管科", "region": "任城区", "qualifications": "SP01"}])
    return folder
