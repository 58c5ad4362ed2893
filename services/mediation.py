"""Dispute mediation (矛盾纠纷排查调处): record, list and close cases, turn a neighbour-dispute work order into a
case, import a case list, and the figures (counts, success rate) read from the rows.

Who: street and community staff record, import and close the cases of their street or community (``mediation``
right, scoped like their tickets); supervisors do so everywhere; leaders read the figures (``analytics``). Every
read here — the figures, the case list, the screening rounds, the map's open cases, the organisations and their
mediators, the exports — is of the reader's area (``area``: ``programme_area`` of workorders/policy.py): a
street's or a community's staff their own, the district's roles all. Parties' names are personal data: a row
shows them only to whoever holds ``mediation`` on that row's place.
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
from services.imports import ImportRejected, checked_rows, file_content, read_table  # noqa: F401  (ImportRejected: the doors catch it from here)
from workorders.cells import no_formula
from workorders.mediation import (HEADERS, OUTCOMES, REQUIRED, SCREENING_HEADERS, SCREENING_REQUIRED, CaseFields,
                                  CaseRejected, ScreeningFields, check_case, check_screening, success_rate)
from workorders.clock import local_zone
from workorders.policy import Forbidden, Principal, Target, can, programme_area, programme_reader, require

EXPORT_HEADERS = ("编号", "纠纷类型", "纠纷概要", "当事人", "街道", "网格", "调解组织", "调解员", "调解次数", "调解结果",
                  "协议内容", "受理时间", "结案时间", "来源工单")
MEDIATOR = "调解员"          # the form's key of the chosen mediator (a mediator's id; not a column of the import)
MASKED = "（仅调解人员可见）"

class NotFound(LookupError):
    pass


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def area(principal: Principal) -> dict:
    """The reader's area, the one filter every read of this module adds: ``{}`` (the district's roles: all),
    ``{"street": …}`` or ``{"community": …}``. A street's or community's account bound to no place reads nothing."""
    scope = programme_area(principal)
    if any(not v for v in scope.values()):
        raise Forbidden("mediation", "账号未绑定街道或社区，不能查看矛盾调处")
    return scope


def _scoped(principal: Principal | None, filters: dict | None = None) -> tuple[Principal, dict]:
    principal = programme_reader(principal, "mediation")
    return principal, {**(filters or {}), **area(principal)}


def _mask(principal: Principal, rows: list[dict]) -> list[dict]:
    """Parties' names only on the rows whose place the reader keeps (``mediation`` there)."""
    for row in rows:
        if not can(principal, "mediation", Target(street_code=row["street_code"],
                                                   community_code=row["community_code"], grid_code=row["grid_code"])):
            row["parties"] = MASKED
    return rows


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
    principal, filters = _scoped(principal, filters)
    with (engine or get_engine()).connect() as conn:
        counts = mediation_db.outcome_counts(conn, filters)
        streets = mediation_db.counts_by_street(conn, area(principal))
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
    principal, filters = _scoped(principal, filters)
    with (engine or get_engine()).connect() as conn:
        return Screening(**mediation_db.screening_totals(conn, filters))


def list_screenings(principal: Principal | None, filters: dict | None = None, latest: int = 10,
                    engine: Engine | None = None) -> list[dict]:
    """The reader's newest screening rounds, newest first."""
    principal, filters = _scoped(principal, filters)
    with (engine or get_engine()).connect() as conn:
        return mediation_db.screening_rows(conn, filters, latest=latest)


def list_cases(principal: Principal | None, filters: dict | None = None, page: int = 0,
               engine: Engine | None = None) -> list[dict]:
    principal, filters = _scoped(principal, filters)
    with (engine or get_engine()).connect() as conn:
        rows = mediation_db.list_cases(conn, filters, limit=50, offset=50 * max(page, 0))
    return _mask(principal, rows)


def open_cases_on_map(principal: Principal | None, engine: Engine | None = None) -> list[dict]:
    principal, scope = _scoped(principal)
    with (engine or get_engine()).connect() as conn:
        return mediation_db.open_case_points(conn, scope)


def organisations(principal: Principal | None, engine: Engine | None = None) -> list[dict]:
    """The organisations of the reader's area: a street's committees and sector organisations; a community's
    committee and its street's sector organisations; the district's roles all."""
    principal, scope = _scoped(principal)
    with (engine or get_engine()).connect() as conn:
        return mediation_db.organisations(conn, scope)


