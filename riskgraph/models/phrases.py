# ruff: noqa: E501 - one phrase pair per line reads better than wrapped tables
"""Plain-language phrases (Chinese / English) for every feature, for reason codes.

A reason is given only when a feature *raises* a subject's risk, so each phrase says what
an inspector would look at, not the feature's name.
"""

from __future__ import annotations

# (zh, en) per feature of riskgraph.models.features.FEATURE_NAMES not covered by the
# patterns in riskgraph.models.reasons.
FEATURE_PHRASES: dict[str, tuple[str, str]] = {
    "kind_code": ("主体类型", "kind of business"),
    "industry_code": ("所属行业风险较高", "an industry with more violations"),
    "industry_share": ("所属行业风险较高", "an industry with more violations"),
    "registered_capital_log": ("注册资本规模", "registered capital"),
    "complaints": ("有12315投诉记录", "has 12315 complaints on record"),
    "complaints_substantiated": ("有查实的投诉", "has substantiated complaints"),
    "days_since_last_complaint": ("近期有投诉", "a recent complaint"),
    "penalties": ("有行政处罚记录", "has administrative penalties on record"),
    "penalties_serious": ("有严重行政处罚记录", "has a serious penalty on record"),
    "days_since_last_penalty": ("近期受过行政处罚", "a recent administrative penalty"),
    "penalty_amount_log": ("罚没金额较大", "large fines"),
    "penalties_repaired": ("有已修复的处罚记录", "penalties later repaired"),
    "penalties_unrepaired": ("有未修复的行政处罚", "unrepaired administrative penalties"),
    "past_inspections": ("以往检查次数", "number of earlier inspections"),
    "past_inspections_not_found": ("以往检查时未找到经营者", "not found at earlier inspections"),
    "inspection_failure_rate": ("以往检查问题发现率高", "problems found at most earlier inspections"),
    "linked_subjects_1hop": ("关联主体较多", "many linked subjects"),
    "linked_subjects_2hop": ("二度关联主体较多", "many subjects two links away"),
    "linked_serious_penalties": ("关联主体受过严重处罚", "linked subjects had serious penalties"),
    "linked_recent_penalties": ("关联主体近两年受过处罚", "linked subjects penalised in the last 2 years"),
    "linked_inspection_failures": ("关联主体检查发现问题", "problems found at linked subjects"),
    "linked_penalised_subjects": ("多个关联主体受过处罚", "several linked subjects were penalised"),
    "linked_complaints": ("关联主体有投诉", "complaints against linked subjects"),
    "linked_substantiated_complaints": ("关联主体有查实投诉", "substantiated complaints against linked subjects"),
    "linked_inspections": ("关联主体检查记录", "inspections of linked subjects"),
    "linked_2hop_penalties": ("二度关联主体受过处罚", "subjects two links away were penalised"),
    "linked_2hop_serious_penalties": ("二度关联主体受过严重处罚", "subjects two links away had serious penalties"),
    "linked_2hop_recent_penalties": ("二度关联主体近两年受过处罚", "subjects two links away penalised recently"),
    "linked_2hop_listed": ("二度关联主体在失信或异常名单上", "subjects two links away are on a list"),
    "linked_2hop_inspection_failures": ("二度关联主体检查发现问题", "problems found two links away"),
    "linked_2hop_penalised_subjects": ("多个二度关联主体受过处罚", "several subjects two links away penalised"),
    "linked_2hop_complaints": ("二度关联主体有投诉", "complaints two links away"),
    "linked_2hop_substantiated_complaints": ("二度关联主体有查实投诉", "substantiated complaints two links away"),
    "linked_2hop_inspections": ("二度关联主体检查记录", "inspections two links away"),
    "linked_failure_rate": ("关联主体检查问题发现率高", "problems found at most inspections of linked subjects"),
    "linked_2hop_failure_rate": ("二度关联主体检查问题发现率高", "problems found at most inspections two links away"),
    "linked_events_per_subject": ("关联主体平均投诉、处罚较多", "linked subjects have many complaints and penalties each"),
    "linked_2hop_events_per_subject": ("二度关联主体平均投诉、处罚较多", "subjects two links away have many complaints and penalties each"),
    "linked_by_person": ("与其他主体共用股东或高管", "shares an owner or officer with other subjects"),
    "linked_by_ownership": ("存在投资、任职或分支关系", "linked by shareholding, office or branches"),
    "linked_by_address": ("与其他主体共用经营地址", "shares its address with other subjects"),
    "linked_by_phone": ("与其他主体共用联系电话", "shares its phone with other subjects"),
    "address_shared_by": ("同一地址登记多个主体", "many subjects registered at its address"),
    "phone_shared_by": ("同一电话登记多个主体", "many subjects registered with its phone"),
    "legal_rep_other_subjects": ("法定代表人名下主体较多", "its legal representative runs many businesses"),
    "legal_rep_other_serious_penalties": ("法定代表人的其他企业受过严重处罚",
                                          "the legal representative's other businesses had serious penalties"),
    "legal_rep_other_listed": ("法定代表人的其他企业在名单上", "the legal representative's other businesses are listed"),
    "persons_listed": ("股东或高管在失信名单上", "an owner or officer is on a dishonesty list"),
    "persons_serious_dishonest": ("股东或高管为严重失信主体", "an owner or officer is seriously dishonest"),
    "legal_rep_listed": ("法定代表人在失信名单上", "the legal representative is on a dishonesty list"),
    "cluster_penalty_density": ("所在关联群处罚较多", "many penalties in its cluster of linked subjects"),
    "industry_failure_rate": ("所属行业检查问题发现率高", "problems are often found in its industry"),
    "inspection_failure_rate_shrunk": ("以往检查问题发现率高", "problems found at its earlier inspections"),
    "site_others": ("同一经营场所主体较多", "many businesses at the same premises"),
    "site_failure_rate": ("同一经营场所的其他主体检查问题多", "problems are often found at other businesses on its premises"),
    "site_events_per_subject": ("同一经营场所的其他主体投诉、处罚多", "other businesses on its premises have many complaints and penalties"),
    "phone_others": ("同一联系电话登记主体较多", "many businesses registered with its phone"),
    "phone_failure_rate": ("共用电话的其他主体检查问题多", "problems are often found at businesses sharing its phone"),
    "phone_events_per_subject": ("共用电话的其他主体投诉、处罚多", "businesses sharing its phone have many complaints and penalties"),
    "owner_others": ("法定代表人名下主体较多", "its legal representative runs many businesses"),
    "owner_failure_rate": ("法定代表人的其他主体检查问题多", "problems are often found at its legal representative's other businesses"),
    "owner_events_per_subject": ("法定代表人的其他主体投诉、处罚多", "its legal representative's other businesses have many complaints and penalties"),
    "complaints_recent": ("近期投诉较多", "many recent complaints"),
    "penalties_recent": ("近期受过行政处罚", "recent administrative penalties"),
    "inspection_failures_recent": ("近期检查发现问题", "problems found at recent inspections"),
    "inspections_decided_recent": ("近期检查次数", "number of recent inspections"),
    "inspection_failure_rate_recent": ("近期检查问题发现率高", "problems found at most recent inspections"),
}

