"""The `riskgraph db` lifecycle and `riskgraph load`, run as a user runs them."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd

from riskgraph.graph import embedded
from tests.factories import person_id, small_city, uscc, write_csv


def riskgraph(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "riskgraph.api.cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_db_lifecycle_and_load(tmp_path: Path) -> None:
    port = embedded.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env.update(RISKGRAPH_HOME=str(tmp_path / "home"), RISKGRAPH_BOLT_PORT=str(port),
               RISKGRAPH_HEAP="1g")
    assert riskgraph(env, "db", "status").returncode == 3
    try:
        first = riskgraph(env, "db", "start")
        assert first.returncode == 0, first.stderr
        again = riskgraph(env, "db", "start")  # starting twice is harmless
        assert again.returncode == 0 and "running" in again.stdout
        status = riskgraph(env, "db", "status")
        assert status.returncode == 0 and f"127.0.0.1:{port}" in status.stdout
        assert "answers" in status.stdout
        secret = tmp_path / "home" / "store" / "secrets" / "bolt_password"
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        # bound to loopback only
        listen = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True,
                                text=True).stdout
        assert "127.0.0.1" in listen and "0.0.0.0" not in listen and "*:" not in listen.split()[3]

        folder = small_city(tmp_path / "city")
        load = riskgraph(env, "load", str(folder), "--report", str(tmp_path / "r.json"))
        assert load.returncode == 0, load.stderr
        assert "total" in load.stdout and "graph:" in load.stdout
        pii = tmp_path / "home" / "store" / "secrets" / "pii_key"
        assert stat.S_IMODE(pii.stat().st_mode) == 0o600
        (folder / "README.txt").write_text("exported 2026-11-27\n")  # no entity kind
        reload = riskgraph(env, "load", str(folder))
        assert reload.returncode == 0, reload.stdout
        nodes = [line for line in load.stdout.splitlines() if line.startswith("graph:")]
        assert nodes == [line for line in reload.stdout.splitlines() if line.startswith("graph:")]
        # this year's roles: person 1 took subject 2 over from person 2 in June 2024
        # (person 2's old row stays in the store; person 2 is also an officer of subject
        # 3), person 3 was an officer of subjects 1 and 3 until 2023
        changes = tmp_path / "changes"
        write_csv(changes, "roles_2024.csv", [
            {"subject_uscc": uscc(2), "holder_person_id": person_id(1), "role": "legal_rep",
             "since": "2024-06-01"},
            {"subject_uscc": uscc(3), "holder_person_id": person_id(2), "role": "executive",
             "since": "2019-01-01"},
            *[{"subject_uscc": uscc(i), "holder_person_id": person_id(3), "role": "executive",
               "since": "2019-01-01", "until": "2023-12-31"} for i in (1, 3)]])
        assert riskgraph(env, "load", str(changes)).returncode == 0
        linked = []
        for day in ("2023-06-01", "2024-03-01", "2024-07-01"):
            out = tmp_path / f"features_{day}.parquet"
            run = riskgraph(env, "features", "--as-of", day, "--out", str(out))
            assert run.returncode == 0, run.stderr
            f = pd.read_parquet(out)
            linked.append([*f.loc[uscc(1), ["linked_subjects_1hop", "legal_rep_other_subjects"]],
                           f.loc[uscc(3), "linked_subjects_1hop"]])
        assert linked == [[1, 0, 2], [0, 0, 1], [1, 1, 0]]
        # a file rejected whole fails the command (exit 1), though the rest loads
        write_csv(folder, "complaints_2025.csv", [{"complaint_id": "C99", "received_on": "2025-01-01"}])
        partial = riskgraph(env, "load", str(folder))
        assert partial.returncode == 1 and "REJECTED" in partial.stdout
        # a file mostly quarantined fails it too, once the report and quarantine are written
        words = tmp_path / "words"
        write_csv(words, "inspections.csv", [
            {"inspection_id": f"W{i}", "subject_uscc": uscc(1), "inspected_on": "2024-06-01",
             "outcome": outcome} for i, outcome in enumerate(["合格", "基本合格", "待定"])])
        report, quarantine = tmp_path / "words.json", tmp_path / "words.jsonl"
        failed = riskgraph(env, "load", str(words), "--report", str(report),
                           "--quarantine", str(quarantine))
        errors = [line for line in failed.stderr.splitlines() if line.startswith("error [")]
        assert failed.returncode == 1 and "Traceback" not in failed.stderr
        assert len(errors) == 1 and errors[0].startswith("error [too_many_quarantined]: ")
        assert "inspections.csv: 2 of 3 rows" in errors[0] and "ERROR" in failed.stdout
        assert json.loads(report.read_text())["over_quarantine_share"] == ["inspections.csv"]
        assert len(quarantine.read_text().splitlines()) == 2
        lenient = riskgraph(env, "load", str(words), "--max-quarantine-share", "0.7")
        assert lenient.returncode == 0, lenient.stderr
    finally:
        stop = riskgraph(env, "db", "stop")
    assert stop.returncode == 0 and "stopped" in stop.stdout
    assert riskgraph(env, "db", "status").returncode == 3


def test_store_down_is_a_clear_error(tmp_path: Path) -> None:
    env = dict(os.environ, RISKGRAPH_HOME=str(tmp_path / "home"),
               NEO4J_URI=f"bolt://127.0.0.1:{embedded.free_port()}", NEO4J_PASSWORD="x",
               RISKGRAPH_RETRY_SECONDS="1")
    for args in (("db", "status"), ("load", str(small_city(tmp_path / "city")))):
        result = riskgraph(env, *args, timeout=120)
        assert result.returncode == 2
        assert "error [store_unavailable]" in result.stderr
        assert "Traceback" not in result.stderr
        errors = [line for line in result.stderr.splitlines() if line.startswith("error [")]
        assert len(errors) == 1 and result.stderr.strip().endswith(errors[0])  # one line


def test_bad_settings_and_paths_are_one_line_errors(tmp_path: Path) -> None:
    env = dict(os.environ, RISKGRAPH_HOME=str(tmp_path / "home"), RISKGRAPH_BOLT_PORT="abc")
    bad_port = riskgraph(env, "db", "status", timeout=60)
    assert bad_port.returncode == 2 and "error [invalid_input]" in bad_port.stderr
    assert "Traceback" not in bad_port.stderr
    env["RISKGRAPH_BOLT_PORT"] = str(embedded.free_port())
    taken = tmp_path / "a_file"
    taken.write_text("x")
    exists = riskgraph(env, "generate", "--scale", "200", str(taken), timeout=120)
    assert exists.returncode == 2 and "error [file_error]" in exists.stderr
    assert "Traceback" not in exists.stderr


def test_bad_class_cuts_are_a_clear_error_before_any_work(tmp_path: Path) -> None:
    env = dict(os.environ, RISKGRAPH_HOME=str(tmp_path / "home"),
               NEO4J_URI=f"bolt://127.0.0.1:{embedded.free_port()}", NEO4J_PASSWORD="x",
               RISKGRAPH_RETRY_SECONDS="1")
    result = riskgraph(env, "score", "--class-cuts", "relative:2,1,3", timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "error [invalid_input]" in result.stderr and "increasing" in result.stderr
