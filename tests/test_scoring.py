"""Risk classes, the credit scorecard, and reason codes."""

from __future__ import annotations

import datetime as dt
from datetime import date

import numpy as np
import pandas as pd
import pytest

from riskgraph.models.reasons import Phrase, reason_codes, reason_phrase
from riskgraph.models.scoring import (
    ClassCuts,
    commitment_counts,
    credit_grade,
    penalty_counts,
    quantile_cut_points,
    risk_class,
)

AS_OF = date(2025, 6, 30)


def test_risk_class_uses_probability_thresholds_and_a_cut_goes_up() -> None:
    classes = risk_class([0.0, 0.049, 0.05, 0.149, 0.15, 0.30, 0.99])
    assert list(classes) == ["A", "A", "B", "B", "C", "D", "D"]
    assert list(risk_class([0.2, 0.6], cut_points=(0.1, 0.3, 0.5))) == ["B", "D"]
    with pytest.raises(ValueError, match="increasing"):
        risk_class([0.1], cut_points=(0.3, 0.2, 0.5))


def test_quantile_fallback_puts_the_stated_shares_in_each_class() -> None:
    scores = np.random.default_rng(0).normal(size=10_000)  # not probabilities at all
    classes = risk_class(scores, quantile_cut_points(scores))
    shares = pd.Series(classes).value_counts(normalize=True).sort_index()
    assert np.allclose(shares.to_numpy(), [0.50, 0.30, 0.15, 0.05], atol=0.002)


def test_relative_cuts_are_multiples_of_the_mean_probability() -> None:
    prob = np.array([0.02, 0.05, 0.08, 0.10, 0.14, 0.21])  # mean 0.1
    cuts = ClassCuts()  # relative 0.7, 1.3, 2.0
    assert cuts.points(prob) == pytest.approx((0.07, 0.13, 0.20))
    assert list(risk_class(prob, cuts.points(prob))) == ["A", "A", "B", "B", "C", "D"]
    # The same relative risks in a city where everything is three times as likely.
    assert list(risk_class(prob * 3, cuts.points(prob * 3))) == ["A", "A", "B", "B", "C", "D"]


@pytest.mark.parametrize("text, points", [
    ("absolute:0.05,0.15,0.3", (0.05, 0.15, 0.30)),
    ("relative:1,2,3", (0.1, 0.2, 0.3)),
])
def test_class_cuts_parse(text: str, points: tuple[float, ...]) -> None:
    cuts = ClassCuts.parse(text)
    assert cuts.points(np.full(10, 0.1)) == pytest.approx(points)
    assert ClassCuts.parse(cuts.describe()) == cuts
    thirds = ClassCuts("relative", (1 / 3, 1.0, 2.0))
    assert ClassCuts.parse(thirds.describe()) == thirds  # lossless
    assert ClassCuts.parse("Relative:1,2,3").mode == "relative"
    with pytest.raises(ValueError, match="NaN"):
        cuts.points(np.array([0.1, np.nan]))


def test_quantile_class_cuts_give_the_shares() -> None:
    scores = np.random.default_rng(1).random(20_000)
    cuts = ClassCuts.parse("quantile:0.3,0.4,0.2,0.1")
    shares = pd.Series(risk_class(scores, cuts.points(scores))).value_counts(normalize=True)
    assert shares.sort_index().to_numpy() == pytest.approx([0.3, 0.4, 0.2, 0.1], abs=0.002)


@pytest.mark.parametrize("text", ["relative:2,1,3", "absolute:0.1,0.2", "odd:1,2,3",
                                  "relative:a,b,c", "relative:0,1,2", "quantile:.5,.5,.5,.5",
                                  "0.7,1.3,2", "absolute:0.1,0.5,1.5"])
def test_bad_class_cuts_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        ClassCuts.parse(text)


def penalties(*rows: tuple[str, str, str, str | None]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["subject_uscc", "decided_on", "severity", "repaired_on"])


def test_repaired_penalty_does_not_lower_the_grade() -> None:
    table = penalties(
        ("S-REPAIRED", "2025-01-10", "serious", "2025-05-01"),
        ("S-OPEN", "2025-01-10", "serious", None),
        ("S-CLEAN", "2019-01-01", "minor", None),  # expired: older than 36 months
    )
    counts = penalty_counts(table, AS_OF)
    points, grade = credit_grade(counts, AS_OF)
    assert points["S-REPAIRED"] == points["S-CLEAN"] == 100
    assert grade["S-REPAIRED"] == grade["S-CLEAN"] == "A"
    assert points["S-OPEN"] == 70 and grade["S-OPEN"] == "C"


