"""Credit lists: abnormal operation, serious dishonesty and joint punishment entries.

- ``abnormal_operation``: missed annual reports (listed in July, after the 30 June
  deadline) and subjects that cannot be reached at their address — shells sharing an
  address above all, and every revoked subject before its revocation; most are removed.
- ``serious_dishonest``: some subjects with a serious penalty, and subjects left on the
  abnormal list for three years; the legal representatives of some of them as persons.
- ``joint_punishment``: court judgment defaulters (失信被执行人), major tax offenders and
  wage defaulters, subjects and persons — often a defaulting company's legal rep too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from riskgraph.synth import vocab
from riskgraph.synth.history import SERIOUS, Penalties
from riskgraph.synth.ids import duplicated
from riskgraph.synth.risk import YEAR, sigmoid
from riskgraph.synth.subjects import BRANCH, ENTERPRISE, INDIVIDUAL, REVOKED, Clusters, Subjects
from riskgraph.synth.text import choice, ymd

LISTS = ("abnormal_operation", "serious_dishonest", "joint_punishment")
ABNORMAL, DISHONEST, JOINT = range(3)
YEARS_BACK = 7  # how far back list entries reach
CITY_BUREAU = "济宁市市场监督管理局"
BUREAUS = tuple(
    r.firm_prefix + "市场监督管理局" if r.name in r.firm_prefix else f"{CITY_BUREAU}{r.name}分局"
    for r in vocab.REGIONS
)
OTHER_AUTHORITIES = tuple(
    dict.fromkeys(vocab.COURTS + tuple(a for _, a, _ in vocab.JOINT_REASONS if a != "court"))
)
AUTHORITIES = BUREAUS + (CITY_BUREAU,) + OTHER_AUTHORITIES
REASONS = tuple(
    dict.fromkeys(
        [r for r, _ in vocab.ABNORMAL_REASONS]
        + list(vocab.DISHONEST_REASONS)
        + [r for r, _, _ in vocab.JOINT_REASONS]
        + ["严重违法失信主体的法定代表人"]
    )
)


@dataclass
class Entries:
    """List entries; exactly one of ``subject`` / ``person`` is >= 0 per row."""

    subject: np.ndarray
    person: np.ndarray
    list: np.ndarray
    listed: np.ndarray
    removed: np.ndarray  # -1 when still listed
    authority: np.ndarray  # index into AUTHORITIES
    reason: np.ndarray  # index into REASONS

    @classmethod
    def of(
        cls,
        list_: int,
        listed: np.ndarray,
        removed: np.ndarray,
        authority: np.ndarray,
        reason: np.ndarray | int,
        subject: np.ndarray | None = None,
        person: np.ndarray | None = None,
    ) -> Entries:
        """Build entries of one list, on subjects or on persons."""
        m = len(listed)
        none = np.full(m, -1, np.int32)
        return cls(
            none if subject is None else subject.astype(np.int32),
            none if person is None else person.astype(np.int32),
            np.full(m, list_, np.int8),
            listed.astype(np.int32),
            removed.astype(np.int32),
            np.broadcast_to(authority, (m,)).astype(np.int16),
            np.broadcast_to(reason, (m,)).astype(np.int16),
        )

    @classmethod
    def concat(cls, parts: list[Entries]) -> Entries:
        """Concatenate entries, dropping repeats of (target, list, listed day)."""
        out = cls(
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in ("subject", "person", "list", "listed", "removed", "authority", "reason")
            )
        )
        keep = ~duplicated(out.subject, out.person, out.list, out.listed)
        return cls(
            *(
                getattr(out, f)[keep]
                for f in ("subject", "person", "list", "listed", "removed", "authority", "reason")
            )
        )


def _removal(
    rng: np.random.Generator, listed: np.ndarray, share: float, least: int, until: np.ndarray
) -> np.ndarray:
    removed = listed + least + rng.exponential(240.0, len(listed)).astype(np.int64)
    return np.where((rng.random(len(listed)) < share) & (removed <= until), removed, -1)


def make_entries(
    rng: np.random.Generator,
    s: Subjects,
    clusters: Clusters,
    penalties: Penalties,
    legal: np.ndarray,
    n_persons: int,
    as_of: int,
) -> Entries:
    """Draw every list entry from the subjects' risk, status and penalties."""
    parts: list[Entries] = []
    end = np.minimum(s.closed_on.astype(np.int64), as_of)
    bureau = s.region.astype(np.int64)
    reg = s.registered_on.astype(np.int64)

    # Missed annual reports: listed in July of a year the subject had to report.
    risky = s.latent + s.cluster_effect
    scale = np.select(
        [s.kind == ENTERPRISE, s.kind == INDIVIDUAL, s.kind == BRANCH], [1.0, 0.4, 0.0], 1.5
    )
    missed = rng.random(s.n) < scale * sigmoid(-3.0 + 0.8 * risky)
    first, _, _ = ymd(reg)
    last, _, _ = ymd(end - 200)  # the July listing of year Y falls before the end
    first = np.maximum(first + 1, ymd(np.array([as_of]))[0][0] - YEARS_BACK)
    rows = np.flatnonzero(missed & (last >= first))
    year = first[rows] + (rng.random(len(rows)) * (last[rows] - first[rows] + 1)).astype(np.int64)
    july = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64) + 181
    listed = np.minimum(july + rng.integers(0, 45, len(rows)), end[rows])
    reason = choice(rng, [w for _, w in vocab.ABNORMAL_REASONS], len(rows))
    parts.append(
        Entries.of(
            ABNORMAL,
            listed,
            _removal(rng, listed, 0.55, 30, end[rows]),
            bureau[rows],
            reason,
            subject=rows,
        )
    )

    unreachable = REASONS.index(vocab.UNREACHABLE_REASON)
    shells = np.flatnonzero(
        clusters.shares(s, "address") & (rng.random(s.n) < 0.5) & (end - reg > 200)
    )
    listed = reg[shells] + 200 + (rng.random(len(shells)) * (end[shells] - reg[shells] - 200))
    parts.append(
        Entries.of(
            ABNORMAL,
            listed.astype(np.int64),
            _removal(rng, listed.astype(np.int64), 0.2, 30, end[shells]),
            bureau[shells],
            unreachable,
            subject=shells,
        )
    )

    revoked = np.flatnonzero(s.status == REVOKED)
    back = rng.uniform(0.5, 3.0, len(revoked)) * YEAR
    listed = np.maximum(end[revoked] - back, reg[revoked] + (end[revoked] - reg[revoked]) // 2)
    parts.append(
        Entries.of(
            ABNORMAL,
            listed.astype(np.int64),
            np.full(len(revoked), -1),
            bureau[revoked],
            unreachable,
            subject=revoked,
        )
    )

    # Serious dishonesty: after serious penalties, or three years on the abnormal list.
    pen = np.flatnonzero((penalties.severity == SERIOUS) & (rng.random(len(penalties.day)) < 0.3))
    subj = penalties.subject[pen]
    listed = penalties.day[pen].astype(np.int64) + rng.integers(15, 90, len(pen))
    ok = listed <= end[subj]
    subj, listed = subj[ok], listed[ok]
    dishonest = [
        Entries.of(
            DISHONEST,
            listed,
            _removal(rng, listed, 0.1, 365, end[subj]),
            np.where(penalties.city[pen][ok], len(BUREAUS), bureau[subj]),
            REASONS.index(vocab.DISHONEST_REASONS[0]),
            subject=subj,
        )
    ]
    ab = Entries.concat(parts)
    stuck = np.flatnonzero((ab.removed < 0) & (rng.random(len(ab.listed)) < 0.5))
    listed = ab.listed[stuck].astype(np.int64) + int(3 * YEAR) + rng.integers(0, 60, len(stuck))
    ok = listed <= end[ab.subject[stuck]]
    stuck, listed = stuck[ok], listed[ok]
    subj = ab.subject[stuck]
    dishonest.append(
        Entries.of(
            DISHONEST,
            listed,
            np.full(len(stuck), -1),
            bureau[subj],
            REASONS.index(vocab.DISHONEST_REASONS[1]),
            subject=subj,
        )
    )
    parts += dishonest
    sd = Entries.concat(dishonest)
    reps = np.flatnonzero((legal[sd.subject] >= 0) & (rng.random(len(sd.listed)) < 0.4))
    parts.append(
        Entries.of(
            DISHONEST,
            sd.listed[reps],
            sd.removed[reps],
            sd.authority[reps],
            REASONS.index("严重违法失信主体的法定代表人"),
            person=legal[sd.subject[reps]],
        )
    )

    # Joint punishment from courts, tax and labour authorities.
    joint = np.flatnonzero(rng.random(s.n) < sigmoid(-6.0 + 1.2 * risky) * (end - reg > 365))
    parts.append(_joint(rng, joint, reg[joint] + 365, end[joint], subject=True))
    lr = legal[joint]
    joint_reps = joint[(lr >= 0) & (rng.random(len(joint)) < 0.6)]
    entries = _joint(rng, legal[joint_reps], reg[joint_reps] + 365, end[joint_reps], False)
    parts.append(entries)
    loners = rng.choice(n_persons, int(0.001 * n_persons), replace=False) if n_persons else []
    start = np.full(len(loners), as_of - int(YEARS_BACK * YEAR))
    parts.append(
        _joint(rng, np.asarray(loners, np.int64), start, np.full(len(loners), as_of), False)
    )
    return Entries.concat(parts)


def _joint(
    rng: np.random.Generator, target: np.ndarray, lo: np.ndarray, hi: np.ndarray, subject: bool
) -> Entries:
    """Joint-punishment entries on subjects or persons, listed between ``lo`` and ``hi``."""
    m = len(target)
    lo = np.maximum(lo, hi - int(YEARS_BACK * YEAR))
    listed = lo + (rng.random(m) * np.maximum(hi - lo, 0)).astype(np.int64)
    kind = choice(rng, [w for _, _, w in vocab.JOINT_REASONS], m)
    authorities = np.array(
        [AUTHORITIES.index(a) if a != "court" else -1 for _, a, _ in vocab.JOINT_REASONS]
    )
    court = np.array([AUTHORITIES.index(c) for c in vocab.COURTS])
    authority = np.where(
        authorities[kind] >= 0, authorities[kind], court[rng.integers(0, len(court), m)]
    )
    reason = np.array([REASONS.index(r) for r, _, _ in vocab.JOINT_REASONS])[kind]
    removed = _removal(rng, listed, 0.3, 90, hi)
    if subject:
        return Entries.of(JOINT, listed, removed, authority, reason, subject=target)
    return Entries.of(JOINT, listed, removed, authority, reason, person=target)
