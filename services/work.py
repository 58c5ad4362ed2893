"""承办工作台 (/work): the workplace of a handling unit — department staff, street and community staff.

Its queues (workorders/work.py: 待签收 · 办理中 · 即将超时 · 已超时 · 已办结) hold the tickets of the principal's
``policy.ticket_scope(principal, "ticket_handle")``, each row with the deadline it races against and the stored
breach risk (services.predictions, shown as the dispatcher's panel shows it, with 模型 / 基线 beside it). For one
ticket: the actions the role may take (services.ticket_desk: the same rights as /tickets/<number> and the API),
转派 to one of the unit's own crews (right ``crew_assign``), and 办结回复 — a reply the citizen reads on /track,
with up to MEDIA_MAX_PHOTOS photos (services.media), the photos and the transition in one transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Sequence

from geo import crews as crews_db
from geo import tickets as ticket_db
from geo import work as db
from geo.db import get_engine
from services import audit, handling, media, predictions, ticket_desk
from services.tickets import NotFound, Transitioned, public_view, transition, utcnow
from workorders import policy
from workorders import work as rules
from workorders.clock import local_minute, local_zone
from workorders.handling import parse_local_due
from workorders.errors import FieldError
from workorders.policy import Principal, Target
from workorders.search import search_text
from workorders.states import STATES

# Actions of ticket_desk the detail pane offers as buttons; 办结 goes through 办结回复 (the citizen must read why).
PANE_ACTIONS = ("accept", "return", "arrive", "refuse")
PHOTO_SOURCE = "work"
BASIS_LABELS = {"model": "模型", "baseline": "基线"}


def _scope(principal: Principal | None) -> dict[str, set[str]] | None:
    policy.require(principal, "ticket_handle")
    return policy.ticket_scope(principal, "ticket_handle")


# ------------------------------------------------------------------------------------------------ queues

@dataclass
class Board:
    queue: str
    counts: dict[str, int]
    rows: list[dict]
    fingerprint: str
    find: str | None = None                 # what the rows were narrowed to (number or address), if anything
    labels: dict[str, str] = field(default_factory=lambda: dict(rules.QUEUES))


def board(principal: Principal | None, queue: str | None = None, now: datetime | None = None,
          find: str | None = None) -> Board:
    """The counts of every queue and the rows of ``queue`` (the default one when unknown) for ``principal``; with
    ``find`` only the rows whose number or address holds it (a queue shows QUEUE_LIMIT rows: this reaches the rest;
    the counts stay those of the whole queues)."""
    scope = _scope(principal)
    queue = rules.queue_key(queue)
    find = search_text(find)
    now = now or utcnow()
    with get_engine().connect() as conn:
        counts, print_ = db.queue_state(conn, scope, now)
        rows = db.queue_rows(conn, scope, queue, now, limit=rules.QUEUE_LIMIT, find=find)
    return Board(queue, counts, _with_risk(rows, now), print_, find=find)


def fingerprint(principal: Principal | None, now: datetime | None = None) -> str:
    """What changes whenever the page would: the live refresh re-reads the queues only then."""
    scope = _scope(principal)
    with get_engine().connect() as conn:
        return db.queue_state(conn, scope, now or utcnow())[1]


def _with_risk(rows: list[dict], now: datetime) -> list[dict]:
    """Each row with its deadline, whether it is late, and the breach risk the screens show."""
    stored = predictions.risks([r["number"] for r in rows])
    bases = predictions.bases() if stored else {}
    out = []
    for row in rows:
        deadline = rules.current_deadline(row)
        found = predictions.late_risk(row, stored.get(row["number"])) if deadline else None
        out.append({**row, "state_label": STATES.get(row["state"], row["state"]),
                    "place": row["address"] or f"{row['community_name']} · {row['grid_name']}",
                    "deadline": deadline, "due_text": local_minute(deadline.due) if deadline else None,
                    "late": rules.is_late(row, now),
                    "risk": None if found is None else {
                        "p": found[0], "basis": BASIS_LABELS.get(bases.get(found[1], ""))}})
    return out


# ------------------------------------------------------------------------------------------------ one ticket

def _locked(conn, number: str) -> dict:
    ticket = ticket_db.ticket_by_number(conn, number, lock=True) if number and number.isprintable() else None
    if ticket is None:
        raise NotFound(f"没有工单 {number}")
    return ticket


def detail(principal: Principal | None, number: str | None) -> dict | None:
    """The selected ticket for the detail pane: operator_detail (personal data, its read audited), the actions the
    role may take, whether it may 转派 (and to which crews) and 办结回复. None: no such ticket."""
    from services.ticket_views import normalise_number, operator_detail
    policy.require(principal, "ticket_handle")
    found = operator_detail(principal, number)
    if found is None:
        return None
    with get_engine().connect() as conn:
        ticket = ticket_db.ticket_by_number(conn, normalise_number(number))
        crews = db.unit_crews(conn, policy.ticket_scope(principal, "crew_assign"))
    target = Target.of_ticket(ticket)
    actions = [a for a in ticket_desk.actions_for(principal, ticket) if a[0] in PANE_ACTIONS]
    may_assign = rules.may_assign_crew(ticket["state"]) and policy.can(principal, "crew_assign", target)
    may_reply = any(a == "resolve" for a, _, _ in ticket_desk.actions_for(principal, ticket))
    return {**found, "actions": actions, "may_assign": may_assign, "crews": crews if may_assign else [],
            "may_reply": may_reply, "photos": media.photos_of(ticket), "deadline": rules.current_deadline(ticket),
            "state": ticket["state"], "handling": _handling(principal, ticket)}


def _handling(principal: Principal, ticket: dict) -> dict:
    """The pane's 申请延期 / 挂起 / 协办: what the principal may do, and the ticket's records (the latest extension
    first: the pane shows the pending one and the outcome of the ones decided)."""
    records = handling.ticket_records(principal, ticket["number"]) or {"extensions": [], "holds": [], "assists": []}
    extensions = list(reversed(records["extensions"]))
    return {**handling.offers(principal, ticket), "extensions": extensions,
            "pending": next((e for e in extensions if e["status"] == "pending"), None),
            "open_hold": next((h for h in reversed(records["holds"]) if h["resumed_at"] is None), None),
            "assists": records["assists"] if ticket["co_department_codes"] else [],
            "suggested_due": local_minute(ticket["resolve_due_at"] + timedelta(days=1))}


# ------------------------------------------------------------------------------------------------ handling

def request_extension(principal: Principal | None, number: str, reason: str | None, due: str | None) -> dict:
    """申请延期 from the pane: the new deadline as typed (local time, '2026-12-05 18:00')."""
    policy.require(principal, "extension_request")
    return handling.request_extension(principal, number, reason, parse_local_due(due, local_zone()))


def hold(principal: Principal | None, number: str, reason: str | None) -> dict:
    return handling.hold(principal, number, reason)


def resume(principal: Principal | None, number: str) -> dict:
    return handling.resume(principal, number)


def answer_assist(principal: Principal | None, number: str, text: str | None) -> dict:
    """协办答复 for the principal's own unit (a unit answers for itself only)."""
    policy.require(principal, "assist_answer")
    return handling.answer_assist(principal, number, principal.department_code, text)