def test_repair_after_as_of_still_counts_on_as_of() -> None:
    table = penalties(("S1", "2025-01-10", "general", "2025-08-01"))
    assert penalty_counts(table, AS_OF).loc["S1", "penalties_general_12m"] == 1
    assert penalty_counts(table, date(2025, 9, 1)).loc["S1"].sum() == 0


def test_penalty_recency_windows_and_future_penalties() -> None:
    table = penalties(
        ("S1", "2025-06-01", "minor", None),
        ("S1", "2023-06-01", "serious", None),
        ("S1", "2022-07-01", "general", None),  # within 36 calendar months, 1,095 days ago
        ("S1", "2025-07-15", "serious", None),  # after as_of: unknown on as_of
    )
    row = penalty_counts(table, AS_OF).loc["S1"]
    assert row["penalties_minor_12m"] == 1 and row["penalties_serious_36m"] == 1
    assert row["penalties_general_36m"] == 1
    assert row["penalties_serious_12m"] == 0


def test_commitments_count_from_the_day_they_were_found_kept_or_broken() -> None:
    table = pd.DataFrame(
        [("S1", "2024-01-01", "2024-03-01", "kept", "2024-04-01"),
         ("S1", "2024-02-01", "2024-05-01", "broken", "2024-06-01"),
         ("S1", "2025-01-01", "2025-03-01", "broken", "2025-07-15"),  # found after as_of
         ("S2", "2024-01-01", "2024-12-01", "broken", None),  # no check day: its deadline
         ("S2", "2025-05-01", "2025-08-01", "broken", None),  # deadline after as_of
         ("S3", "2021-01-01", "2021-03-01", "broken", "2021-04-01"),  # expired: > 36 months
         ("S3", "2025-01-01", "2025-02-01", "pending", None),
         ("S4", "2025-01-01", None, "kept", None),  # no check day, no deadline: made_on
         ("S5", "2022-06-01", "2022-07-01", "broken", "2022-07-01")],  # 36 months, 1,095 days
        columns=["subject_uscc", "made_on", "due_on", "fulfilment", "verified_on"])
    counts = commitment_counts(table, AS_OF)
    assert counts.to_dict("index") == {
        "S1": {"commitments_kept": 1, "commitments_broken": 1},
        "S2": {"commitments_kept": 0, "commitments_broken": 1},
        "S3": {"commitments_kept": 0, "commitments_broken": 0},
        "S4": {"commitments_kept": 1, "commitments_broken": 0},
        "S5": {"commitments_kept": 0, "commitments_broken": 1}}
    points, _ = credit_grade(counts, AS_OF)
    assert points.to_dict() == {"S1": 92, "S2": 90, "S3": 100, "S4": 100, "S5": 90}
    empty = commitment_counts(table.iloc[:0], AS_OF)
    assert list(empty.columns) == ["commitments_kept", "commitments_broken"] and empty.empty


def test_scorecard_points_lists_caps_and_new_subjects() -> None:
    frame = pd.DataFrame(
        {
            "penalties_minor_12m": [0, 10, 0, 0, 0],
            "list_serious_dishonest": [0, 0, 1, 0, 0],
            "list_abnormal_operation": [0, 0, 0, 1, 0],
            "commitments_kept": [5, 0, 0, 0, 0],
            "penalties_repaired": [3, 3, 3, 3, 3],  # ignored by design
            "registered_on": ["2010-01-01", "2010-01-01", "2010-01-01", "2010-01-01", "2025-01-01"],
        },
        index=["clean", "many_minor", "dishonest", "abnormal", "new"],
    )
    points, grade = credit_grade(frame, AS_OF)
    assert points["clean"] == 100 and grade["clean"] == "A"  # bonus cannot pass 100
    assert points["many_minor"] == 85 and grade["many_minor"] == "B"  # capped at -15
    assert points["dishonest"] == 40 and grade["dishonest"] == "D"
    assert points["abnormal"] == 85 and grade["abnormal"] == "B"
    assert points["new"] == 100 and grade["new"] == "B"  # registered < 1 year: at most B


