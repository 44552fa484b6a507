"""Pipeline commands: features, train, score, evaluate, draws, demo. Thin: parse, call, render."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from riskgraph.api.settings import Settings, open_store
from riskgraph.graph.store import Store
from riskgraph.models.frames import GraphFrames
from riskgraph.models.linkage import Links

if TYPE_CHECKING:
    from riskgraph.models.draws import DrawSpec

log = logging.getLogger(__name__)


@contextmanager
def _store(settings: Settings) -> Iterator[Store]:
    store = open_store(settings)
    try:
        yield store
    finally:
        store.driver.close()


def _as_of(value: str | None, today: dt.date | None = None) -> dt.date:
    """The day features and scores are computed for: today, or a given day up to a year
    ahead (a later one is refused: ages and recency would be extrapolated from nothing)."""
    today = today or dt.date.today()
    day = _day_arg("--as-of", value) if value else today
    if day > today + dt.timedelta(days=366):
        raise ValueError(f"as-of {day} is more than a year after today ({today}): nothing "
                         "is known of that day")
    if day > today:
        print(f"warning: as-of {day} is after today: ages and the time since each event "
              "run on to that day, no new facts", file=sys.stderr)
    return day


def _day_arg(name: str, value: str) -> dt.date:
    """A day given on the command line, or an error that names the option."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{name} {value!r} is not a day (YYYY-MM-DD): {exc}") from None


def _features(args: argparse.Namespace, settings: Settings) -> int:
    from riskgraph.models.features import subject_features

    as_of = _as_of(args.as_of)
    feats = subject_features(project_frames(settings), as_of)
    out = Path(args.out) if args.out else settings.home / "features" / f"{as_of}.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    feats.to_parquet(out)
    print(f"features as of {as_of}: {len(feats):,} subjects x {feats.shape[1]} columns -> {out}")
    return 0


def project_frames(settings: Settings) -> GraphFrames:
    """Open the store, read it into frames, close it."""
    from riskgraph.graph.projection import project

    with _store(settings) as store:
        return project(store)


def run_train(settings: Settings, test_fraction: float = 0.2, seed: int = 0,
              frames: GraphFrames | None = None, links: Links | None = None,
              as_of: dt.date | None = None) -> dict[str, Any]:
    """Project (unless given frames), train with evaluation and ablation, persist; return the
    model card. A model trained ``as_of`` a day (on the inspections before it) is saved
    but not made current: it is for scoring that day in a back-test."""
    from riskgraph.models import training

    frames = frames if frames is not None else project_frames(settings)
    model, report = training.train(frames, test_fraction=test_fraction, random_state=seed,
                                   trained_at=dt.datetime.now().replace(microsecond=0),
                                   links=links, as_of=as_of)
    folder = training.save(model, settings.home / "models", report, current=as_of is None)
    print(training.card_markdown(model.card).split("\n## Headline")[1].strip())
    print(f"model {model.version} -> {folder}")
    if as_of is not None:
        print(f"trained on the inspections before {as_of} only, so not made the current "
              f"model; score that day with it: riskgraph score --as-of {as_of} "
              f"--model {model.version}")
    return model.card


def _train(args: argparse.Namespace, settings: Settings) -> int:
    run_train(settings, args.test_fraction, args.seed,
              as_of=_day_arg("--as-of", args.as_of) if args.as_of else None)
    return 0


