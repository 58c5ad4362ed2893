"""Handling a ticket beyond its transitions (issue 11): 申请延期, 挂起 and 协办, for every door.

- ``request_extension`` — the handling unit (its lead: a co-handling unit answers its part, it does not ask for
  the ticket's time) asks for a later resolution deadline; ``decide_extension`` — a supervisor or the district
  (``extension_decide``) approves it (the deadline moves) or refuses it with a note (the deadline stays);
  ``pending_extensions`` — what waits for a decision.
- ``hold`` / ``resume`` — the clock stops while a ticket is held (flag ``held``: the escalation sweeps pass it
  by and its transitions wait); on resume its resolution deadline, and its arrival deadline while nobody has
  arrived, move by the time held, counted up to HOLD_MAX_HOURS. A hold that lasts longer is ended by the
  escalation sweep (``resume_expired_holds``) at that maximum, so a forgotten hold cannot stop a clock for good.
- ``answer_assist`` / ``assists_of`` — the category's co-handling units answer their part; the lead unit and the
  center read them with the ticket.

Rules are workorders/handling.py's; rights workorders/policy.py's (asked here, with the ticket as the target). Each
change is one transaction: the record, an event in the ticket's history (what /tickets/<number> shows), an outbox
event (open screens refresh) and, for a person or a key, the audit entry.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import Connection

from geo import handling as db
from geo import tickets as ticket_sql
from geo.db import get_engine
from services import audit
from services.tickets import NotFound, public_view
from settings import get_settings
from workorders import handling as rules
from workorders import policy
from workorders.errors import FieldError
from workorders.policy import Principal

LIST_LIMIT = 200
SWEEP = policy.system_principal("system")     # the escalation sweep ending a hold past its maximum


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# ------------------------------------------------------------------------------------------------ shared

def _ticket(conn: Connection, number: str | None) -> dict:
    number = (number or "").strip()
    if not number:
        raise FieldError("number", "请填写工单编号")
    # A number no ticket can have (a NUL, a page of text) is unknown, not a database error.
    ticket = ticket_sql.ticket_by_number(conn, number, lock=True) if number.isprintable() and len(number) <= 20 \
        else None
    if ticket is None:
        raise NotFound(f"没有工单 {number}")
    return ticket


def _lead_target(ticket: dict) -> policy.Target:
    """The ticket as its handling unit: the lead department only (a co-handling unit answers its own part)."""
    full = policy.Target.of_ticket(ticket)
    return policy.Target(frozenset({ticket["lead_department_code"]}), full.street_code, full.community_code,
                         full.grid_code, full.crew_code)


def _noted(conn: Connection, ticket: dict, principal: Principal, action: str, now: datetime, *,
           reason: str | None = None, data: dict | None = None, audit_target: str) -> dict:
    """The change in the ticket's history, on the stream (the ticket's public view, as it is now) and, for a
    person or a key, in the audit log. The ticket as it is now."""
    updated = ticket_sql.ticket_by_id(conn, ticket["id"])
    ticket_sql.add_event(conn, ticket["id"], now, principal.label, action, ticket["state"], ticket["state"],
                         reason, data or {})
    ticket_sql.add_outbox(conn, "tickets", f"ticket.{action}",
                          {"event": f"ticket.{action}", "ticket": public_view(updated)}, now)
    if principal.kind != "system":
        audit.record(action, actor=principal, target=audit_target,
                     detail={"ticket": ticket["number"], **(data or {})}, conn=conn)
    return updated


def _held_so_far(conn: Connection, ticket: dict, now: datetime) -> timedelta:
    """The time the ticket's clock stood still: its finished holds, and the open one up to now."""
    totals = db.hold_totals(conn, ticket["id"])
    held = timedelta(seconds=float(totals["counted_seconds"]))
    current = db.open_hold(conn, ticket["id"])
    if current is not None:
        held += rules.held_time(current["held_at"], now, get_settings().hold_max_hours)
    return held


# ------------------------------------------------------------------------------------------------ extension

def request_extension(principal: Principal | None, number: str | None, reason: str | None,
                      new_due: datetime | None, *, now: datetime | None = None) -> dict:
    """申请延期: a later resolution deadline for the ticket, pending until a supervisor decides. The request."""
    policy.require(principal, "extension_request")
    now = now or utcnow()
    with get_engine().begin() as conn:
        ticket = _ticket(conn, number)
        policy.require(principal, "extension_request", _lead_target(ticket))
        asked = rules.check_extension(reason=reason, new_due=new_due, current_due=ticket["resolve_due_at"],
                                      registered_at=ticket["registered_at"], now=now, state=ticket["state"],
                                      pending=db.has_pending_extension(conn, ticket["id"]),
                                      held=_held_so_far(conn, ticket, now))
        extension_id = db.insert_extension(conn, {
            "ticket_id": ticket["id"], "reason": asked.reason, "previous_due_at": ticket["resolve_due_at"],
            "requested_due_at": asked.new_due, "requested_by": principal.label, "requested_at": now})
        _noted(conn, ticket, principal, "extension_request", now, reason=asked.reason,
               data={"extension": extension_id, "from": ticket["resolve_due_at"].isoformat(),
                     "to": asked.new_due.isoformat()}, audit_target=f"extension:{extension_id}")
        return db.extension(conn, extension_id)


