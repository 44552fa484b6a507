"""Normalisation of addresses, phones, dates, booleans and numbers from real exports.

Address rules (so one place written several ways becomes one ``Address`` node):
1. Unicode NFKC: full-width digits, letters and punctuation become half-width.
2. All whitespace is removed (Chinese addresses carry no meaningful spaces).
3. A leading province (``山东省``, ``广西壮族自治区``, ``北京市`` …, one of the 34
   province-level names, so ``嘉祥县省道338线…`` keeps its county) is removed, then a
   leading prefecture city (``济宁市``) when a county-level unit follows it (``任城区``,
   ``金乡县``, ``曲阜市``); a county-level city itself (``曲阜市陵城镇…``) is kept, and so
   is a city followed by a functional zone (``邹城市经济开发区…``: a development zone,
   industrial park or scenic area is not a county). Unsuffixed names (``山东济宁…``) are
   not guessed at and stay as written.
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
_PROVINCES = (
    "河北省 山西省 辽宁省 吉林省 黑龙江省 江苏省 浙江省 安徽省 福建省 江西省 山东省 河南省 "
    "湖北省 湖南省 广东省 海南省 四川省 贵州省 云南省 陕西省 甘肃省 青海省 台湾省 "
    "内蒙古自治区 广西壮族自治区 西藏自治区 宁夏回族自治区 新疆维吾尔自治区 "
    "北京市 天津市 上海市 重庆市 香港特别行政区 澳门特别行政区"
).split()
_PROVINCE = re.compile("^(?:" + "|".join(_PROVINCES) + ")")
# A city is not a prefecture when what follows it ends like a county-level unit but is a
# zone inside the city: a generic zone (``经济开发区``, ``高新区``: the city names it) or a
# place that is no administrative unit at all (``阳光小区``). A named zone (``济宁高新区``,
# ``太白湖新区``) is a county-level functional area, and its city is dropped like any other.
_GENERIC_ZONE = ("经济", "经开", "高新", "开发", "工业", "产业", "科技", "综合", "综保",
                 "保税", "出口加工", "自贸", "物流", "商务", "风景", "旅游", "度假", "新区",
                 "示范", "试验", "实验")
_NOT_A_UNIT = ("小区", "社区", "街区", "校区", "厂区", "矿区", "景区", "园区", "片区")
_CITY = re.compile(r"^([\u4e00-\u9fff]{2,6}?市)([\u4e00-\u9fff]{1,6}?(?:区|县|市(?!场)|旗))")


def folded(raw: str) -> str:
    """``raw`` NFKC-folded (full-width letters, digits and brackets become half-width)
    with all whitespace taken out: how codes, headers and names are compared."""
    return "".join(unicodedata.normalize("NFKC", raw).split())


def address_key(raw: str) -> str:
    """Return the normalised form of an address (the key of its ``Address`` node)."""
    text = unicodedata.normalize("NFKC", raw)
    text = _SPACE.sub("", text).replace("號", "号").upper()
    text = _PROVINCE.sub("", text, count=1)
    city = _CITY.match(text)
    if city is None:
        return text
    unit = city.group(2)
    if unit.startswith(_GENERIC_ZONE) or unit.endswith(_NOT_A_UNIT):
        return text
    return text[len(city.group(1)):]


# Several numbers in one cell (``13800138000/13900139000``, ``0537-1234567；138…``).
_PHONE_SEPARATOR = re.compile(r"[/;,、|]|或")
_ONE_NUMBER = re.compile(
    r"(?<!\d)(?:(?:\+|00)?86[ -]?)?"
    r"(?:\(?0\d{2,3}\)?[ -]?\d{7,8}|1[3-9]\d[ -]?\d{4}[ -]?\d{4})(?!\d)")


def phone_key(raw: str) -> str | None:
    """Return the normalised phone number (the first usable one when a cell holds several),
    or None when it holds too few digits."""
    for part in _PHONE_SEPARATOR.split(unicodedata.normalize("NFKC", raw)):
        # Numbers only spaces apart (``13800138000 13900139000``, ``0537 1234567 138…``)
        # are several numbers once their digits are more than one number has (a 0086
        # prefix and a landline: 15): each mobile or area-coded landline is one.
        many = len(re.sub(r"\D", "", part)) > 15
        for piece in _ONE_NUMBER.findall(part) if many else [part]:
            key = _one_phone(piece)
            if key is not None:
                return key
    return None


def _one_phone(raw: str) -> str | None:
    digits = re.sub(r"\D", "", raw)
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
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
)
# A time of day after the date (``2024/3/5 0:00`` as spreadsheets write it,
# ``2024-03-05T10:30:00+08:00``, ``2024年3月5日 10时30分``): ignored.
_TIME_PART = re.compile(r"(?:[ T]+|(?<=日))\d{1,2}(?:[:时]\d{1,2}.*|[:时].*)$")


_ISO_WITH_OFFSET = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s?(?:Z|[+-]\d{2}(?::?\d{2})?)$")
_CHINA = dt.timezone(dt.timedelta(hours=8))


def parse_date(raw: str) -> dt.date:
    """Parse YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYYMMDD or YYYY年M月D日; a time of day after
    it is ignored. An ISO time with a UTC offset (``2024-03-04T20:00:00Z``) is the date in
    China Standard Time (2024-03-05), where the bureau's days are."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if _ISO_WITH_OFFSET.match(text):
        return dt.datetime.fromisoformat(text).astimezone(_CHINA).date()
    text = _TIME_PART.sub("", text)
    for pattern in _DATE_FORMATS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            return dt.date(year, month, day)
    raise ValueError(f"{raw!r} is not a date (YYYY-MM-DD, YYYY/M/D, YYYYMMDD or YYYY年M月D日)")


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


_AMOUNT = re.compile(
    r"^([-+]?[\d.]+(?:[eE][-+]?\d+)?)\s*(万|亿)?\s*(元|人民币|人民币元|元人民币)?$"
)
_PERCENT = re.compile(r"^([-+]?[\d.]+)\s*%$")
_UNIT = {None: 1.0, "万": 1e4, "亿": 1e8}
_YUAN_UNIT = re.compile(r"^(?:人民币)?(万|亿)?(?:元|人民币|人民币元|元人民币)?$")


def parse_yuan_unit(raw: str) -> float | None:
    """The factor of a unit in yuan as a header writes it (``万元`` 10,000, ``亿元``,
    ``元``, ``万人民币``), or None for anything else (``万美元``, ``户``)."""
    text = folded(raw)
    match = _YUAN_UNIT.match(text) if text else None
    return None if match is None else _UNIT[match.group(1)]


def parse_number(raw: str, percent: bool = False, unit: float = 1.0) -> float:
    """Parse a decimal number, allowing thousands separators and an amount in yuan as
    registries write it (``50万元``, ``1.2亿元``, ``300万人民币``); with ``percent`` (a
    share) ``60%`` too, which is 60. Another currency (``100万美元``) is not a number in
    yuan and is refused. ``unit`` scales a bare number (the column's header said
    ``万元``); a number written with its own unit (``50万元``, ``800元``) keeps it."""
    text = unicodedata.normalize("NFKC", raw).strip().replace(",", "")
    share = _PERCENT.match(text) if percent else None
    match = share or _AMOUNT.match(text)
    if match is None:
        raise ValueError(f"{raw!r} is not a number" + ("" if percent else " (in yuan)"))
    if share:
        factor = 1.0
    elif match.group(2) or match.group(3):
        factor = _UNIT[match.group(2)]
    else:
        factor = unit
    value = float(match.group(1)) * factor
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{raw!r} is not a finite number")
    return value
