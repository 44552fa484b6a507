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


# A resident ID in free text: area, birth date, sequence and check character, the groups
# possibly set apart by one space or hyphen (``370802 19900101 123X``). Only that shape,
# with a real birth date, is masked: phone numbers, dates and other codes are left alone.
_EDGE_BEFORE = r"(?<![0-9A-Za-z])(?<![0-9][ -])"
_EDGE_AFTER = r"(?![0-9A-Za-z])(?![ -][0-9])"
_ID_LIKE = re.compile(
    _EDGE_BEFORE + r"(\d{6})([ -]?)((?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))"
    r"\2(\d{3}[\dXxＸｘ])" + _EDGE_AFTER)
# The 15-digit IDs issued before 1999 (area, YYMMDD, sequence), told from other 15-digit
# numbers (old business registration numbers) by a birth date where the date goes.
_LEGACY_ID_LIKE = re.compile(
    _EDGE_BEFORE + r"(\d{6})([ -]?)(\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))"
    r"\2(\d{3})" + _EDGE_AFTER)
_SEPARATED = re.compile(r"[\s-]")


_FULL_WIDTH = str.maketrans("０１２３４５６７８９ＸｘＸ", "0123456789XxX")


def mask_text(text: str) -> str:
    """Mask anything shaped like a resident ID inside free text: 18 characters written
    together (whatever the date: a mistyped ID is still someone's), its groups set apart
    when the middle one is a birth date, and a 15-digit one whose middle is a date; in
    half-width or full-width digits (a text where one is masked comes back half-width)."""
    masked = _mask(text)
    if masked == text and text.translate(_FULL_WIDTH) != text:
        half = text.translate(_FULL_WIDTH)
        masked_half = _mask(half)
        return masked_half if masked_half != half else text
    return masked


def _mask(text: str) -> str:
    text = _ID_LIKE.sub(lambda m: m.group(1) + "*" * 8 + m.group(4)[-4:], text)
    # 18 characters written together are masked whatever the date (a mistyped ID)
    text = _ID_SIZED.sub(lambda m: m.group(1) + "*" * 8 + m.group(3)[-4:], text)
    return _LEGACY_ID_LIKE.sub(lambda m: m.group(1) + "*" * 6 + m.group(4), text)


# 18 characters written together: masked whatever their date (a row is often rejected
# because its ID is mistyped, a month 13, and it must not be kept in clear).
_ID_SIZED = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
_WHOLE_ID = re.compile(r"\d{17}[\dXx]|\d{15}")


def mask_value(value: str) -> str:
    """Mask a cell of a rejected row: ``mask_text``, and a cell that is an ID-sized number
    however it is spaced out (``3 7 0 8 0 2 …``, as the loader accepts an ID)."""
    half = value.translate(_FULL_WIDTH)
    compact = _SEPARATED.sub("", half)
    if _WHOLE_ID.fullmatch(compact):
        return compact[:6] + "*" * (len(compact) - 10) + compact[-4:]
    return mask_text(value)