def decide_extension(principal: Principal | None, extension_id, approve: bool, note: str | None, *,
                     now: datetime | None = None) -> dict:
    """批准 (the resolution deadline becomes the one asked for) or 驳回 (it stays; a note says why). The request
    as decided."""
    policy.require(principal, "extension_decide")
    now = now or utcnow()
    with get_engine().begin() as conn:
        found = _extension(conn, extension_id)
        ticket = ticket_sql.ticket_by_number(conn, found["number"], lock=True)
        policy.require(principal, "extension_decide", policy.Target.of_ticket(ticket))
        found = db.extension(conn, found["id"], lock=True)
        note = rules.check_decision(status=found["status"], approve=approve, note=note,
                                    requested_due=found["requested_due_at"], current_due=ticket["resolve_due_at"])
        status = rules.APPROVED if approve else rules.REFUSED
        db.decide_extension(conn, found["id"], status, principal.label, now, note)
        data = {"extension": found["id"], "from": ticket["resolve_due_at"].isoformat()}
        if approve:
            ticket_sql.update_ticket(conn, ticket["id"], {"resolve_due_at": found["requested_due_at"],
                                                          "updated_at": now})
            data["to"] = found["requested_due_at"].isoformat()
        _noted(conn, ticket, principal, "extension_approve" if approve else "extension_refuse", now, reason=note,
               data=data, audit_target=f"extension:{found['id']}")
        return db.extension(conn, found["id"])


def _extension(conn: Connection, extension_id) -> dict:
    try:
        found = db.extension(conn, int(extension_id))
    except (TypeError, ValueError, OverflowError):
        found = None
    if found is None:
        raise NotFound(f"没有延期申请 {extension_id}")
    return found


def pending_extensions(principal: Principal | None) -> list[dict]:
    """Requests waiting for a decision, the oldest first: every one for whoever decides them, a unit's own for
    the unit that asks."""
    if policy.can(principal, "extension_decide"):
        scope = policy.ticket_scope(principal, "extension_decide")
    else:
        policy.require(principal, "extension_request")
        scope = policy.ticket_scope(principal, "extension_request")
    with get_engine().connect() as conn:
        return db.pending_extensions(conn, scope, LIST_LIMIT)


# ------------------------------------------------------------------------------------------------ hold

def hold(principal: Principal | None, number: str | None, reason: str | None, *,
         now: datetime | None = None) -> dict:
    """挂起: the ticket's clock stops until ``resume``. The hold, with when it stops counting (``ends_at``)."""
    policy.require(principal, "ticket_hold")
    now = now or utcnow()
    settings = get_settings()
    with get_engine().begin() as conn:
        ticket = _ticket(conn, number)
        policy.require(principal, "ticket_hold", _lead_target(ticket))
        text = rules.check_hold(reason=reason, state=ticket["state"], flags=ticket["flags"],
                                holds_so_far=db.hold_totals(conn, ticket["id"])["holds"],
                                limit=settings.hold_limit_per_ticket)
        hold_id = db.insert_hold(conn, ticket["id"], text, principal.label, now)
        ticket_sql.update_ticket(conn, ticket["id"], {"flags": rules.with_hold_flag(ticket["flags"]),
                                                      "updated_at": now})
        ends_at = rules.hold_ends_at(now, settings.hold_max_hours)
        updated = _noted(conn, ticket, principal, "hold", now, reason=text,
                         data={"hold": hold_id, "ends_at": ends_at.isoformat()}, audit_target=f"hold:{hold_id}")
        return {**db.open_hold(conn, ticket["id"]), "number": updated["number"], "ends_at": ends_at,
                "resolve_due_at": updated["resolve_due_at"], "arrival_due_at": updated["arrival_due_at"]}


def resume(principal: Principal | None, number: str | None, *, now: datetime | None = None) -> dict:
    """恢复办理: the hold ends and the deadlines move by the time held (at most HOLD_MAX_HOURS). The ended hold
    with the ticket's new deadlines. The unit that holds it, or the district, resumes."""
    if not (policy.can(principal, "extension_decide") or policy.can(principal, "ticket_hold")):
        policy.require(principal, "ticket_hold")
    now = now or utcnow()
    with get_engine().begin() as conn:
        ticket = _ticket(conn, number)
        if not policy.can(principal, "extension_decide", policy.Target.of_ticket(ticket)):
            policy.require(principal, "ticket_hold", _lead_target(ticket))
        return _resume(conn, ticket, principal, now)


