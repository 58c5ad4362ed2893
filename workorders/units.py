"""What the admin screen adds beside the catalogue, checked in plain Python: a unit (承办单位), a crew (处置力量) of a
unit and a standard answer (常用答复). Each bad field is a FieldError naming it (zh-CN); nothing here reads a database."""
from __future__ import annotations

import re
from typing import Any

from workorders.errors import FieldError

CREW_CODE = re.compile(r"^[A-Za-z0-9_-]{2,32}$")
GRID_WORKER_KIND = "网格员"        # grid workers are the grid center's crews, one per grid, made by the reference data
MAX_MEMBERS = 50
# departments.kind (its CHECK constraint, geo/models.py) and how the screen names it.
DEPARTMENT_KINDS = {"district_office": "区直部门", "utility": "公用事业单位", "police": "公安", "court": "法院",
                    "mass_org": "群团组织", "street_office": "街道办事处", "other": "其他"}
UNIT_PHONE = re.compile(r"^[0-9-]{5,20}$")


def _text(values: dict[str, Any], key: str, label: str, limit: int, required: bool = True) -> str | None:
    value = "" if values.get(key) is None else str(values[key]).strip()
    if not value:
        if required:
            raise FieldError(key, f"{label}：必填")
        return None
    if len(value) > limit:
        raise FieldError(key, f"{label}：不能超过 {limit} 个字符")
    return value


def _code(values: dict[str, Any]) -> str:
    code = _text(values, "code", "编码", 32)
    if not CREW_CODE.match(code):
        raise FieldError("code", "编码：应为 2–32 个字母、数字、- 或 _")
    return code


def check_department(values: dict[str, Any]) -> dict[str, Any]:
    """A new unit's row: code, name, kind, phone (optional), whether it sits in the center (入驻中心)."""
    code = _code(values)
    name = _text(values, "name", "单位名称", 64)
    kind = _text(values, "kind", "类型", 32)
    if kind not in DEPARTMENT_KINDS:
        raise FieldError("kind", f"类型：应为 {'、'.join(DEPARTMENT_KINDS.values())} 之一")
    phone = _text(values, "phone", "电话", 20, required=False)
    if phone and not UNIT_PHONE.match(phone):
        raise FieldError("phone", "电话：应为 5–20 位数字（可含 -）")
    return {"code": code, "name": name, "kind": kind, "phone": phone,
            "resident_in_center": bool(values.get("resident_in_center"))}


def check_crew(values: dict[str, Any]) -> dict[str, Any]:
    """A new crew's row: code, name, unit, kind, members, home grid (where it waits between jobs)."""
    code = _code(values)
    name = _text(values, "name", "名称", 64)
    department = _text(values, "department_code", "所属单位", 32)
    kind = _text(values, "kind", "类型", 32)
    if kind == GRID_WORKER_KIND:
        raise FieldError("kind", "类型：网格员随网格生成，不能在此新增")
    raw_members = values.get("members")
    try:
        members = int(str(raw_members).strip()) if raw_members not in (None, "") else 1
    except ValueError:
        raise FieldError("members", "人数：应为整数") from None
    if not 1 <= members <= MAX_MEMBERS:
        raise FieldError("members", f"人数：应为 1–{MAX_MEMBERS}")
    home = _text(values, "home_grid", "驻地网格编码", 32)
    return {"code": code, "name": name, "department_code": department, "kind": kind, "members": members,
            "home_grid": home}


def check_answer(values: dict[str, Any]) -> dict[str, Any]:
    """A standard answer's row: title, body, category (none: every category), order, active."""
    title = _text(values, "title", "标题", 64)
    body = _text(values, "body", "内容", 2000)
    raw_order = values.get("sort_order")
    try:
        order = int(str(raw_order).strip()) if raw_order not in (None, "") else 100
    except ValueError:
        raise FieldError("sort_order", "排序：应为整数") from None
    return {"title": title, "body": body, "category_code": (values.get("category_code") or None),
            "sort_order": order, "active": bool(values.get("active", True))}
