"""The work order's life: states and the one table of allowed transitions."""
from __future__ import annotations

from dataclasses import dataclass

# state → Chinese label shown to people
STATES: dict[str, str] = {
    "registered": "已登记",
    "dispatched": "已派单",
    "accepted": "已签收",
    "on_site": "已到场",
    "resolved": "已办结",
    "evaluated": "已评价",
    "closed": "已关闭",
    "returned": "已退回",
    "escalated": "已升级",
    "joint_meeting": "联席会办",
    "reopened": "已重启",
    "merged": "已合并",
    "refused": "不予受理",
}
OPEN_STATES = frozenset({"registered", "dispatched", "accepted", "on_site", "returned", "escalated",
                         "joint_meeting", "reopened"})
FINAL_STATES = frozenset({"closed", "merged", "refused"})
WORKING = ("dispatched", "accepted", "on_site", "escalated", "joint_meeting")


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    sources: frozenset[str]
    target: str
    needs_reason: bool = False


def _action(name: str, label: str, sources, target: str, needs_reason: bool = False) -> Action:
    return Action(name, label, frozenset(sources), target, needs_reason)


# The allowed-transition table. Anything not listed here is refused.
ACTIONS: dict[str, Action] = {a.name: a for a in [
    _action("dispatch", "派单", {"registered", "returned", "reopened", "escalated"}, "dispatched"),
    _action("accept", "签收", {"dispatched"}, "accepted"),
    _action("return", "退回重派", {"dispatched", "accepted"}, "returned", needs_reason=True),
    _action("arrive", "到场", {"dispatched", "accepted", "escalated"}, "on_site"),
    _action("resolve", "办结", {"accepted", "on_site", "escalated", "joint_meeting"}, "resolved"),
    _action("evaluate", "评价", {"resolved"}, "evaluated"),
    _action("reopen", "重启", {"resolved", "evaluated"}, "reopened", needs_reason=True),
    _action("close", "关闭", {"resolved", "evaluated"}, "closed"),
    _action("escalate", "升级督办", {"registered", "dispatched", "accepted", "on_site", "returned", "reopened",
                                     "escalated"}, "escalated", needs_reason=True),
    _action("joint_meeting", "提交联席会", {"dispatched", "accepted", "on_site", "escalated"}, "joint_meeting"),
    _action("merge", "合并重复", {"registered", "dispatched", "returned"}, "merged", needs_reason=True),
    _action("refuse", "不予受理", {"registered", "dispatched", "returned"}, "refused", needs_reason=True),
]}


class TransitionRefused(ValueError):
    """A transition the table does not allow, or one missing its reason."""


def next_state(state: str, action: str, reason: str | None = None) -> str:
    if action not in ACTIONS:
        raise TransitionRefused(f"unknown action {action!r}; known: {', '.join(sorted(ACTIONS))}")
    rule = ACTIONS[action]
    if state not in rule.sources:
        allowed = ", ".join(sorted(rule.sources))
        raise TransitionRefused(f"cannot {action} a ticket that is {state} ({STATES.get(state, state)}); "
                                f"{action} is allowed from: {allowed}")
    if rule.needs_reason and not (reason and reason.strip()):
        raise TransitionRefused(f"{action} needs a reason")
    return rule.target


def allowed_actions(state: str) -> list[str]:
    return [name for name, rule in ACTIONS.items() if state in rule.sources]
