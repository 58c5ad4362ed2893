"""Rules of handling a ticket beyond its transitions: 申请延期 (extension), 挂起 (hold) and 协办 (co-handling).

Plain Python (no database, no web framework): services/handling.py reads the ticket and its records, asks here,
then writes. Every refusal is a ``FieldError`` naming the input at fault, in the words the person reads.

- An extension moves the resolution deadline only once approved (by a supervisor or the district); it needs a
  reason and a new deadline later than the current one and now, and at most the complex-matter limit
  (``RESOLVE_DAYS["complex"]`` days after registration, plus the time the ticket was held: a hold stops the clock).
  One pending request per ticket.
- A hold stops the clock: when it ends, the resolution deadline — and the arrival deadline while nobody has
  arrived — move by the time held, counted up to ``max_hours`` (a longer hold is ended by the escalation sweep
  at ``max_hours``). A ticket is held at most ``limit`` times.
- 协办: the category's co-handling units (the ticket's ``co_department_codes``) answer their part.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from workorders.clock import local_minute
from workorders.deadlines import RESOLVE_DAYS
from workorders.errors import FieldError
from workorders.states import FINAL_STATES, STATES, WORKING

MAX_TEXT = 2000
PENDING, APPROVED, REFUSED = "pending", "approved", "refused"
EXTENSION_STATUSES = {PENDING: "待审批", APPROVED: "已批准", REFUSED: "已驳回"}
# The unit asks for more time, or pauses, while it handles the ticket (not before it was dispatched, not after).
HANDLING_STATES = frozenset(WORKING)
# Co-handling units answer while the ticket is open (resolved, closed, merged, refused: nothing to add).
ASSIST_STATES = frozenset(STATES) - FINAL_STATES - {"resolved", "evaluated"}
HELD_FLAG = "held"                         # in tickets.flags while a hold is open: sweeps and transitions skip it


class HandlingConflict(FieldError):
    """What the ticket's state or records forbid now (not its input): the API answers 409."""


def _text(value: str | None, field: str, label: str) -> str:
    text = (value or "").strip()
    if not text:
        raise FieldError(field, f"请填写{label}")
    if len(text) > MAX_TEXT:
        raise FieldError(field, f"{label}不能超过 {MAX_TEXT} 个字")
    if "\x00" in text:
        raise FieldError(field, f"{label}不能包含空字符")
    return text


def _state_allows(state: str, allowed: frozenset[str], what: str) -> None:
    if state not in allowed:
        raise HandlingConflict("state", f"工单当前{STATES.get(state, state)}，不能{what}")


# ------------------------------------------------------------------------------------------------ extension

def extension_limit(registered_at: datetime, held: timedelta = timedelta()) -> datetime:
    """The latest resolution deadline an extension may give: the complex-matter limit after registration (10
    days), later by the time the ticket was held."""
    return registered_at + timedelta(days=RESOLVE_DAYS["complex"]) + held


@dataclass(frozen=True)
class ExtensionRequest:
    reason: str
    new_due: datetime


def check_extension(*, reason: str | None, new_due: datetime | None, current_due: datetime,
                    registered_at: datetime, now: datetime, state: str, pending: bool,
                    held: timedelta = timedelta()) -> ExtensionRequest:
    """A request for a later resolution deadline, as it may be filed; FieldError naming the field otherwise."""
    _state_allows(state, HANDLING_STATES, "申请延期")
    if pending:
        raise HandlingConflict("extension", "该工单已有待审批的延期申请，请等待审批结果")
    text = _text(reason, "reason", "延期理由")
    if new_due is None:
        raise FieldError("new_due", "请选择延期后的办结时限")
    if new_due.tzinfo is None:
        raise FieldError("new_due", "延期后的办结时限须带时区")
    if new_due <= current_due:
        raise FieldError("new_due", f"延期后的办结时限须晚于当前时限 {local_minute(current_due)}")
    if new_due <= now:
        raise FieldError("new_due", "延期后的办结时限须晚于现在")
    limit = extension_limit(registered_at, held)
    if new_due > limit:
        raise FieldError("new_due", f"延期后的办结时限不能晚于 {local_minute(limit)}"
                                    f"（登记后 {RESOLVE_DAYS['complex']} 日，复杂事项的最长时限）")
    return ExtensionRequest(text, new_due)