def act(principal: Principal | None, number: str, action: str, reason: str | None = None) -> Transitioned:
    """签收, 退回 (a reason required; re-routed as services.tickets does), 到场, 不予受理 — through ticket_desk."""
    if action not in PANE_ACTIONS:
        raise FieldError("action", "请选择要执行的操作")
    return ticket_desk.take_action(principal, number, action, reason)


def assign_crew(principal: Principal | None, number: str, crew: str | None,
                now: datetime | None = None) -> dict:
    """转派: one of the unit's own crews goes to a ticket the unit holds (state unchanged). The crew it had, if
    any, is free again; the new one is en route. History, stream and audit log say so, in one transaction."""
    policy.require(principal, "crew_assign")
    if not crew:
        raise FieldError("crew", "请选择转派的处置力量")
    now = now or utcnow()
    with get_engine().begin() as conn:
        ticket = _locked(conn, number)
        policy.require(principal, "crew_assign", Target.of_ticket(ticket))
        if not rules.may_assign_crew(ticket["state"]):
            raise FieldError("crew", f"工单现为“{STATES[ticket['state']]}”，不能转派")
        chosen = db.unit_crew(conn, policy.ticket_scope(principal, "crew_assign"), crew)
        if chosen is None:
            raise FieldError("crew", f"{crew} 不是本单位的处置力量")
        if chosen["code"] == ticket["crew_code"]:
            raise FieldError("crew", f"工单已由 {chosen['name']} 处置")
        previous = ticket["crew_code"]
        if previous:
            _crew_status(conn, previous, "available", now)
        _crew_status(conn, chosen["code"], "en_route", now)
        ticket_db.update_ticket(conn, ticket["id"], {"crew_code": chosen["code"], "updated_at": now})
        ticket_db.add_event(conn, ticket["id"], now, principal.label, "assign_crew", ticket["state"], ticket["state"],
                            data={"crew": chosen["code"], **({"from_crew": previous} if previous else {})})
        updated = ticket_db.ticket_by_id(conn, ticket["id"])
        ticket_db.add_outbox(conn, "tickets", "ticket.assign_crew",
                             {"event": "ticket.assign_crew", "ticket": public_view(updated)}, now)
        audit.record("ticket_assign_crew", actor=principal, target=f"ticket:{ticket['number']}",
                     detail={"crew": chosen["code"], "from_crew": previous}, conn=conn)
        return {**updated, "crew_name": chosen["name"]}


def _crew_status(conn, crew: str, status: str, now: datetime) -> None:
    """As services.tickets moves a crew: the row and a crew.status event for the maps."""
    crews_db.set_crew_status(conn, crew, status)
    ticket_db.add_outbox(conn, "crews", "crew.status", {"event": "crew.status", "crew": crew, "status": status}, now)


def resolve_with_reply(principal: Principal | None, number: str, reply: str | None,
                       uploads: Sequence[media.Upload] = ()) -> Transitioned:
    """办结回复: the reply (the resolve event's reason, and ``data.reply``, which /track shows the citizen) and up to
    MEDIA_MAX_PHOTOS photos of the work done (public: /track shows them too). A refused photo, a missing reply or
    a ticket that cannot be resolved stores nothing."""
    policy.require(principal, "ticket_handle")
    text = rules.reply_text(reply)
    prepared = media.prepare_all(list(uploads))       # every photo checked before anything is written
    with media.staged(prepared) as batch, get_engine().begin() as conn:
        ticket = _locked(conn, number)
        policy.require_action(principal, "resolve", Target.of_ticket(ticket))
        if prepared:
            media.attach(conn, ticket, batch, actor=principal.label, source=PHOTO_SOURCE, public=True)
        return transition(number, "resolve", principal, reason=text, data={"reply": text}, conn=conn)
