"""The category catalogue: read from YAML, checked as it is made (pydantic dataclasses), the rules intake applies."""
from __future__ import annotations

from dataclasses import field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import ConfigDict, Field, ValidationError, model_validator
from pydantic.dataclasses import dataclass

from workorders.contract import Priority

CATALOGUE_FILE = Path(__file__).resolve().parent.parent / "config" / "categories.yaml"
COMPLEXITIES = ("simple", "normal", "complex")
COMPLEXITY_LABELS = {"simple": "简单", "normal": "一般", "complex": "复杂"}


class CatalogueError(ValueError):
    pass


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


def parse_category(raw: dict[str, Any]) -> Category:
    """A category from its YAML form (variants keyed by their code); CatalogueError naming what is wrong."""
    code = raw.get("code")
    where = f"category {code!r}" if code else "a category without code"
    variants = {k: {"code": k, **v} if isinstance(v, dict) else v for k, v in (raw.get("variants") or {}).items()}
    try:
        return Category(**{**raw, "variants": variants})
    except ValidationError as error:
        raise CatalogueError(f"{where}: " + "; ".join(_catalogue_problem(d) for d in error.errors())) from None
    except TypeError as error:          # a key Category does not have
        raise CatalogueError(f"{where}: {error}") from None


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
