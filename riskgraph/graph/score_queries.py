"""Cypher that writes scores back to subjects and reads them for reports."""

from __future__ import annotations

import datetime as dt
import uuid

import pandas as pd

from riskgraph.graph.store import Store

WRITE = """
UNWIND $rows AS r
MATCH (s:Subject {uscc: r.uscc})
SET s.risk_prob = r.prob, s.risk_class = r.risk_class, s.credit_points = r.credit_points,
    s.credit_grade = r.credit_grade, s.risk_reasons = r.reasons,
    s.scored_at = $scored_at, s.model_version = $version, s.score_run = $run
"""

# Every subject scored before but not in this run (cancelled, revoked, or not registered
# on a past as-of day) loses its scores, whichever model gave them.
CLEAR_UNSCORED = """
MATCH (s:Subject) WHERE s.model_version IS NOT NULL AND coalesce(s.score_run, '') <> $run
REMOVE s.risk_prob, s.risk_class, s.credit_points, s.credit_grade, s.risk_reasons,
       s.scored_at, s.model_version, s.score_run
"""

# One node per scoring run: how its classes were cut. With relative cuts a class depends
# on the mean probability of the subjects scored together, so the thresholds are kept. A
# later run of the same model and day is a run of its own, not an overwrite.
RUN = """
CREATE (r:ScoreRun {run: $run})
SET r.model_version = $version, r.scored_at = $scored_at, r.ran_at = $ran_at,
    r.class_cuts = $cuts, r.class_cut_points = $points, r.subjects = $subjects
"""

# Which scores the subjects carry: what a draw's risk classes come from.
IN_USE = """
MATCH (s:Subject) WHERE s.model_version IS NOT NULL
RETURN s.model_version AS version, toString(s.scored_at) AS scored_at, s.score_run AS run,
       count(s) AS subjects
ORDER BY subjects DESC
"""
RUN_CUTS = "MATCH (r:ScoreRun {run: $run}) RETURN r.class_cuts AS cuts"

CLASS_COUNTS = """
MATCH (s:Subject) WHERE s.risk_class IS NOT NULL
RETURN s.risk_class AS risk_class, count(s) AS subjects, avg(s.risk_prob) AS mean_prob
ORDER BY risk_class
"""


def write_scores(store: Store, scores: pd.DataFrame, version: str, scored_at: dt.date,
                 batch_size: int = 10_000) -> int:
    """Write prob, class, credit grade and reasons to each scored subject; return count.

    Subjects scored by an earlier run but not by this one (no longer active) lose their
    stale scores, even when the earlier run had the same model and day.
    """
    run = uuid.uuid4().hex
    rows = [{"uscc": u, "prob": float(p), "risk_class": c, "credit_points": int(pt),
             "credit_grade": g, "reasons": list(r)}
            for u, p, c, pt, g, r in zip(scores["uscc"], scores["prob"], scores["risk_class"],
                                         scores["credit_points"], scores["credit_grade"],
                                         scores["reasons"], strict=True)]
    for start in range(0, len(rows), batch_size):
        store.write(WRITE, rows=rows[start:start + batch_size], scored_at=scored_at,
                    version=version, run=run)
    store.write(CLEAR_UNSCORED, run=run)
    if "class_cuts" in scores.attrs:
        store.write(RUN, version=version, scored_at=scored_at, cuts=scores.attrs["class_cuts"],
                    ran_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    points=[float(x) for x in scores.attrs["class_cut_points"]],
                    subjects=len(rows), run=run)
    return len(rows)


def class_counts(store: Store) -> pd.DataFrame:
    """Return subjects and mean probability per risk class."""
    return pd.DataFrame(store.read(CLASS_COUNTS), columns=["risk_class", "subjects", "mean_prob"])


def scores_in_use(store: Store, as_of: str) -> list[str]:
    """Lines that say which scores a draw or plan as of ``as_of`` reads its risk classes
    from, with a warning for scores of another day than the task's last month or of
    several runs."""
    rows = store.rows(IN_USE)
    if not rows:
        return ["risk classes: no subject is scored (riskgraph score)"]
    lines = []
    for v, d, run, n in rows:
        cuts = store.value(RUN_CUTS, run=run)
        lines.append(f"risk classes: model {v} scored as of {d} ({n:,} subjects"
                     + (f", cut at {cuts})" if cuts else ")"))
    if len(rows) > 1:  # a run that stopped part-way: its subjects and the others differ
        lines.append("warning: the subjects carry scores of several runs")
    day = dt.date.fromisoformat(as_of)
    for _, d, _, _ in rows:
        age = (day - dt.date.fromisoformat(d)).days
        if not 0 <= age <= 31:
            lines.append(f"warning: scores as of {d} are {abs(age)} days "
                         f"{'before' if age > 0 else 'after'} the task's day {as_of}")
    return lines