def run_score(settings: Settings, as_of: dt.date, frames: GraphFrames | None = None,
              class_cuts: str | None = None, links: Links | None = None,
              model_version: str | None = None, out: Path | None = None,
              write: bool | None = None, today: dt.date | None = None) -> pd.DataFrame:
    """Score every active subject with the current model (or ``model_version``).

    The graph holds the scores the draws use, so only a score of today (or later) is
    written to it unless ``write`` says otherwise: a past day's scores go to a file
    (``out``, by default ``scores/<day>.csv`` under the home), with reasons in words.
    """
    from riskgraph.graph import score_queries
    from riskgraph.models import training
    from riskgraph.models.scores import score_subjects
    from riskgraph.models.scoring import ClassCuts

    today = today or dt.date.today()
    write = as_of >= today if write is None else write
    cuts = ClassCuts.parse(class_cuts) if class_cuts else ClassCuts()
    model = training.load(settings.home / "models", model_version)
    frames = frames if frames is not None else project_frames(settings)
    if as_of < today:  # a past day: on what was known then (no later subject in the hub cap)
        if links is not None:
            raise ValueError("links of today cannot score a past day")
        frames = frames.known_before(as_of)
    scores = score_subjects(frames, model, as_of, cuts=cuts, links=links)
    print(f"scored {len(scores):,} active subjects as of {as_of} with model {model.version}")
    print(f"risk classes cut at {cuts.describe()} -> probabilities "
          + " / ".join(f"{c:.3f}" for c in scores.attrs["class_cut_points"]))
    if write:
        with _store(settings) as store:
            score_queries.write_scores(store, scores, model.version, as_of)
            counts = score_queries.class_counts(store)
        print(counts.to_string(index=False))
    else:
        print(scores.groupby("risk_class")["prob"].agg(subjects="size", mean_prob="mean")
              .reset_index().to_string(index=False))
    print(credit_grade_line(scores))
    if out is not None or not write:
        path = out or settings.home / "scores" / f"{as_of}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        scores_table(scores).to_csv(path, index=False)
        print(f"scores with reasons in words -> {path}")
    if not write:
        print("the graph's scores are left as they were: a past day's scores are not the ones "
              "draws should use (--write replaces them)")
    for warning in (score_warnings(scores) + model_warnings(model.card, as_of, today)
                    + credit_warnings(frames)):
        print(f"warning: {warning}")
    return scores


def scores_table(scores: pd.DataFrame) -> pd.DataFrame:
    """The scores as a flat table for a file: reasons as codes and in Chinese and English."""
    from riskgraph.models.reasons import reason_phrase

    said = {c: reason_phrase(c) for c in {c for codes in scores["reasons"] for c in codes}}
    phrases = [[said[c] for c in codes] for codes in scores["reasons"]]
    return scores.drop(columns="reasons").assign(
        reasons=[";".join(codes) for codes in scores["reasons"]],
        reasons_zh=["；".join(p.zh for p in ps) for ps in phrases],
        reasons_en=["; ".join(p.en for p in ps) for ps in phrases])


def credit_warnings(frames: GraphFrames) -> list[str]:
    """The credit grade's inputs the store lacks: without them every subject keeps the
    points they would take away, and a grade of A says nothing."""
    tables = {"penalties": "penalties", "list_entries": "list entries",
              "complaints": "complaints", "commitments": "credit commitments"}
    absent = [words for name, words in tables.items() if getattr(frames, name).empty]
    out = []
    if absent:
        out.append(f"the store holds no {', '.join(absent)}: credit grades count none, so "
                   "they say nothing of them (load those exports)")
    if len(frames.subjects) and frames.subjects["registered_on"].isna().all():
        out.append("no subject has a registration day: no new subject is held below A")
    return out


def model_warnings(card: dict[str, Any], as_of: dt.date, today: dt.date) -> list[str]:
    """What is wrong with scoring a past day ``as_of`` with this model: one trained on
    inspections of that day or later knows what came after it. Today's scores are not
    warned of: an export at the end of the day holds today's inspections, and nothing
    later is known."""
    from riskgraph.models.training import learnt_through

    last = learnt_through(card, as_of)
    if as_of >= today or last is None:
        return []
    return [f"model {card['version']} was trained on inspections up to {last}, on or after "
            f"the as-of day {as_of}: its scores of that day know what came later. For a "
            f"back-test, train a model of that day (riskgraph train --as-of {as_of}) and "
            "score with it (--model)"]


def credit_grade_line(scores: pd.DataFrame) -> str:
    """How many subjects got each credit grade, with the grade's meaning."""
    from riskgraph.models.scoring import CREDIT_GRADES

    counts = scores["credit_grade"].value_counts()
    return "credit grades: " + " · ".join(
        f"{grade} {int(counts.get(grade, 0)):,} ({meaning.split(' / ')[0]})"
        for grade, _, meaning in CREDIT_GRADES)


