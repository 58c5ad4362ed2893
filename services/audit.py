"""The audit log: who did what, to what, from where, with which outcome — one row per fact, never changed.

Phase 1 writes sign-ins (and failures), sign-outs, password changes, user creation and disabling, and refused
access. The services record every change of a ticket by a user or a key (registration, each transition, a
supervision note; the product's own processes are in each ticket's history) and every read of personal data (a caller's history, an unmasked ticket, a list of tickets
with callers' names and phones); a service that writes a change passes its own ``conn`` so the change and its
audit row commit together. An API key or a system process is the actor ``api_key:NAME`` / ``system:NAME``.

"From where" is the request's address and user agent, set once per request by the web layer (``set_origin``) so
services need not know HTTP; the CLI records ``cli``.
"""
from __future__ import annotations

import csv
import io
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from geo import audit as db
from geo.db import transaction
from settings import get_settings
from workorders.cells import no_formula
from workorders.errors import FieldError
from workorders.policy import Principal

OUTCOMES = {"success": "成功", "failure": "失败", "denied": "拒绝"}
ACTIONS = {
    "sign_in": "登录", "sign_in_failed": "登录失败", "sign_out": "退出登录", "session_expired": "会话超时",
    "password_changed": "修改密码", "password_set": "重设密码", "user_created": "创建用户",
    "user_disabled": "停用用户", "access_denied": "拒绝访问", "audit_export": "导出审计日志",
    "export": "导出统计",
    "caller_history_read": "查看来电人历史工单", "ticket_read": "查看工单（含个人信息）",
    "ticket_list_read": "查询工单列表（含个人信息）", "api_key_created": "创建 API 密钥",
    "api_key_revoked": "停用 API 密钥", "ticket_created": "登记工单", "ticket_transition": "工单流转",
    "supervision_note": "督办记录",
    "supervision_order": "下达督办单", "supervision_answer": "登记督办答复", "supervision_outcome": "认定督办结果",
    "accountability": "记录问责", "joint_meeting_convened": "召集联席会", "joint_meeting_decision": "记录联席会决定",
}
ACTIONS["follow_up"] = "回访"              # issue 11: an operator's follow-up call (services.ticket_desk)
ACTIONS.update({                           # issue 11: /admin (services.admin_rules, services.admin)
    "category_created": "新增事项类别", "category_changed": "修改事项类别与派单规则", "crew_created": "新增处置力量",
    "department_created": "新增承办单位", "standard_answer_saved": "保存常用答复",
})
MAX_TARGET, MAX_AGENT = 200, 300
EXPORT_LIMIT = 100_000


@dataclass(frozen=True)
class Origin:
    address: str | None
    user_agent: str | None = None


CLI = Origin("cli", "flask cli")
_origin: ContextVar[Origin | None] = ContextVar("audit_origin", default=None)


def set_origin(origin: Origin | None) -> None:
    _origin.set(origin)


def record(action: str, *, actor: Principal | str | None = None, target: str | None = None,
           outcome: str = "success", detail: dict | None = None, origin: Origin | None = None,
           conn: Connection | None = None) -> int:
    """Append one entry. ``actor``: the principal, a name (a failed sign-in's typed username), or nobody."""
    entry = entry_of(action, actor=actor, target=target, outcome=outcome, detail=detail, origin=origin)
    if conn is not None:
        return db.insert_entry(conn, entry)
    with transaction() as own:
        return db.insert_entry(own, entry)


