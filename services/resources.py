"""Social forces (社会力量): list, add and edit resources with the grid cells they cover, import and export a list,
the coverage gaps (cells without a patrol post or a volunteer team), the counts by street, and the one-key-phone
registry's elders by place.

Who: street and community staff keep their own street's or community's resources (``resources`` right, scoped
like their tickets); supervisors everywhere; leaders read the figures (``analytics``). A resource's contact person
and phone reach only those who hold ``resources``. The elders are people living at home, often alone: their names,
phones, addresses and contacts need ``ticket_read`` on their home (their street's or community's staff,
supervisors), as a ticket at that home would; everyone else sees the count and the place. Each page of elders
shown with their data is an audit entry.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.engine import Engine

from geo import resources as resources_db
from geo.db import get_engine
from services.audit import record
from services.imports import MAX_IMPORT_BYTES, ImportRejected, checked_rows, read_table  # noqa: F401  (ImportRejected: the doors catch it from here)
from workorders.cells import no_formula
from workorders.clock import local_zone
from workorders.policy import Principal, Target, can, programme_area, programme_reader, require
from workorders.privacy import mask_name, mask_phone
from workorders.resources import (CODE_PREFIX, GROUPS, HEADERS, KINDS, PATROL, POSTS, REQUIRED, VOLUNTEERS,
                                  ResourceFields, ResourceRejected, check_resource, gap_of, group_of, kinds_of)

PAGE_SIZE = 50
HIDDEN = "（仅登记人员可见）"
EXPORT_HEADERS = ("编号", "类型", "名称", "街道", "社区", "覆盖网格", "人数", "负责人", "联系电话", "备注", "更新时间")



class NotFound(LookupError):
    pass


def utcnow() -> datetime:
    return datetime.now(timezone.utc)





def _filters(filters: dict | None) -> dict:
    """A page's filters as the queries take them: ``kind`` may be a group (公益性岗位) or one kind."""
    filters = dict(filters or {})
    kind = filters.pop("kind", None)
    if kind:
        filters["kinds"] = kinds_of(kind)
    return filters


# ------------------------------------------------------------------------------------------------ reading

@dataclass(frozen=True)
class Summary:
    by_kind: dict              # kind → {"count", "members"}
    by_group: dict             # group → {"count", "members"}
    elders: int
    gaps: int
    gap_kinds: dict            # what the gap cells lack → how many


def summary(principal: Principal | None, engine: Engine | None = None) -> Summary:
    principal = programme_reader(principal, "resources")
    scope = programme_area(principal)
    with (engine or get_engine()).connect() as conn:
        counts = resources_db.kind_counts(conn, scope)
        elders = resources_db.count_elders(conn, scope)
        gaps = resources_db.coverage_gaps(conn, PATROL, VOLUNTEERS, **scope)
    by_kind = {k: counts.get(k, {"count": 0, "members": 0}) for k in KINDS}
    by_group = {g: {"count": sum(v["count"] for k, v in by_kind.items() if group_of(k) == g),
                    "members": sum(v["members"] for k, v in by_kind.items() if group_of(k) == g)} for g in GROUPS}
    gap_kinds: dict[str, int] = {}
    for gap in gaps:
        lack = gap_of(gap["has_patrol"], gap["has_volunteers"])
        gap_kinds[lack] = gap_kinds.get(lack, 0) + 1
    return Summary(by_kind, by_group, elders, len(gaps), gap_kinds)


def list_resources(principal: Principal | None, filters: dict | None = None, page: int = 0,
                   engine: Engine | None = None) -> list[dict]:
    principal = programme_reader(principal, "resources")
    with (engine or get_engine()).connect() as conn:
        rows = resources_db.list_resources(conn, {**_filters(filters), **programme_area(principal)}, limit=PAGE_SIZE,
                                           offset=PAGE_SIZE * max(page, 0))
    if not can(principal, "resources"):
        for row in rows:
            row["leader"], row["phone"] = mask_name(row["leader"]), mask_phone(row["phone"])
    return rows


def resource(principal: Principal, code: str, engine: Engine | None = None) -> dict:
    """One resource to edit (its holder's own street or community only)."""
    require(principal, "resources")
    with (engine or get_engine()).connect() as conn:
        found = resources_db.list_resources(conn, {"code": (code or "").strip(), **programme_area(principal)}, limit=1)
    if not found:
        raise NotFound(f"没有社会力量 {code!r}" + ("（或不在本辖区）" if programme_area(principal) else ""))
    return found[0]


