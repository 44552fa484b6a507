"""Small helpers shared by the draw modules: column checks, flags, fingerprints."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import pandas as pd

from riskgraph.models.draws.errors import InputError

_FALSE_WORDS = frozenset({"", "0", "false", "no", "n", "none", "nan", "否", "f"})


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise ``missing_column`` when ``frame`` lacks any of ``columns``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"{what} frame lacks column(s) {', '.join(missing)}",
            code="missing_column",
            frame=what,
            columns=missing,
        )


def require_filled(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise ``missing_value`` when any of ``columns`` has an empty cell."""
    for column in columns:
        empty = frame[column].isna()
        if empty.any():
            raise InputError(
                f"{what} frame has {int(empty.sum())} empty value(s) in {column!r}",
                code="missing_value",
                frame=what,
                column=column,
            )


def require_unique(frame: pd.DataFrame, column: str, what: str) -> None:
    """Raise ``duplicate_key`` when ``column`` repeats a value."""
    dup = frame[column].duplicated()
    if dup.any():
        first = str(frame.loc[dup, column].iloc[0])
        raise InputError(
            f"{what} frame repeats {column} {first!r}",
            code="duplicate_key",
            frame=what,
            column=column,
            value=first,
        )


def codes(values: pd.Series) -> pd.Series:
    """Read a column of codes (regions, ids) as text. A code column read as numbers turns
    into floats as soon as one cell is empty (``370802`` -> ``370802.0``); those read back
    as the code, so they match the same code read as text."""
    if pd.api.types.is_float_dtype(values):
        whole = values.notna() & (values % 1 == 0)
        text = values.astype("string")
        text[whole] = values[whole].astype("int64").astype("string")
        return text
    return values.astype("string")


def truthy(values: pd.Series) -> pd.Series:
    """Read a flag column: booleans, numbers (non-zero is true), or words (any non-empty
    word but 'false' is true).

    The catalogue's ``key_item`` may hold the kind of key item (``safety``, ``quality``,
    ``public_interest``) rather than a boolean, so any such word counts as true.
    """
    if pd.api.types.is_bool_dtype(values):
        return values.fillna(False).astype(bool)
    if pd.api.types.is_numeric_dtype(values):  # 0/1 read as numbers, 0.0 when one is empty
        return (values.fillna(0) != 0).astype(bool)
    text = values.astype("string").str.strip().str.lower().fillna("")
    return ~text.isin(_FALSE_WORDS)


def sha256_lines(lines: Iterable[str]) -> str:
    """Return the SHA-256 hex digest of the lines joined with newlines (UTF-8)."""
    digest = hashlib.sha256()
    digest.update("\n".join(lines).encode("utf-8"))
    return digest.hexdigest()


def as_text(values: pd.Series) -> pd.Series:
    """Return ``values`` as plain Python strings with empty cells as ''."""
    return values.astype("string").fillna("").astype(object)