def score_warnings(scores: pd.DataFrame) -> list[str]:
    """What an operator should know before drawing from these scores: an empty risk
    class, or a model that tells few subjects apart."""
    out = []
    from riskgraph.models.scoring import RISK_CLASSES

    empty = [c for c in RISK_CLASSES if not (scores["risk_class"] == c).any()]
    if empty and len(scores):
        out.append(f"risk class(es) {', '.join(empty)} hold no subject; a draw's ratios for "
                   "them select nobody")
    distinct = scores["prob"].nunique()
    if len(scores) >= 100 and distinct < 20:
        out.append(f"the model gives only {distinct} distinct probabilities to "
                   f"{len(scores):,} subjects: it has learnt little (see the model card)")
    return out


def _score(args: argparse.Namespace, settings: Settings) -> int:
    run_score(settings, _as_of(args.as_of), class_cuts=args.class_cuts,
              model_version=args.model, out=Path(args.out) if args.out else None,
              write=args.write)
    return 0


def run_evaluate(settings: Settings, truth_dir: Path | None) -> dict[str, Any]:
    """Print the current model's card; with a synthetic city's truth, compare scores to it."""
    from riskgraph.graph.draw_queries import population
    from riskgraph.models import training
    from riskgraph.models.evaluation import top_share_lift

    model = training.load(settings.home / "models")
    folder = settings.home / "models" / model.version
    result: dict[str, Any] = {"model": model.version, "card": str(folder / training.CARD_MD)}
    truth = truth_frame(truth_dir) if truth_dir is not None else None  # its errors first
    print((folder / training.CARD_MD).read_text().split("\n## Test period")[0])
    if truth is not None:
        with _store(settings) as store:
            pop = population(store, dt.date.today().isoformat())
        merged = pop.dropna(subset=["prob"]).merge(truth, on="uscc")
        if merged.empty:
            raise ValueError("no scored subject matches the truth file: run `riskgraph score` "
                             "first (or check that the truth is of the city loaded)")
        prob = merged["prob"].astype(float).to_numpy()
        true = merged["true_prob"].astype(float).to_numpy()
        rho = merged["prob"].astype(float).corr(merged["true_prob"], method="spearman")
        result["spearman_truth"] = float(rho)
        result["top_10pct_truth_lift"] = top_share_lift(prob, true)
        result["top_10pct_truth_lift_perfect"] = top_share_lift(true, true)
        print(f"hidden truth: Spearman correlation of scores with the true violation "
              f"probability = {rho:.3f} over {len(merged):,} scored subjects")
        print(f"hidden truth: the top 10 % of subjects by score hold "
              f"{result['top_10pct_truth_lift']:.2f}x the true expected violations of a random "
              f"10 % (perfect knowledge: {result['top_10pct_truth_lift_perfect']:.2f}x)")
    return result


def _truth_column(truth: pd.DataFrame) -> str:
    for name in ("true_prob", "violation_prob", "prob", "p_violation"):
        if name in truth:
            return name
    numeric = truth.select_dtypes("number").columns
    if not len(numeric):
        raise ValueError("the truth file has no probability column "
                         "(true_prob, violation_prob, prob or p_violation)")
    return str(numeric[0])


def _evaluate(args: argparse.Namespace, settings: Settings) -> int:
    if args.as_of:
        if args.truth:
            raise ValueError("--truth compares today's scores with a city's truth; "
                             "--as-of judges a day's scores on the inspections after it")
        run_followup(settings, _day_arg("--as-of", args.as_of), args.days, args.model)
        return 0
    if args.model or args.days is not None:
        raise ValueError("--model and --days judge a day's scores: give --as-of too")
    run_evaluate(settings, Path(args.truth) if args.truth else None)
    return 0


def run_followup(settings: Settings, as_of: dt.date, days: int | None = None,
                 model_version: str | None = None,
                 frames: GraphFrames | None = None) -> dict[str, Any]:
    """Judge the scores of ``as_of`` (by the current model, or ``model_version``) on the
    inspections of the ``days`` that followed; print and keep the report."""
    from riskgraph.models import training
    from riskgraph.models.followup import followup

    model = training.load(settings.home / "models", model_version)
    frames = frames if frames is not None else project_frames(settings)
    result = followup(frames, model, as_of, 90 if days is None else days)
    folder = settings.home / "evaluations"
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"{as_of}-{result.days}d-{model.version}"
    stem.with_suffix(".md").write_text(result.markdown())
    stem.with_suffix(".json").write_text(json.dumps(result.to_dict(), indent=2))
    print(result.markdown())
    print(f"report -> {stem.with_suffix('.md')}")
    return result.to_dict()


