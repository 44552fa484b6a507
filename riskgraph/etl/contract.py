"""The input data contract: entity kinds, their columns, aliases, keys and load order."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from riskgraph.etl.normalize import folded


def header_key(header: str) -> str:
    """A header as it is compared: NFKC-folded (full-width brackets and letters become
    half-width), without spaces, lower case."""
    return folded(header).lower()


@dataclass(frozen=True)
class Kind:
    """One entity kind of the input folder (one file kind)."""

    name: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    one_of: tuple[str, ...] = ()  # exactly one of these must be filled
    aliases: dict[str, str] = field(default_factory=dict)  # alias header -> column
    # optional columns whose bad value loses the row instead of being cleared: what the
    # row is there for (a commitment's fulfilment), when the file carries it
    strict: tuple[str, ...] = ()

    def column_for(self, header: str) -> str | None:
        """The contract column a header names (the column itself or an alias), or None."""
        key = header_key(header)
        if key in self.columns:
            return key
        return next((column for alias, column in self.aliases.items()
                     if header_key(alias) == key), None)

    def preference(self, header: str) -> int:
        """How strongly a header names its column, when a file has two headers for one:
        0 for the column's own name, then the aliases in the order they are listed."""
        key = header_key(header)
        column = self.column_for(header)
        names = [column] + [a for a, c in self.aliases.items() if c == column]
        return next(i for i, name in enumerate(names) if header_key(name) == key)


SUBJECT_KINDS = ("enterprise", "individual", "cooperative", "branch")
STATUSES = ("active", "revoked", "cancelled")
ROLES = ("shareholder", "legal_rep", "executive", "supervisor", "branch_of")
SEVERITIES = ("minor", "general", "serious")
OUTCOMES = ("pass", "fail", "not_found")
LISTS = ("abnormal_operation", "serious_dishonest", "joint_punishment")
FULFILMENTS = ("pending", "kept", "broken")  # of a credit commitment (信用承诺)

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
    "fulfilment": {"已履诺": "kept", "履诺": "kept", "已履行": "kept", "守诺": "kept",
                   "符合": "kept", "未履诺": "broken", "违诺": "broken", "失诺": "broken",
                   "未履行": "broken", "虚假承诺": "broken", "不符合": "broken",
                   "待核查": "pending", "核查中": "pending", "履诺中": "pending",
                   "未到期": "pending", "未核查": "pending"},
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
    # a commitment's check as verification exports word it (符合承诺, 与承诺不符, 承诺不实,
    # 违反承诺, 核查不通过): a breach first, then not yet checked, then kept
    "fulfilment": (
        (("未履诺", "未履行", "未按承诺", "不符", "不实", "不通过", "未通过", "违反", "违背",
          "违诺", "失诺", "虚假"), "broken"),
        (("待核查", "未核查", "核查中", "履诺中", "正在履", "未到", "待履诺", "未届满"), "pending"),
        (("履诺", "履行", "符合", "相符", "属实", "通过", "守诺"), "kept"),
    ),
    # a registry's 主要人员 and 股东 exports title a role (执行董事兼总经理, 监事会主席,
    # 财务负责人, 执行事务合伙人委派代表, 有限合伙人); a legal representative first (it
    # hands a subject over), then supervisors, then officers (before 合伙人: a managing
    # partner is an officer), then holders
    "role": (
        # 分公司负责人, 主要负责人, 个体工商户经营者: a branch's or a business's head
        (("法定代表人", "法人代表", "(?<!财务)负责人$", "经营者$"), "legal_rep"),
        (("监事",), "supervisor"),
        (("董事", "理事", "经理", "总裁", "总监", "首席", "行长", "厂长", "主任", "财务负责人",
          "秘书", "高管", "高级管理", "执行事务合伙人", "委派代表"), "executive"),
        (("股东", "投资人", "出资人", "合伙人", "发起人", "持股"), "shareholder"),
    ),
    "outcome": (
        # a partial pass: whether it is a failure is the bureau's call, not a guess
        # and a decision not to act (不予立案, 不予处罚) is not an inspection's finding
        (("基本合格", "基本符合", "不予立案", "不予处罚"), None),
        # nothing was inspected: nobody at the address, the subject gone or not in the
        # trade the task checks (未发现开展本次抽查涉及的经营活动)
        # (not a negated finding: 该企业不存在违法违规行为, 未发现该单位有违法行为 pass)
        (("未发现该(?!.{0,16}(违法|违规|违反|问题|隐患|异常))", "查无", "下落不明", "无法联系",
          "联系不上", "未找到",
          "(主体|企业|商户|场所|地址)不存在(?!.{0,10}(违法|违规|违反|问题|隐患|异常))",
          "未发现开展", "未开展(本次|相关经营|.{0,4}经营)", "未从事", "已注销", "注销登记",
          "已吊销", "吊销营业执照", "已迁出"), "not_found"),
        # negations before the words they negate: 未发现问题, 未发现食品安全问题,
        # 未见违法违规行为, 不存在问题 are passes; 发现问题 a failure
        # within one clause, and not across what is missing (未见健康证明，不符合规定 and
        # 未发现许可证涉嫌违法经营 are failures: a licence or a record was not found)
        (("(未发现|未见|没有发现|没有|不存在)(有|存在|任何|明显)?"
          "((?!证|记录|票|台账|制度|许可|档案|标识|标签).){0,10}"
          "(违法|违规|违反|问题|异常|不合格|不符合|隐患)",
          "无(违法|违规|问题|异常|隐患)", "无需整改"), "pass"),
        (("不合格", "不符合", "不正常", "不通过", "未通过", "不配合", "发现", "责令", "整改",
          "改正", "立案", "处罚", "移送", "未按", "未开展", "未建立", "未落实", "未执行",
          "未公示", "隐瞒", "弄虚作假", "违法", "违规", "违反", "问题", "异常"), "fail"),
        (("合格", "符合", "正常", "通过"), "pass"),
    ),
}

