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


_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")


def mask_text(text: str) -> str:
    """Mask anything shaped like an 18-character resident ID inside free text."""
    return _ID_LIKE.sub(lambda m: m.group(1) + "********" + m.group(3)[-4:], text)
