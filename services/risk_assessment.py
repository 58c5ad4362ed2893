"""Stability risk assessment of major decisions (重大决策社会稳定风险评估): record, list, import and export assessed
projects, and what lies inside a project's area (its grids, their open work orders and mediation cases).

Who: street staff record the projects of their street (``risk_assessment`` right, scoped to the street);
supervisors everywhere; leaders read the list and the figures (``analytics``), nothing they could change.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.engine import Engine

from geo import risk_assessment as risk_db
from geo.db import get_engine
from services.audit import record
from services.imports import MAX_IMPORT_BYTES, ImportRejected, checked_rows, read_table  # noqa: F401  (ImportRejected: the doors catch it from here)
from workorders.cells import no_formula
from workorders.clock import local_zone
from workorders.policy import Principal, Target, can, programme_reader, require
from workorders.risk_assessment import (DECISIONS, HEADERS, LEVELS, REQUIRED, ProjectFields, ProjectRejected,
                                        check_outcome, check_project)

EXPORT_HEADERS = ("编号", "项目名称", "项目类型", "街道", "网格编码", "评估方法", "风险等级", "评估结论", "评估日期",
                  "风险因素", "实施结果")



class NotFound(LookupError):
    pass


def utcnow() -> datetime:
    return datetime.now(timezone.utc)



def _scope(principal: Principal) -> dict:
    """Street staff see their street's projects; everyone else who may read: all."""
    if principal.kind != "system" and principal.roles == frozenset({"street"}):
        return {"street": principal.street_code}
    return {}



# ------------------------------------------------------------------------------------------------ reading

@dataclass(frozen=True)
class Summary:
    projects: int
    by_level: dict
    this_year: int
    factors: int
    by_decision: dict


def summary(principal: Principal | None, filters: dict | None = None, engine: Engine | None = None) -> Summary:
    principal = programme_reader(principal, "risk_assessment")
    filters = {**(filters or {}), **_scope(principal)}
    year = utcnow().astimezone(local_zone()).year
    with (engine or get_engine()).connect() as conn:
        by_level = risk_db.level_counts(conn, filters)
        this_year = sum(risk_db.level_counts(conn, {**filters, "year": year}).values())
        factors = sum(p["factors"] for p in risk_db.list_projects(conn, filters, limit=10_000))
        decisions = risk_db.decision_counts(conn, filters)
    return Summary(sum(by_level.values()), {lv: by_level.get(lv, 0) for lv in LEVELS}, this_year, factors,
                   {d: decisions.get(d, 0) for d in DECISIONS})


def list_projects(principal: Principal | None, filters: dict | None = None, page: int = 0,
                  engine: Engine | None = None) -> list[dict]:
    principal = programme_reader(principal, "risk_assessment")
    filters = {**(filters or {}), **_scope(principal)}
    with (engine or get_engine()).connect() as conn:
        return risk_db.list_projects(conn, filters, limit=100, offset=100 * max(page, 0))


def project_area(principal: Principal | None, number: str, engine: Engine | None = None) -> dict:
    """One project with its factors, its area (GeoJSON) and the grids inside it with their open work orders and
    open mediation cases."""
    principal = programme_reader(principal, "risk_assessment")
    with (engine or get_engine()).connect() as conn:
        found = risk_db.project(conn, number)
        scope = _scope(principal)
        if found is None or (scope and found["street_code"] != scope["street"]):
            raise NotFound(f"没有评估项目 {number}")
        found["grids"] = risk_db.grids_in_area(conn, found["id"])
    return found


def grid_choices(principal: Principal | None, engine: Engine | None = None) -> dict[str, list[str]]:
    """The grid codes a form may pick from, by street (street staff: their own street only)."""
    principal = programme_reader(principal, "risk_assessment")
    with (engine or get_engine()).connect() as conn:
        grids = risk_db.street_grids(conn)
    scope = _scope(principal)
    return {s: g for s, g in grids.items() if not scope or s == scope["street"]}


# ------------------------------------------------------------------------------------------------ writing

def _check_grids(conn, principal: Principal, fields: ProjectFields, where: str = "") -> tuple[str | None, list[str]]:
    """The project's street (where most of its cells lie) and the problems with its grid codes and rights."""
    streets = risk_db.grid_streets(conn, list(fields.grid_codes))
    problems = [f"{where}网格编码：没有网格 {code!r}" for code in fields.grid_codes if code not in streets]
    if problems:
        return None, problems
    street = Counter(streets[c] for c in fields.grid_codes).most_common(1)[0][0]
    if any(not can(principal, "risk_assessment", Target(street_code=s)) for s in set(streets.values())):
        problems.append(f"{where}网格编码：只能登记本街道的项目")
    return street, problems


