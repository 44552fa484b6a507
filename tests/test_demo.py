"""`riskgraph demo` and the pipeline commands, run as an operator runs them."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import pandas as pd

from riskgraph.api.settings import Settings, open_store
from riskgraph.graph import embedded
from tests.test_cli_store import riskgraph


def test_demo_then_each_command(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env.update(RISKGRAPH_HOME=str(tmp_path / "home"),
               RISKGRAPH_BOLT_PORT=str(embedded.free_port()), RISKGRAPH_HEAP="1g")
    try:
        demo = riskgraph(env, "demo", "--scale", "4000", timeout=600)
        assert demo.returncode == 0, demo.stderr[-3000:]
        out = demo.stdout
        for stage in ("1. generate", "3. load", "4. train", "5. score", "6. evaluate",
                      "7. plan and draw", "where to look"):
            assert stage in out, stage
        assert "verify: match=True hash_ok=True chain_ok=True" in out
        grades = next(line for line in out.splitlines() if line.startswith("credit grades: "))
        counted = [int(part.split()[1].replace(",", "")) for part in grades[15:].split(" · ")]
        scored = next(line for line in out.splitlines() if line.startswith("scored "))
        assert sum(counted) == int(scored.split()[1].replace(",", "")) and counted[0] > 0
        # the task's ratios are solved for 2x by the model, or for the most its classes allow
        solved = next(line for line in out.splitlines() if line.startswith("ratios for "))
        assert "x by the model (key item, same size, no class below 1%)" in solved
        assert "2x" in solved or "no class ratios reach 2x" in out
        found = next(line for line in out.splitlines() if line.startswith("this draw, by the "
                                                                          "hidden truth"))
        assert float(found.rsplit(" ", 1)[-1].rstrip("x")) > 1.0  # risk-weighted finds more
        public = next(line.split()[-1] for line in out.splitlines() if "public draw list" in line)
        table = pd.read_csv(public)
        assert len(table) > 0 and {"uscc", "name", "items"} <= set(table.columns)
        draw_id = table["draw_id"].iloc[0]

        features = riskgraph(env, "features", "--as-of", "2026-09-30")
        assert features.returncode == 0 and "4,000 subjects" in features.stdout
        verify = riskgraph(env, "verify", draw_id)
        assert verify.returncode == 0 and "MATCH" in verify.stdout
        visits = riskgraph(env, "visits", draw_id)
        assert visits.returncode == 0 and "visits from 1 draws" in visits.stdout
        merged = pd.read_csv(visits.stdout.strip().rsplit(" ", 1)[-1])
        team = json.loads(merged["team"].iloc[0])  # JSON cells, not Python reprs
        assert json.loads(merged["draw_ids"].iloc[0]) == [draw_id] and team
        published = riskgraph(env, "publish", draw_id, "--out", str(tmp_path / "new" / "p.csv"))
        assert published.returncode == 0 and (tmp_path / "new" / "p.csv").exists()
        estimate = riskgraph(env, "estimate", draw_id)  # no results loaded yet
        assert estimate.returncode == 2 and "error [no_results]" in estimate.stderr
        missing = riskgraph(env, "verify", "NO-SUCH-DRAW")
        assert missing.returncode == 2 and "error [unknown_draw]" in missing.stderr
        bad = tmp_path / "bad.json"
        bad.write_text('{"id": "X", "departments": ["D"], "items": ["I"], "as_of": "2026-10-01", '
                       '"seed": 1, "class_ratios": {"A": 2}}')
        refused = riskgraph(env, "draw", str(bad))
        assert refused.returncode == 2 and "error [ratio_out_of_range]" in refused.stderr

        # a past day's scores go to a file, not to the graph the draws read, and say that
        # the current model learnt from later days
        settings = Settings.from_env(env)

        def graph_scores() -> list[tuple]:
            store = open_store(settings, start=False)
            try:
                return sorted(store.rows("MATCH (s:Subject) WHERE s.risk_prob IS NOT NULL "
                                         "RETURN s.uscc, s.risk_prob, toString(s.scored_at)"))
            finally:
                store.driver.close()

        home, day = tmp_path / "home", "2025-06-30"
        before = graph_scores()
        assert before and before[0][2] == str(dt.date.today())
        past = riskgraph(env, "score", "--as-of", day)
        assert past.returncode == 0, past.stderr
        assert "graph's scores are left as they were" in past.stdout
        assert f"on or after the as-of day {day}" in past.stdout
        assert graph_scores() == before
        table = pd.read_csv(home / "scores" / f"{day}.csv")
        assert set(table["risk_class"]) <= set("ABCD") and table["reasons_zh"].notna().any()
        # a back-test's model learns from the inspections before the day, is not made
        # current, and scores the day without the warning
        current = (home / "models" / "CURRENT").read_text()
        trained = riskgraph(env, "train", "--as-of", day, timeout=600)
        assert trained.returncode == 0, trained.stderr
        version = re.search(r"--model (\S+)", trained.stdout).group(1)
        assert (home / "models" / "CURRENT").read_text() == current != version
        card = json.loads((home / "models" / version / "model_card.json").read_text())
        assert card["training_window"][1] < day and card["as_of"] == day
        out = tmp_path / "backtest.csv"
        scored = riskgraph(env, "score", "--as-of", day, "--model", version, "--out", str(out))
        assert scored.returncode == 0 and f"with model {version}" in scored.stdout
        assert "warning: model" not in scored.stdout and graph_scores() == before
        assert len(pd.read_csv(out)) == len(table)
        # how the day's scores did on the inspections of the 180 days that followed
        judged = riskgraph(env, "evaluate", "--as-of", day, "--model", version, "--days", "180")
        assert judged.returncode == 0, judged.stderr
        assert "## Frozen scores" in judged.stdout and "Warning" not in judged.stdout
        assert (home / "evaluations" / f"{day}-180d-{version}.md").exists()
        leaky = riskgraph(env, "evaluate", "--as-of", day)
        assert leaky.returncode == 0 and "it learnt from the very inspections" in leaky.stdout
        kept = next((home / "evaluations").glob(f"{day}-90d-*.md")).read_text()
        assert "it learnt from the very inspections" in kept  # the report keeps it too
        alone = riskgraph(env, "evaluate", "--days", "30")
        assert alone.returncode == 2 and "give --as-of too" in alone.stderr
        bad_day = riskgraph(env, "score", "--as-of", "2026-13-01")
        assert bad_day.returncode == 2 and "--as-of '2026-13-01' is not a day" in bad_day.stderr

        # a city an earlier version wrote, without a file this one writes, is written again
        stale = tmp_path / "home" / "demo" / "city-4000-1" / "commitments.csv"
        stale.unlink()
        again = riskgraph(env, "demo", "--scale", "4000", timeout=600)
        assert again.returncode == 0, again.stderr[-3000:]
        assert "lacks commitments: generating it again" in again.stdout and stale.exists()
        loaded = [line.split() for line in again.stdout.splitlines()
                  if line.startswith("commitments.csv ")]  # the load report's row
        assert loaded and loaded[0][1] == "commitments" and loaded[0][-1] == "yes"
    finally:
        riskgraph(env, "db", "stop")