def counts_by_street(principal: Principal | None, engine: Engine | None = None) -> list[dict]:
    """Per street: resources by kind (keys: the kinds), volunteers, elders, grid cells and coverage gaps."""
    programme_reader(principal, "resources")
    with (engine or get_engine()).connect() as conn:
        rows = resources_db.counts_by_street(conn, KINDS, PATROL, VOLUNTEERS)
    return [{"code": r["code"], "name": r["name"], **{k: r[f"kind_{i}"] for i, k in enumerate(KINDS)},
             "posts": sum(r[f"kind_{i}"] for i, k in enumerate(KINDS) if k in POSTS),
             "volunteer_members": int(r["volunteer_members"]), "elders": r["elders"], "grids": r["grids"],
             "gap_grids": r["gap_grids"]} for r in rows]


def coverage_gaps(principal: Principal | None, street: str | None = None, engine: Engine | None = None) -> list[dict]:
    """The grid cells no patrol post or no volunteer team covers, with what they lack (``gap``) and outline."""
    principal = programme_reader(principal, "resources")
    scope = programme_area(principal)
    with (engine or get_engine()).connect() as conn:
        rows = resources_db.coverage_gaps(conn, PATROL, VOLUNTEERS, street=scope.get("street") or street,
                                          community=scope.get("community"))
    return [{**r, "gap": gap_of(r["has_patrol"], r["has_volunteers"])} for r in rows]


def elders(principal: Principal | None, filters: dict | None = None, page: int = 0,
           engine: Engine | None = None) -> tuple[int, list[dict]]:
    """The registry's elders (how many, and one page of them); personal data only where the reader may see it."""
    principal = programme_reader(principal, "resources")
    filters = {**(filters or {}), **programme_area(principal)}
    with (engine or get_engine()).begin() as conn:
        total = resources_db.count_elders(conn, filters)
        rows = resources_db.list_elders(conn, filters, limit=PAGE_SIZE, offset=PAGE_SIZE * max(page, 0))
        shown = 0
        for row in rows:
            if can(principal, "ticket_read", Target(street_code=row["street_code"],
                                                     community_code=row["community_code"], grid_code=row["grid_code"])):
                shown += 1
                continue
            row.update(elder_name=mask_name(row["elder_name"]), phone=mask_phone(row["phone"]), address=HIDDEN,
                       contact_name=mask_name(row["contact_name"]), contact_phone=mask_phone(row["contact_phone"]))
        if shown:
            record("elder_registry_read", actor=principal, target="elders", detail={"rows": shown, **filters},
                   conn=conn)
    return total, rows


def grid_choices(principal: Principal, engine: Engine | None = None) -> list[dict]:
    """The grid cells the holder may name as covered (their street's or community's; a supervisor's: all)."""
    require(principal, "resources")
    with (engine or get_engine()).connect() as conn:
        return resources_db.grid_choices(conn, **programme_area(principal))


def kind_options() -> list[str]:
    """What the kind filter offers: the three groups, then each post."""
    return [*GROUPS, *POSTS]


# ------------------------------------------------------------------------------------------------ writing

def _row(conn, principal: Principal, fields: ResourceFields, source: str, now: datetime,
         where: str = "") -> tuple[dict | None, list[str]]:
    """The table row of checked fields, or the problems of its grid codes and of the holder's reach."""
    units = resources_db.grid_units(conn, fields.grid_codes)
    unknown = [g for g in fields.grid_codes if g not in units]
    if unknown:
        return None, [f"{where}覆盖网格：没有网格 {'、'.join(unknown)}"]
    outside = [g for g in fields.grid_codes if not can(principal, "resources", Target(
        street_code=units[g]["street_code"], community_code=units[g]["community_code"], grid_code=g))]
    if outside:
        return None, [f"{where}覆盖网格：{'、'.join(outside)} 不在本辖区"]
    first = units[fields.grid_codes[0]]
    return {"kind": fields.kind, "name": fields.name, "street_code": first["street_code"],
            "community_code": first["community_code"], "members": fields.members, "leader": fields.leader,
            "phone": fields.phone, "note": fields.note, "source": source, "created_by": principal.label,
            "updated_at": now, "grid_codes": list(fields.grid_codes),
            "prefix": CODE_PREFIX[group_of(fields.kind)]}, []