def _row(fields: ProjectFields, street: str, source: str, principal: Principal) -> tuple[dict, list[dict]]:
    project = {"name": fields.name, "kind": fields.kind, "street_code": street, "grid_codes": list(fields.grid_codes),
               "methods": list(fields.methods), "level": fields.level, "decision": fields.decision,
               "outcome": fields.outcome, "assessed_on": fields.assessed_on, "source": source,
               "created_by": principal.label}
    factors = [{"factor": f.factor, "analysis": f.analysis, "measures": f.measures} for f in fields.factors]
    return project, factors


def add_project(principal: Principal, row: dict, now: datetime | None = None, engine: Engine | None = None) -> str:
    """Record one project from a form (keys: the import's Chinese headers). Returns its number."""
    require(principal, "risk_assessment")
    fields = check_project(row, (now or utcnow()).astimezone(local_zone()).date())
    with (engine or get_engine()).begin() as conn:
        street, problems = _check_grids(conn, principal, fields)
        if problems:
            raise ProjectRejected(problems)
        number = risk_db.insert_project(conn, *_row(fields, street, "form", principal))
        record("risk_project", actor=principal, target=f"risk:{number}", detail={"level": fields.level}, conn=conn)
    return number


def record_outcome(principal: Principal, number: object, outcome: object, engine: Engine | None = None) -> None:
    """Record (or correct) what came of a project once it was carried out: its 实施结果. Only who may record the
    project's street's projects; a project outside their reach is as unknown to them as on the page."""
    require(principal, "risk_assessment")
    text = check_outcome(outcome)
    with (engine or get_engine()).begin() as conn:
        found = risk_db.project(conn, str(number or "").strip())
        if found is None or not can(principal, "risk_assessment", Target(street_code=found["street_code"])):
            raise NotFound(f"没有评估项目 {number or ''}")
        risk_db.set_outcome(conn, found["id"], text)
        record("risk_outcome", actor=principal, target=f"risk:{found['number']}",
               detail={"changed": found["outcome"] is not None}, conn=conn)


# ------------------------------------------------------------------------------------------------ import, export

def import_projects(principal: Principal, name: str, content: bytes, now: datetime | None = None,
                    engine: Engine | None = None) -> int:
    """Every row checked first; one problem line per bad field naming its row; nothing written unless all pass."""
    require(principal, "risk_assessment")
    rows = checked_rows(name, read_table(name, content), REQUIRED, HEADERS)
    today = (now or utcnow()).astimezone(local_zone()).date()
    with (engine or get_engine()).begin() as conn:
        good, problems = [], []
        for index, row in enumerate(rows, start=2):       # row 1 is the header
            try:
                fields = check_project(row, today)
            except ProjectRejected as rejected:
                problems += [f"第 {index} 行 {p}" for p in rejected.problems]
                continue
            street, grid_problems = _check_grids(conn, principal, fields, where=f"第 {index} 行 ")
            problems += grid_problems
            if not grid_problems:
                good.append(_row(fields, street, "import", principal))
        if problems:
            raise ImportRejected(problems)
        for project, factors in good:
            risk_db.insert_project(conn, project, factors)
        record("risk_import", actor=principal, target=f"risk:{name}", detail={"rows": len(good)}, conn=conn)
    return len(good)


def import_file(principal: Principal, path: str | Path, engine: Engine | None = None) -> int:
    path = Path(path)
    if path.stat().st_size > MAX_IMPORT_BYTES:      # refused before it is read
        raise ImportRejected([f"{path.name}：文件超过 10 MB"])
    return import_projects(principal, path.name, path.read_bytes(), engine=engine)


def export_csv(principal: Principal, filters: dict | None = None, engine: Engine | None = None) -> str:
    """The filtered list in the import's own columns (plus number and street), so an export imports again."""
    require(principal, "risk_assessment")
    filters = {**(filters or {}), **_scope(principal)}
    with (engine or get_engine()).connect() as conn:
        rows = risk_db.export_rows(conn, filters)
        record("export", actor=principal, target="risk:projects", detail={"rows": len(rows)})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADERS)
    for r in rows:
        writer.writerow([_cell(v) for v in (r["number"], r["name"], r["kind"], r["street"], "、".join(r["grid_codes"]),
                                            "、".join(r["methods"]), r["level"], r["decision"],
                                            f"{r['assessed_on']:%Y-%m-%d}", r["factor_text"], r["outcome"])])
    return "\ufeff" + out.getvalue()


def _cell(value) -> str:
    """A cell a spreadsheet will not run as a formula (=, +, -, @ at the start)."""
    text = "" if value is None else str(value)
    return no_formula(text)
