"""Credit commitments (信用承诺, 告知承诺制): promises made for a licence or an approval.

A subject applying under the notification-and-commitment system promises it meets the
conditions, and a department checks later. Over the last ``YEARS`` years a subject makes
commitments as a Poisson process (``RATE`` a year while it exists); each has a deadline
``DUE_DAYS`` after it is made, and most are checked within ``CHECK_DAYS`` of the
deadline: broken with a probability that grows with the subject's hidden risk on the
deadline (``BROKEN_AT_BASE`` at the industry's base), kept otherwise. Commitments whose deadline
or check has not come by ``as_of`` are pending. Drawn from a stream of their own: adding
them changed no other table of a city.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from riskgraph.synth.history import YEARS
from riskgraph.synth.risk import YEAR, Risk, sigmoid
from riskgraph.synth.subjects import Subjects
from riskgraph.synth.text import choice

RATE = 0.08  # commitments per subject and year
DUE_DAYS = (30, 180)  # deadline after the commitment, uniform
CHECK_DAYS = (0, 90)  # check after the deadline, uniform
CHECKED = 0.85  # share of commitments checked at all
BROKEN_AT_BASE = 0.08  # chance a commitment is broken at the base risk
# What is promised, and the department that accepts and checks it.
MATTERS = ("食品经营许可告知承诺", "住所（经营场所）登记承诺", "经营范围登记承诺",
           "特种设备使用登记承诺", "药品经营许可告知承诺", "工业产品生产许可告知承诺",
           "计量器具备案承诺", "检验检测机构资质认定告知承诺")
MATTER_DEPARTMENTS = ("食品经营监管科", "登记注册科", "登记注册科", "特种设备安全监察科",
                      "药品流通监管科", "工业产品生产许可监管科", "计量科",
                      "检验检测机构监督管理科")
MATTER_WEIGHTS = (0.30, 0.25, 0.20, 0.05, 0.05, 0.05, 0.05, 0.05)
PENDING, KEPT, BROKEN = range(3)
FULFILMENTS = ("pending", "kept", "broken")


@dataclass
class Commitments:
    """Credit commitments, one row each."""

    subject: np.ndarray
    made: np.ndarray  # day numbers
    due: np.ndarray
    verified: np.ndarray  # -1 when not (yet) checked
    fulfilment: np.ndarray  # PENDING, KEPT, BROKEN
    matter: np.ndarray  # index into MATTERS (and MATTER_DEPARTMENTS)


def make_commitments(seed: int, s: Subjects, risk: Risk, as_of: int) -> Commitments:
    """Draw every subject's commitments before ``as_of`` from the stream ``[seed, 0xC0]``."""
    rng = np.random.default_rng([seed, 0xC0])
    start = np.maximum(s.registered_on.astype(np.int64), as_of - int(YEARS * YEAR))
    end = np.minimum(s.closed_on.astype(np.int64), as_of)
    span = np.clip(end - start, 0, None)
    count = rng.poisson(RATE * span / YEAR)
    subject = np.repeat(np.arange(s.n), count)
    made = start[subject] + (rng.random(len(subject)) * span[subject]).astype(np.int64)
    due = made + rng.integers(DUE_DAYS[0], DUE_DAYS[1] + 1, len(subject))
    check = due + rng.integers(CHECK_DAYS[0], CHECK_DAYS[1] + 1, len(subject))
    checked = (rng.random(len(subject)) < CHECKED) & (check <= end[subject])
    logit = np.log(BROKEN_AT_BASE / (1 - BROKEN_AT_BASE)) + risk.excess(subject, due)
    broken = rng.random(len(subject)) < sigmoid(logit)
    fulfilment = np.where(checked, np.where(broken, BROKEN, KEPT), PENDING).astype(np.int8)
    matter = choice(rng, MATTER_WEIGHTS, len(subject))
    order = np.lexsort((subject, made))
    return Commitments(
        subject[order],
        made[order],
        due[order],
        np.where(checked, check, -1)[order],
        fulfilment[order],
        matter[order],
    )
