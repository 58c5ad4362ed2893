"""A ticket as people read it: the citizen's public progress page, the operator's full history, and evaluation.

The public view carries no personal data — no name, phone, description or street address (a description or
address can name a person or their home) — and only the ticket whose number was asked for.
"""
from __future__ import annotations

import re
from datetime import datetime

from geo import tickets as ticket_sql
from geo.db import get_engine
from geo.intake_reference import department_names
from services import audit
from services import tickets as intake
from services.tickets import IntakeError, NotFound
from workorders import policy
from workorders.clock import local_minute
from workorders.privacy import mask_name, mask_phone
from workorders.states import ACTIONS, STATES, TransitionRefused
from workorders.vocabulary import CHANNELS, SATISFACTION, priority_label

NUMBER_PATTERN = re.compile(r"^\d{8}-\d{6}$")
ACTION_LABELS: dict[str, str] = {
    "register": "登记受理", **{name: action.label for name, action in ACTIONS.items()},
    "evaluate": "群众评价", "flag": "标记", "notify_closed": "告知办结", "add_photos": "上传照片",
}
ACTION_LABELS["follow_up"] = "回访"        # issue 11 (services.ticket_desk)
ACTION_LABELS["assign_crew"] = "转派处置力量"   # issue 11 (services.work, /work)
FLAG_LABELS = {"escalated_filing": "越级反映", "refiled_higher": "群众已越级反映"}
# Supervision (services/supervision.py): its records in the staff history, never on the public timeline.
SUPERVISION_ACTIONS = {"supervision_order": "下达督办单", "supervision_answer": "登记督办答复",
                       "supervision_outcome": "认定督办结果", "accountability": "问责",
                       "joint_meeting_convened": "召集联席会", "joint_meeting_decision": "联席会决定"}
ACTION_LABELS.update(SUPERVISION_ACTIONS)
FLAG_LABELS.update({"repeat": "重复投诉", "arrival_breached": "超过到场时限"})
# Handling (services/handling.py): extensions, holds and co-handling answers, for the staff's history only.
HANDLING_ACTIONS = {"extension_request": "申请延期", "extension_approve": "批准延期", "extension_refuse": "驳回延期",
                    "hold": "挂起", "resume": "恢复办理", "assist_answer": "协办答复"}
ACTION_LABELS.update(HANDLING_ACTIONS)
FLAG_LABELS["held"] = "挂起中"
# Events the public timeline leaves out: internal bookkeeping of the center.
INTERNAL_ACTIONS = frozenset({"flag", *SUPERVISION_ACTIONS, *HANDLING_ACTIONS})
# Reasons the public may read: written by the system, never by a person about a person.
SYSTEM_ACTORS = frozenset({"system"})


def normalise_number(number: str | None) -> str | None:
    """A ticket number as typed (spaces, full-width digits and dashes allowed), or None when it is not one."""
    text = "".join((number or "").split()).replace("－", "-").replace("—", "-")
    text = text.translate({0xFF10 + i: str(i) for i in range(10)})
    if re.fullmatch(r"\d{14}", text):
        text = f"{text[:8]}-{text[8:]}"
    return text if NUMBER_PATTERN.match(text) else None


def _history(number: str | None) -> tuple[dict, list[dict]] | None:
    """The ticket and its events for a number as typed; None for a malformed or unknown number."""
    number = normalise_number(number)
    if number is None:
        return None
    try:
        return intake.history(number)
    except NotFound:
        return None


# ------------------------------------------------------------------------------------------------ public

def public_progress(number: str | None) -> dict | None:
    """Progress of one ticket for the citizen (/track/<number>); None when there is no such ticket."""
    found = _history(number)
    if found is None:
        return None
    ticket, events = found
    with get_engine().connect() as conn:
        names = department_names(conn, [e["data"].get("department") for e in events if e["data"].get("department")])
    return {
        "number": ticket["number"], "state": ticket["state"], "state_label": STATES[ticket["state"]],
        "category_name": ticket["category_name"], "channel": CHANNELS.get(ticket["channel"], ticket["channel"]),
        "department": ticket["lead_department_name"], "street_name": ticket["street_name"],
        "community_name": ticket["community_name"],
        **{k: local_minute(ticket[k]) for k in ("registered_at", "arrival_due_at", "resolve_due_at", "resolved_at",
                                                 "closed_at")},
        "merged_into": ticket["merged_into_number"],
        "satisfaction": SATISFACTION.get(ticket["satisfaction"] or ""),
        "events": [_public_event(e, names) for e in events if e["action"] not in INTERNAL_ACTIONS],
        "reply": public_reply(events), "photos": _public_photos(ticket),
    }


