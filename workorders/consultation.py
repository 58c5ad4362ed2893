"""Democratic consultation's rules in plain Python (民主恳谈): the five steps and which one is active, what each step
allows, the organiser's move to the next step, a decision's follow-up progress, and what a row of an imported
session list (or the staff form) must hold — Chinese headers, one clear message per bad field.

The step machine, as participation platforms run their processes (Decidim's steps, CONSUL's phases): exactly one
step is active at a time. Each step has a start date and the start dates never decrease; the active step is the
last one whose start date has come. An organiser moving a session on sets the next step's start to that day, so
the dates stay the one truth and "by date" and "by the organiser" are the same rule.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Mapping, Sequence

from workorders.contract import Phone, value_problems

STEPS = ("发布预告", "通报议题", "辩论发言", "研究决定", "情况反馈")
ANNOUNCE, BRIEFING, DEBATE, DECISION, FEEDBACK = range(len(STEPS))
STEP_HINTS = ("公布恳谈时间、地点和议题，群众报名参加", "通报议题的背景和初步方案，收集书面意见",
              "召开恳谈会，参与人员辩论发言", "根据恳谈意见研究作出决定", "向群众反馈决定和落实情况")
TOPICS = ("交通", "环境", "教育", "卫生健康", "社会保障", "城市建设")
PARTICIPANT_KINDS = ("居民", "党员", "人大代表", "政协委员", "律师", "法官")
RESIDENT = "居民"

# What people can do, and the steps in which they can (the services refuse outside them).
ACTIONS: dict[str, tuple[str, frozenset[int]]] = {
    "sign_up": ("报名参加", frozenset({ANNOUNCE, BRIEFING})),
    "opinion": ("提交书面意见", frozenset({BRIEFING, DEBATE})),
    "speak": ("登记发言", frozenset({DEBATE})),
    "attend": ("登记参与人员", frozenset({ANNOUNCE, BRIEFING, DEBATE})),
    "decide": ("记录决定事项", frozenset({DECISION, FEEDBACK})),
    "see_decision": ("查看决定事项", frozenset({DECISION, FEEDBACK})),
    "feedback": ("发布反馈", frozenset({FEEDBACK})),
    "see_feedback": ("查看反馈", frozenset({FEEDBACK})),
    "milestone": ("跟踪落实事项", frozenset({DECISION, FEEDBACK})),
}

# The import's columns (and the form's field names): Chinese header → field. Required ones first.
DATE_HEADERS = ("发布预告日期", "通报议题日期", "辩论发言日期", "研究决定日期", "情况反馈日期")
HEADERS: dict[str, str] = {"议题名称": "title", "议题类别": "topic", "网格编码": "grid_code", "议题内容": "summary",
                           **{h: f"step_{i}" for i, h in enumerate(DATE_HEADERS)},
                           "组织单位": "organiser", "恳谈地点": "venue", "参与人员": "participants",
                           "决定事项": "decision", "反馈情况": "feedback"}
REQUIRED = ("议题名称", "议题类别", "网格编码", "议题内容", *DATE_HEADERS)
MAX_TEXT = 2000
MAX_TITLE = 200
MAX_NAME = 50
MAX_HEADCOUNT = 10_000
# 参与人员: "居民 30、党员 8、人大代表 2" (a colon or nothing between a type and its count works too).
TALLY_SEPARATORS = re.compile(r"[、，,;；\n]+")
TALLY = re.compile(r"^\s*(\S+?)\s*[:：]?\s*(\d+)\s*人?\s*$")


class StepRefused(ValueError):
    """What the active step does not allow (a 409 in spirit: the session is not in the right step)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.problems = [message]


