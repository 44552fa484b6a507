"""How common a subject's trade was on a day: its industry's share of the subjects that
existed then (registered before the day, or of unknown registration date)."""

from __future__ import annotations

import numpy as np

from riskgraph.models.events import Events


class IndustryShares:
    """Each subject's industry's share of the subjects that existed on a day (registered
    before it, or of unknown registration date): how common its trade was then."""

    def __init__(self, codes: np.ndarray, registered: np.ndarray, reg_ok: np.ndarray) -> None:
        self.codes = codes
        n_ind = int(codes.max()) + 1 if len(codes) and codes.max() >= 0 else 0
        self.undated = np.bincount(codes[~reg_ok & (codes >= 0)], minlength=n_ind)
        self.undated_all = int((~reg_ok).sum())
        # registrations as events: of each industry, and of everyone (one owner, 0)
        self.members = Events(codes, registered, reg_ok, n_ind)
        self.everyone = Events(np.zeros(len(codes), np.int64), registered, reg_ok, 1)

    def at(self, subj: np.ndarray, t: np.ndarray) -> np.ndarray:
        """The share for each (subject, day); NaN for a subject without an industry."""
        code = self.codes[subj]
        known = code >= 0
        if not len(self.undated):  # no subject has an industry
            return np.full(len(subj), np.nan)
        c = np.where(known, code, 0)
        mine = self.members.count(c, t) + self.undated[c]
        total = self.everyone.count(np.zeros(len(subj), np.int64), t) + self.undated_all
        share = np.divide(mine, total, out=np.full(len(subj), np.nan), where=total > 0)
        return np.where(known, share, np.nan)