DUE_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M:%S")


def parse_local_due(value: str | None, zone: tzinfo) -> datetime:
    """A new deadline as a person types it on a screen ('2026-12-05 18:00', the district's local time) as an
    aware moment; FieldError naming ``new_due`` otherwise (the API takes ISO 8601 with an offset instead)."""
    text = " ".join((value or "").split())
    if not text:
        raise FieldError("new_due", "请填写延期后的办结时限，格式如 2026-12-05 18:00")
    for fmt in DUE_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=zone)
        except ValueError:
            continue
    raise FieldError("new_due", f"延期后的办结时限“{text[:40]}”无法识别，请按 2026-12-05 18:00 的格式填写")


def check_decision(*, status: str, approve: bool, note: str | None, requested_due: datetime,
                   current_due: datetime) -> str | None:
    """The note of a decision on a pending request (required to refuse); FieldError otherwise."""
    if status != PENDING:
        raise HandlingConflict("extension", f"该延期申请{EXTENSION_STATUSES.get(status, status)}，不能再审批")
    if not isinstance(approve, bool):
        raise FieldError("approve", "请选择批准或驳回")
    if approve and requested_due <= current_due:
        raise HandlingConflict("extension", f"申请的时限 {local_minute(requested_due)} 已不晚于当前时限 "
                                      f"{local_minute(current_due)}，无需批准")
    if not approve:
        return _text(note, "note", "驳回理由")
    text = (note or "").strip()
    return _text(text, "note", "审批意见") if text else None


# ------------------------------------------------------------------------------------------------ hold

def check_hold(*, reason: str | None, state: str, flags, holds_so_far: int, limit: int) -> str:
    """The reason of a new hold, as it may be put; FieldError otherwise."""
    if HELD_FLAG in (flags or ()):
        raise HandlingConflict("hold", "该工单已挂起")
    _state_allows(state, HANDLING_STATES, "挂起")
    if holds_so_far >= limit:
        raise HandlingConflict("hold", f"每张工单最多挂起 {limit} 次，已挂起 {holds_so_far} 次")
    return _text(reason, "reason", "挂起原因")


def held_time(held_at: datetime, until: datetime, max_hours: float) -> timedelta:
    """How long the clock stood still: the hold's time, counted up to ``max_hours``."""
    return max(timedelta(), min(until - held_at, timedelta(hours=max_hours)))


def hold_ends_at(held_at: datetime, max_hours: float) -> datetime:
    """When a hold stops counting (and the escalation sweep ends it)."""
    return held_at + timedelta(hours=max_hours)


def shifted_deadlines(ticket: dict, held: timedelta) -> dict:
    """The deadlines after a hold of ``held``: resolution always; arrival only while nobody has arrived."""
    changes = {"resolve_due_at": ticket["resolve_due_at"] + held}
    if ticket.get("arrival_due_at") is not None and ticket.get("on_site_at") is None:
        changes["arrival_due_at"] = ticket["arrival_due_at"] + held
    return changes


def without_hold_flag(flags) -> list[str]:
    return [f for f in (flags or ()) if f != HELD_FLAG]


def with_hold_flag(flags) -> list[str]:
    return [*without_hold_flag(flags), HELD_FLAG]


def check_resume(flags) -> None:
    if HELD_FLAG not in (flags or ()):
        raise HandlingConflict("hold", "该工单未挂起")


# ------------------------------------------------------------------------------------------------ 协办

def check_assist(*, department_code: str | None, co_departments, state: str, text: str | None) -> str:
    """A co-handling unit's answer, as it may be given; FieldError otherwise."""
    _state_allows(state, ASSIST_STATES, "登记协办答复")
    if not department_code:
        raise FieldError("department", "请选择协办单位")
    if department_code not in (co_departments or ()):
        raise FieldError("department", f"{department_code} 不是该工单的协办单位")
    return _text(text, "text", "协办答复")
