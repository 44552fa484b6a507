"""How one day's scores did on the inspections that followed it.

The model card judges a model on its test period with features fresh for each inspection.
A bureau deploys scores differently: it scores once, draws from those scores for weeks,
and learns the outcomes afterwards. ``followup`` scores every active subject as of a day
with a given model and judges those frozen scores on the pass/fail inspections of the
next ``days`` days — the check of a deployed model on the results fed back, and, with a
model trained ``as_of`` that day, an honest back-test.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from riskgraph.models.ablation import too_few_to_judge
from riskgraph.models.evaluation import Evaluation, evaluate, render_markdown
from riskgraph.models.frames import GraphFrames
from riskgraph.models.linkage import Links
from riskgraph.models.replay import ReplayResult, replay
from riskgraph.models.scores import score_subjects
from riskgraph.models.training import TrainedModel


@dataclass(frozen=True)
class Followup:
    """Frozen scores of ``as_of`` against the inspections of [as_of, as_of + days)."""

    model: str
    as_of: dt.date
    days: int
    inspections: int  # pass/fail inspections in the window
    unscored: int  # of those, of subjects not scored that day (not active, or not yet registered)
    failed_subjects: int  # subjects with a problem found in the window
    evaluation: Evaluation
    replay: ReplayResult | None  # None when no inspection of the window found a problem

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "as_of": self.as_of.isoformat(), "days": self.days,
                "inspections": self.inspections, "unscored": self.unscored,
                "failed_subjects": self.failed_subjects,
                "evaluation": self.evaluation.to_dict(),
                "replay": None if self.replay is None else self.replay.to_dict()}

    def markdown(self) -> str:
        end = self.as_of + dt.timedelta(days=self.days - 1)
        lines = [f"# Scores of {self.as_of} against the inspections that followed", "",
                 f"- model: {self.model}",
                 f"- inspections: {self.inspections:,} pass/fail from {self.as_of} to {end}; "
                 f"{self.unscored:,} of subjects not scored that day are left out", ""]
        if too_few_to_judge(self.evaluation.n_positive, self.failed_subjects):
            lines += [f"**Only {self.evaluation.n_positive} inspection(s) found a problem, at "
                      f"{self.failed_subjects} subject(s): the figures below are noise, not a "
                      "measure of the scores.** Judge them on more days (`--days`).", ""]
        if self.replay is not None:
            rp = self.replay
            lines += [f"Replayed in the order of these scores, keeping how many inspections "
                      f"each day had, problems are found {rp.days_earlier:.2f} days earlier, "
                      f"{100 * rp.first_half_share:.1f} % in the first half of the window "
                      f"(as it happened: {100 * rp.first_half_share_real:.1f} %).", ""]
        lines.append(render_markdown(self.evaluation, title="Frozen scores"))
        return "\n".join(lines)


def followup(frames: GraphFrames, model: TrainedModel, as_of: dt.date, days: int = 90,
             links: Links | None = None) -> Followup:
    """Score ``as_of`` with ``model`` and judge the scores on the next ``days`` days'
    pass/fail inspections (an inspection on ``as_of`` itself counts: the scores know only
    the facts before that day)."""
    if days < 1:
        raise ValueError(f"days must be at least 1, not {days}")
    ins = frames.inspections
    start, end = pd.Timestamp(as_of), pd.Timestamp(as_of + dt.timedelta(days=days))
    window = ins[(ins["inspected_on"] >= start) & (ins["inspected_on"] < end)
                 & ins["outcome"].isin(["pass", "fail"])]
    if window.empty:
        raise ValueError(f"no pass/fail inspection from {as_of} for {days} days: nothing to "
                         "judge the scores by (load the results, or choose an earlier day)")
    scores = score_subjects(frames, model, as_of, links=links).set_index("uscc")["prob"]
    prob = window["subject_uscc"].map(scores)
    scored = prob.notna().to_numpy()
    if not scored.any():
        raise ValueError(f"none of the {len(window):,} inspections from {as_of} is of a "
                         "subject scored that day")
    kept = window[scored]
    y = (kept["outcome"] == "fail").to_numpy().astype(np.int64)
    p = prob[scored].to_numpy(dtype=np.float64)
    return Followup(
        model=model.version, as_of=as_of, days=days, inspections=len(window),
        unscored=int((~scored).sum()),
        failed_subjects=int(kept.loc[y == 1, "subject_uscc"].nunique()),
        evaluation=evaluate(y, p),
        replay=replay(kept["inspected_on"], p, y) if y.any() else None)
