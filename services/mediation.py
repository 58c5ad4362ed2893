"""Dispute mediation (矛盾纠纷排查调处): record, list and close cases, turn a neighbour-dispute work order into a
case, import a case list, and the figures (counts, success rate) read from the rows.

Who: street and community staff record and close the cases of their street or community (``mediation`` right,
scoped like their tickets); supervisors do so everywhere; leaders read the figures (``analytics``). Parties' names
are personal data: they reach only those who hold ``mediation``.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from pathlib import Path

from sqlalchemy.engine import Engine

from geo import mediation as mediation_db
from geo import tickets as tickets_db
from geo.db import get_engine
from services.audit import record
from services.imports import ImportRejected, checked_rows, read_file  # noqa: F401  (ImportRejected: the doors catch it from here)
from workorders.cells import no_formula
from workorders.mediation import (HEADERS, OUTCOMES, REQUIRED, SCREENING_HEADERS, SCREENING_REQUIRED, CaseFields,
                                  CaseRejected, ScreeningFields, check_case, check_screening, success_rate)
from workorders.clock import local_zone
from workorders.policy import Forbidden, Principal, Target, can, programme_area, programme_reader, require

EXPORT_HEADERS = ("编号", "纠纷类型", "纠纷概要", "当事人", "街道", "网格", "调解组织", "调解员", "调解次数", "调解结果",
                  "协议内容", "受理时间", "结案时间", "来源工单")



class NotFound(LookupError):
    pass


def utcnow() -> datetime:
    return datetime.now(timezone.utc)





# ------------------------------------------------------------------------------------------------ reading

@dataclass(frozen=True)
class Summary:
    cases: int
    open: int
    closed: int
    success: int
    rate: float | None
    by_outcome: dict
    by_street: list[dict]
    by_kind: dict


def summary(principal: Principal | None, filters: dict | None = None, engine: Engine | None = None) -> Summary:
    principal = programme_reader(principal, "mediation")
    filters = {**(filters or {}), **programme_area(principal)}
    with (engine or get_engine()).connect() as conn:
        counts = mediation_db.outcome_counts(conn, filters)
        streets = mediation_db.counts_by_street(conn)
        kinds = mediation_db.kind_counts(conn, filters)
    closed = sum(n for o, n in counts.items() if o)
    return Summary(sum(counts.values()), counts.get(None, 0), closed, counts.get("调解成功", 0), success_rate(counts),
                   counts, streets, kinds)


@dataclass(frozen=True)
class Screening:
    """The 排查 figures: rounds held, disputes found and resolved ahead, hazards found and removed."""
    rounds: int
    disputes_found: int
    disputes_resolved: int
    hazards_found: int
    hazards_removed: int


def screening(principal: Principal | None, filters: dict | None = None, engine: Engine | None = None) -> Screening:
    """The sums of the screening rounds the reader may see (a street's or community's own; leaders all)."""
    principal = programme_reader(principal, "mediation")
    filters = {**(filters or {}), **programme_area(principal)}
    with (engine or get_engine()).connect() as conn:
        return Screening(**mediation_db.screening_totals(conn, filters))


def list_cases(principal: Principal | None, filters: dict | None = None, page: int = 0,
               engine: Engine | None = None) -> list[dict]:
    principal = programme_reader(principal, "mediation")
    filters = {**(filters or {}), **programme_area(principal)}
    with (engine or get_engine()).connect() as conn:
        rows = mediation_db.list_cases(conn, filters, limit=50, offset=50 * max(page, 0))
    if not can(principal, "mediation"):
        for row in rows:
            row["parties"] = "（仅调解人员可见）"
    return rows


def open_cases_on_map(principal: Principal | None, engine: Engine | None = None) -> list[dict]:
    programme_reader(principal, "mediation")
    with (engine or get_engine()).connect() as conn:
        return mediation_db.open_case_points(conn)


def organisations(principal: Principal | None, engine: Engine | None = None) -> list[dict]:
    programme_reader(principal, "mediation")
    with (engine or get_engine()).connect() as conn:
        return mediation_db.organisations(conn)


# ------------------------------------------------------------------------------------------------ writing

def _opened_at(fields: CaseFields, now: datetime) -> datetime:
    return now if fields.opened_on == now.astimezone(local_zone()).date() else \
        datetime.combine(fields.opened_on, time(9, 0), local_zone())


def _closed_at(fields: CaseFields) -> datetime | None:
    return datetime.combine(fields.closed_on, time(17, 0), local_zone()) if fields.closed_on else None


def _row(fields: CaseFields, source: str, principal: Principal, now: datetime, ticket_id: int | None = None) -> dict:
    return {"kind": fields.kind, "summary": fields.summary, "parties": fields.parties, "grid_code": fields.grid_code,
            "org_code": fields.org_code, "mediator_id": None, "sessions": fields.sessions, "outcome": fields.outcome,
            "agreement": fields.agreement, "ticket_id": ticket_id, "source": source,
            "opened_at": _opened_at(fields, now), "closed_at": _closed_at(fields), "created_by": principal.label}


def _check_codes(conn, fields: CaseFields, where: str = "") -> list[str]:
    grids, orgs = mediation_db.known_codes(conn)
    problems = []
    if fields.grid_code not in grids:
        problems.append(f"{where}网格编码：没有网格 {fields.grid_code!r}")
    if fields.org_code not in orgs:
        problems.append(f"{where}调解组织编码：没有调解组织 {fields.org_code!r}")
    return problems


def add_case(principal: Principal, row: dict, now: datetime | None = None, engine: Engine | None = None) -> str:
    """Record one case from a form (keys: the import's Chinese headers). Returns its number."""
    require(principal, "mediation")
    now = now or utcnow()
    fields = check_case(row, now.astimezone(local_zone()).date())
    with (engine or get_engine()).begin() as conn:
        problems = _check_codes(conn, fields)
        if problems:
            raise CaseRejected(problems)
        _require_in_scope(conn, principal, fields.grid_code)
        mediation_db.insert_cases(conn, [_row(fields, "form", principal, now)])
        number = mediation_db.list_cases(conn, {}, limit=1)[0]["number"]
        record("mediation_case", actor=principal, target=f"mediation:{number}", detail={"kind": fields.kind}, conn=conn)
    return number


def _screening_row(fields: ScreeningFields, source: str, principal: Principal) -> dict:
    return {"community_code": fields.community_code, "screened_on": fields.screened_on,
            "disputes_found": fields.disputes_found, "disputes_resolved": fields.disputes_resolved,
            "hazards_found": fields.hazards_found, "hazards_removed": fields.hazards_removed, "note": fields.note,
            "source": source, "created_by": principal.label}


def _check_screening_place(conn, principal: Principal | None, fields: ScreeningFields, streets: dict[str, str],
                           where: str = "") -> list[str]:
    """The community exists, lies in the recorder's street or is their own (``None``: the CLI import, which the
    district's office runs for every street), and has no round on that day yet."""
    street = streets.get(fields.community_code)
    if street is None:
        return [f"{where}社区编码：没有社区 {fields.community_code!r}"]
    if principal is not None and not can(principal, "mediation",
                                         Target(street_code=street, community_code=fields.community_code)):
        return [f"{where}社区编码：只能登记本辖区的排查"]
    if mediation_db.screening_exists(conn, fields.community_code, fields.screened_on):
        return [f"{where}排查日期：社区 {fields.community_code} 在 {fields.screened_on:%Y-%m-%d} 已登记过排查"]
    return []


def record_screening(principal: Principal, row: dict, now: datetime | None = None,
                     engine: Engine | None = None) -> None:
    """Record one screening round from a form (keys: the import's Chinese headers)."""
    require(principal, "mediation")
    fields = check_screening(row, (now or utcnow()).astimezone(local_zone()).date())
    with (engine or get_engine()).begin() as conn:
        problems = _check_screening_place(conn, principal, fields, mediation_db.community_streets(conn))
        if problems:
            raise CaseRejected(problems)
        mediation_db.insert_screenings(conn, [_screening_row(fields, "form", principal)])
        record("mediation_screening", actor=principal, target=f"community:{fields.community_code}",
               detail={"day": f"{fields.screened_on:%Y-%m-%d}", "resolved": fields.disputes_resolved,
                       "removed": fields.hazards_removed}, conn=conn)


def _require_in_scope(conn, principal: Principal, grid_code: str) -> None:
    scope = programme_area(principal)
    if not scope:
        return
    units = mediation_db.grid_units(conn, grid_code)
    if not can(principal, "mediation", Target(street_code=units["street_code"],
                                               community_code=units["community_code"], grid_code=grid_code)):
        raise Forbidden("只能登记本辖区的纠纷")


def case_from_ticket(principal: Principal, number: str, now: datetime | None = None,
                     engine: Engine | None = None) -> str:
    """Turn a neighbour-dispute work order into a mediation case in one action (its text, place and the caller as
    a party), taken by the grid's community committee; the ticket keeps its own life. Once per ticket."""
    require(principal, "mediation")
    now = now or utcnow()
    with (engine or get_engine()).begin() as conn:
        ticket = tickets_db.ticket_by_number(conn, number)
        if ticket is None:
            raise NotFound(f"没有工单 {number}")
        if ticket["category_code"] != "neighbour_dispute":
            raise CaseRejected([f"工单 {number} 不是邻里纠纷，不能转为调解案件"])
        existing = mediation_db.case_of_ticket(conn, ticket["id"])
        if existing:
            return existing["number"]
        _require_in_scope(conn, principal, ticket["grid_code"])
        org = mediation_db.street_org_of_grid(conn, ticket["grid_code"])
        if org is None:
            raise CaseRejected([f"网格 {ticket['grid_code']} 所在社区没有调解委员会"])
        party = ticket["citizen_name"] or "来电群众"
        fields = CaseFields("邻里纠纷", ticket["description"][:2000], f"{party}（工单 {number}）", ticket["grid_code"],
                            org, now.astimezone(local_zone()).date())
        mediation_db.insert_cases(conn, [_row(fields, "ticket", principal, now, ticket_id=ticket["id"])])
        case = mediation_db.case_of_ticket(conn, ticket["id"])
        record("mediation_case", actor=principal, target=f"mediation:{case['number']}",
                  detail={"ticket": number}, conn=conn)
    return case["number"]


def close_case(principal: Principal, number: str, outcome: str, agreement: str | None = None, sessions: int = 1,
               now: datetime | None = None, engine: Engine | None = None) -> None:
    require(principal, "mediation")
    if outcome not in OUTCOMES:
        raise CaseRejected([f"调解结果：应为 {'、'.join(OUTCOMES)} 之一"])
    now = now or utcnow()
    with (engine or get_engine()).begin() as conn:
        case = next(iter(mediation_db.list_cases(conn, {**programme_area(principal), "number": number}, limit=1)), None)
        if case is None:
            raise NotFound(f"没有调解案件 {number}")
        if not mediation_db.close_case(conn, case["id"], outcome, agreement, sessions, now):
            raise CaseRejected([f"案件 {number} 已结案"])
        record("mediation_close", actor=principal, target=f"mediation:{number}", detail={"outcome": outcome}, conn=conn)


# ------------------------------------------------------------------------------------------------ import, export

def import_cases(path: str | Path, now: datetime | None = None, engine: Engine | None = None) -> int:
    """Every row checked first; one problem line per bad field naming its row; nothing written unless all pass."""
    from workorders.policy import system_principal
    now = now or utcnow()
    name, rows = read_file(path)
    checked_rows(name, rows, REQUIRED, HEADERS)
    actor = system_principal("import")
    today = now.astimezone(local_zone()).date()
    engine = engine or get_engine()
    with engine.begin() as conn:
        good, problems = [], []
        for index, row in enumerate(rows, start=2):       # row 1 is the header
            try:
                fields = check_case(row, today)
            except CaseRejected as rejected:
                problems += [f"第 {index} 行 {p}" for p in rejected.problems]
                continue
            problems += _check_codes(conn, fields, where=f"第 {index} 行 ")
            good.append(_row(fields, "import", actor, now))
        if problems:
            raise ImportRejected(problems)
        mediation_db.insert_cases(conn, good)
    return len(good)


def import_screenings(path: str | Path, now: datetime | None = None, engine: Engine | None = None) -> int:
    """Screening rounds from CSV/XLSX, the same way as cases: all rows checked, nothing written unless all pass; two
    rows for one community and day in the same file are refused too."""
    from workorders.policy import system_principal
    name, rows = read_file(path)
    checked_rows(name, rows, SCREENING_REQUIRED, SCREENING_HEADERS)
    problems: list[str] = []
    actor = system_principal("import")
    today = (now or utcnow()).astimezone(local_zone()).date()
    with (engine or get_engine()).begin() as conn:
        streets = mediation_db.community_streets(conn)
        good, seen = [], {}
        for index, row in enumerate(rows, start=2):       # row 1 is the header
            try:
                fields = check_screening(row, today)
            except CaseRejected as rejected:
                problems += [f"第 {index} 行 {p}" for p in rejected.problems]
                continue
            key = (fields.community_code, fields.screened_on)
            if key in seen:
                problems.append(f"第 {index} 行 排查日期：与第 {seen[key]} 行是同一社区同一天")
                continue
            seen[key] = index
            problems += _check_screening_place(conn, None, fields, streets, where=f"第 {index} 行 ")
            good.append(_screening_row(fields, "import", actor))
        if problems:
            raise ImportRejected(problems)
        mediation_db.insert_screenings(conn, good)
    return len(good)


def export_screenings_csv(principal: Principal, filters: dict | None = None, engine: Engine | None = None) -> str:
    """The rounds the reader may see, in the import's own columns (so an export imports again elsewhere)."""
    require(principal, "mediation")
    filters = {**(filters or {}), **programme_area(principal)}
    with (engine or get_engine()).connect() as conn:
        rows = mediation_db.screening_rows(conn, filters)
        record("export", actor=principal, target="mediation:screenings", detail={"rows": len(rows)})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(SCREENING_HEADERS))
    for r in rows:
        writer.writerow([_cell(v) for v in (r["community_code"], f"{r['screened_on']:%Y-%m-%d}", r["disputes_found"],
                                            r["disputes_resolved"], r["hazards_found"], r["hazards_removed"],
                                            r["note"])])
    return "\ufeff" + out.getvalue()


def export_csv(principal: Principal, filters: dict | None = None, engine: Engine | None = None) -> str:
    require(principal, "mediation")
    filters = {**(filters or {}), **programme_area(principal)}
    with (engine or get_engine()).connect() as conn:
        rows = mediation_db.export_rows(conn, filters)
        record("export", actor=principal, target="mediation:cases", detail={"rows": len(rows)})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADERS)
    for r in rows:
        writer.writerow([_cell(v) for v in (r["number"], r["kind"], r["summary"], r["parties"], r["street"],
                                            r["grid"], r["org"], r["mediator"], r["sessions"], r["outcome"] or "办理中",
                                            r["agreement"], r["opened_at"], r["closed_at"], r["ticket_number"])])
    return "\ufeff" + out.getvalue()


def _cell(value) -> str:
    """A cell a spreadsheet will not run as a formula (=, +, -, @ at the start)."""
    text = "" if value is None else (value.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")
                                     if isinstance(value, datetime) else str(value))
    return no_formula(text)
