"""The dispatcher's queue beside the map on `/`: what waits for a dispatcher (待派单, 退回, 升级, arrival deadline at
risk), most urgent deadline first, with counts; finding a ticket by number, phone (who may read callers) or address;
转办 to a unit. The queue shows no personal data (the map's panel does, for who may see it).

A held ticket (挂起, services/handling.py) has its clock stopped: it is never 到场将超时 nor late while held. One
that would be is in the queue as 挂起 (its own count), after the others; a held 升级 ticket keeps its kind with a 挂起
badge; neither shows a countdown."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from geo import ticket_search as db
from geo.db import get_engine
from services import ticket_list
from settings import get_settings
from workorders import policy
from workorders.errors import FieldError

AT_RISK_MINUTES = 15          # an arrival deadline this close, with nobody on site, puts the ticket in the queue
QUEUE_LIMIT = 200
FIND_LIMIT = 10
KINDS = {"dispatch": "待派单", "returned": "退回", "escalated": "升级", "arrival": "到场将超时", "held": "挂起"}
HELD_LABEL = KINDS["held"]


def _now() -> datetime:
    return datetime.now(timezone.utc)


def kind_of(row: dict) -> str:
    if row["state"] == "returned":
        return "returned"
    if row["state"] == "escalated":
        return "escalated"
    if row["state"] in ("registered", "reopened"):
        return "dispatch"
    return "held" if row.get("held") else "arrival"


def deadline_of(row: dict) -> datetime:
    """The deadline that matters now: arrival while nobody is on site, else resolution."""
    if row["arrival_due_at"] and not row["on_site_at"]:
        return row["arrival_due_at"]
    return row["resolve_due_at"]


def _item(row: dict, now: datetime) -> dict:
    held = bool(row.get("held"))
    due = None if held else deadline_of(row)     # a stopped clock: no countdown, never late
    return {"number": row["number"], "kind": kind_of(row), "kind_label": KINDS[kind_of(row)], "held": held,
            "category_name": row["category_name"], "street_name": row["street_name"],
            "community_name": row["community_name"], "state": row["state"], "priority": row["priority"],
            "lon": row["lon"], "lat": row["lat"], "due": due.isoformat() if due else None,
            "minutes_left": round((due - now).total_seconds() / 60) if due else None,
            "escalation_level": row["escalation_level"]}


def queue(principal: policy.Principal | None, categories: list[str] | None = None, street: str | None = None,
          now: datetime | None = None) -> dict:
    """{"items": [...], "counts": {kind: n}} of the queue, filtered by categories and street."""
    policy.require(principal, "command_map")
    now = now or _now()
    risk = now + timedelta(minutes=AT_RISK_MINUTES)
    with get_engine().connect() as conn:
        rows = db.queue(conn, now=now, at_risk_before=risk, categories=categories or None, street=street or None,
                        limit=QUEUE_LIMIT)
        found = db.queue_counts(conn, at_risk_before=risk, categories=categories or None, street=street or None)
    items = [_item(r, now) for r in rows]
    counts = {kind: found.get(kind, 0) for kind in KINDS}    # of the whole queue, not only the QUEUE_LIMIT shown
    return {"items": items, "counts": counts}


def find(principal: policy.Principal | None, typed: str | None, now: datetime | None = None) -> list[dict]:
    """Tickets by number (or its beginning), by the caller's phone (only who may read callers' tickets) or by
    a part of the typed address; newest first."""
    policy.require(principal, "command_map")
    typed = "".join((typed or "").split())
    if not typed:
        return []
    if len(typed) > ticket_list.MAX_TEXT or not typed.isprintable():
        raise FieldError("q", "请输入工单号、电话或地址")
    digits = typed.replace("-", "")
    if digits.isdigit() and len(digits) == 11 and digits.startswith("1"):
        if not policy.can(principal, "ticket_read"):
            raise policy.Forbidden("ticket_read", "没有权限：按来电号码查询")
        query = db.Query(phone=digits)
    elif digits.isdigit():
        query = db.Query(number=typed if "-" in typed or len(typed) <= 8 else f"{typed[:8]}-{typed[8:]}")
    else:
        query = db.Query(text=typed)
    now = now or _now()
    scope = policy.ticket_scope(principal) if policy.can(principal, "ticket_read") else None
    with get_engine().connect() as conn:
        rows = db.search(conn, query, now=now, timezone=get_settings().timezone, limit=FIND_LIMIT, scope=scope)
    return [_item(r, now) for r in rows]


def transfer(principal: policy.Principal | None, number: str | None, department: str | None) -> str:
    """转办 one ticket to a unit; the message to show (zh-CN). FieldError / Forbidden for what is wrong."""
    if not number:
        raise FieldError("number", "请先在队列中选择工单")
    if not department:
        raise FieldError("department", "请选择转办的承办单位")
    result = ticket_list.bulk_dispatch(principal, [number], department)
    if result.refused:
        return f"未能转办 {number}：{result.refused[0][1]}"
    return f"已转办 {number}"


def queue_options(principal: policy.Principal | None) -> tuple[list, list, list | None]:
    """(categories, streets, departments or None) the queue's controls offer; no departments without 转办."""
    options = ticket_list.filter_options()
    may_transfer = policy.can(principal, "transfer") and policy.can(principal, "dispatch")
    return options["categories"], options["streets"], (options["departments"] if may_transfer else None)