def _resume(conn: Connection, ticket: dict, principal: Principal, now: datetime) -> dict:
    rules.check_resume(ticket["flags"])
    current = db.open_hold(conn, ticket["id"])
    held = rules.held_time(current["held_at"], now, get_settings().hold_max_hours) if current else timedelta()
    if current:
        db.end_hold(conn, current["id"], principal.label, now, held.total_seconds())
    ticket_sql.update_ticket(conn, ticket["id"], {**rules.shifted_deadlines(ticket, held),
                                                  "flags": rules.without_hold_flag(ticket["flags"]),
                                                  "updated_at": now})
    hours = round(held.total_seconds() / 3600, 2)
    updated = _noted(conn, ticket, principal, "resume", now,
                     data={"hold": current["id"] if current else None, "held_hours": hours,
                           "from": ticket["resolve_due_at"].isoformat()},
                     audit_target=f"hold:{current['id'] if current else ticket['number']}")
    return {**(current or {}), "number": updated["number"], "resumed_at": now,
            "counted_seconds": held.total_seconds(), "resolve_due_at": updated["resolve_due_at"],
            "arrival_due_at": updated["arrival_due_at"]}


def resume_expired_holds(now: datetime | None = None, engine=None) -> list[str]:
    """The escalation sweep's part: every hold older than HOLD_MAX_HOURS ends, counted at that maximum. The
    numbers of the tickets resumed."""
    now = now or utcnow()
    resumed = []
    with (engine or get_engine()).begin() as conn:
        for row in db.holds_past(conn, now - timedelta(hours=get_settings().hold_max_hours)):
            ticket = ticket_sql.ticket_by_number(conn, row["number"], lock=True)
            _resume(conn, ticket, SWEEP, now)
            resumed.append(row["number"])
    return resumed


# ------------------------------------------------------------------------------------------------ 协办

def answer_assist(principal: Principal | None, number: str | None, department_code: str | None,
                  text: str | None, *, now: datetime | None = None) -> dict:
    """协办答复: a co-handling unit's answer to its part of the ticket (the unit's own staff or key)."""
    policy.require(principal, "assist_answer")
    now = now or utcnow()
    with get_engine().begin() as conn:
        ticket = _ticket(conn, number)
        department_code = (department_code or "").strip() or None
        # A unit answers for itself only: the right is checked against that unit, which must co-handle the ticket.
        unit = policy.Target.of_ticket(ticket)
        policy.require(principal, "assist_answer",
                       policy.Target(frozenset({department_code} if department_code else ()), unit.street_code,
                                     unit.community_code, unit.grid_code, unit.crew_code))
        answer = rules.check_assist(department_code=department_code, co_departments=ticket["co_department_codes"],
                                    state=ticket["state"], text=text)
        assist_id = db.insert_assist(conn, ticket["id"], department_code, answer, principal.label, now)
        _noted(conn, ticket, principal, "assist_answer", now, reason=answer,
               data={"assist": assist_id, "department": department_code}, audit_target=f"assist:{assist_id}")
        return {**db.assist(conn, assist_id), "number": ticket["number"]}


def assists_of(number: str) -> list[dict]:
    """The co-handling units' answers to a ticket, then the units yet to answer (``answer`` None). The door has
    checked that its reader may read the ticket."""
    with get_engine().connect() as conn:
        number = (number or "").strip()
        ticket = ticket_sql.ticket_by_number(conn, number) if number.isprintable() else None
        if ticket is None:
            raise NotFound(f"没有工单 {number}")
        return db.assists_of(conn, ticket["id"])


# ------------------------------------------------------------------------------------------------ one ticket

def offers(principal: Principal | None, ticket: dict) -> dict:
    """What a unit's workplace (/work) offers on ``ticket`` (a row of geo.tickets): 申请延期, 挂起, 恢复办理 — for
    its lead unit, in the states the rules allow — and the co-handling unit whose 协办答复 the principal gives
    (None when it is not one). The services above decide again on each action; this only says which controls
    to show."""
    lead = _lead_target(ticket)
    working = ticket["state"] in rules.HANDLING_STATES
    held = rules.HELD_FLAG in (ticket.get("flags") or ())
    own = principal.department_code if principal is not None else None
    unit = policy.Target.of_ticket(ticket)
    assist_unit = own if (own and own in (ticket.get("co_department_codes") or ())
                          and own != ticket["lead_department_code"]
                          and ticket["state"] in rules.ASSIST_STATES
                          and policy.can(principal, "assist_answer",
                                         policy.Target(frozenset({own}), unit.street_code, unit.community_code,
                                                       unit.grid_code, unit.crew_code))) else None
    return {"held": held,
            "may_extend": working and policy.can(principal, "extension_request", lead),
            "may_hold": working and not held and policy.can(principal, "ticket_hold", lead),
            "may_resume": held and (policy.can(principal, "ticket_hold", lead)
                                    or policy.can(principal, "extension_decide", unit)),
            "assist_unit": assist_unit}


def ticket_records(principal: Principal | None, number: str) -> dict | None:
    """Extensions, holds and co-handling answers of one ticket, for its page; None when the principal may not
    read it."""
    with get_engine().connect() as conn:
        ticket = ticket_sql.ticket_by_number(conn, number)
        if ticket is None or not policy.can(principal, "ticket_read", policy.Target.of_ticket(ticket)):
            return None
        return {"extensions": db.extensions_of(conn, ticket["id"]), "holds": db.holds_of(conn, ticket["id"]),
                "assists": db.assists_of(conn, ticket["id"])}
