"""Tickets as Open311 service requests: status open/closed, Chinese status notes, W3C datetimes.

What a GET may show is decided here and nowhere else: the citizen's name, phone, e-mail, account and the free
text description never appear (a description often carries names and numbers the citizen typed in).
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

from workorders.clock import local_minute as _local, w3c
from workorders.states import STATES
from workorders.vocabulary import LEVEL_NAMES, SATISFACTION

# Open311 knows only open and closed. A resolved ticket waits for the citizen's rating, but the work is done and
# reopening is the exception, so resolved and evaluated count as closed along with the final states.
CLOSED_STATES = frozenset({"resolved", "evaluated", "closed", "merged", "refused"})
OPEN_STATES = frozenset(STATES) - CLOSED_STATES


def status_of(state: str) -> str:
    return "closed" if state in CLOSED_STATES else "open"


def states_with_status(status: str) -> list[str]:
    return sorted(CLOSED_STATES if status == "closed" else OPEN_STATES)


def _detail(ticket: dict) -> str | None:
    state, lead = ticket["state"], ticket["lead_department_name"]
    satisfaction = SATISFACTION.get(ticket.get("satisfaction") or "")
    return {
        "registered": "等待派单",
        "dispatched": f"已派{lead}办理",
        "accepted": f"{lead}办理中",
        "on_site": "处置人员已到现场",
        "resolved": "等待群众评价",
        "evaluated": f"群众评价：{satisfaction}" if satisfaction else None,
        "closed": f"群众评价：{satisfaction}" if satisfaction else None,
        "returned": "重新派单中",
        "escalated": f"{LEVEL_NAMES[min(ticket['escalation_level'], 2)]}督办",
        "joint_meeting": "多部门联合办理",
        "reopened": "重新办理",
        "merged": f"与工单 {ticket.get('merged_into_number')} 重复，一并办理",
    }.get(state)


def status_notes(ticket: dict) -> str:
    """Our detailed state in Chinese: '已派单：已派区城市管理综合行政执法局办理'."""
    label = STATES.get(ticket["state"], ticket["state"])
    detail = _detail(ticket)
    notes = f"{label}：{detail}" if detail else label
    if ticket["escalation_level"] and ticket["state"] != "escalated" and ticket["state"] in OPEN_STATES:
        notes += f"（{LEVEL_NAMES[min(ticket['escalation_level'], 2)]}督办中）"
    return notes


def service_notice(ticket: dict, tz: ZoneInfo) -> str:
    state = ticket["state"]
    if state == "merged":
        return f"随工单 {ticket.get('merged_into_number')} 一并办理"
    if state == "refused":
        return "不予受理；如有疑问请拨打 96715"
    if state in CLOSED_STATES:
        return f"已于 {_local(ticket['resolved_at'], tz)} 办结" if ticket.get("resolved_at") else "已办结"
    notice = f"请于 {_local(ticket['resolve_due_at'], tz)} 前办结"
    if ticket.get("arrival_due_at") and not ticket.get("on_site_at"):
        notice += f"，{_local(ticket['arrival_due_at'], tz)} 前到场"
    return notice


def place_text(ticket: dict) -> str:
    """The address the citizen gave, else the grid the point lies in (a place, never a person)."""
    return ticket.get("address") or f"{ticket['street_name']}{ticket['grid_name']}"


def request_item(ticket: dict, tz: ZoneInfo) -> dict:
    return {
        "service_request_id": ticket["number"],
        "status": status_of(ticket["state"]),
        "status_notes": status_notes(ticket),
        "service_name": ticket["category_name"],
        "service_code": ticket["category_code"],
        "agency_responsible": ticket["lead_department_name"],
        "service_notice": service_notice(ticket, tz),
        "requested_datetime": w3c(ticket["registered_at"], tz),
        "updated_datetime": w3c(ticket["updated_at"], tz),
        "expected_datetime": w3c(ticket["resolve_due_at"], tz),
        "address": place_text(ticket),
        "address_id": ticket["grid_code"],
        "lat": round(ticket["lat"], 6),
        "long": round(ticket["lon"], 6),
        "media_url": ticket.get("media_url"),
    }


def created_item(ticket: dict, account_id: str | None, tz: ZoneInfo, media_url: str | None = None) -> dict:
    """The answer to a POST: our ticket number is the service_request_id straight away (no token to wait on);
    ``media_url`` (the photo stored, or the URL sent) only when the request carried one."""
    item = {
        "service_request_id": ticket["number"],
        "service_notice": f"已受理，工单号 {ticket['number']}；承办单位：{ticket['lead_department_name']}；"
                          f"{service_notice(ticket, tz)}",
        "account_id": account_id,
    }
    return {**item, "media_url": media_url} if media_url else item


def token_item(number: str) -> dict:
    """tokens/<token>: the token is the ticket number itself, resolved the moment it exists."""
    return {"service_request_id": number, "token": number}