def entry_of(action: str, *, actor: Principal | str | None = None, target: str | None = None,
             outcome: str = "success", detail: dict | None = None, origin: Origin | None = None) -> dict:
    """The row ``record`` appends (for a statement that writes it together with the change it records)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    where = origin or _origin.get() or Origin(None)
    return {
        "at": datetime.now(timezone.utc),
        "user_id": actor.id if isinstance(actor, Principal) and actor.kind == "user" else None,
        "actor": (actor.audit_name if isinstance(actor, Principal) else actor or "anonymous")[:64],
        "action": action[:64], "target": target[:MAX_TARGET] if target else None, "outcome": outcome,
        "address": (where.address or None) and where.address[:64],
        "user_agent": (where.user_agent or None) and where.user_agent[:MAX_AGENT],
        "detail": detail,
    }


# ------------------------------------------------------------------------------------------------ reading

@dataclass(frozen=True)
class Filters:
    since: date | None = None
    until: date | None = None      # included
    actor: str | None = None
    action: str | None = None
    outcome: str | None = None
    target: str | None = None


def parse_filters(values: dict) -> Filters:
    """Filters from a form or a query string; a bad one is a FieldError naming it."""
    def day(name: str) -> date | None:
        raw = (values.get(name) or "").strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(raw[:10])
        except ValueError:
            raise FieldError(name, f"日期格式应为 YYYY-MM-DD，而不是 {raw!r}") from None

    def short(name: str, limit: int = 64) -> str | None:
        raw = (values.get(name) or "").strip()
        if len(raw) > limit:
            raise FieldError(name, f"不能超过 {limit} 个字符")
        return raw or None

    since, until = day("since"), day("until")
    if since and until and since > until:
        raise FieldError("until", "结束日期早于开始日期")
    outcome = short("outcome")
    if outcome and outcome not in OUTCOMES:
        raise FieldError("outcome", f"结果应为 {' / '.join(OUTCOMES)}")
    return Filters(since, until, short("actor"), short("action"), outcome, short("target", MAX_TARGET))


def _bounds(filters: Filters) -> tuple[datetime | None, datetime | None]:
    zone = ZoneInfo(get_settings().timezone)
    since = datetime.combine(filters.since, time(), zone) if filters.since else None
    until = datetime.combine(filters.until + timedelta(days=1), time(), zone) if filters.until else None
    return since, until


def search(filters: Filters, limit: int = 200, offset: int = 0, conn: Connection | None = None) -> list[dict]:
    since, until = _bounds(filters)
    kwargs = dict(since=since, until=until, actor=filters.actor, action=filters.action, outcome=filters.outcome,
                  target=filters.target, limit=limit, offset=offset)
    if conn is not None:
        return db.search(conn, **kwargs)
    with transaction() as own:
        return db.search(own, **kwargs)


def known_actions() -> list[str]:
    with transaction() as conn:
        return sorted(set(ACTIONS) | set(db.actions(conn)))


CSV_COLUMNS = (("at", "时间"), ("actor", "操作人"), ("action", "操作"), ("target", "对象"), ("outcome", "结果"),
               ("address", "来源地址"), ("user_agent", "客户端"), ("detail", "详情"))


def provenance(title: str, made_by: Principal, made_at: datetime | None = None) -> str:
    """The first line of every download: '部门考核 … · 导出人 王调度（dispatcher1） · 导出时间 2026-12-02 09:30:00'."""
    made_at = (made_at or datetime.now(timezone.utc)).astimezone(ZoneInfo(get_settings().timezone))
    return f"{title} · 导出人 {made_by.label}（{made_by.name}） · 导出时间 {made_at:%Y-%m-%d %H:%M:%S}"


def export_csv(rows: Iterable[dict], made_by: Principal, made_at: datetime | None = None) -> bytes:
    """CSV in UTF-8 with BOM (Excel shows the Chinese), its first line saying who made it and when."""
    zone = ZoneInfo(get_settings().timezone)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([provenance("审计日志", made_by, made_at)])
    writer.writerow([title for _, title in CSV_COLUMNS])
    for row in rows:
        writer.writerow([_cell(key, row.get(key), zone) for key, _ in CSV_COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def _cell(key: str, value, zone: ZoneInfo) -> str:
    """A typed username like ``=HYPERLINK(...)`` must not become a formula when the CSV opens in Excel: every
    cell, the detail's too (a value that is not a dict is whatever was recorded), goes through ``no_formula``."""
    return no_formula(_text(key, value, zone))


def _text(key: str, value, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    if key == "at":
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
    if key == "action":
        return ACTIONS.get(value, value)
    if key == "outcome":
        return OUTCOMES.get(value, value)
    if key == "detail":
        return ", ".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else str(value)
    return str(value)