# The standardised group ratios: who the others are, and what they have more of than
# their trades would.
_GROUP_WORDS = {
    "site": ("同一经营场所的其他主体", "other businesses on its premises"),
    "phone": ("共用电话的其他主体", "businesses sharing its phone"),
    "owner": ("法定代表人的其他主体", "its legal representative's other businesses"),
}
_EVENT_WORDS = {
    "failure": ("检查发现问题", "fail inspections"),
    "complaints": ("投诉", "draw complaints"),
    "substantiated": ("查实投诉", "draw substantiated complaints"),
    "penalties": ("受行政处罚", "are penalised"),
    "serious": ("受严重行政处罚", "are seriously penalised"),
    "listed": ("被列入经营异常或失信名单", "are put on lists"),
}
FEATURE_PHRASES.update({
    f"{group}_{event}_ratio": (f"{gz}{ez}多于同行业水平", f"{ge} {ee} more often than their trades do")
    for group, (gz, ge) in _GROUP_WORDS.items() for event, (ez, ee) in _EVENT_WORDS.items()
})

# What a subject's own value must show for its phrase to be true: a reason is given only
# when the feature raises the risk *and* the value says what the phrase says (a tree can
# push risk up through a feature whose value is empty or ordinary: a shrunk failure rate
# of a subject never inspected, a rate among linked subjects it does not have).
#   "any"     — the value is known (neutral phrases: age, kind, industry, capital)
#   "present" — above 0 (counts, flags, list entries, shares)
#   "recent"  — a decayed count worth at least one event a year old (half-life one year)
#   "within"  — a number of days since the last event of at most a year
#   "long"    — days since the last event over a year, or none at all
#   "most"    — a share above one half ("most inspections")
#   "high"    — above the median of the subjects scored that have any ("many", "large")
#   "excess"  — an observed-over-expected ratio above 1 ("more often than their trades")
#   "trade"   — its industry's failure rate (``industry_failure_rate``) at least 1.1 times
#               the mean of the subjects scored ("an industry with more violations"), for
#               every feature whose phrase says so
#   ("rule", "other feature") — the rule, and the other feature above 0 as well
EVIDENCE: dict[str, str | tuple[str, str]] = {
    "age_years": "any", "kind_code": "any", "industry_code": "trade",
    "industry_share": "trade", "registered_capital_log": "any", "past_inspections": "any",
    "inspections_decided_recent": "any", "industry_failure_rate": "trade",
    "days_since_last_complaint": "within", "days_since_last_penalty": "within",
    "days_since_last_inspection": "long",
    "penalty_amount_log": "high",
    "inspection_failure_rate": ("most", "past_inspection_failures"),
    "inspection_failure_rate_shrunk": ("high", "past_inspection_failures"),
    "inspection_failure_rate_recent": ("most", "inspection_failures_recent"),
    "complaints_recent": "recent", "penalties_recent": "recent",
    "inspection_failures_recent": "recent",
    "linked_subjects_1hop": "high", "linked_subjects_2hop": "high",
    "linked_failure_rate": ("most", "linked_inspection_failures"),
    "linked_2hop_failure_rate": ("most", "linked_2hop_inspection_failures"),
    "linked_events_per_subject": ("high", "linked_subjects_1hop"),
    "linked_2hop_events_per_subject": ("high", "linked_subjects_2hop"),
    "address_shared_by": "high", "phone_shared_by": "high", "legal_rep_other_subjects": "high",
    "cluster_size": "high", "cluster_penalty_density": "high", "propagated_risk": "high",
    **{f"{group}_others": "high" for group in _GROUP_WORDS},
    **{f"{group}_failure_rate": ("high", f"{group}_others") for group in _GROUP_WORDS},
    **{f"{group}_events_per_subject": ("high", f"{group}_others") for group in _GROUP_WORDS},
    **{f"{group}_{event}_ratio": "excess" for group in _GROUP_WORDS for event in _EVENT_WORDS},
}
# Every other feature of FEATURE_NAMES is a count or a flag: "present".
