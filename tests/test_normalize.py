"""Normalisation rules for addresses, phones, dates, booleans, numbers, the headers of
real exports and the words of their enumerations."""

from __future__ import annotations

import datetime as dt

import pytest

from riskgraph.etl import contract
from riskgraph.etl.normalize import (
    address_key,
    parse_bool,
    parse_date,
    parse_number,
    parse_yuan_unit,
    phone_key,
)
from riskgraph.etl.pii import mask, mask_text
from riskgraph.etl.readers import FileRejected
from riskgraph.etl.validate import map_header


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


@pytest.mark.parametrize("a,b", [
    ("邹城市经济开发区1号", "曲阜市经济开发区1号"),  # a county-level city before a generic zone
    ("嘉祥县省道338线100号", "金乡县省道338线100号"),  # 省道 (a provincial road) is no province
    ("济宁市阳光小区5号", "济南市阳光小区5号"),  # a residential compound is no county
    ("济宁市经开区崇文大道1号", "邹城市经开区崇文大道1号"),  # short names of generic zones
    ("济宁市综保区1号", "临沂市综保区1号"),
])
def test_places_in_different_counties_stay_different(a: str, b: str) -> None:
    assert address_key(a) != address_key(b)
    assert address_key(a) == address_key(a.replace("号", "號"))


@pytest.mark.parametrize("raw,key", [
    ("山东省济宁市济宁高新区海川路2号", "济宁高新区海川路2号"),  # a named zone is county-level
    ("济宁市济宁高新区海川路2号", "济宁高新区海川路2号"),
    ("济宁市高新区崇文大道1号", "济宁市高新区崇文大道1号"),  # a generic zone keeps its city
    ("济宁市任城区高新区1号", "任城区高新区1号"),
    ("广西壮族自治区南宁市青秀区民族大道1号", "青秀区民族大道1号"),
    ("上海市浦东新区世纪大道1号", "浦东新区世纪大道1号"),
    ("济宁市大蒜市场1号", "济宁市大蒜市场1号"),
])
def test_zones_and_provinces(raw: str, key: str) -> None:
    assert address_key(raw) == key


@pytest.mark.parametrize("raw", ["2024/3/5 0:00", "2024-3-5 10:30:00", "2024年3月5日 10:30",
                                 "2024年3月5日10时30分", "2024-03-05T10:30:00+08:00", "2024.3.5",
                                 "２０２４－０３－０５", "2024-03-05 00:00:00.000"])
def test_dates_with_a_time_of_day_and_other_spellings(raw: str) -> None:
    assert parse_date(raw) == dt.date(2024, 3, 5)


def test_an_iso_time_with_an_offset_is_the_day_in_china() -> None:
    assert parse_date("2024-03-04T20:00:00Z") == dt.date(2024, 3, 5)
    assert parse_date("2024-03-04T23:30:00-05:00") == dt.date(2024, 3, 5)
    assert parse_date("2024-03-05T10:30:00+08:00") == dt.date(2024, 3, 5)
    assert parse_date("2024-03-04 20:00:00Z") == dt.date(2024, 3, 5)
    assert parse_date("2024-03-04T20:00:00-05") == dt.date(2024, 3, 5)


@pytest.mark.parametrize("raw", ["2024-03-05 junk", "2024-03-0510:00", "3/5/2024 0:00"])
def test_dates_with_trailing_junk_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_date(raw)


@pytest.mark.parametrize("raw,key", [
    ("13800138000/13900139000", "13800138000"), ("0537-1234567；13800138000", "05371234567"),
    ("12/13800138000", "13800138000"), ("0537  1234567", "05371234567"),
    ("13800138000 13900139000", "13800138000"), ("0086 537 1234567", "05371234567"),
    ("0537 1234567 13800138000", "05371234567"), ("138 0013 8000 139 0013 9000", "13800138000"),
    ("1234567 13800138000", "13800138000"), ("(0537) 1234567 13800138000", "05371234567"),
])
def test_a_cell_with_several_numbers_keys_the_first_usable_one(raw: str, key: str) -> None:
    assert phone_key(raw) == key


@pytest.mark.parametrize("raw,value", [("50万元", 5e5), ("1.2亿元", 1.2e8), ("300万人民币", 3e6),
                                       ("２０万元", 2e5), ("1,000元", 1e3)])