def test_serious_dishonesty_forces_d_even_with_high_points() -> None:
    frame = pd.DataFrame({"list_serious_dishonest": [1], "commitments_kept": [3]})
    assert credit_grade(frame, AS_OF)[1].iloc[0] == "D"


def test_reason_codes_name_only_features_that_raise_risk() -> None:
    names = ["penalties_serious_24m", "age_years", "linked_penalties", "key_sector"]
    contrib = np.array([[0.9, -2.0, 0.3, 0.5], [-0.1, -0.2, 0.0, 0.05]])
    codes = reason_codes(contrib, names, top=3)
    assert codes == [["penalties_serious_24m", "key_sector", "linked_penalties"], ["key_sector"]]
    with pytest.raises(ValueError, match="shape"):
        reason_codes(contrib, names[:2])


def test_reason_phrases_patterns_overrides_and_fallback() -> None:
    phrase = reason_phrase("penalties_serious_24m")
    assert phrase.zh == "近24个月有严重行政处罚"
    assert phrase.en == "Serious penalty in the last 24 months"
    assert "经营异常名录" in reason_phrase("list_abnormal_operation").zh
    assert reason_phrase("brand_new_feature") == Phrase("brand_new_feature", "brand_new_feature")
    custom = {"brand_new_feature": Phrase("新特征", "a new feature")}
    assert reason_phrase("brand_new_feature", custom).text() == "新特征 / a new feature"


def test_every_feature_has_a_plain_language_reason() -> None:
    from riskgraph.models.features import FEATURE_NAMES
    from riskgraph.models.reasons import reason_phrase

    for name in FEATURE_NAMES:
        phrase = reason_phrase(name)
        assert phrase.zh != name and phrase.en != name, name
        assert not any(ch.isascii() and ch.isalpha() for ch in phrase.zh), (name, phrase.zh)


def test_reasons_need_values_that_bear_their_phrase_out() -> None:
    from riskgraph.models.reasons import reason_evidence

    frame = pd.DataFrame({
        "inspection_failure_rate_shrunk": [0.9, 0.95, 0.1],
        "past_inspection_failures": [0, 2, 1],  # never failed: a shrunk rate is a prior
        "days_since_last_complaint": [30, 400, np.nan],
        "days_since_last_inspection": [30, 400, np.nan],
        "complaints_recent": [0.2, 0.9, 0.0],
        "site_failure_ratio": [0.8, 1.5, np.nan],
        "linked_subjects_1hop": [1, 1, 5],
        "age_years": [1.0, np.nan, 3.0],
        "outside_feature": [np.nan, -1.0, 0.0],
    })
    names = list(frame.columns)
    got = pd.DataFrame(reason_evidence(frame, names), columns=names)
    assert got["inspection_failure_rate_shrunk"].tolist() == [False, True, False]
    assert got["days_since_last_complaint"].tolist() == [True, False, False]
    assert got["days_since_last_inspection"].tolist() == [False, True, True]
    assert got["complaints_recent"].tolist() == [False, True, False]
    assert got["site_failure_ratio"].tolist() == [False, True, False]
    assert got["linked_subjects_1hop"].tolist() == [False, False, True]  # above the median
    assert got["age_years"].tolist() == [True, False, True]
    assert got["outside_feature"].tolist() == [False, True, True]  # another model's: known
    contributions = np.ones(frame.shape)
    picked = reason_codes(contributions, names, top=2, evidence=reason_evidence(frame, names))
    assert picked[0] == ["days_since_last_complaint", "age_years"]
    with pytest.raises(ValueError, match="evidence shape"):
        reason_codes(contributions, names, evidence=np.ones((3, 2), bool))


