"""Petitions (信访案件) in plain Python: the kinds of issue, the levels a petition is lodged at, the outcomes, and
what a row of an imported petition list must hold (Chinese headers, one message per bad field).

Two rules of the district's reception center: a petition that skipped a level (越级上访: lodged with the city, the
province or in Beijing before the district answered) names the work orders it grew from, so the supervisors see
what went unanswered; and 涉法涉诉 and relocation (征地拆迁) cases have a lawyer taking part (律师参与化解).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Mapping

from workorders.contract import Phone, value_problems
from workorders.resources import split_grids
from workorders.states import STATES

KINDS = ("涉法涉诉", "征地拆迁", "劳动社保", "城建管理", "环境保护", "民生救助", "其他")
LAWYER_KINDS = ("涉法涉诉", "征地拆迁")
LEVELS = ("区级", "市级", "省级", "进京")
DISTRICT = LEVELS[0]
CHANNELS = ("来访", "来信", "网上信访", "电话")
OUTCOMES = ("已化解", "息访息诉", "依法终结", "转入法律程序")
RESOLVED = ("已化解", "息访息诉")          # the petitioner's issue answered, not only the case closed
YES, NO = ("是", "true", "1", "y", "yes"), ("否", "false", "0", "n", "no", "")

HEADERS: dict[str, str] = {"信访人": "petitioner", "联系电话": "phone", "问题类别": "kind", "反映问题": "issue",
                           "信访层级": "level", "越级上访": "skipped_level", "信访方式": "channel",
                           "网格编码": "grid_code", "登记日期": "received_on", "关联工单": "tickets",
                           "关联纠纷": "disputes", "代理律师": "lawyer", "办理结果": "outcome", "办结日期": "closed_on"}
REQUIRED = ("信访人", "问题类别", "反映问题", "信访层级", "网格编码", "登记日期")
MAX_TEXT, MAX_NAME = 2000, 100


class PetitionRejected(ValueError):
    """A petition that cannot be recorded; ``problems`` are the lines to show (field by field)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class PetitionFields:
    petitioner: str
    kind: str
    issue: str
    level: str
    grid_code: str
    received_on: date
    phone: str | None = None
    skipped_level: bool = False
    channel: str | None = None
    tickets: tuple[str, ...] = ()
    disputes: tuple[str, ...] = ()
    lawyer: str | None = None
    outcome: str | None = None
    closed_on: date | None = None


def resolved_rate(counts: Mapping[str | None, int]) -> float | None:
    """Share of closed petitions whose issue was answered (化解 or 息访息诉); open ones (None) do not count."""
    closed = sum(n for outcome, n in counts.items() if outcome)
    return sum(counts.get(o, 0) for o in RESOLVED) / closed if closed else None


def _text(row: Mapping, header: str) -> str:
    value = row.get(header)
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value if v)
    if isinstance(value, bool):
        return "是" if value else "否"
    return "" if value is None else str(value).strip()


def _day(value: str, header: str, problems: list[str]) -> date | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    problems.append(f"{header}：日期格式应为 YYYY-MM-DD，收到 {value!r}")
    return None


def _one_of(value: str, header: str, allowed: tuple[str, ...], problems: list[str], blank: str = "") -> None:
    if value and value not in allowed:
        problems.append(f"{header}：应为 {'、'.join(allowed)} 之一{blank}，收到 {value!r}")


def check_petition(row: Mapping[str, object], today: date) -> PetitionFields:
    """A row keyed by Chinese headers (or the same keys a form sends), checked field by field."""
    problems: list[str] = []
    value = {h: _text(row, h) for h in HEADERS}
    for header in REQUIRED:
        if not value[header]:
            problems.append(f"{header}：必填")
    for header in ("信访人", "代理律师", "反映问题"):
        limit = MAX_TEXT if header == "反映问题" else MAX_NAME
        if len(value[header]) > limit or "\x00" in value[header]:
            problems.append(f"{header}：最多 {limit} 字，且不得含控制字符")
    _one_of(value["问题类别"], "问题类别", KINDS, problems)
    _one_of(value["信访层级"], "信访层级", LEVELS, problems)
    _one_of(value["信访方式"], "信访方式", CHANNELS, problems, "或留空")
    _one_of(value["办理结果"], "办理结果", OUTCOMES, problems, "或留空（办理中）")
    skipped = value["越级上访"].lower()
    if skipped not in YES + NO:
        problems.append(f"越级上访：应为 是 或 否，收到 {value['越级上访']!r}")
    skipped_level = skipped in YES
    tickets, disputes = split_grids(value["关联工单"]), split_grids(value["关联纠纷"])
    if skipped_level and value["信访层级"] == DISTRICT:
        problems.append("越级上访：区级信访不是越级，请填写实际的信访层级")
    if skipped_level and not tickets:
        problems.append("关联工单：越级上访须关联其由来的工单")
    if value["问题类别"] in LAWYER_KINDS and not value["代理律师"]:
        problems.append(f"代理律师：{value['问题类别']}案件须有律师参与")
    if value["联系电话"] and value_problems(Phone, value["联系电话"], "phone"):
        problems.append(f"联系电话：不是有效的电话号码，收到 {value['联系电话']!r}")
    received = _day(value["登记日期"], "登记日期", problems)
    closed = _day(value["办结日期"], "办结日期", problems)
    if received and received > today:
        problems.append(f"登记日期：不能晚于今天（{today:%Y-%m-%d}）")
    if value["办理结果"] and not closed and not value["办结日期"]:
        problems.append("办结日期：有办理结果时必填")
    if closed and not value["办理结果"]:
        problems.append("办理结果：有办结日期时必填")
    if received and closed and closed < received:
        problems.append("办结日期：不能早于登记日期")
    if problems:
        raise PetitionRejected(problems)
    return PetitionFields(value["信访人"], value["问题类别"], value["反映问题"], value["信访层级"], value["网格编码"],
                          received, value["联系电话"] or None, skipped_level, value["信访方式"] or None, tickets,
                          disputes, value["代理律师"] or None, value["办理结果"] or None, closed)