def public_reply(events: list[dict]) -> str | None:
    """The unit's latest 办结回复 (services.work: ``data.reply`` of a resolve), written for the citizen. A resolve's
    plain reason is a staff note and stays off the public page."""
    for event in reversed(events):
        if event["action"] == "resolve":
            return (event["data"] or {}).get("reply")
    return None


def _public_photos(ticket: dict) -> list[str]:
    """The URL paths of the photos a unit published with its reply (anyone may open those, policy.photo_is_public)."""
    from services.media import photos_of        # services.media imports services.tickets, as this module does
    return [p["path"] for p in photos_of(ticket) if p["public"]]


def _public_event(event: dict, department_names_by_code: dict[str, str]) -> dict:
    data = event["data"] or {}
    note = None
    if event["action"] == "register":
        note = f"受理渠道：{CHANNELS.get(data.get('channel'), '—')}"
    elif event["action"] == "dispatch" and data.get("department"):
        note = f"派往 {department_names_by_code.get(data['department'], data['department'])}"
    elif event["action"] == "merge" and data.get("into"):
        note = f"与工单 {data['into']} 合并办理"
    elif event["action"] == "evaluate" and data.get("satisfaction"):
        note = SATISFACTION.get(data["satisfaction"])
    elif event["action"] == "resolve" and data.get("reply"):
        note = f"办结回复：{data['reply']}"
    elif event["action"] == "reopen" and event["actor"] == "citizen":
        note = "群众不满意，重新办理"
    elif event["actor"] in SYSTEM_ACTORS and event["reason"]:
        note = event["reason"]
    return {"at": local_minute(event["at"]), "label": ACTION_LABELS.get(event["action"], event["action"]),
            "state_label": STATES.get(event["to_state"] or "", ""), "note": note}


# ------------------------------------------------------------------------------------------------ operator

def operator_detail(principal: policy.Principal | None, number: str | None) -> dict | None:
    """Everything about one ticket for the center's own staff (/tickets/<number>): personal data in full, so the
    ``ticket_read`` right on this ticket is required and the read is written to the audit log."""
    policy.require(principal, "ticket_read")         # nobody learns even whether the number exists
    found = _history(number)
    if found is None:
        return None
    ticket, events = found
    policy.require(principal, "ticket_read", policy.Target.of_ticket(ticket))
    audit.record("ticket_read", actor=principal, target=f"ticket:{ticket['number']}", detail={"view": "operator"})
    window = (ticket["attributes"] or {}).get("window_department")
    with get_engine().connect() as conn:
        names = department_names(conn, [*ticket["co_department_codes"], *([window] if window else []),
                                        *[e["data"].get("department") for e in events if e["data"].get("department")]])
    return {
        **{k: ticket[k] for k in ("number", "state", "category_name", "description", "address", "citizen_name",
                                  "citizen_phone", "grid_name", "community_name", "street_name",
                                  "lead_department_name", "registered_by", "merged_into_number", "related_number",
                                  "crew_code", "reopened_count", "returned_count", "escalation_level")},
        "state_label": STATES[ticket["state"]], "channel": CHANNELS.get(ticket["channel"], ticket["channel"]),
        "priority": priority_label(ticket["priority"]),
        "co_departments": [names.get(c, c) for c in ticket["co_department_codes"]],
        "window": names.get(window, window) if window else None,
        "flags": [FLAG_LABELS.get(f, f) for f in ticket["flags"]],
        "satisfaction": SATISFACTION.get(ticket["satisfaction"] or ""),
        "evaluation_comment": ticket["evaluation_comment"],
        **{k: local_minute(ticket[k]) for k in ("registered_at", "arrival_due_at", "resolve_due_at", "dispatched_at",
                                              "on_site_at", "resolved_at", "closed_at")},
        "events": [{"at": local_minute(e["at"]), "label": ACTION_LABELS.get(e["action"], e["action"]),
                    "actor": e["actor"], "state_label": STATES.get(e["to_state"] or "", ""), "reason": e["reason"],
                    "note": _operator_note(e, names)} for e in events],
    }


