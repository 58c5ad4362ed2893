"""The category editor's rules (/admin → 分类与派单规则), in plain Python: a form's text becomes the YAML form of a
category (then ``catalogue.check_category`` judges it, as it judges config/categories.yaml), two versions of a
category are compared field by field, and a sample ticket is placed and timed by a category (the preview).

Nothing here reads a database: the service (services/admin_rules.py) brings the units, streets and the place.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from workorders.catalogue import (COMPLEXITY_LABELS, FIELD_LABELS, CatalogueError, Category, Problem,
                                  category_to_row)
from workorders.deadlines import compute_deadlines
from workorders.routing import route

SAME_DAY_WORDS = ("当日", "same_day")
# The fields a version is compared by, in the order the history lists them.
COMPARED = ("name", "complexity", "priority", "lead", "co_handlers", "arrival_minutes", "resolve_hours",
            "route_to_community", "by_street", "variants", "default_variant")
_PAIR = re.compile(r"^\s*(\S+?)\s*[=:：]\s*(\S+)\s*$")


def _blank(value: Any) -> Any:
    """An empty form field is an absent value (the category's default), not an empty string."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value.strip() if isinstance(value, str) else value


def _by_street(text: str | None, problems: list[Problem]) -> dict[str, str]:
    """``街道编码 = 单位编码``, one a line."""
    pairs: dict[str, str] = {}
    for n, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        match = _PAIR.match(line)
        if not match:
            problems.append(Problem("by_street", f"分街道主办单位第 {n} 行：应写作 街道编码 = 单位编码"))
            continue
        street, unit = match.groups()
        if street in pairs:
            problems.append(Problem("by_street", f"分街道主办单位第 {n} 行：街道 {street} 重复"))
        pairs[street] = unit
    return pairs


def _variants(text: str | None, problems: list[Problem]) -> dict[str, dict]:
    """``编码 名称 时限`` one a line; 时限 is 当日 (same local day) or hours, empty: the category's deadline."""
    variants: dict[str, dict] = {}
    for n, line in enumerate((text or "").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) not in (2, 3):
            problems.append(Problem("variants", f"子类第 {n} 行：应写作 编码 名称 时限（当日 或 小时数，可省略）"))
            continue
        code, name, limit = parts[0], parts[1], parts[2] if len(parts) == 3 else None
        if code in variants:
            problems.append(Problem("variants", f"子类第 {n} 行：编码 {code} 重复"))
        rule: dict[str, Any] = {"name": name}
        if limit in SAME_DAY_WORDS:
            rule["resolve"] = "same_day"
        elif limit is not None:
            rule["resolve_hours"] = limit          # the catalogue's types judge it (a positive integer)
        variants[code] = rule
    return variants


def raw_from_form(code: str, values: dict[str, Any]) -> dict[str, Any]:
    """The YAML form of the category the editor's fields describe; CatalogueError with the problems of the text
    itself (a malformed line). The catalogue's own checks come after, in ``check_category``."""
    problems: list[Problem] = []
    lead = _blank(values.get("lead"))
    co = [c for c in (values.get("co_handlers") or []) if _blank(c) and c != lead]
    raw: dict[str, Any] = {
        "code": _blank(code), "name": _blank(values.get("name")), "complexity": _blank(values.get("complexity")),
        "departments": [d for d in [lead, *co] if d],
        "route_to_community": bool(values.get("route_to_community")),
        "by_street": _by_street(values.get("by_street"), problems),
        "variants": _variants(values.get("variants"), problems),
    }
    for key in ("priority", "arrival_minutes", "resolve_hours", "default_variant"):
        if _blank(values.get(key)) is not None:
            raw[key] = _blank(values.get(key))
    if not lead:
        problems.append(Problem("lead", "主办单位：必填"))
    if problems:
        raise CatalogueError("; ".join(p.message for p in problems), problems)
    return raw


def form_of(category: Category) -> dict[str, Any]:
    """The editor's fields for a category (the inverse of ``raw_from_form``)."""
    def limit(v) -> str:
        return "当日" if v.resolve == "same_day" else (str(v.resolve_hours) if v.resolve_hours else "")
    return {
        "name": category.name, "complexity": category.complexity, "priority": category.priority,
        "arrival_minutes": category.arrival_minutes, "resolve_hours": category.resolve_hours,
        "lead": category.lead, "co_handlers": list(category.co_handlers),
        "route_to_community": category.route_to_community,
        "by_street": "\n".join(f"{s} = {u}" for s, u in category.by_street.items()),
        "variants": "\n".join(f"{c} {v.name} {limit(v)}".strip() for c, v in category.variants.items()),
        "default_variant": category.default_variant or "",
    }


# ------------------------------------------------------------------------------------------------ versions

def _flat(category: Category | None) -> dict[str, Any]:
    if category is None:
        return {}
    rules = category_to_row(category)["rules"]
    return {"name": category.name, "complexity": category.complexity, "priority": category.priority,
            "lead": category.lead, "co_handlers": list(category.co_handlers),
            "arrival_minutes": category.arrival_minutes, "resolve_hours": category.resolve_hours,
            "route_to_community": category.route_to_community, "by_street": dict(category.by_street),
            "variants": rules["variants"], "default_variant": category.default_variant}


def changes(before: Category | None, after: Category) -> list[dict[str, Any]]:
    """What differs between two versions, field by field: ``{"field", "before", "after"}`` (JSON values; a new
    category lists every field it sets)."""
    old, new = _flat(before), _flat(after)
    return [{"field": f, "before": old.get(f), "after": new[f]} for f in COMPARED
            if old.get(f) != new[f] and not (before is None and new[f] in (None, [], {}, False, ""))]


def describe(field: str, value: Any, unit_names: dict[str, str] | None = None) -> str:
    """One value of the history as a person reads it."""
    names = unit_names or {}
    if value in (None, "", [], {}):
        return "—"
    if field == "complexity":
        return COMPLEXITY_LABELS.get(value, value)
    if field == "route_to_community":
        return "是" if value else "否"
    if field == "lead":
        return names.get(value, value)
    if field == "co_handlers":
        return "、".join(names.get(v, v) for v in value)
    if field == "by_street":
        return "；".join(f"{s} → {names.get(u, u)}" for s, u in value.items())
    if field == "variants":
        return "；".join(f"{c} {v['name']} " + ("当日" if v.get("resolve") == "same_day" else
                                                 f"{v['resolve_hours']} 小时" if v.get("resolve_hours") else "")
                         for c, v in value.items())
    return str(value)


def change_lines(entries: list[dict[str, Any]], unit_names: dict[str, str] | None = None) -> list[str]:
    """``到场时限（分钟）：30 → 20`` for each change of a version."""
    return [f"{FIELD_LABELS.get(e['field'], e['field'])}：{describe(e['field'], e['before'], unit_names)} → "
            f"{describe(e['field'], e['after'], unit_names)}" for e in entries]


# ------------------------------------------------------------------------------------------------ preview

@dataclass(frozen=True)
class Preview:
    """Where a ticket of the category registered at that place and moment would go, and when it is due."""
    grid_code: str
    community_code: str
    street_code: str
    lead_department: str
    co_departments: tuple[str, ...]
    handled_by_community: bool
    variant: str | None
    arrival_due_at: datetime | None
    resolve_due_at: datetime


def preview(category: Category, place: dict[str, str], registered_at: datetime, variant: str | None = None, *,
            tz: ZoneInfo, cutoff_hour: int) -> Preview:
    """Intake's two rules on a sample: routing by category and street, deadlines by category, variant and time."""
    if variant and variant not in category.variants:
        raise CatalogueError(f"no variant {variant!r}", [Problem("variant", f"子类：{category.name} 没有子类 {variant}")])
    routed = route(category, place["street_code"])
    deadlines = compute_deadlines(category, registered_at, variant, tz=tz, cutoff_hour=cutoff_hour)
    return Preview(place["grid_code"], place["community_code"], place["street_code"], routed.lead_department,
                   routed.co_departments, routed.handled_by_community, variant or category.default_variant,
                   deadlines.arrival_due_at, deadlines.resolve_due_at)
