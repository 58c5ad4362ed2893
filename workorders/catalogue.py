"""The category catalogue: read from YAML, checked, and turned into the rules intake applies."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CATALOGUE_FILE = Path(__file__).resolve().parent.parent / "config" / "categories.yaml"
COMPLEXITIES = ("simple", "normal", "complex")
COMPLEXITY_LABELS = {"simple": "简单", "normal": "一般", "complex": "复杂"}


@dataclass(frozen=True)
class Variant:
    code: str
    name: str
    resolve: str | None = None          # "same_day"
    resolve_hours: int | None = None


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    complexity: str
    departments: tuple[str, ...]
    priority: int = 3
    arrival_minutes: int | None = None
    resolve_hours: int | None = None
    route_to_community: bool = False
    by_street: dict[str, str] = field(default_factory=dict)
    variants: dict[str, Variant] = field(default_factory=dict)
    default_variant: str | None = None

    @property
    def lead(self) -> str:
        return self.departments[0]

    @property
    def co_handlers(self) -> tuple[str, ...]:
        return self.departments[1:]


class CatalogueError(ValueError):
    pass


def parse_category(raw: dict[str, Any]) -> Category:
    code = raw.get("code")
    where = f"category {code!r}" if code else "a category without code"
    for key in ("code", "name", "complexity", "departments"):
        if not raw.get(key):
            raise CatalogueError(f"{where}: missing {key}")
    if raw["complexity"] not in COMPLEXITIES:
        raise CatalogueError(f"{where}: complexity must be one of {', '.join(COMPLEXITIES)}")
    variants = {k: Variant(k, v["name"], v.get("resolve"), v.get("resolve_hours"))
                for k, v in (raw.get("variants") or {}).items()}
    default_variant = raw.get("default_variant")
    if variants and default_variant not in variants:
        raise CatalogueError(f"{where}: default_variant must be one of {', '.join(variants)}")
    return Category(
        code=str(code), name=str(raw["name"]), complexity=raw["complexity"],
        departments=tuple(str(d) for d in raw["departments"]), priority=int(raw.get("priority", 3)),
        arrival_minutes=raw.get("arrival_minutes"), resolve_hours=raw.get("resolve_hours"),
        route_to_community=bool(raw.get("route_to_community", False)),
        by_street={str(k): str(v) for k, v in (raw.get("by_street") or {}).items()},
        variants=variants, default_variant=default_variant)


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