def _operator_note(event: dict, names: dict[str, str]) -> str | None:
    """What an event's data says, in words: where it was sent, which crew, merged into what, the rating."""
    data = event["data"] or {}
    parts = []
    if data.get("department"):
        unit = "协办单位" if event["action"] == "assist_answer" else "承办单位"
        parts.append(f"{unit}：{names.get(data['department'], data['department'])}")
    if event["action"] in HANDLING_ACTIONS:
        parts += _handling_note(event["action"], data)
    if data.get("crew"):
        parts.append(f"处置力量：{data['crew']}" + (f"（原 {data['from_crew']}）" if data.get("from_crew") else ""))
    if data.get("into"):
        parts.append(f"合并到 {data['into']}")
    if data.get("master"):
        parts.append(f"主工单 {data['master']}")
    if data.get("satisfaction"):
        parts.append(SATISFACTION.get(data["satisfaction"], data["satisfaction"]))
    if data.get("flag"):
        parts.append(FLAG_LABELS.get(data["flag"], data["flag"]))
    if event["action"] == "register" and data.get("channel"):
        parts.append(f"渠道：{CHANNELS.get(data['channel'], data['channel'])}")
    if event["action"] == "follow_up":
        parts.append("已联系上群众" if data.get("reached") else "未联系上群众")
    if event["action"] == "add_photos" and data.get("count"):
        parts.append(f"照片 {data['count']} 张")
    return " · ".join(parts) or None


def _minute(iso: str | None) -> str | None:
    try:
        return local_minute(datetime.fromisoformat(iso)) if iso else None
    except (TypeError, ValueError):
        return None


def _handling_note(action: str, data: dict) -> list[str]:
    """An extension's deadlines (asked for, moved, kept) and a hold's time, in words."""
    before, after = _minute(data.get("from")), _minute(data.get("to"))
    if action == "extension_request" and after:
        return [f"申请办结时限 {before} → {after}"]
    if action == "extension_approve" and after:
        return [f"办结时限 {before} → {after}"]
    if action == "extension_refuse" and before:
        return [f"办结时限仍为 {before}"]
    if action == "hold" and data.get("ends_at"):
        return [f"最长计至 {_minute(data['ends_at'])}"]
    if action == "resume" and data.get("held_hours") is not None:
        return [f"挂起 {data['held_hours']:g} 小时，时限顺延"]
    return []


# ------------------------------------------------------------------------------------------------ evaluation

def evaluation_target(token: str | None) -> dict:
    """What /evaluate/<token> shows: ``status`` is open, done (already rated), not_ready or invalid."""
    if not token or len(token) > 64:
        return {"status": "invalid"}
    with get_engine().connect() as conn:
        ticket = ticket_sql.ticket_by_token(conn, token)
    if ticket is None:
        return {"status": "invalid"}
    view = {"number": ticket["number"], "category_name": ticket["category_name"],
            "department": ticket["lead_department_name"], "resolved_at": local_minute(ticket["resolved_at"]),
            "state_label": STATES[ticket["state"]], "citizen": mask_name(ticket["citizen_name"]),
            "phone": mask_phone(ticket["citizen_phone"])}
    if ticket["state"] == "resolved":
        return {"status": "open", **view}
    if ticket["satisfaction"]:
        return {"status": "done", "satisfaction": SATISFACTION[ticket["satisfaction"]], **view}
    return {"status": "not_ready", **view}


def submit_evaluation(token: str, satisfaction: str | None, comment: str | None) -> dict:
    """The citizen's rating; 不满意 reopens the ticket. Raises IntakeError with the reason in Chinese."""
    if satisfaction not in SATISFACTION:
        raise IntakeError("satisfaction", "请选择：满意、基本满意或不满意")
    comment = (comment or "").strip() or None
    if comment and len(comment) > 1000:
        raise IntakeError("comment", "意见不能超过 1000 字")
    try:
        ticket = intake.evaluate(token, satisfaction, comment)
    except NotFound:
        raise IntakeError("token", "评价链接无效，请核对短信中的链接")
    except TransitionRefused:
        raise IntakeError("token", "该工单已评价或当前不可评价，感谢您的反馈")
    return {"number": ticket["number"], "state": ticket["state"], "state_label": STATES[ticket["state"]],
            "satisfaction": SATISFACTION[satisfaction], "reopened": ticket["state"] == "reopened"}
