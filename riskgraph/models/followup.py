"""How one day's scores did on the inspections that followed it.

The model card judges a model on its test period with features fresh for each inspection.
A bureau deploys scores differently: it scores once, draws from those scores for weeks,
and learns the outcomes afterwards. ``followup`` scores every subject registered by a day
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
from riskgraph.models.replay import ReplayResult, replay
from riskgraph.models.scores import score_subjects
from riskgraph.models.training import TrainedModel, learnt_through


@dataclass(frozen=True)
class Followup:
    """Frozen scores of ``as_of`` against the inspections of [as_of, as_of + days)."""

    model: str
    model_window: tuple[str, str]  # the model's training window (first, last inspection)
    as_of: dt.date
    days: int
    inspections: int  # pass/fail inspections in the window
    unscored: int  # of those, of subjects not registered by the day
    failed_subjects: int  # subjects with a problem found in the window
    evaluation: Evaluation  # one row per inspection (item), as the model card counts
    visits: Evaluation  # one row per subject and day: a problem if any item found one
    replay: ReplayResult | None  # None when no inspection of the window found a problem
    days_earlier_by_chance: float | None  # what a random order's replay gives on average
    warnings: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "model_window": list(self.model_window),
                "as_of": self.as_of.isoformat(), "days": self.days,
                "inspections": self.inspections, "unscored": self.unscored,
                "failed_subjects": self.failed_subjects,
                "evaluation": self.evaluation.to_dict(), "visits": self.visits.to_dict(),
                "replay": None if self.replay is None else self.replay.to_dict(),
                "days_earlier_by_chance": self.days_earlier_by_chance,
                "warnings": list(self.warnings)}

    def markdown(self) -> str:
        end = self.as_of + dt.timedelta(days=self.days - 1)
        lines = [f"# Scores of {self.as_of} against the inspections that followed", "",
                 f"- model: {self.model}, trained on the inspections of "
                 f"{self.model_window[0]} … {self.model_window[1]}",
                 f"- inspections: {self.inspections:,} pass/fail from {self.as_of} to {end}; "
                 f"{self.unscored:,} of subjects not registered by {self.as_of} are left out",
                 ""]
        lines += [f"**Warning: {w}.**" for w in self.warnings] + ([""] if self.warnings else [])
        if too_few_to_judge(self.evaluation.n_positive, self.failed_subjects):
            lines += [f"**Only {self.evaluation.n_positive} inspection(s) found a problem, at "
                      f"{self.failed_subjects} subject(s): the figures below are noise, not a "
                      "measure of the scores.** Judge them on more days (`--days`).", ""]
        if self.replay is not None and self.days_earlier_by_chance is not None:
            rp, chance = self.replay, self.days_earlier_by_chance
            lines += [f"Replayed in the order of these scores, keeping how many inspections "
                      f"each day had, problems are found {rp.days_earlier:.2f} days earlier; "
                      f"a random order finds them {chance:.2f} days earlier on average (when "
                      f"they fell in the window), so the scores gain "
                      f"{rp.days_earlier - chance:.2f} days. "
                      f"{100 * rp.first_half_share:.1f} % are found in the first half of the "
                      f"window (as it happened: {100 * rp.first_half_share_real:.1f} %).", ""]
        v, top = self.visits, _top10(self.visits)
        lines += [f"By visit (a subject on a day; a problem if any item found one): "
                  f"{v.n:,} visits, {v.n_positive:,} with a problem, ROC-AUC "
                  f"{'—' if v.roc_auc is None else f'{v.roc_auc:.3f}'}"
                  + ("" if top is None else f", top 10 % {top:.2f}× a random 10 %") + ".", ""]
        lines.append(render_markdown(self.evaluation, title="Frozen scores, by inspection"))
        return "\n".join(lines)


def _top10(evaluation: Evaluation) -> float | None:
    hit = next((h for h in evaluation.top_k if abs(h.fraction - 0.10) < 1e-9), None)
    return None if hit is None else hit.lift


def followup(frames: GraphFrames, model: TrainedModel, as_of: dt.date,
             days: int = 90) -> Followup:
    """Score ``as_of`` with ``model`` and judge the scores on the next ``days`` days'
    pass/fail inspections (an inspection on ``as_of`` itself counts: the scores know only
    the facts before that day)."""
    if days < 1:
        raise ValueError(f"--days must be at least 1, not {days}")
    ins = frames.inspections
    start, end = pd.Timestamp(as_of), pd.Timestamp(as_of + dt.timedelta(days=days))
    window = ins[(ins["inspected_on"] >= start) & (ins["inspected_on"] < end)
                 & ins["outcome"].isin(["pass", "fail"])]
    if window.empty:
        raise ValueError(f"no pass/fail inspection from {as_of} for {days} days: nothing to "
                         "judge the scores by (load the results, or choose another day or "
                         "more --days)")
    # every subject there was on the day, on what was known then (the hub cap counts no
    # later subject; one cancelled since was trading when the window's inspections found it)
    scores = score_subjects(frames.known_before(as_of), model, as_of,
                            active_only=False).set_index("uscc")["prob"]
    prob = window["subject_uscc"].map(scores)
    scored = prob.notna().to_numpy()
    if not scored.any():
        raise ValueError(f"none of the {len(window):,} inspections from {as_of} is of a "
                         "subject registered before that day")
    kept = window[scored].assign(prob=prob[scored], failed=window["outcome"][scored] == "fail")
    y = kept["failed"].to_numpy().astype(np.int64)
    p = kept["prob"].to_numpy(dtype=np.float64)
    visits = kept.groupby(["subject_uscc", "inspected_on"]).agg(
        failed=("failed", "max"), prob=("prob", "first"))
    # a random order: the replay of scores that all tie (each problem on an average slot)
    chance = replay(kept["inspected_on"], np.zeros(len(p)), y).days_earlier if y.any() \
        else None
    last = learnt_through(model.card, as_of)
    warnings = () if last is None else (
        f"model {model.version} was trained on inspections up to {last}, on or after "
        f"{as_of}: it learnt from the very inspections it is judged on",)
    return Followup(
        model=model.version, model_window=tuple(model.card["training_window"]),
        as_of=as_of, days=days, inspections=len(window), unscored=int((~scored).sum()),
        failed_subjects=int(kept.loc[kept["failed"], "subject_uscc"].nunique()),
        evaluation=evaluate(y, p),
        visits=evaluate(visits["failed"].astype(np.int64), visits["prob"]),
        replay=replay(kept["inspected_on"], p, y) if y.any() else None,
        days_earlier_by_chance=chance, warnings=warnings)