class SessionRejected(ValueError):
    """A session, participant, opinion or milestone that cannot be recorded; ``problems`` are the lines to show."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


# ------------------------------------------------------------------------------------------------ the steps

def active_step(starts: Sequence[date], today: date) -> int:
    """The one active step: the last whose start date has come (before the first, the session is announced:
    a session exists from its 发布预告)."""
    _check_order(starts)
    step = ANNOUNCE
    for index, start in enumerate(starts):
        if start <= today:
            step = index
    return step


def allowed(step: int, action: str) -> bool:
    return step in ACTIONS[action][1]


def require_step(step: int, action: str) -> None:
    """Nothing when ``action`` is open in ``step``; StepRefused saying when it is, otherwise."""
    label, steps = ACTIONS[action]
    if step not in steps:
        opens = "、".join(f"「{STEPS[s]}」" for s in sorted(steps))
        raise StepRefused(f"当前处于「{STEPS[step]}」阶段，{label}只在{opens}阶段进行")


def move_on(starts: Sequence[date], today: date, decided: bool) -> tuple[date, ...]:
    """The organiser's move: the next step starts today (the ones after it keep their dates, or today when those
    were earlier). The last step has no next; feedback needs a decision to report."""
    current = active_step(starts, today)
    if current == FEEDBACK:
        raise StepRefused("已处于最后阶段「情况反馈」")
    following = current + 1
    if following == FEEDBACK and not decided:
        raise StepRefused("尚未记录决定事项，不能进入「情况反馈」阶段")
    moved = list(starts)
    moved[following] = today
    for later in range(following + 1, len(moved)):
        moved[later] = max(moved[later], today)
    return tuple(moved)


def steps_view(starts: Sequence[date], today: date) -> list[dict]:
    """Each step with its start date and whether it is done, active or to come (what both pages draw)."""
    current = active_step(starts, today)
    return [{"index": i, "name": name, "hint": STEP_HINTS[i], "starts": starts[i],
             "state": "done" if i < current else "active" if i == current else "todo"}
            for i, name in enumerate(STEPS)]


def _check_order(starts: Sequence[date]) -> None:
    if len(starts) != len(STEPS):
        raise ValueError(f"a session has {len(STEPS)} step dates, got {len(starts)}")
    if any(later < earlier for earlier, later in zip(starts, starts[1:])):
        raise ValueError(f"step dates must not decrease: {list(starts)}")


def order_problems(starts: Sequence[date | None]) -> list[str]:
    """One line per step date that comes before the one of the step before it."""
    problems = []
    for i in range(1, len(starts)):
        earlier, later = starts[i - 1], starts[i]
        if earlier and later and later < earlier:
            problems.append(f"{DATE_HEADERS[i]}：不能早于{DATE_HEADERS[i - 1]}")
    return problems


# ------------------------------------------------------------------------------------------------ follow-up

def progress(milestones: Sequence[Mapping]) -> tuple[int, int]:
    """(done, total) of a decision's follow-up milestones."""
    return sum(1 for m in milestones if m.get("done_at")), len(milestones)


def follow_up_state(milestones: Sequence[Mapping], today: date) -> str:
    """无 (none yet), 已完成 (all done), 逾期 (one open past its due date), 推进中 (otherwise)."""
    done, total = progress(milestones)
    if total == 0:
        return "无"
    if done == total:
        return "已完成"
    return "逾期" if any(not m.get("done_at") and m["due_on"] < today for m in milestones) else "推进中"


# ------------------------------------------------------------------------------------------------ rows

@dataclass(frozen=True)
class SessionFields:
    title: str
    topic: str
    grid_code: str
    summary: str
    starts: tuple[date, ...]
    organiser: str | None = None
    venue: str | None = None
    tallies: tuple[tuple[str, int], ...] = ()
    decision: str | None = None
    feedback: str | None = None


def parse_tallies(value: str) -> tuple[list[tuple[str, int]], list[str]]:
    """``居民 30、党员 8`` → [(居民, 30), (党员, 8)] and the problems of the items that are not a type and a count."""
    tallies, problems = [], []
    for item in TALLY_SEPARATORS.split(value or ""):
        if not item.strip():
            continue
        match = TALLY.match(item)
        if not match or match.group(1) not in PARTICIPANT_KINDS:
            problems.append(f"参与人员：{item.strip()!r} 应为“类型 人数”，类型为 {'、'.join(PARTICIPANT_KINDS)} 之一")
        elif not 1 <= int(match.group(2)) <= MAX_HEADCOUNT:
            problems.append(f"参与人员：{match.group(1)} 人数应为 1–{MAX_HEADCOUNT}")
        else:
            tallies.append((match.group(1), int(match.group(2))))
    return tallies, problems


def _day(value: str, header: str, problems: list[str]) -> date | None:
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    problems.append(f"{header}：日期格式应为 YYYY-MM-DD，收到 {value!r}")
    return None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _text_problems(value: dict[str, str]) -> list[str]:
    problems = []
    for header in ("议题内容", "组织单位", "恳谈地点", "参与人员", "决定事项", "反馈情况"):
        if len(value[header]) > MAX_TEXT or "\x00" in value[header]:
            problems.append(f"{header}：最多 {MAX_TEXT} 字，且不得含控制字符")
    if len(value["议题名称"]) > MAX_TITLE or "\x00" in value["议题名称"]:
        problems.append(f"议题名称：最多 {MAX_TITLE} 字，且不得含控制字符")
    return problems


