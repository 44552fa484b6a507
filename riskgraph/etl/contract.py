"""The input data contract: entity kinds, their columns, aliases, keys and load order."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Kind:
    """One entity kind of the input folder (one file kind)."""

    name: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    one_of: tuple[str, ...] = ()  # exactly one of these must be filled
    aliases: dict[str, str] = field(default_factory=dict)  # alias header -> column


SUBJECT_KINDS = ("enterprise", "individual", "cooperative", "branch")
STATUSES = ("active", "revoked", "cancelled")
ROLES = ("shareholder", "legal_rep", "executive", "supervisor", "branch_of")
SEVERITIES = ("minor", "general", "serious")
OUTCOMES = ("pass", "fail", "not_found")
LISTS = ("abnormal_operation", "serious_dishonest", "joint_punishment")

# Real exports name the enumerations in Chinese; these map them to the contract's values.
ENUM_ALIASES: dict[str, dict[str, str]] = {
    "kind": {"企业": "enterprise", "有限责任公司": "enterprise", "个体工商户": "individual",
             "个体": "individual", "农民专业合作社": "cooperative", "合作社": "cooperative",
             "分支机构": "branch", "分公司": "branch"},
    "status": {"存续": "active", "在业": "active", "开业": "active", "吊销": "revoked",
               "注销": "cancelled"},
    "severity": {"轻微": "minor", "一般": "general", "严重": "serious"},
    "outcome": {"未发现问题": "pass", "合格": "pass", "通过": "pass", "发现问题": "fail",
                "不合格": "fail", "发现问题已责令改正": "fail", "未发现": "not_found",
                "未发现该主体": "not_found", "查无下落": "not_found", "未找到": "not_found"},
    "list": {"经营异常名录": "abnormal_operation", "经营异常": "abnormal_operation",
             "严重违法失信名单": "serious_dishonest", "严重失信": "serious_dishonest",
             "联合惩戒": "joint_punishment", "联合惩戒对象": "joint_punishment"},
    "role": {"股东": "shareholder", "法定代表人": "legal_rep", "负责人": "legal_rep",
             "经营者": "legal_rep", "高管": "executive", "董事": "executive",
             "经理": "executive", "监事": "supervisor", "隶属": "branch_of"},
}

# Registries write a subject's type and status as free phrases (``有限责任公司（自然人
# 独资）``, ``在营（开业）``, ``吊销，未注销``), and result publications an inspection's
# outcome (``未发现违法违规行为``, ``发现问题，已责令改正``, ``通过登记的住所或经营场所无法
# 联系``); where no alias matches, these word rules decide, first match wins, with
# spaces and punctuation taken out of the value first. A rule to None leaves the value
# unread. What no rule reads stays an error.
ENUM_RULES: dict[str, tuple[tuple[tuple[str, ...], str | None], ...]] = {
    "kind": (
        (("分公司", "分支机构", "分店", "营业部", "办事处"), "branch"),
        (("个体",), "individual"),
        (("合作社", "联合社"), "cooperative"),
        (("公司", "企业", "合伙", "所有制", "独资", "合资", "合作经营", "厂", "商行"),
         "enterprise"),
    ),
    "status": (
        (("已注销",), "cancelled"),  # 吊销，已注销: revoked, then cancelled
        (("注销中", "拟注销", "注销公告", "简易注销", "注销申请"), "active"),  # still registered
        (("吊销", "撤销", "除名", "责令关闭"), "revoked"),  # 吊销，未注销: revoked, not cancelled
        (("迁出",), "cancelled"),  # moved to another registry: no longer this bureau's
        (("未注销",), "active"),
        (("注销",), "cancelled"),
        (("未开业",), "active"),  # registered, not trading yet
        (("在营", "开业", "存续", "在业", "在册", "正常"), "active"),
        (("歇业", "停业", "清算"), "active"),  # suspended or winding up: still registered
    ),
    "outcome": (
        # a partial pass: whether it is a failure is the bureau's call, not a guess
        (("基本合格", "基本符合"), None),
        # nothing was inspected: nobody at the address, the subject gone or not in the
        # trade the task checks (未发现开展本次抽查涉及的经营活动)
        (("未发现该", "查无", "下落不明", "无法联系", "联系不上", "未找到", "不存在",
          "未发现开展", "未开展", "未从事", "已注销", "注销登记", "已吊销", "吊销营业执照",
          "已迁出"), "not_found"),
        # negations before the words they negate: 未发现问题 is a pass, 发现问题 a failure
        (("未发现问题", "未发现违法", "未发现违规", "未发现不", "未发现异常", "未发现明显",
          "没有发现", "未见异常", "未见问题", "无违法", "无违规", "无问题", "无异常",
          "无需整改"), "pass"),
        (("不合格", "不符合", "不正常", "不通过", "未通过", "不配合", "发现", "责令", "整改",
          "改正", "立案", "处罚", "移送", "未按规定", "未按照规定", "隐瞒", "弄虚作假", "违法",
          "违规", "问题", "异常"), "fail"),
        (("合格", "符合", "正常", "通过"), "pass"),
    ),
}

# What a rule ignores in a value: spaces and punctuation, half- or full-width.
_NOT_A_WORD = re.compile(r"[\W_]+")


def _words(raw: str) -> str:
    return _NOT_A_WORD.sub("", unicodedata.normalize("NFKC", raw))


def enum_by_rule(column: str, raw: str) -> str | None:
    """The contract value a free phrase names by ``ENUM_RULES``, or None."""
    text = _words(raw)
    for words, value in ENUM_RULES.get(column, ()):
        if any(w in text for w in words):
            return value
    return None


def enum_value(column: str, raw: str) -> str | None:
    """The contract value ``raw`` names: the value itself, an alias (spaces and
    punctuation aside), or a word rule's reading; None when it names none."""
    if raw.lower() in ENUMS[column]:
        return raw.lower()
    aliases = ENUM_ALIASES.get(column, {})
    return aliases.get(raw) or aliases.get(_words(raw)) or enum_by_rule(column, raw)


