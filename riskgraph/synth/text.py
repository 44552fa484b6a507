"""Vectorised text and sampling helpers: whole columns at once, never a loop per row."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

FULLWIDTH_DIGITS = "０１２３４５６７８９"
EPOCH = np.datetime64("1970-01-01", "D")


def take(vocab: Sequence[str], index: np.ndarray) -> pa.Array:
    """Return ``vocab[index]`` as a string column."""
    return pa.array(list(vocab), pa.string()).take(pa.array(np.asarray(index, np.int64)))


def join(*parts: pa.Array | str) -> pa.Array:
    """Concatenate string columns (and constants) element-wise."""
    return pc.binary_join_element_wise(*parts, "")


def digits(values: np.ndarray, width: int = 0) -> pa.Array:
    """Format integers as decimal strings, left-padded with zeros to ``width``."""
    text = pc.cast(pa.array(np.asarray(values, np.int64)), pa.string())
    return pc.utf8_lpad(text, width, "0") if width else text


def fullwidth(text: pa.Array) -> pa.Array:
    """Replace ASCII digits by full-width ones (１２３)."""
    for d, f in enumerate(FULLWIDTH_DIGITS):
        text = pc.replace_substring(text, str(d), f)
    return text


def where(mask: np.ndarray, a: pa.Array | str, b: pa.Array | str) -> pa.Array:
    """Element-wise ``a if mask else b``."""
    return pc.if_else(pa.array(np.asarray(mask, bool)), a, b)


def null_where(mask: np.ndarray, values: pa.Array) -> pa.Array:
    """Return ``values`` with the rows of ``mask`` set to null (written as empty)."""
    return pc.if_else(pa.array(np.asarray(mask, bool)), pa.scalar(None, values.type), values)


def flatten(lists: Sequence[Sequence]) -> tuple[list, np.ndarray, np.ndarray]:
    """Flatten per-group lists; return the items, each group's offset and count."""
    count = np.array([len(x) for x in lists], np.int64)
    offset = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    return [item for x in lists for item in x], offset, count


def choice(rng: np.random.Generator, weights: Sequence[float], size: int) -> np.ndarray:
    """Draw ``size`` category indices with the given (unnormalised) weights."""
    p = np.asarray(weights, np.float64)
    cdf = np.cumsum(p / p.sum())
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), len(p) - 1)


def choice_by_group(rng: np.random.Generator, table: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Draw one category per row from the weights row ``table[group]`` of that row."""
    table = np.asarray(table, np.float64)
    cdf = np.cumsum(table / table.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(group))
    out = np.zeros(len(group), np.int64)
    for g in range(len(table)):  # one pass per group, not per row
        rows = np.flatnonzero(group == g)
        if rows.size:
            out[rows] = np.searchsorted(cdf[g], u[rows], side="right")
    return np.minimum(out, table.shape[1] - 1)


def pick_within(
    rng: np.random.Generator, group: np.ndarray, pool_group: np.ndarray, skew: float = 1.0
) -> np.ndarray:
    """For each row pick a pool index of the same group (-1 when the group's pool is empty).

    ``skew > 1`` concentrates picks on the first members of each group's pool, which
    gives a heavy-tailed number of picks per member (serial entrepreneurs, chains).
    """
    if len(pool_group) == 0:
        return np.full(len(group), -1, np.int64)
    order = np.argsort(pool_group, kind="stable")
    groups = int(max(group.max(initial=0), pool_group.max(initial=0))) + 1
    start = np.searchsorted(pool_group[order], np.arange(groups), side="left")
    count = np.bincount(pool_group, minlength=groups)
    n = count[group]
    u = rng.random(len(group)) ** skew
    pos = start[group] + np.minimum((u * n).astype(np.int64), np.maximum(n - 1, 0))
    return np.where(n > 0, order[np.minimum(pos, len(order) - 1)], -1)


def group_rank(keys: Sequence[np.ndarray]) -> np.ndarray:
    """Return each row's 0-based rank within its group of equal ``keys[:-1]``.

    Rows are ordered within a group by the last key (lexsort order, stable).
    """
    order = np.lexsort(tuple(reversed(keys)))
    sorted_group = [k[order] for k in keys[:-1]]
    new = np.ones(len(order), bool)
    new[1:] = np.zeros(len(order) - 1, bool)
    for k in sorted_group:
        new[1:] |= k[1:] != k[:-1]
    starts = np.flatnonzero(new)
    run = np.repeat(starts, np.diff(np.append(starts, len(order))))
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order)) - run
    return rank


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split day numbers (days since 1970-01-01) into year, month and day arrays."""
    d = EPOCH + np.asarray(days, np.int64).astype("timedelta64[D]")
    y = d.astype("datetime64[Y]")
    m = d.astype("datetime64[M]")
    return (
        y.astype(np.int64) + 1970,
        (m - y.astype("datetime64[M]")).astype(np.int64) + 1,
        (d - m.astype("datetime64[D]")).astype(np.int64) + 1,
    )


def dates(days: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """Turn day numbers into a date column (written YYYY-MM-DD); ``missing`` rows are empty."""
    arr = pa.array(np.asarray(days, np.int32), pa.date32())
    return null_where(missing, arr) if missing is not None else arr


def day_number(year: int, month: int = 1, day: int = 1) -> int:
    """Return the day number (days since 1970-01-01) of a calendar date."""
    return int((np.datetime64(f"{year:04d}-{month:02d}-{day:02d}", "D") - EPOCH).astype(int))
