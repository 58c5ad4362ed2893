"""The category catalogue: read from YAML, checked as it is made (pydantic dataclasses), the rules intake applies."""
from __future__ import annotations

from dataclasses import dataclass as plain_dataclass, field
from pathlib import Path
from typing import Annotated, Any, Iterable, Literal

import yaml
from pydantic import ConfigDict, Field, ValidationError, model_validator
from pydantic.dataclasses import dataclass

from workorders.contract import Priority

CATALOGUE_FILE = Path(__file__).resolve().parent.parent / "config" / "categories.yaml"
COMPLEXITIES = ("simple", "normal", "complex")
COMPLEXITY_LABELS = {"simple": "简单", "normal": "一般", "complex": "复杂"}


class CatalogueError(ValueError):
    """A category that cannot be used. ``str()`` is the CLI's line (English, naming the key); ``problems`` are the
    same faults for a person at the editor, each naming its field in zh-CN."""

    def __init__(self, message: str, problems: Iterable["Problem"] = ()):
        super().__init__(message)
        self.problems = list(problems)


@plain_dataclass(frozen=True)
class Problem:
    field: str           # the key of Category (``arrival_minutes``, ``by_street`` …)
    message: str         # zh-CN, starting with the field's label

    def __str__(self) -> str:
        return self.message


# What the editor calls each field (messages name the field by these words).
FIELD_LABELS: dict[str, str] = {
    "code": "编码", "name": "名称", "complexity": "复杂程度", "departments": "承办单位", "lead": "主办单位",
    "co_handlers": "协办单位", "priority": "优先级", "arrival_minutes": "到场时限（分钟）",
    "resolve_hours": "办结时限（小时）", "route_to_community": "简单事项由社区办理", "by_street": "分街道主办单位",
    "variants": "子类", "default_variant": "默认子类",
}
RESOLVE_LIMIT_HOURS = {"normal": 72, "complex": 240}     # workorders.deadlines.RESOLVE_DAYS, in hours


Name = Annotated[str, Field(min_length=1)]
Count = Annotated[int, Field(ge=1)]
# Lax about types, as YAML is (a street code written 210302014 is the text "210302014"); unknown keys are typos.
_AS_WRITTEN = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


@dataclass(frozen=True, config=_AS_WRITTEN)
class Variant:
    code: Name
    name: Name
    resolve: Literal["same_day"] | None = None
    resolve_hours: Count | None = None


@dataclass(frozen=True, config=_AS_WRITTEN)
class Category:
    """One category as config/categories.yaml writes it (and as the database keeps its rules), checked when made."""
    code: Name
    name: Name
    complexity: Literal[COMPLEXITIES]
    departments: Annotated[tuple[Name, ...], Field(min_length=1)]
    priority: Priority = 3
    arrival_minutes: Count | None = None
    resolve_hours: Count | None = None
    route_to_community: bool = False
    by_street: dict[str, str] = field(default_factory=dict)
    variants: dict[str, Variant] = field(default_factory=dict)
    default_variant: str | None = None

    @model_validator(mode="after")
    def _default_variant_is_one_of_them(self) -> "Category":
        if self.variants and self.default_variant not in self.variants:
            raise ValueError(f"default_variant must be one of {', '.join(self.variants)}")
        return self

    @property
    def lead(self) -> str:
        return self.departments[0]

    @property
    def co_handlers(self) -> tuple[str, ...]:
        return self.departments[1:]


def _catalogue_problem(detail: dict) -> str:
    """One line of a refusal, in the CLI's words (English, naming the key)."""
    key = ".".join(str(part) for part in detail["loc"])
    if key and (detail["type"] in ("missing", "too_short", "string_too_short") or detail.get("input") is None):
        return f"missing {key}"
    message = detail["msg"].removeprefix("Value error, ")
    return f"{key}: {message}" if key else message


def _label(loc: tuple) -> tuple[str, str]:
    """(field, its words) of a pydantic error location: ``("variants", "indoor", "resolve_hours")`` is the field
    ``variants`` and reads 子类 indoor 的 办结时限（小时）."""
    field_ = str(loc[0]) if loc else ""
    words = FIELD_LABELS.get(field_, field_)
    if field_ == "variants" and len(loc) >= 3:
        words = f"子类 {loc[1]} 的{FIELD_LABELS.get(str(loc[-1]), str(loc[-1]))}"
    elif field_ in ("by_street", "departments") and len(loc) >= 2:
        words = f"{words}（{loc[1]}）"
    return field_, words


def _problem_zh(detail: dict) -> Problem:
    """One pydantic error as a person at the editor reads it (zh-CN, naming the field)."""
    field_, words = _label(tuple(detail["loc"]))
    kind, context = detail["type"], detail.get("ctx") or {}
    message = detail["msg"].removeprefix("Value error, ")
    if not field_ and message.startswith("default_variant"):     # the model's own check has no location
        return Problem("default_variant", f"默认子类：应为子类之一（{message.split('of ', 1)[-1]}）")
    if kind == "missing" or (detail.get("input") is None and kind != "value_error"):
        text = "必填"
    elif kind in ("too_short", "string_too_short"):
        text = "不能为空"
    elif kind == "greater_than_equal":
        text = f"应为不小于 {context.get('ge')} 的整数"
    elif kind == "less_than_equal":
        text = f"应为不大于 {context.get('le')} 的整数"
    elif kind in ("int_parsing", "int_type", "int_from_float"):
        text = "应为整数"
    elif kind == "literal_error" and field_ == "complexity":
        text = f"应为以下之一：{'、'.join(COMPLEXITY_LABELS.values())}"
    elif kind == "literal_error":
        text = f"应为以下之一：{context.get('expected', '')}"
    elif kind in ("bool_parsing", "bool_type"):
        text = "应为是或否"
    else:
        text = f"取值无效（{message}）"
    return Problem(field_ or "category", f"{words}：{text}" if words else text)


