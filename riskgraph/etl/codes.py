"""Check characters of the two national identifiers: the USCC and the resident ID.

The unified social credit code (统一社会信用代码, GB 32100-2015) is 18 characters from a
31-character alphabet; its last character is a MOD 31 check. The resident identity number
(公民身份号码, GB 11643-1999) is 17 digits and a MOD 11-2 check character (ISO 7064).
"""

from __future__ import annotations

import datetime as dt

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}

RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK = "10X98765432"


def uscc_check_char(body: str) -> str:
    """Return the check character for the first 17 characters of a USCC."""
    if len(body) != 17:
        raise ValueError("a USCC body has 17 characters")
    total = sum(_USCC_VALUE[c] * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_error(code: str) -> str | None:
    """Return why ``code`` is not a valid USCC, or None when it is."""
    if len(code) != 18:
        return f"USCC must have 18 characters, not {len(code)}"
    bad = [c for c in code if c not in _USCC_VALUE]
    if bad:
        return f"USCC contains characters outside GB 32100 alphabet: {''.join(bad)!r}"
    if not code[2:8].isdigit():
        return "USCC characters 3-8 must be an administrative division code"
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        return f"USCC check character is {code[17]!r}, expected {expected!r}"
    return None


def resident_id_check_char(body: str) -> str:
    """Return the check character for the first 17 digits of a resident ID."""
    if len(body) != 17 or not body.isdigit():
        raise ValueError("a resident ID body has 17 digits")
    total = sum(int(c) * w for c, w in zip(body, RESIDENT_ID_WEIGHTS, strict=True))
    return RESIDENT_ID_CHECK[total % 11]


def resident_id_error(code: str, today: dt.date | None = None) -> str | None:
    """Return why ``code`` is not a valid 18-character resident ID, or None when it is.

    ``today`` bounds the birth date; without it only the calendar is checked.
    """
    if len(code) != 18:
        return f"resident ID must have 18 characters, not {len(code)}"
    if not code.isascii() or not code[:17].isdigit() or not (code[17].isdigit() or code[17] == "X"):
        return "resident ID must be 17 digits and a digit or X"
    try:
        born = dt.date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        return f"resident ID birth date {code[6:14]} is not a date"
    if born.year < 1900 or (today is not None and born > today):
        return f"resident ID birth date {born.isoformat()} is out of range"
    expected = resident_id_check_char(code[:17])
    if code[17] != expected:
        return f"resident ID check character is {code[17]!r}, expected {expected!r}"
    return None


def upgrade_legacy_id(code: str) -> str:
    """Return the 18-character form of a 15-digit resident ID issued before 1999 (GB 11643:
    the century ``19`` goes before the two-digit birth year, and a check character is
    appended); any other code is returned as it is."""
    if len(code) != 15 or not code.isascii() or not code.isdigit():
        return code
    body = code[:6] + "19" + code[6:]
    return body + resident_id_check_char(body)
