"""The task spec of a double-random draw, its seed, and its check against the item catalogue."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from riskgraph.models.draws._frames import require_columns, require_filled, require_unique, truthy
from riskgraph.models.draws.errors import SpecError

CLASSES = ("A", "B", "C", "D")
UNCLASSIFIED = "U"  # stratum label of subjects not yet given a risk class
DEFAULT_CLASS_RATIOS = {"A": 0.03, "B": 0.05, "C": 0.15, "D": 0.40}
DEFAULT_MIN_INTERVAL_DAYS = {"A": 365, "B": 180, "C": 90, "D": 0}
NON_KEY_RATIO_CAP = 0.5  # no ratio above this unless the task has a key item
DEFAULT_MIN_RATIO = 0.001  # a ratio of 0 is floored here: every eligible subject can be drawn
SEED_DOMAIN = "riskgraph.draws.seed/1"

_SPEC_CODES = frozenset({"ratio_out_of_range", "unknown_class", "missing_seed", "invalid_spec"})


def _check_ratio(value: float, name: str) -> float:
    if not 0.0 <= value <= 1.0:  # also refuses NaN
        raise PydanticCustomError(
            "ratio_out_of_range",
            "{name} must lie in [0, 1], got {value}",
            {"name": name, "value": value},
        )
    return value


def _check_classes(mapping: Mapping[str, Any]) -> None:
    unknown = sorted(set(mapping) - set(CLASSES))
    if unknown:
        raise PydanticCustomError(
            "unknown_class",
            "risk classes are A, B, C, D; unknown: {unknown}",
            {"unknown": ", ".join(unknown)},
        )


class DrawSpec(BaseModel):
    """One double-random inspection task: who may be drawn, at what ratio, by whom.

    Construct with keyword arguments or :func:`load_spec`; a bad spec raises
    :class:`SpecError` with a stable ``code``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)  # new tasks: see check_task_id
    title: str = ""
    departments: tuple[str, ...] = Field(min_length=1)
    items: tuple[str, ...] = Field(min_length=1)
    as_of: dt.date  # draw date: start of the window and reference for the intervals
    window_days: int = Field(default=30, ge=1)
    regions: tuple[str, ...] | None = None  # None: every region
    industries: tuple[str, ...] | None = None  # None: every industry (exact values)
    statuses: tuple[str, ...] = ("active",)  # cancelled and revoked are never eligible
    exclude_uscc: tuple[str, ...] = ()
    base_ratio: float = 0.05  # unclassified subjects, and the base of class_multipliers
    class_ratios: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_CLASS_RATIOS))
    class_multipliers: dict[str, float] | None = None
    min_ratio: float = DEFAULT_MIN_RATIO
    min_interval_days: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_MIN_INTERVAL_DAYS)
    )
    unclassified_interval_days: int = Field(default=0, ge=0)
    inspectors_per_subject: int = Field(default=2, ge=1)  # per department of the task
    cross_region: bool = False  # inspectors never from the subject's region
    local_inspectors: bool = True  # without cross_region: the subject's region or city-level
    workload_cap: int = Field(default=30, ge=1)  # visits per inspector in the window
    seed: StrictInt | StrictStr | None = None

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _spec_error(exc) from exc

    @field_validator("departments", "items", "regions", "industries", "statuses", "exclude_uscc")
    @classmethod
    def _sorted_unique(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        # Canonical order makes the record, and so its hash, independent of how it was typed.
        return None if value is None else tuple(sorted({v.strip() for v in value}))

    @field_validator("base_ratio")
    @classmethod
    def _base_ratio(cls, value: float) -> float:
        return _check_ratio(value, "base_ratio")

    @field_validator("min_ratio")
    @classmethod
    def _min_ratio(cls, value: float) -> float:
        if value == 0:
            raise PydanticCustomError("ratio_out_of_range", "min_ratio must be above 0")
        return _check_ratio(value, "min_ratio")

    @field_validator("class_ratios")
    @classmethod
    def _class_ratios(cls, value: dict[str, float]) -> dict[str, float]:
        _check_classes(value)
        for key, ratio in value.items():
            _check_ratio(ratio, f"class_ratios[{key}]")
        return {**DEFAULT_CLASS_RATIOS, **value}

    @field_validator("class_multipliers")
    @classmethod
    def _multipliers(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is None:
            return None
        _check_classes(value)
        for key, mult in value.items():
            if not mult >= 0.0:
                raise PydanticCustomError(
                    "ratio_out_of_range", "class_multipliers[{key}] must be >= 0", {"key": key}
                )
        return dict(value)

    @field_validator("min_interval_days")
    @classmethod
    def _intervals(cls, value: dict[str, int]) -> dict[str, int]:
        _check_classes(value)
        if any(days < 0 for days in value.values()):
            raise PydanticCustomError("invalid_spec", "min_interval_days must be >= 0")
        return {**DEFAULT_MIN_INTERVAL_DAYS, **value}

    @model_validator(mode="after")
    def _effective_ratios(self) -> DrawSpec:
        for cls_, ratio in self.ratios().items():
            if ratio > 1:
                raise PydanticCustomError(
                    "ratio_out_of_range",
                    "effective ratio of class {cls} is {ratio} > 1",
                    {"cls": cls_, "ratio": float(ratio)},
                )
        return self

    def ratios(self) -> dict[str, Fraction]:
        """Return the exact sampling ratio of each class (A-D and U), floored at min_ratio.

        Ratios are read as the decimals they were written as (0.03 is 3/100 exactly), so
        ``N * ratio`` has no binary rounding error.
        """
        base = _exact(self.base_ratio)
        floor = _exact(self.min_ratio)
        out: dict[str, Fraction] = {}
        for cls_ in CLASSES:
            if self.class_multipliers is not None and cls_ in self.class_multipliers:
                raw = base * _exact(self.class_multipliers[cls_])
            else:
                raw = _exact(self.class_ratios[cls_])
            out[cls_] = max(raw, floor)
        out[UNCLASSIFIED] = max(base, floor)
        return out

    def interval_days(self) -> dict[str, int]:
        """Return the minimum days since the last inspection for each class (A-D and U)."""
        return {**self.min_interval_days, UNCLASSIFIED: self.unclassified_interval_days}


def _exact(value: float) -> Fraction:
    return Fraction(repr(float(value)))


def _spec_error(exc: ValidationError) -> SpecError:
    errors = exc.errors()
    chosen = next((e for e in errors if e["type"] in _SPEC_CODES), errors[0])
    where = ".".join(str(p) for p in chosen["loc"]) or "spec"
    code = chosen["type"] if chosen["type"] in _SPEC_CODES else "invalid_spec"
    return SpecError(f"{where}: {chosen['msg']}", code=code, field=where)


def load_spec(source: str | Path | Mapping[str, Any]) -> DrawSpec:
    """Load a spec from a mapping, a ``.json``/``.yaml`` file, or JSON/YAML text.

    In YAML, quote a published seed (``seed: "0123 45"``): YAML 1.1 reads bare ``0123``
    as an octal number.
    """
    if isinstance(source, Mapping):
        spec = DrawSpec(**source)
        check_task_id(spec.id)
        return spec
    path = _as_path(source)
    text = path.read_text(encoding="utf-8") if path is not None else str(source)
    try:
        if path is not None and path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = yaml.safe_load(text)  # YAML is a superset of JSON
    except (ValueError, yaml.YAMLError) as exc:
        raise SpecError(f"spec is not valid JSON/YAML: {exc}", code="invalid_spec") from exc
    if not isinstance(data, Mapping):
        raise SpecError("spec must be a mapping of fields", code="invalid_spec")
    _check_seed_text(text, data)
    spec = DrawSpec(**data)
    check_task_id(spec.id)
    return spec


# A new task's id names its folder of kept inputs and its public list: letters (any
# script), digits, '.', '_' and '-', starting with a letter or digit, so it can never be
# a path ('../x', 'a/b') that writes outside or over another draw's folder. Checked when a
# spec is loaded and when a draw is made, not when a sealed record is re-verified.
TASK_ID = re.compile(r"[^\W_][\w.\-]{0,127}")


def check_task_id(task_id: str) -> str:
    """Return ``task_id`` if a new task may use it, else raise ``invalid_spec``."""
    if not TASK_ID.fullmatch(task_id):
        raise SpecError(f"task id {task_id!r}: use letters, digits, '.', '_' and '-' "
                        "(up to 128, starting with a letter or digit)", code="invalid_spec",
                        field="id")
    return task_id


def _check_seed_text(text: str, data: Mapping[str, Any]) -> None:
    """Refuse a bare YAML seed that YAML reads as another number (``0123`` is octal 83,
    ``1_000`` is 1000): the published value and the drawn one must be the same."""
    seed = data.get("seed")
    if not isinstance(seed, int) or isinstance(seed, bool):
        return
    try:
        raw = yaml.load(text, Loader=yaml.BaseLoader)  # every scalar as written
    except yaml.YAMLError:
        return
    written = raw.get("seed") if isinstance(raw, Mapping) else None
    if isinstance(written, str) and written.strip() != str(seed):
        raise SpecError(f"seed {written.strip()} would be read as the number {seed}: quote "
                        f'it (seed: "{written.strip()}")', code="invalid_spec", field="seed")


def _as_path(source: str | Path) -> Path | None:
    """Return ``source`` as an existing file path, or None when it is spec text."""
    if isinstance(source, str) and ("\n" in source or source.lstrip().startswith("{")):
        return None
    path = Path(source)
    try:
        if path.is_file():
            return path
    except OSError:  # a long one-line spec is not a file name
        return None
    if isinstance(source, Path) or path.suffix.lower() in (".json", ".yaml", ".yml"):
        raise SpecError(f"no spec file at {str(path)!r}", code="invalid_spec")
    return None


def seed_entropy(spec: DrawSpec) -> int:
    """Turn the spec's seed into 256 bits of entropy; raise ``missing_seed`` when absent.

    The seed (an integer or a published random value such as a lottery number, whitespace
    stripped; ``123`` and ``"123"`` are the same seed) is hashed with the task id, so two
    tasks given the same published value still draw independently.
    """
    seed = spec.seed
    value = "" if seed is None else str(seed).strip()
    if not value:
        raise SpecError(f"task {spec.id!r} has no seed", code="missing_seed")
    material = json.dumps([SEED_DOMAIN, spec.id, value], ensure_ascii=False, separators=(",", ":"))
    return int.from_bytes(hashlib.sha256(material.encode("utf-8")).digest(), "big")


@dataclass(frozen=True)
class TaskPlan:
    """A spec checked against the catalogue: its items by department and exact ratios."""

    spec: DrawSpec
    items_by_department: dict[str, tuple[str, ...]]
    key_items: tuple[str, ...]
    ratios: dict[str, Fraction]

    @property
    def departments(self) -> tuple[str, ...]:
        """Return the task's departments in canonical (sorted) order."""
        return tuple(sorted(self.items_by_department))

    @property
    def uncapped(self) -> bool:
        """Return whether a key item lifts the non-key ratio cap."""
        return bool(self.key_items)


def resolve_task(spec: DrawSpec, catalogue: pd.DataFrame) -> TaskPlan:
    """Check ``spec`` against the item catalogue (``item_code, department[, key_item]``)."""
    require_columns(catalogue, ("item_code", "department"), "catalogue")
    require_filled(catalogue, ("item_code", "department"), "catalogue")
    require_unique(catalogue, "item_code", "catalogue")
    codes = catalogue["item_code"].astype(str).tolist()
    depts = catalogue["department"].astype(str).tolist()
    if "key_item" in catalogue.columns:
        keys = truthy(catalogue["key_item"]).tolist()
    else:
        keys = [False] * len(codes)
    department_of = dict(zip(codes, depts, strict=True))
    is_key = dict(zip(codes, keys, strict=True))

    unknown = [i for i in spec.items if i not in department_of]
    if unknown:
        raise SpecError(
            f"unknown item(s): {', '.join(unknown)}", code="unknown_item", items=unknown
        )
    known_depts = set(depts)
    unknown = [d for d in spec.departments if d not in known_depts]
    if unknown:
        raise SpecError(
            f"unknown department(s): {', '.join(unknown)}",
            code="unknown_department",
            departments=unknown,
        )
    by_dept: dict[str, list[str]] = {d: [] for d in spec.departments}
    for item in spec.items:
        dept = department_of[item]
        if dept not in by_dept:
            raise SpecError(
                f"item {item!r} belongs to department {dept!r}, which is not in the task",
                code="item_department_mismatch",
                item=item,
                department=dept,
            )
        by_dept[dept].append(item)
    idle = [d for d, items in by_dept.items() if not items]
    if idle:
        raise SpecError(
            f"department(s) with no item in the task: {', '.join(idle)}",
            code="department_without_items",
            departments=idle,
        )
    key_items = tuple(i for i in spec.items if is_key[i])
    ratios = spec.ratios()
    if not key_items:
        over = {c: float(r) for c, r in ratios.items() if r > _exact(NON_KEY_RATIO_CAP)}
        if over:
            raise SpecError(
                f"ratios above the {NON_KEY_RATIO_CAP:.0%} cap for a task without key items: "
                f"{over}",
                code="ratio_above_cap",
                ratios=over,
            )
    return TaskPlan(
        spec=spec,
        items_by_department={d: tuple(v) for d, v in sorted(by_dept.items())},
        key_items=key_items,
        ratios=ratios,
    )
