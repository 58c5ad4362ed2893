"""Our category catalogue as Open311 services: groups, descriptions and service definitions (attributes).

Which attributes a service asks for is decided here, from the catalogue and a few small tables:
- a category with variants (heating: indoor/outdoor) asks for ``variant``, required, because the variant sets the
  deadline and the crew; its values are the catalogue's variants, so a new variant in the YAML appears here as is;
- some categories carry an informational note (``variable`` false) clients show before the form;
- building-related categories ask for the ``floor``; water leaks for where it leaks (a multi-value list);
- hazards that are not emergencies by category ask whether people are in danger (``urgent``: one level up).
A category in none of these has no attributes, and its service says ``metadata`` false.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workorders.catalogue import Category, Variant
from workorders.deadlines import RESOLVE_DAYS

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
OTHER_GROUP = "其他"
GROUPS = {
    "water_leak": "公用事业", "heating_cold": "公用事业", "power_fault": "公用事业", "gas_leak": "公用事业",
    "housing_repair": "房屋物业",
    "sanitation": "市容环境", "greening": "市容环境", "noise": "市容环境",
    "road_damage": "道路设施", "streetlight": "道路设施",
    "public_security": "社会治安", "neighbour_dispute": "矛盾纠纷",
}
NOTES = {
    "heating_cold": "供暖期（11月1日至次年3月31日）内，室温低于18℃即可报修。",
    "gas_leak": "闻到燃气味请立即关闭阀门、开窗通风，不要开关电器，到室外再拨打 96715 或 119。",
}
FLOOR_CATEGORIES = frozenset({"water_leak", "heating_cold", "power_fault", "gas_leak", "housing_repair"})
URGENT_CATEGORIES = frozenset({"housing_repair", "road_damage", "streetlight", "greening", "sanitation"})
LEAK_PLACES = (("kitchen", "厨房"), ("bathroom", "卫生间"), ("ceiling", "屋顶/楼上渗漏"), ("stairwell", "楼道"),
               ("basement", "地下室"), ("outdoor", "室外/路面"))
MAX_STRING = 200


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str
    description: str
    datatype_description: str = ""
    required: bool = False
    variable: bool = True
    values: tuple[tuple[str, str], ...] = ()
    minimum: float | None = None        # number bounds: ours, not the spec's (it has no place for them)
    maximum: float | None = None

    def parse(self, raw: list[str]) -> Any:
        """The typed value of the form's ``attribute[code]`` entries; ValueError says in Chinese what is wrong."""
        values = [v.strip() for v in raw if v.strip()]
        if self.datatype == "multivaluelist":
            return self._known([v for part in values for v in part.split(",") if v.strip()])
        if len(values) > 1:
            raise ValueError("只能填写一个值")
        value = values[0] if values else ""
        if self.datatype == "singlevaluelist":
            return self._known([value])[0]
        if self.datatype == "number":
            return self._number(value)
        if self.datatype == "datetime":
            return parse_datetime_text(value).isoformat()
        limit = 4000 if self.datatype == "text" else MAX_STRING
        if len(value) > limit:
            raise ValueError(f"不能超过 {limit} 字")
        return value

    def _known(self, values: list[str]) -> list[str]:
        keys = [key for key, _ in self.values]
        values = [v.strip() for v in values]
        unknown = [v for v in values if v not in keys]
        if unknown or not values:
            raise ValueError(f"无效取值 {', '.join(map(repr, unknown or ['']))}（可选：{', '.join(keys)}）")
        return list(dict.fromkeys(values))     # a key sent twice counts once

    def _number(self, value: str) -> int | float:
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"应为数字，收到 {value!r}") from None
        if not math.isfinite(number):
            raise ValueError(f"应为数字，收到 {value!r}")
        if (self.minimum is not None and number < self.minimum) or (self.maximum is not None and number > self.maximum):
            raise ValueError(f"应在 {self.minimum:g} 至 {self.maximum:g} 之间")
        return int(number) if number.is_integer() else number


def parse_datetime_text(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"应为 W3C/ISO 8601 时间（如 2026-11-26T08:30:00+08:00），收到 {value!r}") from None


# ------------------------------------------------------------------------------------------------ deadlines

def resolve_text(category: Category, variant: Variant | None = None) -> str:
    """The resolve deadline in words, in the order workorders.deadlines applies the rules."""
    if variant and variant.resolve == "same_day":
        return "当日办结"
    if variant and variant.resolve_hours:
        return f"{variant.resolve_hours}小时内办结"
    if category.resolve_hours:
        return f"{category.resolve_hours}小时内办结"
    if category.complexity == "simple":
        return "当日办结"
    return f"{RESOLVE_DAYS[category.complexity]}日内办结"


def deadline_text(category: Category) -> str:
    arrival = f"{category.arrival_minutes}分钟内到场；" if category.arrival_minutes else ""
    if category.variants:
        return arrival + "，".join(f"{v.name}{resolve_text(category, v)}" for v in category.variants.values())
    return arrival + resolve_text(category)


# ------------------------------------------------------------------------------------------------ attributes

def attributes_of(category: Category) -> list[Attribute]:
    found: list[Attribute] = []
    if category.code in NOTES:
        found.append(Attribute("notice", "string", NOTES[category.code], variable=False))
    if category.variants:
        found.append(Attribute(
            "variant", "singlevaluelist", f"{category.name}类型：决定办理时限与处置队伍",
            "；".join(f"{v.name}：{resolve_text(category, v)}" for v in category.variants.values()),
            required=True, values=tuple((code, v.name) for code, v in category.variants.items())))
    if category.code in FLOOR_CATEGORIES:
        found.append(Attribute("floor", "number", "所在楼层", "整数；地下室填负数（-5 至 99）",
                               minimum=-5, maximum=99))
    if category.code == "water_leak":
        found.append(Attribute("leak_location", "multivaluelist", "漏水位置", "可多选", values=LEAK_PLACES))
    if category.code in URGENT_CATEGORIES:
        found.append(Attribute("urgent", "singlevaluelist", "是否危及人身安全", "选“是”则提高一级优先处理",
                               values=(("yes", "是"), ("no", "否"))))
    return found


def attribute_item(attribute: Attribute, order: int) -> dict:
    return {
        "variable": attribute.variable, "code": attribute.code, "datatype": attribute.datatype,
        "required": attribute.required, "datatype_description": attribute.datatype_description or None,
        "order": order, "description": attribute.description,
        "values": [{"key": key, "name": name} for key, name in attribute.values],
    }


# ------------------------------------------------------------------------------------------------ services

@dataclass(frozen=True)
class Service:
    category: Category
    department_name: str
    attributes: list[Attribute] = field(default_factory=list)


def service_of(category: Category, department_name: str) -> Service:
    return Service(category, department_name, attributes_of(category))


def service_item(service: Service) -> dict:
    category = service.category
    return {
        "service_code": category.code, "service_name": category.name,
        "description": f"承办单位：{service.department_name}。办理时限：{deadline_text(category)}。",
        "metadata": bool(service.attributes), "type": "realtime",
        "keywords": ",".join(v.name for v in category.variants.values()),
        "group": GROUPS.get(category.code, OTHER_GROUP),
    }


def service_definition(service: Service) -> dict:
    return {"service_code": service.category.code,
            "attributes": [attribute_item(a, i) for i, a in enumerate(service.attributes, start=1)]}