# What a rule ignores in a value: spaces and punctuation, half- or full-width.
_NOT_A_WORD = re.compile(r"[\W_]+")


def _words(raw: str) -> str:
    return _NOT_A_WORD.sub("", unicodedata.normalize("NFKC", raw))


# Each rule's words as one pattern (a word may be a regular expression: 未发现 followed
# within a few characters by 问题 or 违法 is a negation wherever the words sit).
_RULE_PATTERNS: dict[str, tuple[tuple[re.Pattern[str], str | None], ...]] = {
    column: tuple((re.compile("|".join(words)), value) for words, value in rules)
    for column, rules in ENUM_RULES.items()
}


# Where a phrase's clauses part: a rule matches within one clause, so a negation in one
# does not reach a finding in the next (未见进货查验记录，存在问题).
_CLAUSE_BREAK = re.compile(r"[,，;；。.、!！?？:：]+")


def enum_by_rule(column: str, raw: str) -> str | None:
    """The contract value a free phrase names by ``ENUM_RULES``, or None: the first rule
    that matches within one of its clauses."""
    clauses = [c for c in (_words(part) for part in
                           _CLAUSE_BREAK.split(unicodedata.normalize("NFKC", raw))) if c]
    for pattern, value in _RULE_PATTERNS.get(column, ()):
        if any(pattern.search(clause) for clause in clauses):
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
    "outcome": OUTCOMES, "list": LISTS, "fulfilment": FULFILMENTS,
}

def _aliases(**columns: tuple[str, ...]) -> dict[str, str]:
    """The alias table of a kind, written column by column: alias header -> column."""
    return {alias: column for column, names in columns.items() for alias in names}


# The Chinese headers of registry, 12315, penalty (行政处罚), inspection (双随机抽查) and
# list (经营异常名录, 严重违法失信名单) exports. Headers are compared NFKC-folded, without
# spaces, so ``注册资本（万元）`` and ``注册资本(万元)`` are one header; a unit in brackets
# after an amount's header (``注册资本（万元）``, ``罚没金额(元)``) is read apart
# (``HEADER_UNIT_COLUMNS``). Only headers that name one column whatever the bureau are
# here: ``类型``, ``状态``, ``日期``, ``注册号`` (the old registration number, not the
# USCC), ``登记机关`` (an office, not a region) and ``经营范围`` are not.
_USCC = ("统一社会信用代码", "社会统一信用代码", "社会信用代码", "统一信用代码")
# ``证件号码`` (a document's number) only where the holder is always a person: a
# shareholder's or a list's may be a company's USCC.
_PERSON_ID = ("身份证号", "身份证号码", "公民身份号码", "身份证件号码")

