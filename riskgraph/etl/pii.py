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


# A resident ID in free text. Written whole (18 characters together): an area code, which
# starts with 1-8 (a company's credit code of digits only starts with 9), then anything:
# a mistyped ID (a month 13) is still someone's. Written in its groups, set apart by one
# space or hyphen (``370802 19900101 123X``): only with a real birth date in the middle,
# so phone numbers and date lists are left alone. The 15-digit IDs issued before 1999
# (area, YYMMDD, sequence), whole or in groups, only with a date where it goes: other
# 15-digit numbers (old business registration numbers) are left alone. Digits are ASCII
# here: text is matched in half-width form.
_NO_DIGIT_BEFORE, _NO_DIGIT_AFTER = r"(?<!\d)", r"(?!\d)"
_WHOLE = re.compile(_NO_DIGIT_BEFORE + r"([1-8]\d{5})(\d{8})(\d{3}[\dXx])" + _NO_DIGIT_AFTER,
                    re.ASCII)
_GROUPED = re.compile(
    _NO_DIGIT_BEFORE + r"([1-8]\d{5})([ -])((?:18|19|20)\d{2}(?:0[1-9]|1[0-2])"
    r"(?:0[1-9]|[12]\d|3[01]))\2(\d{3}[\dXx])" + _NO_DIGIT_AFTER, re.ASCII)
_LEGACY = re.compile(
    _NO_DIGIT_BEFORE + r"([1-8]\d{5})([ -]?)(\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))"
    r"\2(\d{3})" + _NO_DIGIT_AFTER, re.ASCII)
_HALF_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ　－", "0123456789Xx -")
_SEPARATED = re.compile(r"[\s-]")


def mask_text(text: str) -> str:
    """Mask anything shaped like a resident ID inside free text (see above), in half- or
    full-width digits; a text where an ID is masked comes back half-width."""
    half = text.translate(_HALF_WIDTH)
    masked = _WHOLE.sub(lambda m: m.group(1) + "*" * 8 + m.group(3)[-4:], half)
    masked = _GROUPED.sub(lambda m: m.group(1) + "*" * 8 + m.group(4)[-4:], masked)
    masked = _LEGACY.sub(lambda m: m.group(1) + "*" * 6 + m.group(4), masked)
    return masked if masked != half else text


def mask_value(value: str) -> str:
    """Mask a cell of a rejected row: ``mask_text``, and a cell that is a resident ID
    however its digits are spaced out (``3 7 0 8 0 2 …``, as the loader accepts an ID)."""
    compact = _SEPARATED.sub("", value.translate(_HALF_WIDTH))
    if compact != value and (_WHOLE.fullmatch(compact) or _LEGACY.fullmatch(compact)):
        return mask_text(compact)
    return mask_text(value)
