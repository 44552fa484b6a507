"""Normalisation rules for addresses, phones, dates, booleans and numbers."""

from __future__ import annotations

import datetime as dt

import pytest

from riskgraph.etl.normalize import address_key, parse_bool, parse_date, parse_number, phone_key
from riskgraph.etl.pii import mask, mask_text


@pytest.mark.parametrize("raw", [
    "山东省济宁市任城区古槐路１２３号", "济宁市任城区古槐路123号", "任城区 古槐路 123 号",
    "山东省 济宁市 任城区古槐路123號", "任城区古槐路123号",
])
def test_address_variants_share_one_key(raw: str) -> None:
    assert address_key(raw) == "任城区古槐路123号"


def test_county_level_city_is_kept() -> None:
    assert address_key("山东省济宁市曲阜市陵城镇5号") == address_key("曲阜市陵城镇5号") == "曲阜市陵城镇5号"


def test_different_addresses_stay_different() -> None:
    assert address_key("任城区古槐路123号") != address_key("任城区古槐路124号")


@pytest.mark.parametrize("raw,key", [
    ("0537-1234567", "05371234567"), ("+86 537 1234567", "05371234567"),
    ("05371234567", "05371234567"), ("13812345678", "13812345678"),
    ("+86 138 1234 5678", "13812345678"), ("138-1234-5678", "13812345678"),
    ("0086 13812345678", "13812345678"), ("１３８１２３４５６７８", "13812345678"), ("12", None),
])
def test_phone_variants(raw: str, key: str | None) -> None:
    assert phone_key(raw) == key


@pytest.mark.parametrize("raw", ["2024-03-05", "2024/3/5", "20240305", "2024年3月5日",
                                 "2024-03-05 10:11:12", "2024-03-05T00:00:00"])
def test_date_formats(raw: str) -> None:
    assert parse_date(raw) == dt.date(2024, 3, 5)


@pytest.mark.parametrize("raw", ["2024-02-30", "05/03/2024", "yesterday", "2024-13-01"])
def test_bad_dates(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_date(raw)


def test_booleans_and_numbers() -> None:
    assert [parse_bool(x) for x in ("true", "1", "yes", "是", "FALSE", "0", "no", "否")] == \
        [True] * 4 + [False] * 4
    with pytest.raises(ValueError):
        parse_bool("maybe")
    assert parse_number("1,234.5") == 1234.5
    with pytest.raises(ValueError):
        parse_number("nan")


def test_masking() -> None:
    assert mask("11010519491231002X") == "110105********002X"
    assert mask_text("id 11010519491231002X, tel 13812345678") == "id 110105********002X, tel 13812345678"
