"""Property-based tests of the two check-character validators."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from riskgraph.etl.codes import (
    USCC_ALPHABET,
    resident_id_check_char,
    resident_id_error,
    uscc_check_char,
    uscc_error,
)

uscc_bodies = st.builds(
    lambda head, region, org: head + region + org,
    st.text(USCC_ALPHABET, min_size=2, max_size=2),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(USCC_ALPHABET, min_size=9, max_size=9),
)
births = st.dates(dt.date(1920, 1, 1), dt.date(2008, 12, 31))
id_bodies = st.builds(lambda region, born, seq: region + born.strftime("%Y%m%d") + seq,
                      st.text("0123456789", min_size=6, max_size=6), births,
                      st.text("0123456789", min_size=3, max_size=3))


def test_known_real_usccs_are_valid() -> None:
    for code in ("91110000802100433B", "91110108551385082Q", "91440300708461136T"):
        assert uscc_error(code) is None


@given(uscc_bodies)
def test_uscc_with_its_check_char_is_valid(body: str) -> None:
    assert uscc_error(body + uscc_check_char(body)) is None


@given(uscc_bodies, st.integers(0, 17), st.sampled_from(USCC_ALPHABET))
def test_uscc_single_substitution_is_detected(body: str, pos: int, char: str) -> None:
    code = body + uscc_check_char(body)
    changed = code[:pos] + char + code[pos + 1:]
    if changed != code and changed[2:8].isdigit():
        assert uscc_error(changed) is not None


def test_uscc_rejects_letters_outside_alphabet_and_wrong_length() -> None:
    assert "alphabet" in uscc_error("91110000802100433I")
    assert "18 characters" in uscc_error("9111000080210043")


def test_resident_id_known_example() -> None:
    assert resident_id_error("11010519491231002X") is None
    assert resident_id_error("110105194912310021") is not None


@given(id_bodies)
def test_resident_id_with_its_check_char_is_valid(body: str) -> None:
    assert resident_id_error(body + resident_id_check_char(body), dt.date(2026, 1, 1)) is None


@given(id_bodies, st.integers(0, 17), st.sampled_from("0123456789X"))
def test_resident_id_single_substitution_is_detected(body: str, pos: int, char: str) -> None:
    code = body + resident_id_check_char(body)
    changed = code[:pos] + char + code[pos + 1:]
    if changed != code:
        assert resident_id_error(changed) is not None


def test_resident_id_birth_date_must_be_real_and_past() -> None:
    body = "37080220230230001"  # 30 February
    assert "not a date" in resident_id_error(body + resident_id_check_char(body))
    body = "37080220300101001"
    assert "out of range" in resident_id_error(body + resident_id_check_char(body), dt.date(2026, 1, 1))


def test_legacy_fifteen_digit_ids_upgrade_to_their_eighteen_character_form() -> None:
    from riskgraph.etl.codes import upgrade_legacy_id

    assert upgrade_legacy_id("370802900101123") == "37080219900101123X"
    assert resident_id_error(upgrade_legacy_id("370802900101123")) is None
    for other in ("37080219900101123X", "37080290010112", "3708029001011２3"):
        assert upgrade_legacy_id(other) == other


def test_resident_id_of_other_scripts_digits_is_refused_not_crashed() -> None:
    body = "37080219900101123"
    arabic = body[:-1] + "\u0663"  # ARABIC-INDIC DIGIT THREE: isdigit() but not ASCII
    assert resident_id_error(arabic + "X") is not None


@pytest.mark.parametrize("phrase,status", [
    ("在营（开业）", "active"), ("存续（在营、开业、在册）", "active"), ("未开业", "active"),
    ("吊销，未注销", "revoked"), ("吊销，已注销", "cancelled"), ("注销", "cancelled"),
    ("已注销", "cancelled"), ("注销中", "active"), ("拟注销", "active"),
    ("简易注销公告中", "active"), ("未注销", "active"),
    # moved to another registry: no longer this bureau's, so never drawn or scored here
    ("迁出", "cancelled"), ("已迁出", "cancelled"),
    ("歇业", "active"), ("停业", "active"), ("清算中", "active"),  # still registered
    ("除名", "revoked"), ("责令关闭", "revoked"), ("吊销，停业", "revoked"),
    ("营业中的咖啡馆", None),  # no rule: the value is cleared, the subject loads
])
def test_registry_status_phrases(phrase: str, status: str | None) -> None:
    from riskgraph.etl.contract import enum_by_rule

    assert enum_by_rule("status", phrase) == status