KINDS: dict[str, Kind] = {
    "subjects": Kind(
        "subjects",
        ("uscc", "name", "kind", "industry", "region", "address", "phone", "registered_on",
         "status", "registered_capital", "key_sector"),
        ("uscc", "name", "region"),
        aliases=_aliases(
            uscc=_USCC,
            name=("企业名称", "名称", "主体名称", "市场主体名称", "企业（机构）名称", "单位名称",
                  "个体工商户名称"),
            kind=("主体类型", "企业类型", "市场主体类型", "企业（机构）类型"),
            industry=("行业", "所属行业", "国民经济行业", "国民经济行业分类",
                      "行业类别", "行业名称", "行业分类"),
            region=("所属区域", "辖区", "所属辖区", "所属区县", "所在区县", "区县"),
            address=("住所", "经营场所", "住所/经营场所", "住所（经营场所）", "地址", "注册地址",
                     "经营地址", "企业地址", "住所地址", "生产经营地址"),
            phone=("联系电话", "联系方式", "电话", "企业联系电话", "电话号码", "手机号码"),
            registered_on=("成立日期", "成立时间", "注册日期", "设立日期"),
            status=("登记状态", "经营状态", "企业状态", "主体状态", "企业登记状态"),
            registered_capital=("注册资本", "注册资金", "注册资本金", "资金数额"),
            key_sector=("重点监管", "是否重点监管", "重点监管对象"),
        ),
    ),
    "persons": Kind("persons", ("person_id", "name"), ("person_id", "name"),
                    aliases=_aliases(person_id=(*_PERSON_ID, "证件号码"), name=("姓名",))),
    "roles": Kind(
        "roles",
        ("subject_uscc", "holder_person_id", "holder_uscc", "role", "share_pct", "since",
         "until"),
        ("subject_uscc", "role"), one_of=("holder_person_id", "holder_uscc"),
        aliases=_aliases(
            subject_uscc=(*_USCC, "主体统一社会信用代码", "企业统一社会信用代码"),
            holder_person_id=(*_PERSON_ID, "股东身份证号", "人员身份证号"),
            holder_uscc=("股东统一社会信用代码", "股东（发起人）统一社会信用代码",
                         "隶属企业统一社会信用代码"),
            role=("职务", "角色"),
            share_pct=("持股比例", "出资比例"),
            since=("任职日期", "任职时间", "任职起始日期"),
            # not 任职终止日期: often the end of the term of office, not the day of leaving
            until=("离任日期", "卸任日期", "退出日期", "离职日期"),
        ),
    ),
    "complaints": Kind(
        "complaints",
        ("complaint_id", "subject_uscc", "received_on", "channel", "category", "substantiated"),
        ("complaint_id", "subject_uscc", "received_on"),
        aliases=_aliases(
            complaint_id=("投诉编号", "投诉举报编号", "工单编号", "工单号"),
            subject_uscc=(*_USCC, "被投诉主体统一社会信用代码", "被投诉方统一社会信用代码",
                          "被诉主体统一社会信用代码"),
            received_on=("登记日期", "受理日期", "投诉日期", "登记时间", "受理时间", "投诉时间"),
            channel=("来源渠道", "投诉渠道", "来源方式", "渠道来源"),
            category=("投诉类别", "投诉类型", "问题类别"),
            substantiated=("是否属实", "投诉是否属实"),
        ),
    ),
    "penalties": Kind(
        "penalties",
        ("penalty_id", "subject_uscc", "department", "decided_on", "severity", "amount",
         "reason", "repaired_on"),
        ("penalty_id", "subject_uscc", "decided_on", "severity"),
        aliases=_aliases(
            penalty_id=("处罚决定书文号", "行政处罚决定书文号", "决定书文号", "案件编号"),
            subject_uscc=(*_USCC, "当事人统一社会信用代码", "违法主体统一社会信用代码"),
            department=("处罚机关", "处罚决定机关", "作出处罚决定机关", "作出处罚决定的机关",
                        "作出行政处罚决定机关名称"),
            decided_on=("处罚决定日期", "处罚日期", "作出处罚决定日期", "作出处罚决定的日期",
                        "处罚决定时间", "作出行政处罚决定日期", "决定日期"),
            severity=("严重程度", "违法严重程度", "违法行为严重程度"),
            amount=("罚没金额", "处罚金额", "罚款金额", "罚没款金额"),
            reason=("处罚事由", "违法事实", "主要违法事实", "违法行为"),
            repaired_on=("信用修复日期", "信用修复时间", "修复日期"),
        ),
    ),
    # Credit commitments (信用承诺, 告知承诺制): a subject promises it meets a condition
    # (a licence's, an approval's) and is later checked; ``verified_on`` is the day the
    # check found it kept or broken.
    "commitments": Kind(
        "commitments",
        ("commitment_id", "subject_uscc", "department", "matter", "made_on", "due_on",
         "fulfilment", "verified_on"),
        ("commitment_id", "subject_uscc", "made_on"),
        aliases=_aliases(
            commitment_id=("承诺编号", "承诺书编号", "信用承诺编号"),
            subject_uscc=(*_USCC, "承诺主体统一社会信用代码", "承诺人统一社会信用代码"),
            # the department that accepted the commitment (the checking one may differ)
            department=("承诺受理部门", "受理部门", "受理机关"),
            # not 承诺类型: a kind of commitment (审批替代型, 主动型, 信用修复型), not the matter
            matter=("承诺事项", "承诺内容", "事项名称"),
            made_on=("承诺日期", "承诺时间", "作出承诺日期", "签署日期"),
            due_on=("履诺期限", "承诺期限", "履诺截止日期"),
            # a file with both reads 履诺情况 (aliases listed first are preferred)
            fulfilment=("履诺情况", "履诺状态", "履诺结果", "核查结果"),
            verified_on=("核查日期", "核查时间", "履诺核查日期"),
        ),
        # an unread outcome loses the row, so a file in unread words fails the load's
        # quarantine share instead of loading as pending
        strict=("fulfilment",),
    ),
    "inspections": Kind(
        "inspections",
        ("inspection_id", "subject_uscc", "task_id", "item_code", "department", "inspected_on",
         "outcome"),
        ("inspection_id", "subject_uscc", "inspected_on", "outcome"),
        aliases=_aliases(
            inspection_id=("检查编号", "检查记录编号", "抽查编号"),
            subject_uscc=_USCC,
            task_id=("任务编号", "抽查任务编号", "任务编码"),
            item_code=("检查事项", "检查事项编码", "抽查事项编码"),
            department=("检查部门", "检查机关", "抽查机关"),
            inspected_on=("检查日期", "检查时间", "抽查日期", "抽查时间", "检查完成日期"),
            outcome=("检查结果", "抽查结果", "检查结论", "抽查检查结果"),
        ),
    ),
    "list_entries": Kind(
        "list_entries",
        ("subject_uscc", "person_id", "list", "listed_on", "removed_on", "authority", "reason"),
        ("list", "listed_on"), one_of=("subject_uscc", "person_id"),
        # The national publicity system writes both authorities, ``作出决定机关（列入）``
        # and ``作出决定机关（移出）``: only the first is the listing's.
        aliases=_aliases(
            subject_uscc=_USCC,
            person_id=_PERSON_ID,
            list=("名单", "名单类型", "名录类型"),
            listed_on=("列入日期", "列入时间", "列入经营异常名录日期", "列入严重违法失信名单日期"),
            removed_on=("移出日期", "移出时间", "移除日期", "移除时间", "移出经营异常名录日期",
                        "移出严重违法失信名单日期"),
            authority=("作出决定机关", "作出决定机关（列入）", "列入决定机关"),
            reason=("列入原因", "列入事由", "列入经营异常名录原因", "列入严重违法失信名单原因"),
        ),
    ),
    "inspectors": Kind(
        "inspectors",
        ("inspector_id", "person_id", "name", "department", "region", "qualifications"),
        ("inspector_id", "person_id", "department"),
        aliases=_aliases(
            inspector_id=("执法人员编号", "执法证号", "执法证件号", "执法证编号"),
            person_id=_PERSON_ID,
            name=("姓名",),
            department=("所属部门", "部门", "所在部门"),
            region=("所属区域", "辖区"),
            qualifications=("检查资质",),
        ),
    ),
    "items": Kind(
        "items", ("item_code", "department", "area", "name", "key_item"),
        ("item_code", "department"),
        aliases=_aliases(
            item_code=("事项编码", "检查事项编码", "抽查事项编码"),
            department=("部门", "实施部门"),
            area=("领域", "所属领域"),
            name=("事项名称", "检查事项名称", "抽查事项名称"),
            key_item=("重点事项", "是否重点事项"),
        ),
    ),
}

# Columns whose header may carry a unit in brackets: amounts in yuan (the unit scales
# the bare numbers of the column) and shares in per cent.
HEADER_UNIT_COLUMNS: dict[str, str] = {
    "registered_capital": "yuan", "amount": "yuan", "share_pct": "percent"}


# Referenced kinds load before the kinds that reference them.
LOAD_ORDER = ("items", "subjects", "persons", "roles", "inspectors", "complaints",
              "penalties", "commitments", "inspections", "list_entries")


def kind_of(filename: str) -> str | None:
    """Return the kind a file holds, from the start of its name, or None."""
    stem = filename.lower()
    # Longest name first so "list_entries" is not mistaken for a shorter kind.
    for name in sorted(KINDS, key=len, reverse=True):
        if stem.startswith(name):
            return name
    return None
