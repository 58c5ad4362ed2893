"""Stability risk assessment's rules in plain Python: the methods, levels and decisions, the level a set of factors
leads to, and what a row of an imported project list must hold (Chinese headers, one clear message per bad field)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Mapping

METHODS = ("听证会", "问卷调查", "公示", "专家论证", "民意评议")
LEVELS = ("高", "中", "低")
DECISIONS = ("准予实施", "调整后实施", "暂缓实施", "不予实施")
KINDS = ("征地拆迁", "重大工程", "政策调整", "环境影响", "教育医疗", "其他")

# The import's columns: Chinese header → field. Required ones first.
HEADERS: dict[str, str] = {"项目名称": "name", "项目类型": "kind", "网格编码": "grid_codes", "评估方法": "methods",
                           "风险等级": "level", "评估结论": "decision", "评估日期": "assessed_on",
                           "风险因素": "factors", "实施结果": "outcome"}
REQUIRED = ("项目名称", "项目类型", "网格编码", "评估方法", "风险等级", "评估结论", "评估日期")
MAX_TEXT = 2000
MAX_GRIDS = 40
MAX_FACTORS = 20
# Lists inside one cell: 、，, ; ；or whitespace between items; a factor's parts separated by a full-width colon.
LIST_SEPARATORS = re.compile(r"[、，,;；\s]+")
FACTOR_SEPARATOR = re.compile(r"[；;\n]+")


class ProjectRejected(ValueError):
    """A project that cannot be recorded; ``problems`` are the lines to show (field by field)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Factor:
    factor: str
    analysis: str | None = None
    measures: str | None = None


@dataclass(frozen=True)
class ProjectFields:
    name: str
    kind: str
    grid_codes: tuple[str, ...]
    methods: tuple[str, ...]
    level: str
    decision: str
    assessed_on: date
    factors: tuple[Factor, ...] = ()
    outcome: str | None = None


def split_list(value: str) -> list[str]:
    """Items of a list cell, in order, without repeats."""
    seen: list[str] = []
    for item in LIST_SEPARATORS.split(value or ""):
        if item and item not in seen:
            seen.append(item)
    return seen


def parse_factors(value: str) -> list[Factor]:
    """``因素：分析：措施；因素：分析：措施`` (analysis and measures optional)."""
    factors = []
    for entry in FACTOR_SEPARATOR.split(value or ""):
        parts = [p.strip() for p in re.split(r"[：:]", entry.strip(), maxsplit=2)]
        if parts and parts[0]:
            parts += [""] * (3 - len(parts))
            factors.append(Factor(parts[0], parts[1] or None, parts[2] or None))
    return factors


def level_counts(projects: list[Mapping]) -> dict[str, int]:
    """Projects per risk level, every level present (0 when none)."""
    counts = {level: 0 for level in LEVELS}
    for project in projects:
        counts[project["level"]] += 1
    return counts


def _day(value: str, header: str, problems: list[str]) -> date | None:
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    problems.append(f"{header}：日期格式应为 YYYY-MM-DD，收到 {value!r}")
    return None


def _one_of(value: str, header: str, allowed: tuple[str, ...], problems: list[str]) -> None:
    if value and value not in allowed:
        problems.append(f"{header}：应为 {'、'.join(allowed)} 之一，收到 {value!r}")


def check_project(row: Mapping[str, object], today: date) -> ProjectFields:
    """A row keyed by Chinese headers (or the same keys a form sends; list cells may come as lists), checked."""
    problems: list[str] = []
    value = {h: _text(row.get(h)) for h in HEADERS}
    for header in REQUIRED:
        if not value[header]:
            problems.append(f"{header}：必填")
    for header in ("项目名称", "风险因素", "实施结果"):
        if len(value[header]) > MAX_TEXT or "\x00" in value[header]:
            problems.append(f"{header}：最多 {MAX_TEXT} 字，且不得含控制字符")
    _one_of(value["项目类型"], "项目类型", KINDS, problems)
    _one_of(value["风险等级"], "风险等级", LEVELS, problems)
    _one_of(value["评估结论"], "评估结论", DECISIONS, problems)
    methods = split_list(value["评估方法"])
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        problems.append(f"评估方法：应为 {'、'.join(METHODS)} 中的一项或多项，收到 {'、'.join(unknown)}")
    grids = split_list(value["网格编码"])
    if len(grids) > MAX_GRIDS:
        problems.append(f"网格编码：最多 {MAX_GRIDS} 个网格")
    factors = parse_factors(value["风险因素"])
    if len(factors) > MAX_FACTORS:
        problems.append(f"风险因素：最多 {MAX_FACTORS} 项")
    assessed = _day(value["评估日期"], "评估日期", problems) if value["评估日期"] else None
    if assessed and assessed > today:
        problems.append(f"评估日期：不能晚于今天（{today:%Y-%m-%d}）")
    if problems:
        raise ProjectRejected(problems)
    return ProjectFields(value["项目名称"], value["项目类型"], tuple(grids), tuple(methods), value["风险等级"],
                         value["评估结论"], assessed, tuple(factors), value["实施结果"] or None)


def check_outcome(value: object) -> str:
    """The 实施结果 recorded once a project has been carried out (or changed later): some text, at most MAX_TEXT."""
    outcome = _text(value)
    if not outcome:
        raise ProjectRejected(["实施结果：必填"])
    if len(outcome) > MAX_TEXT or "\x00" in outcome:
        raise ProjectRejected([f"实施结果：最多 {MAX_TEXT} 字，且不得含控制字符"])
    return outcome


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return str(value).strip()
