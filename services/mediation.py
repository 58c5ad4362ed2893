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
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from geo import mediation as mediation_db
from geo import tickets as tickets_db
from geo.db import get_engine
from services.audit import record
from settings import get_settings
from workorders.cells import no_formula
from workorders.mediation import HEADERS, OUTCOMES, REQUIRED, CaseFields, CaseRejected, check_case, success_rate
from workorders.policy import Forbidden, Principal, Target, can, require

MAX_IMPORT_BYTES = 10 * 1024 * 1024
EXPORT_HEADERS = ("编号", "纠纷类型", "纠纷概要", "当事人", "街道", "网格", "调解组织", "调解员", "调解次数", "调解结果",
                  "协议内容", "受理时间", "结案时间", "来源工单")


class ImportRejected(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class NotFound(LookupError):
    pass


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _tz() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def _scope(principal: Principal) -> dict:
    """The cases a street's or a community's staff see: their own; everyone else with the right: all."""
    if principal.roles & {"supervisor", "leader", "admin"} or principal.kind == "system":
        return {}
    if "street" in principal.roles:
        return {"street": principal.street_code}
    if "community" in principal.roles:
        return {"community": principal.community_code}
    return {}


def _reader(principal: Principal | None) -> Principal:
    if can(principal, "mediation"):
        return principal
    return require(principal, "analytics")


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


def summary(principal: Principal | None, filters: dict | None = None, engine: Engine | None = None) -> Summary:
    principal = _reader(principal)
    filters = {**(filters or {}), **_scope(principal)}
    with (engine or get_engine()).connect() as conn:
        counts = mediation_db.outcome_counts(conn, filters)
        streets = mediation_db.counts_by_street(conn)
    closed = sum(n for o, n in counts.items() if o)
    return Summary(sum(counts.values()), counts.get(None, 0), closed, counts.get("调解成功", 0), success_rate(counts),
                   counts, streets)


def list_cases(principal: Principal | None, filters: dict | None = None, page: int = 0,
               engine: Engine | None = None) -> list[dict]:
    principal = _reader(principal)
    filters = {**(filters or {}), **_scope(principal)}
    with (engine or get_engine()).connect() as conn:
        rows = mediation_db.list_cases(conn, filters, limit=50, offset=50 * max(page, 0))
    if not can(principal, "mediation"):
        for row in rows:
            row["parties"] = "（仅调解人员可见）"
    return rows


def open_cases_on_map(principal: Principal | None, engine: Engine | None = None) -> list[dict]:
    _reader(principal)
    with (engine or get_engine()).connect() as conn:
        return mediation_db.open_case_points(conn)


def organisations(principal: Principal | None, engine: Engine | None = None) -> list[dict]:
    _reader(principal)
    with (engine or get_engine()).connect() as conn:
        return mediation_db.organisations(conn)


# ------------------------------------------------------------------------------------------------ writing

def _opened_at(fields: CaseFields, now: datetime) -> datetime:
    return now if fields.opened_on == now.astimezone(_tz()).date() else \
        datetime.combine(fields.opened_on, time(9, 0), _tz())


def _closed_at(fields: CaseFields) -> datetime | None:
    return datetime.combine(fields.closed_on, time(17, 0), _tz()) if fields.closed_on else None


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
    fields = check_case(row, now.astimezone(_tz()).date())
    with (engine or get_engine()).begin() as conn:
        problems = _check_codes(conn, fields)
        if problems:
            raise CaseRejected(problems)
        _require_in_scope(conn, principal, fields.grid_code)
        mediation_db.insert_cases(conn, [_row(fields, "form", principal, now)])
        number = mediation_db.list_cases(conn, {}, limit=1)[0]["number"]
        record("mediation_case", actor=principal, target=f"mediation:{number}", detail={"kind": fields.kind}, conn=conn)
    return number


def _require_in_scope(conn, principal: Principal, grid_code: str) -> None:
    scope = _scope(principal)
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
                            org, now.astimezone(_tz()).date())
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
        case = next(iter(mediation_db.list_cases(conn, {**_scope(principal), "number": number}, limit=1)), None)
        if case is None:
            raise NotFound(f"没有调解案件 {number}")
        if not mediation_db.close_case(conn, case["id"], outcome, agreement, sessions, now):
            raise CaseRejected([f"案件 {number} 已结案"])
        record("mediation_close", actor=principal, target=f"mediation:{number}", detail={"outcome": outcome}, conn=conn)


# ------------------------------------------------------------------------------------------------ import, export

def read_table(path: str | Path) -> list[dict[str, str]]:
    """Rows of a CSV (UTF-8, with or without BOM) or XLSX file, keyed by the header row."""
    path = Path(path)
    if path.stat().st_size > MAX_IMPORT_BYTES:
        raise ImportRejected([f"{path.name}：文件超过 10 MB"])
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook
        sheet = load_workbook(path, read_only=True, data_only=True).active
        values = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        if not values:
            return []
        header, *rows = values
        return [dict(zip(header, row)) for row in rows if any(cell.strip() for cell in row)]
    try:
        content = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected([f"{path.name}：不是 UTF-8 编码的 CSV"]) from None
    return [row for row in csv.DictReader(io.StringIO(content)) if any((v or "").strip() for v in row.values())]


def import_cases(path: str | Path, now: datetime | None = None, engine: Engine | None = None) -> int:
    """Every row checked first; one problem line per bad field naming its row; nothing written unless all pass."""
    from workorders.policy import system_principal
    now = now or utcnow()
    rows = read_table(path)
    if not rows:
        raise ImportRejected([f"{Path(path).name}：没有数据行"])
    header = set(rows[0])
    missing = [h for h in REQUIRED if h not in header]
    unknown = sorted(header - set(HEADERS))
    problems = ([f"表头：缺少 {'、'.join(missing)}"] if missing else []) + \
        ([f"表头：不认识的列 {'、'.join(unknown)}（可用：{'、'.join(HEADERS)}）"] if unknown else [])
    if problems:
        raise ImportRejected(problems)
    actor = system_principal("import")
    today = now.astimezone(_tz()).date()
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


def export_csv(principal: Principal, filters: dict | None = None, engine: Engine | None = None) -> str:
    require(principal, "mediation")
    filters = {**(filters or {}), **_scope(principal)}
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
    text = "" if value is None else (value.astimezone(_tz()).strftime("%Y-%m-%d %H:%M")
                                     if isinstance(value, datetime) else str(value))
    return no_formula(text)
