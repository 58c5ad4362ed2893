"""Social forces (社会力量) in plain Python: the kinds of resource and the groups the district reports them in, what a
coverage gap is, and what a row of an imported resource list must hold (Chinese headers, one message per bad field).

A resource is an organisation, a volunteer team or one public-welfare post (公益性岗位: a person on a paid post),
with the grid cells it covers. A grid cell is a coverage gap when no patrol post or no volunteer team covers it:
those are the two forces the district counts on to see and answer a problem there before anyone calls.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from workorders.contract import Phone, value_problems

ORGANISATION, VOLUNTEERS, PATROL = "社会组织", "志愿服务队", "治安巡逻岗"
# The district's own words for the posts, in the order it reports them.
POSTS = (PATROL, "4050社区保安", "环卫岗", "交通协管岗", "保洁绿化保安岗")
KINDS = (ORGANISATION, VOLUNTEERS, *POSTS)
POST_GROUP = "公益性岗位"
GROUPS = (ORGANISATION, VOLUNTEERS, POST_GROUP)
# The code a resource's number starts with, by group (ZZ0001 an organisation, ZY a team, GY a post).
CODE_PREFIX = {ORGANISATION: "ZZ", VOLUNTEERS: "ZY", POST_GROUP: "GY"}

HEADERS: dict[str, str] = {"编号": "code", "类型": "kind", "名称": "name", "覆盖网格": "grid_codes", "人数": "members",
                           "负责人": "leader", "联系电话": "phone", "备注": "note"}
REQUIRED = ("类型", "名称", "覆盖网格")
MAX_TEXT, MAX_NAME, MAX_GRIDS, MAX_MEMBERS = 2000, 200, 200, 10_000
GRID_SEPARATORS = re.compile(r"[、,，;；\s]+")

GAP_NO_PATROL, GAP_NO_VOLUNTEERS, GAP_NEITHER = "无治安巡逻", "无志愿服务队", "无巡逻、无志愿服务队"
GAPS = (GAP_NO_PATROL, GAP_NO_VOLUNTEERS, GAP_NEITHER)


class ResourceRejected(ValueError):
    """A resource that cannot be recorded; ``problems`` are the lines to show (field by field)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ResourceFields:
    kind: str
    name: str
    grid_codes: tuple[str, ...]
    members: int = 1
    leader: str | None = None
    phone: str | None = None
    note: str | None = None
    code: str | None = None          # an existing resource's number: the row edits it


def group_of(kind: str) -> str:
    return kind if kind in (ORGANISATION, VOLUNTEERS) else POST_GROUP


def kinds_of(group_or_kind: str) -> tuple[str, ...]:
    """The kinds a filter value stands for: a group (公益性岗位 = every post) or one kind."""
    return POSTS if group_or_kind == POST_GROUP else (group_or_kind,)


def gap_of(has_patrol: bool, has_volunteers: bool) -> str | None:
    """What a grid cell lacks, or None when both forces cover it."""
    if has_patrol and has_volunteers:
        return None
    if not has_patrol and not has_volunteers:
        return GAP_NEITHER
    return GAP_NO_PATROL if not has_patrol else GAP_NO_VOLUNTEERS


def split_grids(value: str) -> tuple[str, ...]:
    """``"A、B, C"`` → ("A", "B", "C"), in the order given, each once."""
    return tuple(dict.fromkeys(code for code in GRID_SEPARATORS.split(value or "") if code))


def _text(row: Mapping, header: str) -> str:
    value = row.get(header)
    if isinstance(value, (list, tuple)):           # a multi-select dropdown sends a list of grid codes
        return "、".join(str(v) for v in value if v)
    return "" if value is None else str(value).strip()


def check_resource(row: Mapping[str, object]) -> ResourceFields:
    """A row keyed by Chinese headers (or the same keys a form sends), checked field by field."""
    problems: list[str] = []
    value = {h: _text(row, h) for h in HEADERS}
    for header in REQUIRED:
        if not value[header]:
            problems.append(f"{header}：必填")
    for header in ("名称", "负责人", "备注", "编号"):
        limit = MAX_TEXT if header == "备注" else 32 if header == "编号" else MAX_NAME
        if len(value[header]) > limit or any(ord(ch) < 32 for ch in value[header]):
            problems.append(f"{header}：最多 {limit} 字，且不得含控制字符")
    if value["类型"] and value["类型"] not in KINDS:
        problems.append(f"类型：应为 {'、'.join(KINDS)} 之一，收到 {value['类型']!r}")
    grids = split_grids(value["覆盖网格"])
    if len(grids) > MAX_GRIDS:
        problems.append(f"覆盖网格：最多 {MAX_GRIDS} 个")
    members = 1
    if value["人数"]:
        if not value["人数"].isdigit() or not 1 <= int(value["人数"]) <= MAX_MEMBERS:
            problems.append(f"人数：应为 1–{MAX_MEMBERS} 的整数，收到 {value['人数']!r}")
        else:
            members = int(value["人数"])
    if value["类型"] in POSTS and members != 1:
        problems.append("人数：公益性岗位每行一人，应为 1")
    if value["联系电话"] and value_problems(Phone, value["联系电话"], "phone"):
        problems.append(f"联系电话：不是有效的电话号码，收到 {value['联系电话']!r}")
    if problems:
        raise ResourceRejected(problems)
    return ResourceFields(value["类型"], value["名称"], grids, members, value["负责人"] or None,
                          value["联系电话"] or None, value["备注"] or None, value["编号"] or None)