ENUMS: dict[str, tuple[str, ...]] = {
    "kind": SUBJECT_KINDS, "status": STATUSES, "role": ROLES, "severity": SEVERITIES,
    "outcome": OUTCOMES, "list": LISTS,
}

KINDS: dict[str, Kind] = {
    "subjects": Kind(
        "subjects",
        ("uscc", "name", "kind", "industry", "region", "address", "phone", "registered_on",
         "status", "registered_capital", "key_sector"),
        ("uscc", "name", "region"),
        aliases={"统一社会信用代码": "uscc", "企业名称": "name", "名称": "name",
                 "主体类型": "kind", "行业": "industry", "所属区域": "region", "辖区": "region",
                 "住所": "address", "经营场所": "address", "住所/经营场所": "address",
                 "联系电话": "phone", "成立日期": "registered_on", "登记状态": "status",
                 "注册资本": "registered_capital", "重点监管": "key_sector"},
    ),
    "persons": Kind("persons", ("person_id", "name"), ("person_id", "name"),
                    aliases={"身份证号": "person_id", "身份证号码": "person_id", "姓名": "name"}),
    "roles": Kind(
        "roles",
        ("subject_uscc", "holder_person_id", "holder_uscc", "role", "share_pct", "since"),
        ("subject_uscc", "role"), one_of=("holder_person_id", "holder_uscc"),
        aliases={"统一社会信用代码": "subject_uscc", "主体统一社会信用代码": "subject_uscc",
                 "身份证号": "holder_person_id", "股东身份证号": "holder_person_id",
                 "股东统一社会信用代码": "holder_uscc", "职务": "role", "角色": "role",
                 "持股比例": "share_pct", "任职日期": "since"},
    ),
    "complaints": Kind(
        "complaints",
        ("complaint_id", "subject_uscc", "received_on", "channel", "category", "substantiated"),
        ("complaint_id", "subject_uscc", "received_on"),
        aliases={"投诉编号": "complaint_id", "统一社会信用代码": "subject_uscc",
                 "登记日期": "received_on", "受理日期": "received_on", "来源渠道": "channel",
                 "投诉类别": "category", "是否属实": "substantiated"},
    ),
    "penalties": Kind(
        "penalties",
        ("penalty_id", "subject_uscc", "department", "decided_on", "severity", "amount",
         "reason", "repaired_on"),
        ("penalty_id", "subject_uscc", "decided_on", "severity"),
        aliases={"处罚决定书文号": "penalty_id", "案件编号": "penalty_id",
                 "统一社会信用代码": "subject_uscc", "处罚机关": "department",
                 "处罚决定日期": "decided_on", "处罚日期": "decided_on", "严重程度": "severity",
                 "罚没金额": "amount", "处罚金额": "amount", "处罚事由": "reason",
                 "违法事实": "reason", "信用修复日期": "repaired_on"},
    ),
    "inspections": Kind(
        "inspections",
        ("inspection_id", "subject_uscc", "task_id", "item_code", "department", "inspected_on",
         "outcome"),
        ("inspection_id", "subject_uscc", "inspected_on", "outcome"),
        aliases={"检查编号": "inspection_id", "统一社会信用代码": "subject_uscc",
                 "任务编号": "task_id", "检查事项": "item_code", "检查事项编码": "item_code",
                 "检查部门": "department", "检查日期": "inspected_on", "检查结果": "outcome"},
    ),
    "list_entries": Kind(
        "list_entries",
        ("subject_uscc", "person_id", "list", "listed_on", "removed_on", "authority", "reason"),
        ("list", "listed_on"), one_of=("subject_uscc", "person_id"),
        aliases={"统一社会信用代码": "subject_uscc", "身份证号": "person_id", "名单": "list",
                 "名单类型": "list", "列入日期": "listed_on", "移出日期": "removed_on",
                 "作出决定机关": "authority", "列入原因": "reason"},
    ),
    "inspectors": Kind(
        "inspectors",
        ("inspector_id", "person_id", "name", "department", "region", "qualifications"),
        ("inspector_id", "person_id", "department"),
        aliases={"执法人员编号": "inspector_id", "执法证号": "inspector_id",
                 "身份证号": "person_id", "姓名": "name", "所属部门": "department",
                 "所属区域": "region", "检查资质": "qualifications"},
    ),
    "items": Kind(
        "items", ("item_code", "department", "area", "name", "key_item"),
        ("item_code", "department"),
        aliases={"事项编码": "item_code", "检查事项编码": "item_code", "部门": "department",
                 "实施部门": "department", "领域": "area", "事项名称": "name",
                 "重点事项": "key_item"},
    ),
}

# Referenced kinds load before the kinds that reference them.
LOAD_ORDER = ("items", "subjects", "persons", "roles", "inspectors", "complaints",
              "penalties", "inspections", "list_entries")


def kind_of(filename: str) -> str | None:
    """Return the kind a file holds, from the start of its name, or None."""
    stem = filename.lower()
    # Longest name first so "list_entries" is not mistaken for a shorter kind.
    for name in sorted(KINDS, key=len, reverse=True):
        if stem.startswith(name):
            return name
    return None
