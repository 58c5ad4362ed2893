"""Dispute mediation's rules in plain Python: the kinds of dispute, the outcomes, the success rate, and what a row of
an imported case list must hold (Chinese headers, one clear message per bad field)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Mapping

OUTCOMES = ("调解成功", "未成功", "转诉讼", "转仲裁")
SUCCESS = "调解成功"
KINDS = ("邻里纠纷", "婚姻家庭", "物业纠纷", "劳动争议", "土地房屋", "消费纠纷", "交通事故", "医疗纠纷", "其他")
# Sector-specific organisations (行业性专业性调解组织) by the disputes they take.
SECTORS = ("物业纠纷", "劳动争议", "交通事故", "医疗纠纷", "婚姻家庭", "消费纠纷", "土地房屋")

# The import's columns: Chinese header → field. Required ones first.
HEADERS: dict[str, str] = {"纠纷类型": "kind", "纠纷概要": "summary", "当事人": "parties", "网格编码": "grid_code",
                           "调解组织编码": "org_code", "受理日期": "opened_on", "调解结果": "outcome",
                           "结案日期": "closed_on", "协议内容": "agreement", "调解次数": "sessions"}
REQUIRED = ("纠纷类型", "纠纷概要", "当事人", "网格编码", "调解组织编码", "受理日期")
MAX_TEXT = 2000


class CaseRejected(ValueError):
    """A case that cannot be recorded; ``problems`` are the lines to show (field by field)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class CaseFields:
    kind: str
    summary: str
    parties: str
    grid_code: str
    org_code: str
    opened_on: date
    outcome: str | None = None
    closed_on: date | None = None
    agreement: str | None = None
    sessions: int = 0


def success_rate(counts: Mapping[str | None, int]) -> float | None:
    """Share of closed cases mediated successfully (open cases, outcome None, do not count)."""
    closed = sum(n for outcome, n in counts.items() if outcome)
    return counts.get(SUCCESS, 0) / closed if closed else None


def _day(value: str, header: str, problems: list[str]) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    problems.append(f"{header}：日期格式应为 YYYY-MM-DD，收到 {value!r}")
    return None


def check_case(row: Mapping[str, str], today: date) -> CaseFields:
    """A row keyed by Chinese headers (or the same keys a form sends), checked field by field."""
    problems: list[str] = []
    value = {h: str(row.get(h) if row.get(h) is not None else "").strip() for h in HEADERS}
    for header in REQUIRED:
        if not value[header]:
            problems.append(f"{header}：必填")
    for header in ("纠纷概要", "当事人", "协议内容"):
        if len(value[header]) > MAX_TEXT or "\x00" in value[header]:
            problems.append(f"{header}：最多 {MAX_TEXT} 字，且不得含控制字符")
    if value["纠纷类型"] and value["纠纷类型"] not in KINDS:
        problems.append(f"纠纷类型：应为 {'、'.join(KINDS)} 之一，收到 {value['纠纷类型']!r}")
    if value["调解结果"] and value["调解结果"] not in OUTCOMES:
        problems.append(f"调解结果：应为 {'、'.join(OUTCOMES)} 之一或留空（未结案），收到 {value['调解结果']!r}")
    opened = _day(value["受理日期"], "受理日期", problems)
    closed = _day(value["结案日期"], "结案日期", problems)
    if opened and opened > today:
        problems.append(f"受理日期：不能晚于今天（{today:%Y-%m-%d}）")
    if value["调解结果"] and not closed and "结案日期" not in " ".join(problems):
        problems.append("结案日期：有调解结果时必填")
    if closed and not value["调解结果"]:
        problems.append("调解结果：有结案日期时必填")
    if opened and closed and closed < opened:
        problems.append("结案日期：不能早于受理日期")
    sessions = 0
    if value["调解次数"]:
        if not value["调解次数"].isdigit() or int(value["调解次数"]) > 100:
            problems.append(f"调解次数：应为 0–100 的整数，收到 {value['调解次数']!r}")
        else:
            sessions = int(value["调解次数"])
    if problems:
        raise CaseRejected(problems)
    return CaseFields(value["纠纷类型"], value["纠纷概要"], value["当事人"], value["网格编码"], value["调解组织编码"],
                      opened, value["调解结果"] or None, closed, value["协议内容"] or None, sessions)


# ------------------------------------------------------------------------------------------------ screening rounds
# A community's round of 矛盾纠纷排查: the disputes it found and resolved ahead, the hazards it found and removed.
SCREENING_HEADERS: dict[str, str] = {"社区编码": "community_code", "排查日期": "screened_on",
                                     "排查发现纠纷": "disputes_found", "化解纠纷": "disputes_resolved",
                                     "发现隐患": "hazards_found", "排除隐患": "hazards_removed", "备注": "note"}
SCREENING_REQUIRED = ("社区编码", "排查日期", "排查发现纠纷", "化解纠纷", "发现隐患", "排除隐患")
MAX_PER_ROUND = 1000


@dataclass(frozen=True)
class ScreeningFields:
    community_code: str
    screened_on: date
    disputes_found: int
    disputes_resolved: int
    hazards_found: int
    hazards_removed: int
    note: str | None = None


def _count(value: str, header: str, problems: list[str]) -> int | None:
    if not value:
        return None
    if not value.isdigit() or int(value) > MAX_PER_ROUND:
        problems.append(f"{header}：应为 0–{MAX_PER_ROUND} 的整数，收到 {value!r}")
        return None
    return int(value)


def check_screening(row: Mapping[str, str], today: date) -> ScreeningFields:
    """A round keyed by Chinese headers (a form sends the same keys), checked field by field: what was resolved or
    removed cannot exceed what was found."""
    problems: list[str] = []
    value = {h: str(row.get(h) if row.get(h) is not None else "").strip() for h in SCREENING_HEADERS}
    for header in SCREENING_REQUIRED:
        if not value[header]:
            problems.append(f"{header}：必填")
    if len(value["备注"]) > MAX_TEXT or "\x00" in value["备注"]:
        problems.append(f"备注：最多 {MAX_TEXT} 字，且不得含控制字符")
    day = _day(value["排查日期"], "排查日期", problems)
    if day and day > today:
        problems.append(f"排查日期：不能晚于今天（{today:%Y-%m-%d}）")
    found, resolved, hazards, removed = (_count(value[h], h, problems) for h in SCREENING_REQUIRED[2:])
    if found is not None and resolved is not None and resolved > found:
        problems.append(f"化解纠纷：不能多于排查发现纠纷（{found}）")
    if hazards is not None and removed is not None and removed > hazards:
        problems.append(f"排除隐患：不能多于发现隐患（{hazards}）")
    if problems:
        raise CaseRejected(problems)
    return ScreeningFields(value["社区编码"], day, found, resolved, hazards, removed, value["备注"] or None)
