"""Categories and routing rules (/admin → 分类与派单规则, issue 11): the catalogue's versions, the editor, the preview.

Every change to a category is a new version (geo.catalogue, migration 0023) with who made it, when, from where and
what changed, written with its audit entry in one transaction; ``categories`` keeps the current version and intake
reads the version in force at a ticket's registration (services.tickets._create), so a change applies to the
tickets registered after it and a ticket already registered keeps its deadlines and route. Nothing is cached: every
registration reads the catalogue from PostgreSQL, so every process sees a saved change at once.

Two ways in, one rule: the editor (``save_category``, right ``rules``) and `python -m etl categories`
(``load_file``: the file's changed categories become new versions, unchanged ones stay as they are). Both judge a
category with workorders.catalogue.check_category (the same checks as config/categories.yaml).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import Connection
from sqlalchemy.engine import Engine

from geo import catalogue as db
from geo import tickets as ticket_db
from geo.db import get_engine
from services import audit
from settings import get_settings
from workorders import policy
from workorders.catalogue import (CATALOGUE_FILE, COMPLEXITY_LABELS, CatalogueError, Category, Problem,
                                  category_from_row, category_to_row, check_category, load_catalogue)
from workorders.category_rules import change_lines, changes, form_of, preview as preview_rule, raw_from_form

ETL_ACTOR = "cli:etl categories"
SOURCES = {"initial": "初始", "file": "文件导入", "editor": "系统管理"}


class RulesRejected(ValueError):
    """A category the editor cannot save: each problem names its field (zh-CN)."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("；".join(p.message for p in self.problems))


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class Saved:
    code: str
    version: int
    changes: list[dict]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# ------------------------------------------------------------------------------------------------ storing versions

def store(conn: Connection, catalogue: Iterable[Category], *, actor: policy.Principal | str, source: str,
          now: datetime) -> list[Saved]:
    """Each category that differs from its current version becomes the next version, in force from ``now`` (a new
    category: version 1, in force since ever); unchanged ones are left alone. Audited in the same transaction."""
    saved = []
    changed_by = actor.label if isinstance(actor, policy.Principal) else actor
    for category in catalogue:
        current = db.current_category_for_update(conn, category.code)
        before = category_from_row(current) if current else None
        diff = changes(before, category)
        if current is not None and not diff:
            continue
        version = current["version"] + 1 if current else 1
        db.store_version(conn, category_to_row(category), version=version, valid_from=now if current else None,
                         changed_at=now, changed_by=changed_by, source=source, changes=diff)
        audit.record("category_changed" if current else "category_created", actor=actor, conn=conn,
                     target=f"category:{category.code}",
                     detail={"version": version, "source": source, "fields": [d["field"] for d in diff]})
        saved.append(Saved(category.code, version, diff))
    return saved


def load_file(path: Path = CATALOGUE_FILE, engine: Engine | None = None, now: datetime | None = None) -> list[Saved]:
    """`python -m etl categories`: the file's categories, checked whole before anything is written (CatalogueError,
    in English for the CLI), stored as versions where they changed."""
    catalogue = load_catalogue(path)
    with (engine or get_engine()).begin() as conn:
        known = ticket_db.department_codes(conn)
        for category in catalogue.values():
            missing = [d for d in category.departments + tuple(category.by_street.values()) if d not in known]
            if missing:
                raise CatalogueError(f"{path.name}: category {category.code!r} names unknown department(s) "
                                     f"{', '.join(missing)}; load departments first")
        return store(conn, catalogue.values(), actor=ETL_ACTOR, source="file", now=now or utcnow())


# ------------------------------------------------------------------------------------------------ the editor

def category_list(principal: policy.Principal | None) -> list[dict]:
    """The current categories, with their lead unit, version and latest change."""
    policy.require(principal, "rules")
    with get_engine().connect() as conn:
        rows = db.category_list(conn)
    return [{**{k: r[k] for k in ("code", "name", "priority", "version", "changed_at", "changed_by")},
             "complexity": COMPLEXITY_LABELS.get(r["complexity"], r["complexity"]),
             "lead": r["lead_department_name"], "arrival_minutes": r["rules"].get("arrival_minutes"),
             "resolve_hours": r["rules"].get("resolve_hours"), "source": SOURCES.get(r["source"], r["source"])}
            for r in rows]


def category_form(principal: policy.Principal | None, code: str) -> dict[str, Any]:
    """The editor's fields for the current version of ``code``, and that version's number."""
    policy.require(principal, "rules")
    with get_engine().connect() as conn:
        row = next((r for r in ticket_db.category_rows(conn) if r["code"] == code), None)
    if row is None:
        raise NotFound(f"没有事项类别 {code!r}")
    return {**form_of(category_from_row(row)), "version": row["version"]}


def _judged(conn: Connection, code: str, values: dict[str, Any]) -> Category:
    """The category the form describes, judged as a file's would be, plus its units and streets."""
    try:
        raw = raw_from_form(code, values)
        return check_category(raw, ticket_db.department_codes(conn), [c for c, _ in db.streets(conn)])
    except CatalogueError as error:
        raise RulesRejected(error.problems or [Problem("category", str(error))]) from None


