"""The rules of a handling unit's workplace (/work, 承办工作台), in plain Python: its queues, which deadline a ticket
races against now, and what 转派 and 办结回复 accept. services/work.py applies them; geo/work.py holds their SQL."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from workorders.errors import FieldError

# The queues in the order the page shows them: key → label.
QUEUES: dict[str, str] = {
    "incoming": "待签收",      # dispatched to the unit, not accepted yet
    "working": "办理中",       # accepted, on site, escalated or at a joint meeting
    "due_soon": "即将超时",    # a deadline within DUE_SOON, none passed yet
    "overdue": "已超时",       # the resolution deadline, or the arrival deadline while nobody is there, has passed
    "done": "已办结",          # resolved in the last DONE_DAYS days
}
DEFAULT_QUEUE = "incoming"
DUE_SOON = timedelta(hours=2)
DONE_DAYS = 7
QUEUE_LIMIT = 200             # rows of one queue on the page (the count says how many there are)

INCOMING_STATES = ("dispatched",)
WORKING_STATES = ("accepted", "on_site", "escalated", "joint_meeting")
# A unit holds a ticket in these states: the deadline queues look only at them (a ticket waiting for the center's
# dispatch, or returned, is not the unit's to hurry).
HELD_STATES = INCOMING_STATES + WORKING_STATES
DONE_STATES = ("resolved", "evaluated", "closed")
# 转派 sends another crew of the unit while nobody is on site yet (a crew at the place finishes the job).
CREW_ASSIGNABLE_STATES = ("dispatched", "accepted", "escalated", "joint_meeting")
# The crews a street or a community sends are those based in its grids: its grid workers and its community
# auxiliary police (a department sends its own crews, whatever their kind).
PLACE_CREW_KINDS = ("网格员", "社区辅警")

MAX_REPLY = 1000


def queue_key(value: str | None) -> str:
    """The queue asked for; an unknown or empty one is the default (the page's tabs only send known keys)."""
    return value if value in QUEUES else DEFAULT_QUEUE


@dataclass(frozen=True)
class Deadline:
    kind: str            # "arrival" | "resolve"
    label: str           # 到场 | 办结
    due: datetime


def current_deadline(ticket: dict) -> Deadline | None:
    """The deadline a held ticket races against now: arrival while no crew is there (and it has one), else
    resolution. None once it is resolved."""
    if ticket.get("resolved_at"):
        return None
    if ticket.get("arrival_due_at") and not ticket.get("on_site_at"):
        return Deadline("arrival", "到场", ticket["arrival_due_at"])
    return Deadline("resolve", "办结", ticket["resolve_due_at"])


def is_late(ticket: dict, now: datetime) -> bool:
    """Past the resolution deadline, or past the arrival deadline with nobody there (the 已超时 queue's rule)."""
    if ticket.get("resolved_at"):
        return False
    arrival_late = bool(ticket.get("arrival_due_at") and not ticket.get("on_site_at")
                        and ticket["arrival_due_at"] <= now)
    return arrival_late or ticket["resolve_due_at"] <= now


def reply_text(value: str | None) -> str:
    """The 办结回复 the citizen reads on /track: required, at most MAX_REPLY characters."""
    text = (value or "").strip()
    if not text:
        raise FieldError("reply", "请填写办结回复（群众将在进度查询页看到）")
    if len(text) > MAX_REPLY:
        raise FieldError("reply", f"办结回复不能超过 {MAX_REPLY} 字（现 {len(text)} 字）")
    return text


def may_assign_crew(state: str) -> bool:
    return state in CREW_ASSIGNABLE_STATES
