"""Resident-ID numbers are never stored in clear: a keyed hash and a masked form."""

from __future__ import annotations

import hashlib
import hmac
import re


def person_key(secret: bytes, resident_id: str) -> str:
    """Return the keyed hash (HMAC-SHA256, hex) that identifies a person in the graph."""
    return hmac.new(secret, resident_id.upper().encode("ascii"), hashlib.sha256).hexdigest()


def mask(resident_id: str) -> str:
    """Return the display form: the first six and last four characters kept."""
    return resident_id[:6] + "*" * (len(resident_id) - 10) + resident_id[-4:]


# A resident ID in free text, its digits possibly split by single spaces or hyphens
# (``370802 19900101 123X``), as IDs are accepted that way.
_SEP = r"[ \t-]?"
_ID_LIKE = re.compile(
    rf"(?<![0-9A-Za-z])((?:\d{_SEP}){{17}}[\dXxＸｘ])(?![0-9A-Za-z])")
# The 15-digit IDs issued before 1999 (area, YYMMDD, sequence), told from other 15-digit
# numbers (old business registration numbers) by a birth date where the date goes.
_LEGACY_ID_LIKE = re.compile(rf"(?<![0-9A-Za-z])((?:\d{_SEP}){{14}}\d)(?![0-9A-Za-z])")
_LEGACY_DATE = re.compile(r"^\d{6}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}$")


def mask_text(text: str) -> str:
    """Mask anything shaped like a resident ID inside free text: every 18-character one,
    and a 15-digit one whose middle is a date; digits split by single spaces or hyphens
    count too."""
    text = _ID_LIKE.sub(lambda m: _masked_digits(m.group(1), 6, 4), text)
    return _LEGACY_ID_LIKE.sub(
        lambda m: _masked_digits(m.group(1), 6, 3)
        if _LEGACY_DATE.match(_compact(m.group(1))) else m.group(1), text)


def _compact(text: str) -> str:
    return "".join(c for c in text if c not in " \t-")


def _masked_digits(text: str, head: int, tail: int) -> str:
    digits = _compact(text)
    return digits[:head] + "*" * (len(digits) - head - tail) + digits[-tail:]