def mediators(principal: Principal | None, org_code: str | None, engine: Engine | None = None) -> list[dict]:
    """The mediators of one organisation of the reader's area (none for an organisation outside it)."""
    principal, scope = _scoped(principal)
    if not org_code:
        return []
    with (engine or get_engine()).connect() as conn:
        if org_code not in {o["code"] for o in mediation_db.organisations(conn, scope)}:
            return []
        return mediation_db.mediators_of(conn, org_code)


# ------------------------------------------------------------------------------------------------ writing

def _opened_at(fields: CaseFields, now: datetime) -> datetime:
    return now if fields.opened_on == now.astimezone(local_zone()).date() else \
        datetime.combine(fields.opened_on, time(9, 0), local_zone())


def _closed_at(fields: CaseFields) -> datetime | None:
    return datetime.combine(fields.closed_on, time(17, 0), local_zone()) if fields.closed_on else None


def _row(fields: CaseFields, source: str, principal: Principal, now: datetime, ticket_id: int | None = None,
         mediator_id: int | None = None) -> dict:
    return {"kind": fields.kind, "summary": fields.summary, "parties": fields.parties, "grid_code": fields.grid_code,
            "org_code": fields.org_code, "mediator_id": mediator_id, "sessions": fields.sessions,
            "outcome": fields.outcome,
            "agreement": fields.agreement, "ticket_id": ticket_id, "source": source,
            "opened_at": _opened_at(fields, now), "closed_at": _closed_at(fields), "created_by": principal.label}


@dataclass(frozen=True)
class _Places:
    """What a case's codes are checked against, read once for a form or a whole file: every grid with its street
    and community, every organisation, and those of the recorder's area (None: all)."""
    grids: dict[str, tuple[str, str]]
    orgs: set[str]
    area_orgs: set[str] | None

    @classmethod
    def read(cls, conn, principal: Principal) -> "_Places":
        grids, orgs = mediation_db.known_codes(conn)
        scope = area(principal)
        return cls(grids, orgs, {o["code"] for o in mediation_db.organisations(conn, scope)} if scope else None)


def _check_codes(principal: Principal, fields: CaseFields, places: _Places, where: str = "") -> list[str]:
    """The grid and the organisation exist and lie in the recorder's area."""
    problems = []
    if fields.grid_code not in places.grids:
        problems.append(f"{where}网格编码：没有网格 {fields.grid_code!r}")
    else:
        street, community = places.grids[fields.grid_code]
        if not can(principal, "mediation", Target(street_code=street, community_code=community,
                                                  grid_code=fields.grid_code)):
            problems.append(f"{where}网格编码：网格 {fields.grid_code} 不在本辖区，只能登记本辖区的纠纷")
    if fields.org_code not in places.orgs:
        problems.append(f"{where}调解组织编码：没有调解组织 {fields.org_code!r}")
    elif places.area_orgs is not None and fields.org_code not in places.area_orgs:
        problems.append(f"{where}调解组织编码：调解组织 {fields.org_code} 不在本辖区")
    return problems


def _mediator_of(conn, value, org_code: str) -> tuple[int | None, list[str]]:
    """The chosen mediator's id (None: none chosen) and the problem when they are no mediator of ``org_code``."""
    text_value = str(value).strip() if value is not None else ""
    if not text_value:
        return None, []
    found = mediation_db.mediator(conn, int(text_value)) if text_value.isdigit() else None
    if found is None:
        return None, [f"{MEDIATOR}：没有这名调解员（{text_value}）"]
    if found["org_code"] != org_code:
        return None, [f"{MEDIATOR}：{found['name']} 是「{found['org']}」的调解员，不属于所选调解组织 {org_code}"]
    return found["id"], []


def add_case(principal: Principal, row: dict, now: datetime | None = None, engine: Engine | None = None) -> str:
    """Record one case from a form (keys: the import's Chinese headers, and 调解员: one of the chosen
    organisation's mediators, by id, or none). Returns its number."""
    require(principal, "mediation")
    now = now or utcnow()
    fields = check_case(row, now.astimezone(local_zone()).date())
    with (engine or get_engine()).begin() as conn:
        problems = _check_codes(principal, fields, _Places.read(conn, principal))
        mediator_id, mediator_problems = _mediator_of(conn, row.get(MEDIATOR), fields.org_code)
        if problems or mediator_problems:
            raise CaseRejected(problems + mediator_problems)
        number, = mediation_db.insert_cases(conn, [_row(fields, "form", principal, now, mediator_id=mediator_id)])
        record("mediation_case", actor=principal, target=f"mediation:{number}",
               detail={"kind": fields.kind, "mediator": mediator_id}, conn=conn)
    return number


