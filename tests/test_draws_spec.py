"""Task specs: loading, defaults, seeds, and every bad-spec error code."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

from riskgraph.models.draws import (
    DEFAULT_MIN_RATIO,
    DrawError,
    DrawSpec,
    InputError,
    SpecError,
    StaffingError,
    load_spec,
    resolve_task,
    run_draw,
    seed_entropy,
)
from riskgraph.models.draws.sampling import check_scope
from riskgraph.models.draws.spec import check_task_id
from tests.draw_factories import (
    CREATED,
    make_catalogue,
    make_inspectors,
    make_population,
    make_spec,
    no_conflicts,
)


def draw(
    spec: DrawSpec, population: pd.DataFrame | None = None, inspectors: pd.DataFrame | None = None
) -> dict:
    return run_draw(
        spec,
        make_population() if population is None else population,
        make_inspectors() if inspectors is None else inspectors,
        no_conflicts(),
        make_catalogue(),
        created_at=CREATED,
    )


def test_defaults_follow_national_practice() -> None:
    spec = make_spec()
    ratios = spec.ratios()
    assert ratios["A"] == Fraction(3, 100) and ratios["D"] == Fraction(40, 100)
    assert spec.interval_days() == {"A": 365, "B": 180, "C": 90, "D": 0, "U": 0}
    assert spec.inspectors_per_subject == 2 and spec.statuses == ("active",)


def test_partial_class_ratios_keep_the_other_defaults_and_multipliers_are_exact() -> None:
    spec = make_spec(class_ratios={"D": 0.5}, items=["X2"])
    assert spec.ratios()["D"] == Fraction(1, 2) and spec.ratios()["A"] == Fraction(3, 100)
    spec = make_spec(base_ratio=0.05, class_multipliers={"C": 3})
    assert spec.ratios()["C"] == Fraction(15, 100)  # not 0.15000000000000002


def test_a_zero_ratio_is_floored_so_everyone_can_be_drawn() -> None:
    spec = make_spec(class_ratios={"A": 0.0})
    assert spec.ratios()["A"] == Fraction(str(DEFAULT_MIN_RATIO)) > 0


def test_lists_are_canonical_sorted_and_unique() -> None:
    spec = make_spec(departments=["D2", "D1", "D1"], items=["Y1", "X1"])
    assert spec.departments == ("D1", "D2") and spec.items == ("X1", "Y1")


def test_load_spec_from_json_yaml_and_mapping(tmp_path: Path) -> None:
    data = {
        "id": "T9",
        "departments": ["D1"],
        "items": ["X1"],
        "as_of": "2025-03-01",
        "seed": "07 12 19 23 28 33 + 05",
        "class_ratios": {"D": 0.3},
    }
    (tmp_path / "t.json").write_text(json.dumps(data), encoding="utf-8")
    yaml_text = (
        "id: T9\ndepartments: [D1]\nitems: [X1]\nas_of: 2025-03-01\n"
        "seed: '07 12 19 23 28 33 + 05'\nclass_ratios: {D: 0.3}\n"
    )
    (tmp_path / "t.yaml").write_text(yaml_text, encoding="utf-8")
    specs = [
        load_spec(tmp_path / "t.json"),
        load_spec(str(tmp_path / "t.yaml")),
        load_spec(yaml_text),
        load_spec(data),
        load_spec(json.dumps(data)),
    ]
    assert all(s == specs[0] for s in specs)
    assert specs[0].ratios()["D"] == Fraction(3, 10)


def test_a_bare_yaml_seed_read_as_another_number_is_refused() -> None:
    base = "id: T1\ndepartments: [D1]\nitems: [X1]\nas_of: 2025-04-01\n"
    for bare in ("0123", "1_000", "0x1F"):
        with pytest.raises(SpecError) as err:
            load_spec(base + f"seed: {bare}\n")
        assert err.value.code == "invalid_spec" and "quote it" in str(err.value)
    assert load_spec(base + 'seed: "0123"\n').seed == "0123"
    assert load_spec(base + "seed: 123\n").seed == 123
    assert load_spec('{"id": "T1", "departments": ["D1"], "items": ["X1"], '
                     '"as_of": "2025-04-01", "seed": 7}').seed == 7


def test_a_new_task_id_is_a_name_never_a_path() -> None:
    fields = {"departments": ["D1"], "items": ["X1"], "as_of": "2025-04-01", "seed": 1}
    for task_id in ("SCJG-2025-Q2-017", "济宁.食品.2026_W48", "T1"):
        assert load_spec({**fields, "id": task_id}).id == task_id
    # an id names the draw's folder: never a path out of it or into another draw's
    for task_id in ("../../escape", "X/../T-2025-001", "SCJG/2026/W48", ".hidden", "a\\b",
                    "x" * 129):
        with pytest.raises(SpecError) as err:
            load_spec({**fields, "id": task_id})
        assert err.value.code == "invalid_spec"
        with pytest.raises(SpecError):
            check_task_id(task_id)
    # a sealed record keeps whatever id it was drawn with, so it can still be verified
    assert make_spec(id="SCJG 2025 Q2").id == "SCJG 2025 Q2"


def test_seed_text_is_hashed_with_the_task_id() -> None:
    assert seed_entropy(make_spec(seed=123)) == seed_entropy(make_spec(seed=" 123 "))
    assert seed_entropy(make_spec(seed=123)) != seed_entropy(make_spec(seed=124))
    assert seed_entropy(make_spec(seed=123)) != seed_entropy(make_spec(id="other", seed=123))
    assert 0 < seed_entropy(make_spec(seed="福彩3D 2025056 开奖 3 8 1")) < 2**256


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"class_ratios": {"A": 1.5}}, "ratio_out_of_range"),
        ({"class_ratios": {"B": -0.01}}, "ratio_out_of_range"),
        ({"base_ratio": 1.01}, "ratio_out_of_range"),
        ({"base_ratio": 0.5, "class_multipliers": {"D": 3}}, "ratio_out_of_range"),
        ({"min_ratio": 0}, "ratio_out_of_range"),
        ({"class_ratios": {"E": 0.1}}, "unknown_class"),
        ({"departments": []}, "invalid_spec"),
        ({"inspectors_per_subject": 0}, "invalid_spec"),
        ({"sample_ratio": 0.1}, "invalid_spec"),  # a typo is refused, not ignored
        ({"seed": True}, "invalid_spec"),
    ],
)
def test_bad_spec_fields_are_refused_with_a_code(fields: dict, code: str) -> None:
    with pytest.raises(SpecError) as err:
        make_spec(**fields)
    assert err.value.code == code
    assert isinstance(err.value, DrawError) and str(err.value)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"items": ["NOPE"]}, "unknown_item"),
        ({"departments": ["D1", "D9"], "items": ["X1"]}, "unknown_department"),
        ({"departments": ["D1"], "items": ["X1", "Y1"]}, "item_department_mismatch"),
        ({"departments": ["D1", "D2"], "items": ["X1"]}, "department_without_items"),
        ({"class_ratios": {"D": 0.6}}, "ratio_above_cap"),
    ],
)
def test_specs_that_do_not_fit_the_catalogue_are_refused(fields: dict, code: str) -> None:
    with pytest.raises(SpecError) as err:
        resolve_task(make_spec(**fields), make_catalogue())
    assert err.value.code == code


def test_a_key_item_lifts_the_cap_up_to_100_percent() -> None:
    plan = resolve_task(make_spec(items=["X1", "X2"], class_ratios={"D": 1.0}), make_catalogue())
    assert plan.uncapped and plan.key_items == ("X2",) and plan.ratios["D"] == 1
    record = draw(make_spec(items=["X2"], class_ratios={"D": 1.0}, workload_cap=200))
    drawn_d = sum(1 for row in record["results"]["drawn"] if row["risk_class"] == "D")
    eligible_d = sum(s["N"] for s in record["strata"] if s["risk_class"] == "D")
    assert drawn_d == eligible_d


@pytest.mark.parametrize("seed", [None, "", "   "])
def test_no_seed_is_refused_at_draw_time(seed: object) -> None:
    spec = make_spec(seed=seed)  # a spec may be planned before the lottery is drawn
    with pytest.raises(SpecError) as err:
        draw(spec)
    assert err.value.code == "missing_seed"


def test_empty_population_is_refused() -> None:
    with pytest.raises(InputError) as err:
        draw(make_spec(), population=make_population().iloc[:0])
    assert err.value.code == "empty_population"
    with pytest.raises(InputError) as err:
        draw(make_spec(regions=["nowhere"]))
    assert err.value.code == "empty_population"


def test_a_scope_no_subject_has_is_a_typo() -> None:
    pop = make_population()
    with pytest.raises(InputError) as err:
        check_scope(make_spec(regions=["R1", "nowhere"]), pop)
    assert err.value.code == "unknown_region" and "'nowhere'" in str(err.value)
    with pytest.raises(InputError) as err:
        check_scope(make_spec(industries=["food", "fod"]), pop)
    assert err.value.code == "unknown_industry" and "'fod'" in str(err.value)
    check_scope(make_spec(regions=["R1"], industries=["food"]), pop)  # known: fine
    # the draw itself does not check: a pre-filtered frame draws as the whole one does
    spec = make_spec(regions=["R1", "R2"])
    pop.loc[pop["region"] == "R2", "status"] = "cancelled"
    active = pop[pop["status"] == "active"]
    assert draw(spec, population=active)["results"] == draw(spec, population=pop)["results"]


def test_more_inspectors_than_exist_is_refused() -> None:
    with pytest.raises(StaffingError) as err:
        draw(make_spec(inspectors_per_subject=13))  # D1 has 12 qualified inspectors
    assert err.value.code == "not_enough_inspectors"
    assert err.value.details["department"] == "D1"
    with pytest.raises(StaffingError) as err:
        draw(make_spec(workload_cap=1, class_ratios={"A": 0.5, "B": 0.5, "C": 0.5, "D": 0.5}))
    assert err.value.code == "not_enough_inspectors"


def test_missing_columns_and_duplicates_are_input_errors() -> None:
    with pytest.raises(InputError) as err:
        draw(make_spec(), population=make_population().drop(columns="risk_class"))
    assert err.value.code == "missing_column"
    pop = make_population(10)
    with pytest.raises(InputError) as err:
        draw(make_spec(), population=pd.concat([pop, pop.iloc[:1]]))
    assert err.value.code == "duplicate_key"
    with pytest.raises(InputError) as err:
        draw(make_spec(), population=make_population(10, risk_class="Z"))
    assert err.value.code == "invalid_value"


def test_factories_make_valid_frames() -> None:
    from riskgraph.etl.codes import uscc_error

    pop = make_population(20)
    assert all(uscc_error(u) is None for u in pop["uscc"])
    assert make_spec().departments == ("D1",)
    assert set(make_inspectors()["department"]) == {"D1", "D2"}


def test_key_item_flags_read_as_numbers_from_a_csv() -> None:
    # 0/1 with one empty cell reads as floats: 0.0 is not a key item, 1.0 is.
    import io

    catalogue = pd.read_csv(io.StringIO("item_code,department,key_item\nX1,D1,0\nX2,D1,1\nY1,D2,\n"))
    assert catalogue["key_item"].dtype == "float64"
    plain = make_spec(departments=["D1"], items=["X1"], class_ratios={"D": 0.9})
    with pytest.raises(SpecError) as err:
        resolve_task(plain, catalogue)
    assert err.value.code == "ratio_above_cap"
    keyed = resolve_task(make_spec(departments=["D1"], items=["X2"], class_ratios={"D": 0.9}),
                         catalogue)
    assert keyed.key_items == ("X2",) and keyed.uncapped
