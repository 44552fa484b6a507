"""Dated events sorted by (owner, day), for exact counts before a day, and day helpers.

An "owner" is any integer id: a subject, a person, or a group of subjects (an address, an
industry). Counting before day t is a binary search on one sorted int64 key, so a
feature for millions of (owner, t) pairs costs a few vectorised searches.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

_SPAN = 1 << 24  # days per owner in a sort key (45,000 years)
_OFF = 1 << 23


class Events:
    """Dated events of one kind, sorted by (owner, day), for counts before a day."""

    def __init__(self, subj: np.ndarray, day: np.ndarray, ok: np.ndarray, n: int,
                 values: np.ndarray | None = None) -> None:
        ok = ok & (subj >= 0)
        key = subj[ok].astype(np.int64) * _SPAN + (day[ok].astype(np.int64) + _OFF)
        order = np.argsort(key, kind="stable")  # one int64 key: ~3x faster than lexsort
        self.n = n
        self.subj = subj[ok][order].astype(np.int64)
        self.day = day[ok][order]
        self.key = key[order]
        self.start = np.searchsorted(self.subj, np.arange(n + 1))
        self.values = np.zeros(len(order)) if values is None else np.nan_to_num(
            np.asarray(values, np.float64)[ok][order])
        self._within: np.ndarray | None = None  # running sums of values, on first total()
        self._decay: dict[float, tuple[np.ndarray, np.ndarray]] = {}

    def _pos(self, subj: np.ndarray, t: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.key, subj * _SPAN + np.clip(t + _OFF, 0, _SPAN - 1))

    def count(self, subj: np.ndarray, t: np.ndarray, window: int | None = None) -> np.ndarray:
        """Events of each subject dated before t (and on or after t - window)."""
        lo = self.start[subj] if window is None else self._pos(subj, t - window)
        return (self._pos(subj, t) - lo).astype(np.float64)

    def total(self, subj: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Sum of event values of each subject before t."""
        if self._within is None:
            self._within = self._running(self.values)
        return self._before(self._within, subj, t)[0]

    def _running(self, values: np.ndarray) -> np.ndarray:
        """Running sums of ``values`` restarted at each owner: one owner's sums never
        depend on another owner's values, not even in rounding (a global cumulative sum
        would let a later event of another owner move the last bit)."""
        return pd.Series(values).groupby(self.subj, sort=False).cumsum().to_numpy()

    def _before(self, running: np.ndarray, subj: np.ndarray,
                t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each subject's running sum over its events before t (0 with none), and whether
        it has any."""
        pos = self._pos(subj, t)
        has = pos > self.start[subj]
        if not len(running):
            return np.zeros(len(pos)), has
        return np.where(has, running[np.maximum(pos - 1, 0)], 0.0), has

    def decayed(self, subj: np.ndarray, t: np.ndarray, half_life: float) -> np.ndarray:
        """Events of each subject before t, each weighted 2^(-(t - day) / half_life)."""
        if not half_life >= 1.0:
            raise ValueError(f"half_life must be at least one day, got {half_life}")
        if half_life not in self._decay:
            # Weights relative to each subject's own last event (<= 1), summed per subject.
            last = np.zeros(self.n, np.float64)
            has = np.diff(self.start) > 0
            last[has] = self.day[self.start[1:][has] - 1]
            ref = last[self.subj]
            w = np.exp2((self.day.astype(np.float64) - ref) / half_life)
            self._decay[half_life] = (last, self._running(w))
        last, within = self._decay[half_life]
        total, has = self._before(within, subj, t)
        scale = np.exp2((last[subj] - np.asarray(t, np.float64)) / half_life)
        return np.where(has, total * scale, 0.0)

    def since_last(self, subj: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Days from each subject's last event before t to t (NaN when none)."""
        p = self._pos(subj, t) - 1
        has = p >= self.start[subj]
        if not len(self.day):
            return np.full(len(subj), np.nan)
        return np.where(has, t - self.day[np.maximum(p, 0)], np.nan)

    def at(self, t: int, window: int | None = None) -> np.ndarray:
        """Events per subject (all subjects) dated before t (and on or after t - window)."""
        mask = self.day < t
        if window is not None:
            mask &= self.day >= t - window
        return np.bincount(self.subj[mask], minlength=self.n).astype(np.float64)


def regroup(events: Events, group: np.ndarray, n_groups: int,
            joined: np.ndarray | None = None) -> Events:
    """The same events (and values) per group of their owner (owners in group -1 dropped);
    with ``joined`` (a day per owner), only an owner's events from the day it joined."""
    g = group[events.subj] if len(events.subj) else events.subj
    ok = g >= 0
    if joined is not None and len(events.subj):
        ok &= events.day >= joined[events.subj]
    return Events(g, events.day, ok, n_groups, values=events.values)


def days_of(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Days since 1970 as int64, and whether each value is present."""
    d = parse_dates(col).to_numpy(dtype="datetime64[D]")
    ok = ~np.isnat(d)
    return np.where(ok, d.astype(np.int64), 0), ok


def parse_dates(col: pd.Series | pd.Index | np.ndarray) -> pd.Series:
    """Dates of a column: datetimes as they are; text as ISO 8601, else each value by its
    own format (``2024/06/01``, ``20240601`` beside ``2016-01-01``: pandas would judge
    the whole column by its first value and turn the others into NaT). Empty values are
    NaT; a value that is no date at all raises ValueError naming it, rather than passing
    as a missing date (a role's missing ``since`` means "from the start")."""
    series = pd.Series(col)
    if pd.api.types.is_datetime64_any_dtype(series):
        return series
    out = pd.to_datetime(series, errors="coerce", format="ISO8601")
    text = series.astype("string").str.strip()
    left = out.isna() & text.notna() & (text != "")
    if left.any():
        out[left] = pd.to_datetime(text[left], errors="coerce", format="mixed")
        bad = left & out.isna()
        if bad.any():
            raise ValueError(f"{series.name or 'a date column'}: {int(bad.sum()):,} value(s) "
                             f"are not dates, e.g. {text[bad].iloc[0]!r}")
    return out


def day_of(value: dt.date) -> int:
    return int(np.datetime64(pd.Timestamp(value).date(), "D").astype(np.int64))