def test_amounts_as_registries_write_them(raw: str, value: float) -> None:
    assert parse_number(raw) == pytest.approx(value)


def test_a_percent_sign_only_where_a_share_is_read() -> None:
    assert parse_number("60%", percent=True) == 60.0
    for raw in ("12.5%", "50万%"):
        with pytest.raises(ValueError):
            parse_number(raw)


@pytest.mark.parametrize("raw", ["100万美元", "1e999", "1.2.3", "万元"])
def test_other_currencies_and_junk_are_not_numbers(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_number(raw)


def test_masking_legacy_ids_but_not_registration_numbers() -> None:
    assert mask_text("旧证370802900101123号") == "旧证370802******123号"
    assert mask_text("注册号370800228012345") == "注册号370800228012345"
    assert mask_text("证件３７０８８３１９７００７０７００１Ｘ") == "证件370883********001X"
    # the groups of an ID may stand apart; phones, dates and other codes are left alone
    assert mask_text("370802 19900101 123X / 370802-900101-123") == \
        "370802********123X / 370802******123"
    for text in ("举报人 0537 1234567 13800138000", "检查 2023-05-12 2023-06-01 2023-07-01",
                 "0537-88120315-801", "13800190101-2345", "1234 5678 9012 3456 78",
                 "统一社会信用代码913708021234567890", "注册号370800228012345"):
        assert mask_text(text) == text
    # next to letters, other numbers, a second ID, full-width digits or separators
    for text, masked in (
            ("ID370802199001011234", "ID370802********1234"),
            ("370802199001011234，３７０８０２９００１０１１２３", "370802********1234，370802******123"),
            ("身份证 370802 19900101 1234 13812345678", "身份证 370802********1234 13812345678"),
            ("370802900101123 370802900101124", "370802******123 370802******124"),
            ("370802　19900101　123X", "370802********123X")):
        assert mask_text(text) == masked


# -- units written in a header ---------------------------------------------------------------


@pytest.mark.parametrize("raw,unit,value", [
    ("50", 1e4, 5e5), ("1,200.5", 1e4, 1.2005e7), ("0.3", 1e8, 3e7),
    ("50万元", 1e4, 5e5), ("800元", 1e4, 800.0), ("1.2亿元", 1e4, 1.2e8), ("300万人民币", 1e4, 3e6)])
def test_a_headers_unit_scales_only_the_bare_numbers(raw: str, unit: float, value: float) -> None:
    assert parse_number(raw, unit=unit) == pytest.approx(value)


@pytest.mark.parametrize("raw,factor", [("万元", 1e4), ("亿元", 1e8), ("元", 1.0), ("万", 1e4),
                                        ("万元人民币", 1e4), ("人民币万元", 1e4), ("万美元", None),
                                        ("户", None), ("", None)])
def test_units_in_yuan(raw: str, factor: float | None) -> None:
    assert parse_yuan_unit(raw) == factor


# -- headers ---------------------------------------------------------------------------------


def test_registry_headers_map_to_their_columns_with_the_unit() -> None:
    header = ["统一社会信用代码", "企业名称", "企业类型", "所属行业", "所属区域", "住所", "联系方式",
              "成立时间", "经营状态", "注册资本（万元）", "重点监管", "备注", ""]
    mapped = map_header(contract.KINDS["subjects"], header, "subjects.csv")
    assert mapped.columns == {
        "统一社会信用代码": "uscc", "企业名称": "name", "企业类型": "kind", "所属行业": "industry",
        "所属区域": "region", "住所": "address", "联系方式": "phone", "成立时间": "registered_on",
        "经营状态": "status", "注册资本（万元）": "registered_capital", "重点监管": "key_sector"}
    assert mapped.units == {"registered_capital": 1e4}
    assert set(mapped.ignored) == {"备注", ""}


@pytest.mark.parametrize("kind,header,column", [
    ("subjects", "市场主体类型", "kind"), ("subjects", "主体类型", "kind"),
    ("subjects", "国民经济行业", "industry"),
    ("subjects", "登记状态", "status"), ("subjects", "企业状态", "status"),
    ("subjects", "联系电话", "phone"), ("subjects", "注册资本", "registered_capital"),
    ("subjects", "成立日期", "registered_on"), ("subjects", " 企业 名称 ", "name"),
    ("subjects", "UScc", "uscc"),
    ("penalties", "处罚决定日期", "decided_on"), ("penalties", "作出处罚决定日期", "decided_on"),
    ("penalties", "罚款金额", "amount"), ("complaints", "投诉日期", "received_on"),
    ("inspections", "检查时间", "inspected_on"), ("inspections", "检查结果", "outcome"),
    ("inspections", "抽查结果", "outcome"),
    ("list_entries", "移出时间", "removed_on"), ("list_entries", "移出日期", "removed_on"),
    ("list_entries", "列入时间", "listed_on"), ("list_entries", "作出决定机关（列入）", "authority"),
])
def test_header_variants_of_real_exports(kind: str, header: str, column: str) -> None:
    assert contract.KINDS[kind].column_for(header) == column


def test_headers_that_name_no_column_or_one_already_read_are_ignored_with_why() -> None:
    subjects = map_header(contract.KINDS["subjects"],
                          ["统一社会信用代码", "企业名称", "所属区域", "联系电话", "联系方式",
                           "注册资本(万美元)", "注册资本[亿元]"], "subjects.csv")
    assert subjects.columns["联系电话"] == "phone" and "联系方式" not in subjects.columns
    assert "联系电话" in subjects.ignored["联系方式"]          # listed first in the contract
    assert "注册资本(万美元)" in subjects.ignored                # not yuan: not guessed at
    assert subjects.columns["注册资本[亿元]"] == "registered_capital"
    assert subjects.units == {"registered_capital": 1e8}
    # the removal's authority is not the listing's
    lists = map_header(contract.KINDS["list_entries"],
                       ["统一社会信用代码", "名单类型", "列入日期", "作出决定机关（移出）"], "l.csv")
    assert "作出决定机关（移出）" in lists.ignored and "authority" not in lists.columns.values()
    roles = map_header(contract.KINDS["roles"],
                       ["统一社会信用代码", "身份证号", "职务", "持股比例（%）"], "roles.csv")
    assert roles.columns["持股比例（%）"] == "share_pct" and roles.units == {}


def test_of_two_headers_for_one_column_the_one_the_contract_lists_first_is_read() -> None:
    # whichever comes first in the file: the column's own name, then the aliases in order
    subjects = map_header(contract.KINDS["subjects"],
                          ["uscc", "名称", "企业名称", "region", "注册资金", "注册资本（万元）",
                           "联系方式", "联系电话"], "subjects.csv")
    assert subjects.columns == {"uscc": "uscc", "企业名称": "name", "region": "region",
                                "注册资本（万元）": "registered_capital", "联系电话": "phone"}
    assert subjects.units == {"registered_capital": 1e4}
    assert subjects.ignored == {"名称": "name is read from '企业名称'",
                                "注册资金": "registered_capital is read from '注册资本（万元）'",
                                "联系方式": "phone is read from '联系电话'"}
    name_first = map_header(contract.KINDS["subjects"],
                            ["uscc", "name", "企业名称", "region"], "s.csv")
    assert name_first.columns["name"] == "name" and "企业名称" in name_first.ignored
    units_dropped = map_header(contract.KINDS["subjects"],
                               ["uscc", "名称", "region", "注册资本（万元）", "registered_capital"],
                               "s.csv")
    assert units_dropped.columns["registered_capital"] == "registered_capital"
    assert units_dropped.units == {}  # the unit of a header no longer read is dropped


def test_a_missing_column_names_the_headers_that_were_not_read() -> None:
    with pytest.raises(FileRejected, match="'region' is missing .*区域"):
        map_header(contract.KINDS["subjects"], ["统一社会信用代码", "企业名称", "区域"], "s.csv")


# -- words of inspection outcomes ------------------------------------------------------------


@pytest.mark.parametrize("raw,outcome", [
    ("未发现违法违规行为", "pass"), ("正常", "pass"), ("符合要求", "pass"), ("合格", "pass"),
    ("未发现问题", "pass"), ("未发现 问题", "pass"), ("检查合格", "pass"), ("未见异常", "pass"),
    ("未发现问题，无需整改", "pass"), ("PASS", "pass"),
    ("责令限期整改", "fail"), ("发现问题，已责令改正", "fail"), ("发现问题 , 已责令改正", "fail"),
    ("发现问题。已责令改正！", "fail"), ("不符合要求", "fail"), ("不合格", "fail"),
    ("发现违法违规行为，已立案", "fail"), ("未按规定公示应当公示的信息", "fail"),
    ("公示信息隐瞒真实情况、弄虚作假", "fail"), ("不正常", "fail"), ("未通过", "fail"),
    ("未发现该主体", "not_found"), ("查无此户", "not_found"), ("无法联系", "not_found"),
    ("通过登记的住所或经营场所无法联系", "not_found"), ("未发现", "not_found"),
    ("未发现开展本次抽查涉及的经营活动", "not_found"), ("已办理注销登记", "not_found"),
    ("基本合格", None), ("基本符合要求", None), ("待定", None),
    # negations a few words away, and failures that start with 未
    ("未发现违反相关法律法规的行为", "pass"), ("未发现食品安全问题", "pass"),
    ("未发现存在问题", "pass"), ("未发现有违法违规行为", "pass"), ("未见违法违规行为", "pass"),
    ("不存在违法违规行为", "pass"), ("不存在问题", "pass"), ("没有问题", "pass"),
    ("无违法违规行为", "pass"), ("未发现不符合", "pass"), ("经营异常", "fail"),
    ("未开展进货查验记录", "fail"), ("未开展食品安全自查", "fail"), ("不配合检查，情节严重", "fail"),
    ("未开展生产经营活动", "not_found"), ("该主体不存在", "not_found"), ("不予立案", None),
    # a negation names what is missing, the finding follows (in the next clause or not)
    ("未发现食品经营许可证，涉嫌违法经营", "fail"), ("未发现食品经营许可证涉嫌违法经营", "fail"),
    ("未见从业人员健康证明，不符合规定", "fail"), ("未见进货查验记录，存在问题", "fail"),
    ("未发现索证索票记录，违反相关规定", "fail"), ("没有从业人员健康证明，违反食品安全法", "fail"),
    ("未开展相关自查工作", "fail"), ("未开展相关培训", "fail"),
    # a subject named before a negated finding is there: a pass, not not_found
    ("该企业不存在违法违规行为", "pass"), ("经营场所不存在安全隐患", "pass"),
    ("企业不存在问题", "pass"), ("未发现该企业存在违法违规行为", "pass"),
    ("未发现该单位有违法行为", "pass"),
])
def test_inspection_outcome_words(raw: str, outcome: str | None) -> None:
    assert contract.enum_value("outcome", raw) == outcome


@pytest.mark.parametrize("raw, role", [
    # a registry's 主要人员 titles
    ("执行董事", "executive"), ("董事长", "executive"), ("总经理", "executive"),
    ("执行董事兼总经理", "executive"), ("副总经理", "executive"), ("财务负责人", "executive"),
    ("董事会秘书", "executive"), ("首席执行官", "executive"), ("厂长", "executive"),
    ("监事会主席", "supervisor"), ("职工监事", "supervisor"), ("监事", "supervisor"),
    # a partnership's managing partner runs it; the other partners hold it
    ("执行事务合伙人", "executive"), ("执行事务合伙人委派代表", "executive"),
    ("有限合伙人", "shareholder"), ("普通合伙人", "shareholder"), ("投资人", "shareholder"),
    ("自然人股东", "shareholder"), ("法人股东", "shareholder"),
    ("负责人", "legal_rep"), ("法定代表人", "legal_rep"), ("隶属", "branch_of"),
    ("分公司负责人", "legal_rep"), ("主要负责人", "legal_rep"), ("个体工商户经营者", "legal_rep"),
    # a cooperative's board, and directors by another word
    ("理事长", "executive"), ("理事", "executive"), ("财务总监", "executive"),
    ("清算组成员", None), ("其他人员", None),
])
def test_registry_role_titles(raw: str, role: str | None) -> None:
    assert contract.enum_value("role", raw) == role


def test_headers_that_name_different_things_in_different_exports_are_not_read() -> None:
    # 行业门类 is the section (twenty of them), not the industry; an inspector's 证件号码
    # may be the enforcement licence's number
    assert contract.KINDS["subjects"].column_for("行业门类") is None
    assert contract.KINDS["subjects"].column_for("所属行业") == "industry"
    assert contract.KINDS["inspectors"].column_for("证件号码") is None
    assert contract.KINDS["inspectors"].column_for("身份证号") == "person_id"