def _draw_cmd(fn: Callable[[argparse.Namespace, Settings, Store], int]):
    def run(args: argparse.Namespace, settings: Settings) -> int:
        with _store(settings) as store:
            return fn(args, settings, store)
    return run


def _draw(args: argparse.Namespace, settings: Settings, store: Store) -> int:
    from riskgraph.graph.score_queries import scores_in_use
    from riskgraph.models.draws import load_spec
    from riskgraph.models.draws.service import make_draw

    spec = load_spec(Path(args.spec))
    print("\n".join(scores_in_use(store, str(spec.as_of))))
    record = make_draw(store, spec, settings.home / "draws",
                       created_at=dt.datetime.now(dt.UTC).replace(microsecond=0))
    print(draw_summary(record))
    return 0


def draw_summary(record: dict[str, Any]) -> str:
    """Render a draw record's headline."""
    summary = ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v:,.1f}"
                        for k, v in record["summary"].items())
    reasons: dict[str, int] = {}
    for row in record["results"]["unassigned"]:
        reasons[row["reason"]] = reasons.get(row["reason"], 0) + 1
    lines = [f"draw {record['draw_id']} ({record['created_at']}): {summary}",
             f"hash {record['hash']}  prev {record['prev_hash']}"]
    if reasons:
        lines.append("unassigned: " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())))
    return "\n".join(lines)


def _published_hash(published: str | None) -> str | None:
    """The record hash a publication printed: the hash itself (64 hex digits), or the
    path of a publication CSV."""
    if published is None or re.fullmatch(r"[0-9a-f]{64}", published):
        return published
    if not Path(published).is_file():
        raise FileNotFoundError(f"{published}: no such publication file (nor a record hash)")
    hashes = set(pd.read_csv(published, usecols=["record_hash"], dtype=str)["record_hash"])
    if len(hashes) != 1:
        raise ValueError(f"{published}: expected one record_hash, found {len(hashes)}")
    return hashes.pop()


def _verify(args: argparse.Namespace, settings: Settings, store: Store) -> int:
    from riskgraph.models.draws.service import verify_draw

    rep = verify_draw(store, args.draw_id, settings.home / "draws",
                      published_hash=_published_hash(args.published))
    v = rep.verification
    if v.match and v.hash_ok:
        print(f"draw {args.draw_id}: MATCH — recomputed bit for bit; record hash ok")
    else:
        print(f"draw {args.draw_id}: DIFFERS at {v.path}: recorded {v.recorded!r}, "
              f"recomputed {v.recomputed!r}; hash ok: {v.hash_ok}")
    print(f"chain: {'ok' if rep.chain_ok else 'BROKEN: ' + str(rep.chain_reason)}")
    print("live graph population: " + ("unchanged since the draw" if rep.live_population_same
                                        else "has changed since the draw (inputs kept)"))
    return 0 if v.match and v.hash_ok and rep.chain_ok else 1


def _publish(args: argparse.Namespace, settings: Settings, store: Store) -> int:
    from riskgraph.models.draws.service import publish

    table = publish(store, args.draw_id, settings.home / "draws")
    out = Path(args.out) if args.out else settings.home / "draws" / args.draw_id / "public.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False, encoding="utf-8-sig")
    print(f"public list of {args.draw_id}: {len(table):,} subjects -> {out}")
    return 0


def _estimate(args: argparse.Namespace, settings: Settings, store: Store) -> int:
    from riskgraph.models.draws.service import estimate

    result = estimate(store, args.draw_id)
    print(result.table.to_string(index=False))
    print(f"results for {result.answered:,} of {result.drawn:,} drawn subjects; the others "
          "count as missing at random within their stratum")
    if len(result.set_aside):
        counts = result.set_aside["reason"].value_counts().to_dict()
        print(f"{len(result.set_aside):,} result rows set aside: {counts}")
        for row in result.set_aside.head(20).itertuples(index=False):
            print(f"  {row.reason:<22} inspection {row.inspection_id}  subject {row.uscc}  "
                  f"item {row.item_code}  on {row.inspected_on}")
    return 0