def _screening_row(fields: ScreeningFields, source: str, principal: Principal) -> dict:
    return {"community_code": fields.community_code, "screened_on": fields.screened_on,
            "disputes_found": fields.disputes_found, "disputes_resolved": fields.disputes_resolved,
            "hazards_found": fields.hazards_found, "hazards_removed": fields.hazards_removed, "note": fields.note,
            "source": source, "created_by": principal.label}


def _check_screening_place(conn, principal: Principal, fields: ScreeningFields, streets: dict[str, str],
                           where: str = "") -> list[str]:
    """The community exists, lies in the recorder's street or is their own (the CLI imports as the district's
    office, for every street), and has no round on that day yet."""
    street = streets.get(fields.community_code)
    if street is None:
        return [f"{where}社区编码：没有社区 {fields.community_code!r}"]
    if not can(principal, "mediation", Target(street_code=street, community_code=fields.community_code)):
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
    units = mediation_db.grid_units(conn, grid_code)
    if not can(principal, "mediation", Target(street_code=units["street_code"],
                                              community_code=units["community_code"], grid_code=grid_code)):
        raise Forbidden("mediation", "只能登记本辖区的纠纷")


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
        case = next(iter(mediation_db.list_cases(conn, {**area(principal), "number": number}, limit=1)), None)
        if case is None:
            raise NotFound(f"没有调解案件 {number}")
        if not mediation_db.close_case(conn, case["id"], outcome, agreement, sessions, now):
            raise CaseRejected([f"案件 {number} 已结案"])
        record("mediation_close", actor=principal, target=f"mediation:{number}", detail={"outcome": outcome}, conn=conn)


# ------------------------------------------------------------------------------------------------ import, export

def import_cases(principal: Principal, name: str, content: bytes, now: datetime | None = None,
                 engine: Engine | None = None) -> int:
    """A case list (CSV/XLSX ``content`` of the file ``name``: a page's upload or the CLI's file), recorded by
    ``principal`` within their area. Every row checked first; one problem line per bad field naming its row;
    nothing written unless all pass."""
    require(principal, "mediation")
    now = now or utcnow()
    rows = checked_rows(name, read_table(name, content), REQUIRED, HEADERS)
    today = now.astimezone(local_zone()).date()
    with (engine or get_engine()).begin() as conn:
        places = _Places.read(conn, principal)
        good, problems = [], []
        for index, row in enumerate(rows, start=2):       # row 1 is the header
            try:
                fields = check_case(row, today)
            except CaseRejected as rejected:
                problems += [f"第 {index} 行 {p}" for p in rejected.problems]
                continue
            problems += _check_codes(principal, fields, places, where=f"第 {index} 行 ")
            good.append(_row(fields, "import", principal, now))
        if problems:
            raise ImportRejected(problems)
        mediation_db.insert_cases(conn, good)
        record("mediation_import", actor=principal, target=f"mediation:{name}", detail={"rows": len(good)},
               conn=conn)
    return len(good)


def import_screenings(principal: Principal, name: str, content: bytes, now: datetime | None = None,
                      engine: Engine | None = None) -> int:
    """Screening rounds from CSV/XLSX, the same way as cases: all rows checked (each community in the recorder's
    area), nothing written unless all pass; two rows for one community and day in the same file are refused too."""
    require(principal, "mediation")
    rows = checked_rows(name, read_table(name, content), SCREENING_REQUIRED, SCREENING_HEADERS)
    problems: list[str] = []
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
            problems += _check_screening_place(conn, principal, fields, streets, where=f"第 {index} 行 ")
            good.append(_screening_row(fields, "import", principal))
        if problems:
            raise ImportRejected(problems)
        mediation_db.insert_screenings(conn, good)
        record("mediation_screening_import", actor=principal, target=f"mediation:{name}",
               detail={"rows": len(good)}, conn=conn)
    return len(good)


def import_cases_file(principal: Principal, path: str | Path, engine: Engine | None = None) -> int:
    """``python -m etl mediation FILE``: the file's bytes through the page's own import."""
    return import_cases(principal, *file_content(path), engine=engine)


def import_screenings_file(principal: Principal, path: str | Path, engine: Engine | None = None) -> int:
    """``python -m etl mediation --screenings FILE``."""
    return import_screenings(principal, *file_content(path), engine=engine)


def export_screenings_csv(principal: Principal, filters: dict | None = None, engine: Engine | None = None) -> str:
    """The rounds the reader may see, in the import's own columns (so an export imports again elsewhere)."""
    require(principal, "mediation")
    filters = {**(filters or {}), **area(principal)}
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
    filters = {**(filters or {}), **area(principal)}
    with (engine or get_engine()).connect() as conn:
        rows = _mask(principal, mediation_db.export_rows(conn, filters))
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