def test_an_industry_reason_needs_an_industry_that_fails_more_than_the_city() -> None:
    from riskgraph.models.reasons import reason_evidence

    names = ["industry_code", "industry_share", "industry_failure_rate"]
    # the mean rate of the subjects is 0.15: 0.07 and 0.15 are not "an industry with more
    # violations"; 0.26 is
    rates = [0.07, 0.12, 0.15, 0.26]
    frame = pd.DataFrame({"industry_code": [3, 5, 7, 9], "industry_share": [0.1] * 4,
                          "industry_failure_rate": rates})
    got = reason_evidence(frame, names)
    assert got.tolist() == [[False] * 3, [False] * 3, [False] * 3, [True] * 3]
    # a city of one industry: the rates of the other members differ only in the fourth
    # decimal, and no subject's industry is riskier than the city
    one = frame.assign(industry_failure_rate=[0.1501, 0.1508, 0.1503, 0.1502])
    assert not reason_evidence(one, names).any()
    # a model without the industry's rate gives no industry reason
    assert not reason_evidence(frame[["industry_code"]], ["industry_code"]).any()


def test_every_feature_has_an_evidence_rule_that_exists() -> None:
    from riskgraph.models.features import FEATURE_NAMES
    from riskgraph.models.phrases import EVIDENCE
    from riskgraph.models.reasons import reason_evidence

    assert set(EVIDENCE) <= set(FEATURE_NAMES)
    frame = pd.DataFrame(np.ones((2, len(FEATURE_NAMES))), columns=list(FEATURE_NAMES))
    assert reason_evidence(frame, list(FEATURE_NAMES)).shape == frame.shape


def test_score_warns_of_empty_classes_and_a_model_that_tells_few_apart() -> None:
    from riskgraph.api.commands import score_warnings

    rng = np.random.default_rng(0)
    fine = pd.DataFrame({"prob": rng.random(400), "risk_class": list("ABCD") * 100})
    assert score_warnings(fine) == []
    coarse = pd.DataFrame({"prob": np.repeat([0.0005, 0.0011, 0.0012], [100, 200, 100]),
                           "risk_class": ["B"] * 300 + ["C"] * 100})
    warnings = score_warnings(coarse)
    assert any("A, D hold no subject" in w for w in warnings)
    assert any("only 3 distinct probabilities" in w for w in warnings)


def test_an_as_of_day_more_than_a_year_ahead_is_refused(capsys: pytest.CaptureFixture) -> None:
    from riskgraph.api.commands import _as_of

    today = dt.date(2026, 11, 28)
    assert _as_of(None, today) == today
    assert _as_of("2026-12-31", today) == dt.date(2026, 12, 31)
    assert "after today" in capsys.readouterr().err
    with pytest.raises(ValueError, match="more than a year after today"):
        _as_of("2099-01-01", today)


def test_plain_reasons_say_a_phrase_once_and_neutral_features_by_their_value() -> None:
    from riskgraph.models.reasons import plain_reasons

    frame = pd.DataFrame({
        "penalties_recent": [1.0, 1.0, 0.0],
        "days_since_last_penalty": [30.0, 30.0, np.nan],  # the same phrase as the count
        "age_years": [0.5, 20.0, 3.0],
        "kind_code": [1.0, 3.0, 0.0],
        "complaints_12m": [2.0, 0.0, 0.0],
    })
    contributions = np.array([[0.5, 0.4, 0.3, 0.2, 0.1],
                              [0.1, 0.4, 0.5, 0.3, 0.0],
                              [0.0, 0.0, 0.2, 0.3, 0.0]])
    got = plain_reasons(contributions, frame, top=3)
    assert got == [["penalties_recent", "age_years:low", "kind_code:individual"],
                   ["age_years:high", "days_since_last_penalty", "kind_code:branch"],
                   ["kind_code:enterprise", "age_years:low"]]
    words = [reason_phrase(code).en for code in got[0] + got[1]]
    assert words[1:3] == ["a young business", "kind of business: an individual business"]
    assert words[3] == "a long-established business"
    assert len({reason_phrase(c).zh for c in got[0]}) == 3


def test_a_past_day_scored_by_a_model_that_learnt_from_later_days_is_warned_of() -> None:
    from riskgraph.api.commands import model_warnings

    today = dt.date(2026, 11, 28)
    card = {"version": "V", "training_window": ["2020-01-01", "2026-11-28"]}
    assert model_warnings(card, today, today) == []  # today's inspections: nothing later
    assert "trained on inspections up to 2026-11-28, on or after the as-of day 2026-06-30" \
        in model_warnings(card, dt.date(2026, 6, 30), today)[0]
    card["training_window"][1] = "2026-06-29"
    assert model_warnings(card, dt.date(2026, 6, 30), today) == []