# Police stations' crews (the dispatcher sends them like any crew): a station's police units, and the community
# auxiliary police of the reference data, each now of the station whose area holds their home.
POLICE_DEPARTMENT = "gaj"
UNIT_KIND, AUXILIARY_KIND = "派出所民警", "社区辅警"


# ------------------------------------------------------------------------------------------------ what a 越级 grew from

# The work-order categories a petition plausibly grew from: its issue's own when the issue names some (the seed's
# issues), then its kind's, then 其他. 劳动社保 and most 涉法涉诉 cases reach the hotline as 其他.
KIND_CATEGORIES: dict[str, tuple[str, ...]] = {
    "涉法涉诉": ("public_security", "neighbour_dispute", "other"),
    "征地拆迁": ("housing_repair", "road_damage", "other"),
    "劳动社保": ("other",),
    "城建管理": ("heating_cold", "housing_repair", "water_leak", "road_damage", "streetlight", "power_fault",
                 "gas_leak", "greening"),
    "环境保护": ("noise", "sanitation", "greening"),
    "民生救助": ("heating_cold", "housing_repair", "other"),
    "其他": ("neighbour_dispute", "housing_repair", "sanitation", "other"),
}
ISSUE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "小区供暖不达标屡次反映未解决": ("heating_cold",),
    "违章建筑长期未拆除": ("housing_repair", "other"),
    "老旧小区改造质量问题": ("housing_repair", "water_leak", "road_damage"),
    "工厂噪音扰民": ("noise",),
    "餐饮油烟污染": ("noise", "sanitation"),
    "物业服务纠纷": ("housing_repair", "water_leak", "sanitation", "other"),
    "邻里矛盾多次调解未果": ("neighbour_dispute",),
}
ORIGIN_STATES = tuple(sorted(set(STATES) - {"merged", "refused"}))   # open or closed: not a duplicate, not refused
MAX_ORIGINS, RECENT_ORIGINS = 3, 6
CATCH_ALL = "other"


def origin_categories(kind: str, issue: str) -> tuple[tuple[str, ...], ...]:
    """The work-order categories a petition of ``kind`` about ``issue`` plausibly grew from, best first: its
    issue's (when the issue names some), then its kind's, then 其他 (where the hotline files what its categories do
    not name)."""
    tiers = (ISSUE_CATEGORIES.get(issue), KIND_CATEGORIES.get(kind), (CATCH_ALL,))
    return tuple(dict.fromkeys(t for t in tiers if t))


def choose_origins(grid_code: str, categories: tuple[tuple[str, ...], ...], candidates: list[dict], rng) -> list[int]:
    """The 1–3 work orders a 越级上访 grew from, out of ``candidates`` (the work orders of its community registered
    before it: ``id``, ``grid_code``, ``category_code``, ``registered_at``): of the first of ``categories``
    (origin_categories) that has some, those of its own grid cell if any, else its community's; drawn by ``rng``
    (a numpy Generator) among the most recent few — what went unanswered just before the petitioner went above the
    district. None when no candidate is of a matching category."""
    pool: list[dict] = []
    for wanted in categories:
        matching = [c for c in candidates if c["category_code"] in wanted]
        pool = [c for c in matching if c["grid_code"] == grid_code] or matching
        if pool:
            break
    if not pool:
        return []
    pool = sorted(pool, key=lambda c: (c["registered_at"], c["id"]), reverse=True)[:RECENT_ORIGINS]
    count = min(len(pool), int(rng.integers(1, MAX_ORIGINS + 1)))
    return sorted(int(pool[int(i)]["id"]) for i in rng.choice(len(pool), count, replace=False))