def _existing(conn, principal: Principal, codes: list[str]) -> tuple[dict[str, dict], list[str]]:
    """Resources a row's 编号 names (it edits them); a code that is not one, or outside the reach, is a problem."""
    found = resources_db.resources_by_codes(conn, codes)
    problems = []
    for code in codes:
        row = found.get(code)
        if row is None:
            problems.append(f"编号：没有社会力量 {code!r}（新增时留空）")
        elif not can(principal, "resources", Target(street_code=row["street_code"],
                                                     community_code=row["community_code"])):
            problems.append(f"编号：{code} 不在本辖区")
    return found, problems


def save_resource(principal: Principal, row: dict, now: datetime | None = None, engine: Engine | None = None) -> str:
    """Add a resource from a form, or edit the one its 编号 names (keys: the import's Chinese headers). Returns
    its number."""
    require(principal, "resources")
    fields = check_resource(row)
    now = now or utcnow()
    with (engine or get_engine()).begin() as conn:
        found, problems = _existing(conn, principal, [fields.code] if fields.code else [])
        if problems:
            raise ResourceRejected(problems)
        values, problems = _row(conn, principal, fields, "form", now)
        if problems:
            raise ResourceRejected(problems)
        if fields.code:
            resources_db.update_resource(conn, found[fields.code]["id"], values)
            code = fields.code
        else:
            code = resources_db.insert_resource(conn, values)
        record("resource_saved", actor=principal, target=f"resource:{code}",
               detail={"kind": fields.kind, "edit": bool(fields.code)}, conn=conn)
    return code


# ------------------------------------------------------------------------------------------------ import, export

def import_resources(principal: Principal, name: str, content: bytes, now: datetime | None = None,
                     engine: Engine | None = None) -> int:
    """Every row checked first (a row with 编号 edits that resource, one without adds one); one problem line per
    bad field naming its row; nothing written unless every row passes."""
    require(principal, "resources")
    rows = checked_rows(name, read_table(name, content), REQUIRED, HEADERS, also_known=("街道", "社区", "更新时间"))          # the export's own extra columns
    now = now or utcnow()
    with (engine or get_engine()).begin() as conn:
        checked, problems = [], []
        for index, row in enumerate(rows, start=2):       # row 1 is the header
            try:
                checked.append((index, check_resource(row)))
            except ResourceRejected as rejected:
                problems += [f"第 {index} 行 {p}" for p in rejected.problems]
        codes = [f.code for _, f in checked if f.code]
        found, code_problems = _existing(conn, principal, codes)
        problems += code_problems
        seen: dict[str, int] = {}
        good = []
        for index, fields in checked:
            if fields.code and fields.code in seen:
                problems.append(f"第 {index} 行 编号：{fields.code} 已在第 {seen[fields.code]} 行")
            if fields.code:
                seen.setdefault(fields.code, index)
            values, row_problems = _row(conn, principal, fields, "import", now, where=f"第 {index} 行 ")
            problems += row_problems
            good.append((fields, values))
        if problems:
            raise ImportRejected(problems)
        for fields, values in good:
            if fields.code:
                resources_db.update_resource(conn, found[fields.code]["id"], values)
            else:
                resources_db.insert_resource(conn, values)
        record("resource_import", actor=principal, target=f"resources:{name}", detail={"rows": len(good)}, conn=conn)
    return len(good)


def import_file(principal: Principal, path: str | Path, engine: Engine | None = None) -> int:
    path = Path(path)
    if path.stat().st_size > MAX_IMPORT_BYTES:      # refused before it is read
        raise ImportRejected([f"{path.name}：文件超过 10 MB"])
    return import_resources(principal, path.name, path.read_bytes(), engine=engine)


def export_csv(principal: Principal, filters: dict | None = None, engine: Engine | None = None) -> str:
    """The filtered list with the import's columns (it imports back: 编号 edits), formula cells neutralised."""
    require(principal, "resources")
    with (engine or get_engine()).connect() as conn:
        rows = resources_db.export_rows(conn, {**_filters(filters), **programme_area(principal)})
        record("export", actor=principal, target="resources", detail={"rows": len(rows)})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADERS)
    for r in rows:
        writer.writerow([_cell(v) for v in (r["code"], r["kind"], r["name"], r["street"], r["community"],
                                            "、".join(r["grid_codes"]), r["members"], r["leader"], r["phone"],
                                            r["note"], r["updated_at"])])
    return "\ufeff" + out.getvalue()


def _cell(value) -> str:
    """A cell a spreadsheet will not run as a formula (=, +, -, @ at the start)."""
    text = "" if value is None else (value.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")
                                     if isinstance(value, datetime) else str(value))
    return no_formula(text)