def check_session(row: Mapping[str, object], today: date) -> SessionFields:
    """A row keyed by Chinese headers (or the same keys the form sends), checked field by field: dates in step
    order, a decision only once the session has reached 研究决定, feedback only in 情况反馈 and after a decision."""
    value = {h: _text(row.get(h)) for h in HEADERS}
    problems = [f"{h}：必填" for h in REQUIRED if not value[h]] + _text_problems(value)
    if value["议题类别"] and value["议题类别"] not in TOPICS:
        problems.append(f"议题类别：应为 {'、'.join(TOPICS)} 之一，收到 {value['议题类别']!r}")
    starts = [_day(value[h], h, problems) if value[h] else None for h in DATE_HEADERS]
    problems += order_problems(starts)
    tallies, tally_problems = parse_tallies(value["参与人员"])
    problems += tally_problems
    if not problems:
        step = active_step(starts, today)
        if value["决定事项"] and step < DECISION:
            problems.append(f"决定事项：「研究决定」阶段（{starts[DECISION]:%Y-%m-%d}）开始前不能有决定")
        if value["反馈情况"] and step < FEEDBACK:
            problems.append(f"反馈情况：「情况反馈」阶段（{starts[FEEDBACK]:%Y-%m-%d}）开始前不能发布反馈")
        if value["反馈情况"] and not value["决定事项"]:
            problems.append("反馈情况：须先有决定事项")
    if problems:
        raise SessionRejected(problems)
    return SessionFields(value["议题名称"], value["议题类别"], value["网格编码"], value["议题内容"], tuple(starts),
                         value["组织单位"] or None, value["恳谈地点"] or None, tuple(tallies),
                         value["决定事项"] or None, value["反馈情况"] or None)


def check_person(name: object, phone: object, kind: str = RESIDENT) -> tuple[str, str]:
    """A resident's sign-up (or an opinion's author): a name and a phone, both required; the phone as digits."""
    name_text, phone_text = _text(name), _text(phone)
    problems = []
    if not name_text:
        problems.append("姓名：必填")
    elif len(name_text) > MAX_NAME or "\x00" in name_text:
        problems.append(f"姓名：最多 {MAX_NAME} 字")
    if not phone_text:
        problems.append("联系电话：必填")
    else:
        problems += [f"联系电话：{p.words}" for p in value_problems(Phone, phone_text, "phone")]
    if kind not in PARTICIPANT_KINDS:
        problems.append(f"参与类型：应为 {'、'.join(PARTICIPANT_KINDS)} 之一")
    if problems:
        raise SessionRejected(problems)
    return name_text, "".join(ch for ch in phone_text if ch.isdigit())


def check_content(value: object, header: str = "意见内容") -> str:
    text = _text(value)
    if not text:
        raise SessionRejected([f"{header}：必填"])
    if len(text) > MAX_TEXT or "\x00" in text:
        raise SessionRejected([f"{header}：最多 {MAX_TEXT} 字，且不得含控制字符"])
    return text


def check_tally(kind: object, headcount: object) -> tuple[str, int]:
    kind_text, count_text = _text(kind), _text(headcount)
    problems = []
    if kind_text not in PARTICIPANT_KINDS:
        problems.append(f"参与类型：应为 {'、'.join(PARTICIPANT_KINDS)} 之一")
    if not count_text.isdigit() or not 1 <= int(count_text) <= MAX_HEADCOUNT:
        problems.append(f"人数：应为 1–{MAX_HEADCOUNT} 的整数，收到 {count_text!r}")
    if problems:
        raise SessionRejected(problems)
    return kind_text, int(count_text)


def check_milestone(title: object, due_on: object) -> tuple[str, date]:
    title_text, due_text = _text(title), _text(due_on)
    problems: list[str] = []
    if not title_text:
        problems.append("落实事项：必填")
    elif len(title_text) > MAX_TITLE or "\x00" in title_text:
        problems.append(f"落实事项：最多 {MAX_TITLE} 字")
    due = _day(due_text, "完成时限", problems) if due_text else None
    if not due_text:
        problems.append("完成时限：必填")
    if problems:
        raise SessionRejected(problems)
    return title_text, due