def _visits(args: argparse.Namespace, settings: Settings, store: Store) -> int:
    from riskgraph.graph import draw_queries
    from riskgraph.models.draws import merge_visits
    from riskgraph.models.draws.errors import RecordError

    records = []
    for draw_id in args.draw_ids:
        record = draw_queries.get(store, draw_id)
        if record is None:
            raise RecordError(f"no draw {draw_id}", code="unknown_draw")
        records.append(record)
    visits = merge_visits(records)
    out = Path(args.out) if args.out else settings.home / "draws" / "visits.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    joint = int((visits["draw_ids"].map(len) > 1).sum())
    for column in ("draw_ids", "task_ids", "departments", "items", "team",
                   "unstaffed_departments"):  # lists and teams as JSON, not Python reprs
        visits[column] = visits[column].map(lambda v: json.dumps(v, ensure_ascii=False))
    visits.to_csv(out, index=False, encoding="utf-8-sig")
    print(f"{len(visits):,} visits from {len(records)} draws ({joint:,} subjects drawn by "
          f"more than one task, visited once) -> {out}")
    return 0


def _plan(args: argparse.Namespace, settings: Settings, store: Store) -> int:
    from riskgraph.graph.score_queries import scores_in_use
    from riskgraph.models.draws import SpecError, load_spec
    from riskgraph.models.draws.service import (
        classes,
        plan,
        planning_inputs,
        ratios_for,
        staffing,
    )

    truth = truth_frame(Path(args.truth)) if args.truth else None
    spec = load_spec(Path(args.spec))
    print("\n".join(scores_in_use(store, str(spec.as_of))))
    # read once: every variant plans the same task date and window
    inputs = planning_inputs(store, str(spec.as_of), spec.window_days)

    def class_ratios(variant: DrawSpec) -> dict[str, float]:
        return {c: float(r) for c, r in variant.ratios().items() if c in "ABCD"}

    def with_ratios(ratios: dict[str, float]) -> DrawSpec:
        # ratios not given keep the spec's own (its multipliers resolved), not the defaults
        return load_spec({**spec.model_dump(), "class_ratios": {**class_ratios(spec), **ratios},
                          "class_multipliers": None})

    variants = [spec] + [with_ratios(parse_ratios(text)) for text in args.ratios or []]
    many = len(variants) + len(args.target_lift or []) > 1

    def show(variant: DrawSpec) -> None:
        if many:
            print(f"class ratios {class_ratios(variant)}:")
        print(plan(store, variant, truth, inputs).to_string(index=False))
        print(classes(store, variant, inputs).to_string(index=False,
                                                        float_format=lambda v: f"{v:.4g}"))
        short = staffing(store, variant, inputs).query("short")
        if short.empty:
            print("staffing: each region's visits fit the free slots of its candidate inspectors")
        else:
            print("staffing: regions whose candidate inspectors cannot take their visits (the "
                  "subjects would be drawn and reported unassigned):")
            print(short.to_string(index=False, float_format=lambda v: f"{v:.1f}"))

    for variant in variants:
        show(variant)
    failed: SpecError | None = None
    for target in args.target_lift or []:  # after the spec's own tables: it may not be reachable
        try:
            solved = ratios_for(store, spec, target, inputs)
        except SpecError as exc:
            if exc.code != "target_unreachable":
                raise
            print(f"{target:g}x: {exc}")
            failed = failed or exc
            continue
        print(f"ratios for {target:g}x by the model, {solved.size:,.0f} expected inspections "
              f"as the spec's (steepness {solved.steepness:.2f}):\n  {solved.spec_text()}"
              + ("\n  (they replace the spec's class_multipliers)"
                 if spec.class_multipliers is not None else ""))
        show(with_ratios(solved.ratios))
    if failed is not None:  # every target was tried; the first that could not be reached
        raise failed
    return 0


def parse_ratios(text: str) -> dict[str, float]:
    """``A=0.01,B=0.03,C=0.1,D=0.8`` as a mapping (the spec validates the values)."""
    from riskgraph.models.draws.errors import SpecError

    out: dict[str, float] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        try:
            if not sep:
                raise ValueError
            out[key.strip().upper()] = float(value)
        except ValueError:
            raise SpecError(f"ratios {text!r}: write CLASS=RATIO pairs, e.g. "
                            "A=0.01,B=0.03,C=0.1,D=0.8", code="invalid_spec") from None
    return out


