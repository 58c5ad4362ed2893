"""What staff do from one ticket's page (/tickets/<number>): the actions their role may take on it, taking one,
and 回访 — the operator's follow-up call to a citizen who did not rate online; and the standard answers (常用答复)
operators read out while taking a call.

Every right is the policy's, asked on the ticket itself (services.tickets.transition asks again for each move).
"""
from __future__ import annotations

from datetime import datetime, timezone

from geo import ticket_search as db
from geo import tickets as ticket_db
from geo.db import get_engine
from services import audit
from services.tickets import NotFound, Transitioned, transition
from workorders import policy
from workorders.errors import FieldError
from workorders.handling import HELD_FLAG
from workorders.states import ACTIONS, allowed_actions
from workorders.vocabulary import SATISFACTION

# Actions a person takes from the ticket page (merge needs the other number: the hotline does it; evaluate is the
# citizen's or the follow-up call's).
PAGE_ACTIONS = ("dispatch", "accept", "return", "arrive", "resolve", "reopen", "close", "escalate",
                "joint_meeting", "refuse")
MAX_NOTE = 1000
FOLLOW_UP_STATES = frozenset({"resolved"})


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _ticket(number: str) -> dict:
    with get_engine().connect() as conn:
        ticket = ticket_db.ticket_by_number(conn, number) if number and number.isprintable() else None
    if ticket is None:
        raise NotFound(f"没有工单 {number}")
    return ticket


def actions_for(principal: policy.Principal | None, ticket: dict) -> list[tuple[str, str, bool]]:
    """(action, label, needs a reason) the principal may take on this ticket in its state; none while it is held
    (挂起: services.tickets.transition refuses until it is resumed)."""
    if HELD_FLAG in (ticket.get("flags") or ()):
        return []
    target = policy.Target.of_ticket(ticket).for_moving()      # the lead unit moves it; a co-handling unit answers
    return [(name, ACTIONS[name].label, ACTIONS[name].needs_reason) for name in allowed_actions(ticket["state"])
            if name in PAGE_ACTIONS
            and any(policy.can(principal, right, target) for right in policy.ACTION_RIGHTS[name])]


def take_action(principal: policy.Principal | None, number: str, action: str, reason: str | None = None,
                department: str | None = None) -> Transitioned:
    """One action from the page; FieldError for what the person must fix, Forbidden / TransitionRefused else."""
    if principal is None:
        raise policy.SignInRequired("ticket_read")
    if action not in PAGE_ACTIONS:
        raise FieldError("action", "请选择要执行的操作")
    reason = (reason or "").strip() or None
    if reason and len(reason) > MAX_NOTE:
        raise FieldError("reason", f"说明不能超过 {MAX_NOTE} 字")
    if ACTIONS[action].needs_reason and not reason:
        raise FieldError("reason", f"“{ACTIONS[action].label}”需要填写原因")
    if department and action != "dispatch":
        department = None
    if department:
        policy.require(principal, "transfer")
    return transition(number, action, principal, reason=reason, department=department)


# ------------------------------------------------------------------------------------------------ 回访

def may_follow_up(principal: policy.Principal | None, ticket: dict) -> bool:
    """An operator calls back a citizen whose resolved ticket has no rating yet."""
    return (ticket["state"] in FOLLOW_UP_STATES and not ticket["satisfaction"]
            and policy.can(principal, "callback", policy.Target.of_ticket(ticket)))


def record_follow_up(principal: policy.Principal | None, number: str, reached: bool,
                     satisfaction: str | None = None, note: str | None = None,
                     now: datetime | None = None) -> dict:
    """A follow-up call: reached or not, and the rating the citizen gave on the phone — which is then the
    ticket's evaluation (不满意 reopens it, otherwise it is closed), by the operator who called."""
    policy.require(principal, "callback")
    note = (note or "").strip() or None
    if note and len(note) > MAX_NOTE:
        raise FieldError("note", f"回访记录不能超过 {MAX_NOTE} 字")
    if satisfaction is not None and satisfaction not in SATISFACTION:
        raise FieldError("satisfaction", "请选择：满意、基本满意或不满意")
    if satisfaction and not reached:
        raise FieldError("satisfaction", "未联系上群众时不能记录评价")
    if reached and not satisfaction:
        raise FieldError("satisfaction", "联系上群众时请记录其评价")
    now = now or _now()
    with get_engine().begin() as conn:
        ticket = ticket_db.ticket_by_number(conn, number, lock=True)
        if ticket is None:
            raise NotFound(f"没有工单 {number}")
        policy.require(principal, "callback", policy.Target.of_ticket(ticket))
        if not may_follow_up(principal, ticket):
            raise FieldError("state", "只有已办结且群众尚未评价的工单需要回访")
        db.add_follow_up(conn, ticket["id"], now, principal.label, reached, satisfaction, note)
        ticket_db.add_event(conn, ticket["id"], now, principal.label, "follow_up", ticket["state"], ticket["state"],
                            note, {"reached": reached, **({"satisfaction": satisfaction} if satisfaction else {})})
        if satisfaction:
            ticket_db.update_ticket(conn, ticket["id"], {"satisfaction": satisfaction, "evaluation_comment": note,
                                                         "evaluated_at": now})
            transition(number, "evaluate", principal, data={"satisfaction": satisfaction, "by": "follow_up"},
                       now=now, conn=conn)
            follow = "reopen" if satisfaction == "unsatisfied" else "close"
            transition(number, follow, principal, reason=(note or "回访：群众不满意") if follow == "reopen" else None,
                       now=now, conn=conn)
        audit.record("follow_up", actor=principal, target=f"ticket:{number}",
                     detail={"reached": reached, "satisfaction": satisfaction})
        return ticket_db.ticket_by_id(conn, ticket["id"])


def follow_up_calls(ticket_id: int) -> list[dict]:
    with get_engine().connect() as conn:
        return db.follow_ups(conn, ticket_id)


# ------------------------------------------------------------------------------------------------ 常用答复

def standard_answers(principal: policy.Principal | None, category: str | None = None) -> list[dict]:
    """The active standard answers for a category (and those for all), for who takes calls or reads tickets."""
    if not (policy.can(principal, "intake") or policy.can(principal, "ticket_read")):
        raise policy.Forbidden("intake")
    with get_engine().connect() as conn:
        return db.standard_answers(conn, category or None)


# ------------------------------------------------------------------------------------------------ the page

def ticket_page(principal: policy.Principal | None, number: str | None) -> dict | None:
    """services.ticket_views.operator_detail (rights, audit) and what the page adds: photos, follow-up calls,
    the actions this principal may take, whether a follow-up call is due."""
    from services.media import photos_of
    from services.ticket_views import normalise_number, operator_detail
    detail = operator_detail(principal, number)
    if detail is None:
        return None
    ticket = _ticket(normalise_number(number))
    return {**detail, "photos": photos_of(ticket), "follow_ups": follow_up_calls(ticket["id"]),
            "actions": actions_for(principal, ticket), "may_follow_up": may_follow_up(principal, ticket),
            "may_transfer": policy.can(principal, "transfer"),
            "may_supervise": policy.can(principal, "supervision", policy.Target.of_ticket(ticket)),
            "category_code": ticket["category_code"]}


def department_options() -> list[tuple[str, str]]:
    with get_engine().connect() as conn:
        return db.filter_options(conn)["departments"]