def rule_problems(category: Category) -> list[Problem]:
    """What the types cannot see: a crew due on site after the request is due resolved, a unit named twice."""
    problems = []
    if len(set(category.departments)) != len(category.departments):
        problems.append(Problem("departments", "承办单位：同一单位不能重复"))
    if category.arrival_minutes:
        limits = [("resolve_hours", category.resolve_hours)] if category.resolve_hours else (
            [("complexity", RESOLVE_LIMIT_HOURS[category.complexity])]
            if category.complexity in RESOLVE_LIMIT_HOURS else [])
        limits += [(f"variants.{v.code}", v.resolve_hours) for v in category.variants.values() if v.resolve_hours]
        for where, hours in limits:
            if hours and category.arrival_minutes > hours * 60:
                problems.append(Problem("arrival_minutes", f"到场时限（分钟）：{category.arrival_minutes} 分钟超过了办结时限"
                                                           f"（{hours} 小时，{where}）"))
    return problems


def parse_category(raw: dict[str, Any]) -> Category:
    """A category from its YAML form (variants keyed by their code); CatalogueError naming what is wrong (in
    English for the CLI, in ``problems`` in zh-CN for the editor)."""
    code = raw.get("code")
    where = f"category {code!r}" if code else "a category without code"
    variants = {k: {"code": k, **v} if isinstance(v, dict) else v for k, v in (raw.get("variants") or {}).items()}
    try:
        category = Category(**{**raw, "variants": variants})
    except ValidationError as error:
        raise CatalogueError(f"{where}: " + "; ".join(_catalogue_problem(d) for d in error.errors()),
                             [_problem_zh(d) for d in error.errors()]) from None
    except TypeError as error:          # a key Category does not have
        raise CatalogueError(f"{where}: {error}", [Problem("category", f"未知字段：{error}")]) from None
    problems = rule_problems(category)
    if problems:
        raise CatalogueError(f"{where}: " + "; ".join(f"{p.field}: {p.message}" for p in problems), problems)
    return category


def unit_problems(category: Category, departments: Iterable[str], streets: Iterable[str] | None = None) -> list[Problem]:
    """Units (and streets) a category names that do not exist: each one a Problem naming its field."""
    known = set(departments)
    problems = [Problem("departments", f"承办单位：没有单位 {code!r}")
                for code in category.departments if code not in known]
    problems += [Problem("by_street", f"分街道主办单位（{street}）：没有单位 {code!r}")
                 for street, code in category.by_street.items() if code not in known]
    if streets is not None:
        street_codes = set(streets)
        problems += [Problem("by_street", f"分街道主办单位：没有街道 {street!r}")
                     for street in category.by_street if street not in street_codes]
    return problems


def check_category(raw: dict[str, Any], departments: Iterable[str],
                   streets: Iterable[str] | None = None) -> Category:
    """``parse_category`` and the units it names, all problems at once (CatalogueError with ``problems``)."""
    category = parse_category(raw)
    problems = unit_problems(category, departments, streets)
    if problems:
        raise CatalogueError(f"category {category.code!r}: " + "; ".join(p.message for p in problems), problems)
    return category


def load_catalogue(path: Path = CATALOGUE_FILE) -> dict[str, Category]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    categories = [parse_category(raw) for raw in data.get("categories", [])]
    codes = [c.code for c in categories]
    duplicates = {c for c in codes if codes.count(c) > 1}
    if duplicates:
        raise CatalogueError(f"duplicate category codes: {', '.join(sorted(duplicates))}")
    return {c.code: c for c in categories}


def category_to_row(category: Category) -> dict[str, Any]:
    """The database form of a category (the rules travel as JSON so the YAML stays the one source)."""
    return {
        "code": category.code, "name": category.name, "complexity": category.complexity,
        "priority": category.priority, "lead_department_code": category.lead,
        "rules": {
            "departments": list(category.departments), "arrival_minutes": category.arrival_minutes,
            "resolve_hours": category.resolve_hours, "route_to_community": category.route_to_community,
            "by_street": category.by_street, "default_variant": category.default_variant,
            "variants": {k: {"name": v.name, "resolve": v.resolve, "resolve_hours": v.resolve_hours}
                         for k, v in category.variants.items()},
        },
    }


def category_from_row(row: dict[str, Any]) -> Category:
    rules = row["rules"]
    return parse_category({"code": row["code"], "name": row["name"], "complexity": row["complexity"],
                           "priority": row["priority"], **rules})


def rows_in_force(rows: Iterable[dict[str, Any]], at: Any) -> dict[str, dict[str, Any]]:
    """The row of each category in force at ``at``, by code, from every version (``version``, ``valid_from``) and
    every category row as it stands (``version`` None): the newest version whose ``valid_from`` is not after
    ``at`` (the higher version among equal times), else the category row."""
    chosen: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["version"] is None or row["valid_from"] > at:
            continue
        best = chosen.get(row["code"])
        if best is None or (row["valid_from"], row["version"]) > (best["valid_from"], best["version"]):
            chosen[row["code"]] = row
    for row in rows:
        if row["version"] is None and row["code"] not in chosen:
            chosen[row["code"]] = row
    return chosen
