"""督办 — supervision of late, escalated, repeated and 越级 tickets, for the ``supervision`` right.

Lists for /supervision; 督办单 (an order to a unit with a named responsible person and a deadline, then the unit's
answer and the outcome); 问责 (a measure against a person); 联席会 convened from a ticket and its decision.
Every change is one transaction: the record, an event in the ticket's history, an outbox event (every open
/supervision and map hears of it) and the audit entry. The two automatic parts — repeat links at intake and the
arrival-deadline breach of the escalation sweep — are services.tickets' own, by the rules of workorders.supervision,
so this module imports services.tickets and never the other way round.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Connection

from geo import supervision as db
from geo import tickets as ticket_sql
from geo.db import get_engine
from geo.intake_reference import department_names
from services import audit, predictions
from services.tickets import public_view
from settings import get_settings
from workorders import policy
from workorders.clock import local_date
from workorders.errors import FieldError
from workorders.policy import Principal
from workorders.search import search_text

LIST_LIMIT = 200
RECENT_DAYS = 30          # repeat, 越级 and satisfaction lists look this far back
MIN_RATINGS = 3           # a unit with fewer ratings in the window is not judged on them

OUTCOMES = {"resolved": "已解决", "partly": "部分解决", "unresolved": "未解决"}
MEASURES = {"talk": "约谈", "criticism": "通报批评", "warning": "诫勉", "written": "书面检查",
            "sanction": "党纪政务处分"}
REPEAT_REASONS = {"same_caller": "同一来电人", "same_place": "同一地点"}
MAX_TEXT = 2000
MAX_NAME = 64


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class NotFound(LookupError):
    pass


# ------------------------------------------------------------------------------------------------ validation

def _text(form: dict, field: str, label: str, limit: int = MAX_TEXT, required: bool = True) -> str | None:
    value = " ".join(str(form.get(field) or "").split()) if field != "note" else str(form.get(field) or "").strip()
    if not value:
        if required:
            raise FieldError(field, f"请填写{label}")
        return None
    if len(value) > limit:
        raise FieldError(field, f"{label}不能超过 {limit} 个字")
    return value


def _date(form: dict, field: str, label: str) -> date:
    raw = str(form.get(field) or "").strip()
    if not raw:
        raise FieldError(field, f"请选择{label}")
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise FieldError(field, f"{label}格式应为 YYYY-MM-DD") from None


def _choice(form: dict, field: str, label: str, options: dict[str, str]) -> str:
    value = form.get(field)
    if value not in options:
        raise FieldError(field, f"请选择{label}（{'、'.join(options.values())}）")
    return value


def _ticket(conn: Connection, number: str | None) -> dict:
    ticket = ticket_sql.ticket_by_number(conn, (number or "").strip(), lock=True) if number else None
    if ticket is None:
        raise FieldError("number", f"没有工单 {number or ''}".strip())
    return ticket


def _departments(conn: Connection, codes) -> list[str]:
    known = ticket_sql.department_codes(conn)
    chosen = [c for c in dict.fromkeys(codes or []) if c]
    unknown = [c for c in chosen if c not in known]
    if unknown:
        raise FieldError("departments", f"未知单位：{'、'.join(unknown)}")
    return chosen


def _noted(conn: Connection, ticket: dict, principal: Principal, action: str, detail: dict, now: datetime,
           audit_target: str) -> None:
    """The change in the ticket's history, on the stream (as the ticket's public view) and in the audit log."""
    ticket_sql.add_event(conn, ticket["id"], now, principal.label, action, ticket["state"], ticket["state"],
                         data=detail)
    ticket_sql.add_outbox(conn, "tickets", f"ticket.{action}",
                          {"event": f"ticket.{action}", "ticket": public_view(ticket)}, now)
    audit.record(action, actor=principal, target=audit_target, detail={"ticket": ticket["number"], **detail},
                 conn=conn)


def _require(principal: Principal | None, ticket: dict | None = None) -> Principal:
    return policy.require(principal, "supervision", policy.Target.of_ticket(ticket) if ticket else None)


# ------------------------------------------------------------------------------------------------ lists

@dataclass
class Board:
    overdue: list[dict]
    escalated: list[dict]
    escalated_counts: dict[int, int]
    repeats: list[dict]
    refiled: list[dict]
    low_satisfaction: list[dict]
    orders: list[dict]
    meetings: list[dict]
    accountabilities: list[dict]
    at_risk: list[dict] = field(default_factory=list)     # not late yet, most likely to be (services/predictions)
    overdue_count: int = 0                                 # of every late ticket; ``overdue`` lists LIST_LIMIT
    find: str | None = None                                # what the lists were narrowed to, if anything


def board(principal: Principal | None, now: datetime | None = None, find: str | None = None) -> Board:
    """Everything /supervision lists, for a principal holding ``supervision``. Each list shows its first LIST_LIMIT
    rows; ``find`` (a ticket's number or a part of its address) narrows the lists of tickets and of records to
    those it holds, so any ticket is reached. The counts, the predictions and the units stay whole."""
    _require(principal)
    now = now or utcnow()
    find = search_text(find)
    since = now - timedelta(days=RECENT_DAYS)
    cap = {"limit": LIST_LIMIT, "find": find}
    with get_engine().connect() as conn:
        return Board(
            overdue=db.overdue(conn, now, **cap), overdue_count=db.overdue_count(conn, now),
            escalated=db.escalated(conn, **cap), escalated_counts=db.escalated_counts(conn),
            repeats=_grouped_repeats(db.repeats(conn, since, **cap)), refiled=db.refiled_higher(conn, since, **cap),
            low_satisfaction=low_satisfaction(db.satisfaction_by_unit(conn, since)),
            orders=db.orders(conn, **cap), meetings=db.meetings(conn, **cap),
            accountabilities=db.accountabilities(conn, **cap),
            at_risk=predictions.riskiest(principal, 10, still_ahead=now), find=find)


def _grouped_repeats(rows: list[dict]) -> list[dict]:
    """One row per repeating ticket, the earlier tickets it repeats joined."""
    grouped: dict[str, dict] = {}
    for row in rows:
        entry = grouped.setdefault(row["number"], {**row, "earlier": []})
        entry["earlier"].append({"number": row["earlier_number"],
                                 "reasons": [REPEAT_REASONS.get(r, r) for r in row["reasons"]]})
    return list(grouped.values())


def low_satisfaction(rows: list[dict], threshold: float | None = None) -> list[dict]:
    """Units rated often enough whose content share (满意 + 基本满意) is below the threshold, worst first."""
    threshold = get_settings().low_satisfaction_rate if threshold is None else threshold
    judged = [{**r, "rate": r["content"] / r["rated"]} for r in rows if r["rated"] >= MIN_RATINGS]
    return sorted((r for r in judged if r["rate"] < threshold), key=lambda r: (r["rate"], r["department_code"]))


def ticket_records(principal: Principal | None, number: str) -> dict | None:
    """督办单, 问责, 联席会 and repeat links of one ticket, for its page; None when the principal may not read it."""
    with get_engine().connect() as conn:
        ticket = ticket_sql.ticket_by_number(conn, number)
        if ticket is None or not policy.can(principal, "ticket_read", policy.Target.of_ticket(ticket)):
            return None
        return {"orders": db.orders(conn, ticket_id=ticket["id"]), "meetings": db.meetings(conn, ticket["id"]),
                "accountabilities": db.accountabilities(conn, ticket["id"]), "links": db.links_of(conn, ticket["id"])}


def department_choices() -> dict[str, str]:
    with get_engine().connect() as conn:
        codes = sorted(ticket_sql.department_codes(conn))
        return department_names(conn, codes)


# ------------------------------------------------------------------------------------------------ 督办单

def issue_order(principal: Principal | None, form: dict, now: datetime | None = None) -> dict:
    """A 督办单: ``form`` has number, department, person, due_on, demand. The unit defaults to the lead unit."""
    _require(principal)
    now = now or utcnow()
    with get_engine().begin() as conn:
        ticket = _ticket(conn, form.get("number"))
        _require(principal, ticket)
        department = _departments(conn, [form.get("department") or ticket["lead_department_code"]])[0]
        due_on = _date(form, "due_on", "办理期限")
        if due_on < local_date(now):
            raise FieldError("due_on", "办理期限不能早于今天")
        row = {"ticket_id": ticket["id"], "department_code": department,
               "responsible_person": _text(form, "person", "责任人", MAX_NAME), "due_on": due_on,
               "demand": _text(form, "demand", "督办要求"), "issued_by": principal.label, "issued_at": now}
        order_id = db.insert_order(conn, row)
        _noted(conn, ticket, principal, "supervision_order",
               {"order": order_id, "department": department, "person": row["responsible_person"],
                "due_on": due_on.isoformat()}, now, f"supervision_order:{order_id}")
        return db.order(conn, order_id)


def _open_order(conn: Connection, principal: Principal, order_id) -> tuple[dict, dict]:
    try:
        found = db.order(conn, int(order_id), lock=True)
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise FieldError("order", f"没有督办单 {order_id}")
    ticket = ticket_sql.ticket_by_id(conn, found["ticket_id"])
    _require(principal, ticket)
    if found["closed_at"] is not None:
        raise FieldError("order", f"督办单 {order_id} 已办结，不能再修改")
    return found, ticket


def record_answer(principal: Principal | None, order_id, form: dict, now: datetime | None = None) -> dict:
    """The unit's answer to a 督办单 (as the supervisor received it)."""
    _require(principal)
    now = now or utcnow()
    with get_engine().begin() as conn:
        found, ticket = _open_order(conn, principal, order_id)
        answer = _text(form, "answer", "单位答复")
        db.update_order(conn, found["id"], {"answer": answer, "answered_at": now})
        _noted(conn, ticket, principal, "supervision_answer", {"order": found["id"]}, now,
               f"supervision_order:{found['id']}")
        return db.order(conn, found["id"])


def record_outcome(principal: Principal | None, order_id, form: dict, now: datetime | None = None) -> dict:
    """The outcome closes the 督办单; it needs the unit's answer first."""
    _require(principal)
    now = now or utcnow()
    with get_engine().begin() as conn:
        found, ticket = _open_order(conn, principal, order_id)
        if not found["answer"]:
            raise FieldError("outcome", "请先登记单位答复，再认定督办结果")
        outcome = _choice(form, "outcome", "督办结果", OUTCOMES)
        db.update_order(conn, found["id"], {"outcome": outcome, "outcome_note": _text(form, "note", "说明",
                                                                                       required=False),
                                            "closed_by": principal.label, "closed_at": now})
        _noted(conn, ticket, principal, "supervision_outcome", {"order": found["id"], "outcome": outcome}, now,
               f"supervision_order:{found['id']}")
        return db.order(conn, found["id"])


# ------------------------------------------------------------------------------------------------ 问责

def record_accountability(principal: Principal | None, form: dict, now: datetime | None = None) -> dict:
    """问责: number, person, measure (MEASURES), decided_on; optional order (of the same ticket) and note."""
    _require(principal)
    now = now or utcnow()
    with get_engine().begin() as conn:
        ticket = _ticket(conn, form.get("number"))
        _require(principal, ticket)
        order_id = form.get("order") or None
        if order_id is not None:
            linked = db.order(conn, int(order_id)) if str(order_id).isdigit() else None
            if linked is None or linked["ticket_id"] != ticket["id"]:
                raise FieldError("order", f"工单 {ticket['number']} 没有督办单 {order_id}")
            order_id = linked["id"]
        decided_on = _date(form, "decided_on", "问责日期")
        if decided_on > local_date(now):
            raise FieldError("decided_on", "问责日期不能晚于今天")
        row = {"ticket_id": ticket["id"], "order_id": order_id, "person": _text(form, "person", "被问责人", MAX_NAME),
               "measure": _choice(form, "measure", "问责方式", MEASURES), "decided_on": decided_on,
               "note": _text(form, "note", "说明", required=False), "recorded_by": principal.label,
               "recorded_at": now}
        accountability_id = db.insert_accountability(conn, row)
        _noted(conn, ticket, principal, "accountability",
               {"accountability": accountability_id, "person": row["person"], "measure": row["measure"]}, now,
               f"accountability:{accountability_id}")
        return {**row, "id": accountability_id, "number": ticket["number"]}


# ------------------------------------------------------------------------------------------------ 联席会

def convene_meeting(principal: Principal | None, form: dict, now: datetime | None = None) -> dict:
    """联席会 from a ticket: number, departments (at least two units), meeting_date (today or later)."""
    _require(principal)
    now = now or utcnow()
    with get_engine().begin() as conn:
        ticket = _ticket(conn, form.get("number"))
        _require(principal, ticket)
        departments = _departments(conn, form.get("departments"))
        if len(departments) < 2:
            raise FieldError("departments", "联席会至少需要两个单位参加")
        meeting_date = _date(form, "meeting_date", "会议日期")
        if meeting_date < local_date(now):
            raise FieldError("meeting_date", "会议日期不能早于今天")
        meeting_id = db.insert_meeting(conn, ticket["id"], meeting_date, departments, principal.label, now)
        _noted(conn, ticket, principal, "joint_meeting_convened",
               {"meeting": meeting_id, "departments": departments, "meeting_date": meeting_date.isoformat()}, now,
               f"joint_meeting:{meeting_id}")
        return db.meeting(conn, meeting_id)


def record_meeting_decision(principal: Principal | None, meeting_id, form: dict,
                            now: datetime | None = None) -> dict:
    """The decision of a 联席会 and its follow-up (who does what next)."""
    _require(principal)
    now = now or utcnow()
    with get_engine().begin() as conn:
        try:
            found = db.meeting(conn, int(meeting_id), lock=True)
        except (TypeError, ValueError):
            found = None
        if found is None:
            raise FieldError("meeting", f"没有联席会 {meeting_id}")
        ticket = ticket_sql.ticket_by_id(conn, found["ticket_id"])
        _require(principal, ticket)
        decision = _text(form, "decision", "会议决定")
        follow_up = _text(form, "follow_up", "后续跟进", required=False)
        db.record_meeting_decision(conn, found["id"], decision, follow_up, now)
        _noted(conn, ticket, principal, "joint_meeting_decision", {"meeting": found["id"]}, now,
               f"joint_meeting:{found['id']}")
        return db.meeting(conn, found["id"])
