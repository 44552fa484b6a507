"""Vectorised national identifiers: USCCs (GB 32100) and resident IDs (GB 11643).

Both are built as matrices of character values, their check characters computed with
numpy from the weights in :mod:`riskgraph.etl.codes`, and turned into strings at once.
Collisions are redrawn until every code is unique, so keys never repeat.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from riskgraph.etl.codes import (
    RESIDENT_ID_CHECK,
    RESIDENT_ID_WEIGHTS,
    USCC_ALPHABET,
    USCC_WEIGHTS,
)
from riskgraph.synth.text import ymd

_ALPHABET_BYTES = np.frombuffer(USCC_ALPHABET.encode("ascii"), np.uint8)
_USCC_WEIGHTS = np.array(USCC_WEIGHTS, np.int64)
# GB 11714 (organisation code) value of each character of the USCC alphabet.
_ORG_VALUE = np.array([int(c) if c.isdigit() else ord(c) - 55 for c in USCC_ALPHABET], np.int64)
_ORG_WEIGHTS = np.array((3, 7, 9, 10, 5, 8, 4, 2), np.int64)
_X = USCC_ALPHABET.index("X")
_M, _A = USCC_ALPHABET.index("M"), USCC_ALPHABET.index("A")
_ID_WEIGHTS = np.array(RESIDENT_ID_WEIGHTS, np.int64)
_ID_CHECK_BYTES = np.frombuffer(RESIDENT_ID_CHECK.encode("ascii"), np.uint8)

# Unified codes replaced organisation codes from October 2015; later ones start "MA".
UNIFIED_SINCE = int((np.datetime64("2015-10-01") - np.datetime64("1970-01-01")).astype(int))


def duplicated(*keys: np.ndarray) -> np.ndarray:
    """Mark every row whose keys equal those of an earlier row."""
    order = np.lexsort(tuple(reversed(keys)))  # stable: the first occurrence sorts first
    same = np.ones(max(len(order) - 1, 0), bool)
    for key in keys:
        k = np.asarray(key)[order]
        same &= k[1:] == k[:-1]
    out = np.zeros(len(order), bool)
    out[order[1:][same]] = True
    return out


def _digit_matrix(values: np.ndarray, width: int) -> np.ndarray:
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (np.asarray(values, np.int64)[:, None] // powers) % 10


def _org_codes(rng: np.random.Generator, modern: np.ndarray) -> np.ndarray:
    """Draw the 8 body characters of organisation codes (as USCC alphabet values)."""
    n = len(modern)
    org = rng.integers(0, 10, (n, 8))
    rows = np.flatnonzero(modern)
    org[rows, 0], org[rows, 1] = _M, _A
    org[rows, 2:] = rng.integers(0, len(USCC_ALPHABET), (len(rows), 6))
    # Most unified codes issued in Shandong continue "MA3".
    org[rows[rng.random(len(rows)) < 0.7], 2] = 3
    return org


def _strings(values: np.ndarray, table: np.ndarray) -> pa.Array:
    raw = np.ascontiguousarray(table[values].astype(np.uint8))
    return pa.array(raw.view(f"S{raw.shape[1]}").ravel()).cast(pa.string())


def usccs(
    rng: np.random.Generator, org_type: np.ndarray, admin: np.ndarray, registered_on: np.ndarray
) -> pa.Array:
    """Return unique USCCs: authority 9 (market regulation), org type, division, org code.

    ``org_type`` is 1 for enterprises and branches, 2 for individual businesses, 3 for
    farmers' cooperatives; ``admin`` the 6-digit division code.
    """
    modern = np.asarray(registered_on) >= UNIFIED_SINCE
    org = _org_codes(rng, modern)
    place = 31 ** np.arange(8, dtype=np.int64)
    prefix = (np.asarray(org_type, np.int64) * 1_000_000 + admin) * 31**8
    for _ in range(1000):
        dup = duplicated(prefix + org @ place)
        if not dup.any():
            break
        org[dup] = _org_codes(rng, modern[dup])
    n = len(org)
    body = np.empty((n, 18), np.int64)
    body[:, 0] = 9
    body[:, 1] = org_type
    body[:, 2:8] = _digit_matrix(admin, 6)
    body[:, 8:16] = org
    org_check = (11 - (_ORG_VALUE[org] @ _ORG_WEIGHTS) % 11) % 11
    body[:, 16] = np.where(org_check == 10, _X, org_check)
    body[:, 17] = (31 - (body[:, :17] @ _USCC_WEIGHTS) % 31) % 31
    return _strings(body, _ALPHABET_BYTES)


def resident_ids(
    rng: np.random.Generator, region_code: np.ndarray, born_on: np.ndarray, male: np.ndarray
) -> pa.Array:
    """Return unique 18-character resident IDs for the given places and days of birth.

    The sequence number's last digit is odd for men and even for women (GB 11643).
    """
    y, m, d = ymd(born_on)
    stem = (np.asarray(region_code, np.int64) * 100_000_000 + y * 10_000 + m * 100 + d) * 1000
    sex = np.asarray(male, np.int64)
    seq = rng.integers(0, 500, len(stem)) * 2 + sex
    for _ in range(1000):
        dup = duplicated(stem + seq)
        if not dup.any():
            break
        seq[dup] = rng.integers(0, 500, int(dup.sum())) * 2 + sex[dup]
    body = _digit_matrix(stem + seq, 17)
    check = (body @ _ID_WEIGHTS) % 11
    chars = np.concatenate([(body + 48).astype(np.uint8), _ID_CHECK_BYTES[check][:, None]], axis=1)
    return pa.array(np.ascontiguousarray(chars).view("S18").ravel()).cast(pa.string())
