"""Petitions (信访案件) and police stations (派出所): register, list and close petitions with the work orders and
mediation cases they grew from, import and export a list, the figures read from the rows; the stations with their
areas and their police crews.

Who: supervisors (the reception center's 督办) hold ``petitions``: they register and close cases and see the
petitioner's name and phone. Leaders read the figures and the list with ``analytics``, the petitioner masked. The
stations are read by whoever reads the district's forces (``resources``, ``analytics``) or dispatches their crews.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, time, timezone
from pathlib import Path

from sqlalchemy.engine import Engine

from geo import petitions as petitions_db
from geo.db import get_engine
from services.audit import record
from services.imports import MAX_IMPORT_BYTES, ImportRejected, checked_rows, read_table  # noqa: F401  (ImportRejected: the doors catch it from here)
from workorders.cells import no_formula
from workorders.petitions import (AUXILIARY_KIND, HEADERS, LAWYER_KINDS, OUTCOMES, REQUIRED, RESOLVED, UNIT_KIND,
                                  PetitionFields, PetitionRejected, check_petition, resolved_rate)
from workorders.clock import local_zone
from workorders.policy import Principal, can, programme_reader, require
from workorders.privacy import mask_name, mask_phone

PAGE_SIZE = 50
EXPORT_HEADERS = ("编号", *HEADERS, "街道")



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
    resolved: int
    rate: float | None
    by_outcome: dict
    by_level: dict
    skipped: int
    lawyer: int
    lawyer_kinds: int
    with_tickets: int


def summary(principal: Principal | None, filters: dict | None = None, engine: Engine | None = None) -> Summary:
    programme_reader(principal, "petitions")
    with (engine or get_engine()).connect() as conn:
        c = petitions_db.counts(conn, filters or {}, LAWYER_KINDS)
    by_outcome = c["by_outcome"]
    closed = sum(n for o, n in by_outcome.items() if o)
    return Summary(sum(by_outcome.values()), by_outcome.get(None, 0), closed,
                   sum(by_outcome.get(o, 0) for o in RESOLVED), resolved_rate(by_outcome), by_outcome,
                   c["by_level"], c["skipped"], c["lawyer"], c["lawyer_kinds"], c["with_tickets"])


def counts_by_street(principal: Principal | None, engine: Engine | None = None) -> list[dict]:
    programme_reader(principal, "petitions")
    with (engine or get_engine()).connect() as conn:
        return petitions_db.counts_by_street(conn, RESOLVED)


def list_petitions(principal: Principal | None, filters: dict | None = None, page: int = 0,
                   engine: Engine | None = None) -> list[dict]:
    """One page of petitions, open first; the petitioner's name and phone only for who holds ``petitions``."""
    principal = programme_reader(principal, "petitions")
    with (engine or get_engine()).connect() as conn:
        rows = petitions_db.list_petitions(conn, filters or {}, limit=PAGE_SIZE, offset=PAGE_SIZE * max(page, 0))
    if not can(principal, "petitions"):
        for row in rows:
            row["petitioner"], row["phone"] = mask_name(row["petitioner"]), mask_phone(row["phone"])
    return rows


def open_on_map(principal: Principal | None, filters: dict | None = None, engine: Engine | None = None) -> list[dict]:
    """The open petitions of the filters at their grid cells, for the page's map (no petitioner on a marker)."""
    programme_reader(principal, "petitions")
    with (engine or get_engine()).connect() as conn:
        return petitions_db.open_points(conn, filters or {})


def stations(principal: Principal | None, engine: Engine | None = None) -> list[dict]:
    """The 12 police stations with their streets, cells, police units and auxiliary police."""
    if not any(can(principal, r) for r in ("resources", "analytics", "dispatch", "petitions")):
        require(principal, "analytics")
    with (engine or get_engine()).connect() as conn:
        return petitions_db.stations(conn, UNIT_KIND, AUXILIARY_KIND)


def station_outlines(principal: Principal | None, engine: Engine | None = None) -> list[dict]:
    stations(principal, engine)                # the same readers
    with (engine or get_engine()).connect() as conn:
        return petitions_db.station_outlines(conn)


# ------------------------------------------------------------------------------------------------ writing

def _at(day, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), local_zone())


def _row(conn, fields: PetitionFields, source: str, principal: Principal, now: datetime,
         where: str = "") -> tuple[dict | None, list[str]]:
    """The table row of checked fields with its links resolved, or the problems of its codes and numbers."""
    problems = []
    if fields.grid_code not in petitions_db.known_grids(conn, [fields.grid_code]):
        problems.append(f"{where}网格编码：没有网格 {fields.grid_code!r}")
    tickets = petitions_db.ids_of_tickets(conn, fields.tickets)
    disputes = petitions_db.ids_of_disputes(conn, fields.disputes)
    if missing := [n for n in fields.tickets if n not in tickets]:
        problems.append(f"{where}关联工单：没有工单 {'、'.join(missing)}")
    if missing := [n for n in fields.disputes if n not in disputes]:
        problems.append(f"{where}关联纠纷：没有调解案件 {'、'.join(missing)}")
    if problems:
        return None, problems
    received = now if fields.received_on == now.astimezone(local_zone()).date() else _at(fields.received_on, 9)
    return {"petitioner": fields.petitioner, "phone": fields.phone, "kind": fields.kind, "issue": fields.issue,
            "level": fields.level, "skipped_level": fields.skipped_level, "channel": fields.channel,
            "grid_code": fields.grid_code, "lawyer": fields.lawyer, "outcome": fields.outcome,
            "received_at": received, "closed_at": _at(fields.closed_on, 17) if fields.closed_on else None,
            "source": source, "created_by": principal.label, "ticket_ids": list(tickets.values()),
            "dispute_ids": list(disputes.values())}, []