def truth_frame(truth_dir: Path) -> pd.DataFrame:
    """Read a synthetic city's hidden truth as ``uscc, true_prob``."""
    truth = pd.read_csv(truth_dir / "subject_risk.csv")
    if "uscc" not in truth:
        raise ValueError(f"{truth_dir / 'subject_risk.csv'} has no uscc column")
    return truth.rename(columns={_truth_column(truth): "true_prob"})


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the pipeline commands to the parser."""
    p = sub.add_parser("features", help="compute per-subject features as of a date")
    p.add_argument("--as-of")
    p.add_argument("--out")
    p.set_defaults(func=_features)

    p = sub.add_parser("train", help="fit, evaluate (time split, ablation) and persist the model")
    p.add_argument("--test-fraction", type=float, default=0.2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--as-of", help="train on the inspections before this day only (a "
                   "back-test's model: saved, not made current)")
    p.set_defaults(func=_train)

    p = sub.add_parser("score", help="score every active subject and write scores to the graph")
    p.add_argument("--as-of", help="the day to score (default today); a past day's scores "
                   "go to a file, not the graph, unless --write")
    p.add_argument("--model", help="a model version (default: the current model)")
    p.add_argument("--out", help="also write the scores, with reasons in words, to this CSV")
    p.add_argument("--write", action=argparse.BooleanOptionalAction, default=None,
                   help="write the scores to the graph (default: only today's)")
    p.add_argument("--class-cuts", help="relative:0.7,1.3,2 (default: multiples of the mean "
                   "probability), absolute:0.05,0.15,0.3 or quantile:.5,.3,.15,.05")
    p.set_defaults(func=_score)

    p = sub.add_parser("evaluate", help="the current model's evaluation report, or how a "
                       "day's scores did on the inspections that followed (--as-of)")
    p.add_argument("--truth", help="a synthetic city's truth folder")
    p.add_argument("--as-of", help="score this day and judge the scores on the inspections "
                   "of the days after it")
    p.add_argument("--days", type=int, help="how many days of inspections (default 90)")
    p.add_argument("--model", help="a model version (default: the current model), e.g. "
                   "one trained with train --as-of for a back-test")
    p.set_defaults(func=_evaluate)

    p = sub.add_parser("draw", help="plan a double-random task from a spec (JSON/YAML)")
    p.add_argument("spec")
    p.set_defaults(func=_draw_cmd(_draw))
    p = sub.add_parser("verify", help="recompute a draw bit for bit")
    p.add_argument("draw_id")
    p.add_argument("--published", help="the publication CSV (or the record hash it printed): "
                                       "the record must be the one published")
    p.set_defaults(func=_draw_cmd(_verify))
    p = sub.add_parser("publish", help="export a draw's public list")
    p.add_argument("draw_id")
    p.add_argument("--out")
    p.set_defaults(func=_draw_cmd(_publish))
    p = sub.add_parser("estimate", help="Horvitz-Thompson / Hajek estimates from a draw's results")
    p.add_argument("draw_id")
    p.set_defaults(func=_draw_cmd(_estimate))
    p = sub.add_parser("visits", help="merge draws of one window into one visit per subject")
    p.add_argument("draw_ids", nargs="+")
    p.add_argument("--out")
    p.set_defaults(func=_draw_cmd(_visits))
    p = sub.add_parser("plan", help="expected violations per 1,000 inspections for a spec")
    p.add_argument("spec")
    p.add_argument("--truth", help="a synthetic city's truth folder")
    p.add_argument("--ratios", action="append", metavar="A=..,B=..,C=..,D=..",
                   help="also plan the task with these class ratios (repeatable), to compare "
                        "what steeper or flatter ratios buy")
    p.add_argument("--target-lift", action="append", type=float, metavar="X",
                   help="also find and plan the least steep class ratios expected to find X "
                        "times the violations of a uniform draw of the same size (repeatable)")
    p.set_defaults(func=_draw_cmd(_plan))

    from riskgraph.api import demo

    demo.register(sub)
