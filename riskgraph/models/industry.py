"""How common a subject's trade was on a day: its industry's share of the subjects that
existed then (registered before the day, or of unknown registration date)."""

from __future__ import annotations

import numpy as np


class IndustryShares:
    """Each subject's industry's share of the subjects that existed on a day (registered
    before it, or of unknown registration date): how common its trade was then."""

    _SPAN = 1 << 32  # days of one industry, offset so that dates before 1970 sort too

    def __init__(self, codes: np.ndarray, registered: np.ndarray, reg_ok: np.ndarray) -> None:
        self.codes = codes
        n_ind = int(codes.max()) + 1 if len(codes) and codes.max() >= 0 else 0
        dated = reg_ok
        self.undated = np.bincount(codes[~dated & (codes >= 0)], minlength=n_ind)
        self.undated_all = int((~dated).sum())
        self.days_all = np.sort(registered[dated])
        keep = dated & (codes >= 0)
        self.keys = np.sort(self._key(codes[keep], registered[keep]))
        self.starts = np.searchsorted(self.keys, self._key(np.arange(n_ind), -(1 << 31)))

    def _key(self, code: np.ndarray, day: np.ndarray | int) -> np.ndarray:
        return np.asarray(code, np.int64) * self._SPAN + (np.asarray(day, np.int64) + (1 << 31))

    def at(self, subj: np.ndarray, t: np.ndarray) -> np.ndarray:
        """The share for each (subject, day); NaN for a subject without an industry."""
        code = self.codes[subj]
        known = code >= 0
        c = np.where(known, code, 0)
        mine = (np.searchsorted(self.keys, self._key(c, t), side="left") - self.starts[c]
                + self.undated[c] if len(self.undated) else np.zeros(len(subj)))
        total = np.searchsorted(self.days_all, t, side="left") + self.undated_all
        share = np.divide(mine, total, out=np.full(len(subj), np.nan), where=total > 0)
        return np.where(known, share, np.nan)
