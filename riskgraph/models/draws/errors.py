"""Errors of the draw engine: one small hierarchy, each error with a stable ``code``."""

from __future__ import annotations

from typing import Any


class DrawError(Exception):
    """A draw could not be planned, made, verified or estimated as asked."""

    code = "draw_error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.details: dict[str, Any] = details

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={str(self)!r})"


class SpecError(DrawError):
    """The task spec is invalid, or does not fit the catalogue.

    Codes: ``invalid_spec``, ``ratio_out_of_range``, ``ratio_above_cap``, ``unknown_class``,
    ``unknown_item``, ``unknown_department``, ``item_department_mismatch``,
    ``department_without_items``, ``missing_seed``, ``target_unreachable``.
    """

    code = "invalid_spec"


class InputError(DrawError):
    """An input frame (population, inspectors, conflicts, catalogue, outcomes) is unusable.

    Codes: ``missing_column``, ``missing_value``, ``duplicate_key``, ``invalid_value``,
    ``empty_population``, ``unknown_region``, ``unknown_industry``, ``unknown_subject``,
    ``missing_outcome``, ``no_results``.
    """

    code = "invalid_input"


class StaffingError(DrawError):
    """More inspectors are needed than exist for the task (``not_enough_inspectors``)."""

    code = "not_enough_inspectors"


class RecordError(DrawError):
    """A draw record is malformed or cannot be combined with others.

    Codes: ``invalid_record``, ``window_mismatch``, ``duplicate_draw``.
    """

    code = "invalid_record"