def save_category(principal: policy.Principal | None, code: str, values: dict[str, Any],
                  base_version: int | None = None, now: datetime | None = None) -> Saved:
    """Save the editor's form as the next version of ``code`` (a code not in the catalogue: a new category).
    ``base_version``: the version the form was filled from; when another change came first the save is refused
    rather than silently undoing it. Saving what is already current changes nothing (the same version back)."""
    policy.require(principal, "rules")
    code = (code or "").strip()
    with get_engine().begin() as conn:
        category = _judged(conn, code, values)
        current = db.current_category_for_update(conn, code)
        if current and base_version is not None and current["version"] != base_version:
            raise RulesRejected([Problem("version", f"该类别已被他人修改（当前为第 {current['version']} 版），"
                                                    "请重新载入后再保存")])
        if current is None and base_version is not None:
            raise NotFound(f"没有事项类别 {code!r}")
        stored = store(conn, [category], actor=principal, source="editor", now=now or utcnow())
    return stored[0] if stored else Saved(code, current["version"], [])


def versions(principal: policy.Principal | None, code: str) -> list[dict]:
    """Every version of ``code``, newest first: when, who, from where, what changed, and its tickets."""
    policy.require(principal, "rules")
    with get_engine().connect() as conn:
        rows = db.category_versions(conn, code)
        names = dict(ticket_search_units(conn))
    if not rows:
        raise NotFound(f"没有事项类别 {code!r}")
    return [{"version": r["version"], "valid_from": None if r["valid_from"].year < 2 else r["valid_from"],
             "changed_at": r["changed_at"], "changed_by": r["changed_by"],
             "source": SOURCES.get(r["source"], r["source"]), "tickets": r["tickets"],
             "changes": change_lines(r["changes"], names) if r["changes"] else
             (["初始版本"] if r["version"] == 1 else [])} for r in rows]


def ticket_search_units(conn: Connection) -> list[tuple[str, str]]:
    return [(d["code"], d["name"]) for d in db.departments(conn)]


def options(principal: policy.Principal | None) -> dict[str, list[tuple[str, str]]]:
    """What the editor's controls offer: units, streets, complexities."""
    policy.require(principal, "rules")
    with get_engine().connect() as conn:
        return {"departments": [(d["code"], f"{d['name']}（{d['code']}）") for d in db.departments(conn)],
                "streets": db.streets(conn), "complexities": list(COMPLEXITY_LABELS.items())}


# ------------------------------------------------------------------------------------------------ preview

def preview(principal: policy.Principal | None, code: str, *, values: dict[str, Any] | None = None,
            address: str | None = None, lon: float | None = None, lat: float | None = None,
            variant: str | None = None, at: datetime | None = None) -> dict[str, Any]:
    """Where a ticket of ``code`` at that address (or point) registered at ``at`` (now) would go — street,
    community, grid, units — and when it would be due; by the form's unsaved ``values`` when given, so a change
    can be tried before it is saved. The place comes from intake's own rules (services.locate)."""
    from services.locate import locate_and_route
    policy.require(principal, "rules")
    at = at or utcnow()
    settings = get_settings()
    with get_engine().connect() as conn:
        if values is not None:
            category = _judged(conn, code, values)
        else:
            row = next((r for r in ticket_db.category_rows(conn) if r["code"] == code), None)
            if row is None:
                raise RulesRejected([Problem("category", f"事项类别：没有类别 {code!r}")])
            category = category_from_row(row)
        lon, lat, where = _sample_point(conn, address, lon, lat)
        located = locate_and_route(conn, [(lon, lat, category.code)], {category.code: category})[0]
        if located is None:
            raise RulesRejected([Problem("address", "地址：该位置不在本辖区内")])
        place = {"grid_code": located.grid_code, "community_code": located.community_code,
                 "street_code": located.street_code}
        try:
            result = preview_rule(category, place, at, variant or None, tz=ZoneInfo(settings.timezone),
                                  cutoff_hour=settings.same_day_cutoff_hour)
        except CatalogueError as error:
            raise RulesRejected(error.problems) from None
        names = dict(ticket_search_units(conn))
        places = db.place_names(conn, result.grid_code)
    return {"where": where, "lon": lon, "lat": lat, "street": places["street"], "community": places["community"],
            "grid": f"{places['grid']}（{result.grid_code}）", "lead": names.get(result.lead_department, result.lead_department),
            "co": [names.get(c, c) for c in result.co_departments],
            "handled_by_community": result.handled_by_community, "variant": result.variant,
            "registered_at": at, "arrival_due_at": result.arrival_due_at, "resolve_due_at": result.resolve_due_at,
            "category": category.name}


def _sample_point(conn: Connection, address: str | None, lon: float | None,
                  lat: float | None) -> tuple[float, float, str]:
    """The sample's point: as given, else the gazetteer's best match for the address (as intake places it)."""
    from services.tickets import ADDRESS_MATCH_MIN_SCORE
    if lon is not None and lat is not None:
        return lon, lat, f"{lat:.6f}, {lon:.6f}"
    typed = "".join((address or "").split())
    if not typed:
        raise RulesRejected([Problem("address", "地址：请填写样例地址或坐标")])
    matches = ticket_db.search_places(conn, typed, limit=1)
    if not matches or matches[0]["score"] < ADDRESS_MATCH_MIN_SCORE:
        raise RulesRejected([Problem("address", f"地址：找不到 {address!r}")])
    return matches[0]["lon"], matches[0]["lat"], matches[0]["name"]
