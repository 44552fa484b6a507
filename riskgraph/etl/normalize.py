"""Normalisation of addresses, phones, dates, booleans and numbers from real exports.

Address rules (so one place written several ways becomes one ``Address`` node):
1. Unicode NFKC: full-width digits, letters and punctuation become half-width.
2. All whitespace is removed (Chinese addresses carry no meaningful spaces).
3. A leading province (``山东省``, ``广西壮族自治区``, ``北京市`` …) is removed, then a
   leading prefecture city (``济宁市``) when a county-level unit follows it (``任城区``,
   ``金乡县``, ``曲阜市``); a county-level city itself (``曲阜市陵城镇…``) is kept.
   Unsuffixed names (``山东济宁…``) are not guessed at and stay as written.
4. ``號`` becomes ``号``; ASCII letters are upper-cased.

Phone rules: keep digits only; drop a leading ``0086``/``86`` country code; an 11-digit
number starting with 1 is a mobile; other numbers are landlines, given their trunk ``0``
if it was dropped with the country code (``+86 537 1234567`` → ``05371234567``).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

_SPACE = re.compile(r"\s+")
_PROVINCE = re.compile(r"^(?:[\u4e00-\u9fff]{2,7}?(?:省|自治区)|北京市|天津市|上海市|重庆市)")
_CITY = re.compile(r"^[\u4e00-\u9fff]{2,6}?市(?=[\u4e00-\u9fff]{1,6}?(?:区|县|市|旗))")


def address_key(raw: str) -> str:
    """Return the normalised form of an address (the key of its ``Address`` node)."""
    text = unicodedata.normalize("NFKC", raw)
    text = _SPACE.sub("", text).replace("號", "号").upper()
    text = _PROVINCE.sub("", text, count=1)
    return _CITY.sub("", text, count=1)


def phone_key(raw: str) -> str | None:
    """Return the normalised phone number, or None when it holds too few digits."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", raw))
    had_country = False
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 10:
            digits = digits[len(prefix):]
            had_country = True
            break
    if len(digits) == 11 and digits[0] == "1":
        return digits
    if had_country and not digits.startswith("0"):
        digits = "0" + digits
    return digits if len(digits) >= 7 else None


_DATE_FORMATS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)


def parse_date(raw: str) -> dt.date:
    """Parse YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD or YYYY年M月D日 (a time part is ignored)."""
    text = raw.strip()
    if len(text) > 10 and (text[10] in " T"):
        text = text[:10]
    for pattern in _DATE_FORMATS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            return dt.date(year, month, day)
    raise ValueError(f"{raw!r} is not a date (YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD)")


_TRUE = {"true", "1", "yes", "y", "t", "是", "true.", "√"}
_FALSE = {"false", "0", "no", "n", "f", "否", "×"}


def parse_bool(raw: str) -> bool:
    """Parse true/false, 1/0, yes/no and 是/否."""
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{raw!r} is not a boolean (true/false, 1/0, yes/no, 是/否)")


def parse_number(raw: str) -> float:
    """Parse a decimal number, allowing thousands separators and a trailing 元."""
    text = unicodedata.normalize("NFKC", raw).strip().replace(",", "").removesuffix("元")
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{raw!r} is not a finite number")
    return value