def add_petition(principal: Principal, row: dict, now: datetime | None = None, engine: Engine | None = None) -> str:
    """Register one petition from a form (keys: the import's Chinese headers). Returns its number."""
    require(principal, "petitions")
    now = now or utcnow()
    fields = check_petition(row, now.astimezone(local_zone()).date())
    with (engine or get_engine()).begin() as conn:
        values, problems = _row(conn, fields, "form", principal, now)
        if problems:
            raise PetitionRejected(problems)
        number = petitions_db.insert_petition(conn, values)
        record("petition", actor=principal, target=f"petition:{number}",
               detail={"kind": fields.kind, "level": fields.level, "skipped": fields.skipped_level}, conn=conn)
    return number


def close_petition(principal: Principal, number: str, outcome: str, now: datetime | None = None,
                   engine: Engine | None = None) -> None:
    require(principal, "petitions")
    if outcome not in OUTCOMES:
        raise PetitionRejected([f"办理结果：应为 {'、'.join(OUTCOMES)} 之一"])
    number = (number or "").strip()
    with (engine or get_engine()).begin() as conn:
        if not petitions_db.list_petitions(conn, {"number": number}, limit=1):
            raise NotFound(f"没有信访案件 {number!r}")
        if not petitions_db.close_petition(conn, number, outcome, now or utcnow()):
            raise PetitionRejected([f"信访案件 {number} 已办结"])
        record("petition_close", actor=principal, target=f"petition:{number}", detail={"outcome": outcome},
               conn=conn)


# ------------------------------------------------------------------------------------------------ import, export

def import_petitions(principal: Principal, name: str, content: bytes, now: datetime | None = None,
                     engine: Engine | None = None) -> int:
    """Every row checked first; one problem line per bad field naming its row; nothing written unless all pass."""
    require(principal, "petitions")
    rows = checked_rows(name, read_table(name, content), REQUIRED, HEADERS, also_known=("编号", "街道"))          # the export's own extra columns
    now = now or utcnow()
    today = now.astimezone(local_zone()).date()
    with (engine or get_engine()).begin() as conn:
        good, problems = [], []
        for index, row in enumerate(rows, start=2):       # row 1 is the header
            try:
                fields = check_petition(row, today)
            except PetitionRejected as rejected:
                problems += [f"第 {index} 行 {p}" for p in rejected.problems]
                continue
            values, row_problems = _row(conn, fields, "import", principal, now, where=f"第 {index} 行 ")
            problems += row_problems
            good.append(values)
        if problems:
            raise ImportRejected(problems)
        for values in good:
            petitions_db.insert_petition(conn, values)
        record("petition_import", actor=principal, target=f"petitions:{name}", detail={"rows": len(good)}, conn=conn)
    return len(good)


def import_file(principal: Principal, path: str | Path, engine: Engine | None = None) -> int:
    path = Path(path)
    if path.stat().st_size > MAX_IMPORT_BYTES:      # refused before it is read
        raise ImportRejected([f"{path.name}：文件超过 10 MB"])
    return import_petitions(principal, path.name, path.read_bytes(), engine=engine)


def export_csv(principal: Principal, filters: dict | None = None, engine: Engine | None = None) -> str:
    """The filtered list with the import's columns (plus 编号 and 街道), formula cells neutralised."""
    require(principal, "petitions")
    with (engine or get_engine()).connect() as conn:
        rows = petitions_db.export_rows(conn, filters or {})
        record("export", actor=principal, target="petitions", detail={"rows": len(rows)})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADERS)
    for r in rows:
        writer.writerow([_cell(v) for v in (
            r["number"], r["petitioner"], r["phone"], r["kind"], r["issue"], r["level"],
            "是" if r["skipped_level"] else "否", r["channel"], r["grid_code"], r["received_at"],
            "、".join(r["ticket_numbers"]), "、".join(r["dispute_numbers"]), r["lawyer"], r["outcome"],
            r["closed_at"], r["street"])])
    return "\ufeff" + out.getvalue()


def _cell(value) -> str:
    """A cell a spreadsheet will not run as a formula (=, +, -, @ at the start); days as the import reads them."""
    text = "" if value is None else (value.astimezone(local_zone()).strftime("%Y-%m-%d")
                                     if isinstance(value, datetime) else str(value))
    return no_formula(text)

