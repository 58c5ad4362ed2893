"""The ticket list (/tickets) and its exports: checked filters → one page with counts, or a CSV/XLSX file.

Who sees what is the policy's: the ``ticket_list`` right opens the list; who also holds ``ticket_read`` sees the
tickets of their ``ticket_scope`` with the caller's name and phone, the typed address and the content; who does
not (leaders) sees every ticket without any of those (the street and community say where). A phone search needs
``caller_history`` or ``ticket_read``. Each read that shows personal data is in the audit log, and so is each export.
"""
from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo

from geo import ticket_search as db
from geo.db import get_engine
from services import audit
from settings import get_settings
from workorders.cells import no_formula
from workorders import policy
from workorders.errors import FieldError
from workorders.states import STATES
from workorders.vocabulary import CHANNELS, SATISFACTION

PAGE_SIZE, MAX_PAGE_SIZE = 20, 100
EXPORT_LIMIT = 20_000
MAX_TEXT = 50
SORT_LABELS = {"registered_desc": "登记时间（新→旧）", "registered_asc": "登记时间（旧→新）",
               "due_asc": "办结时限（近→远）", "escalation_desc": "督办级别（高→低）", "priority_asc": "优先级（急→缓）"}
SATISFACTION_FILTER = {**SATISFACTION, "unrated": "未评价（已办结）"}


@dataclass(frozen=True)
class Page:
    rows: list[dict]
    counts: dict[str, int]        # by state, of every matching ticket
    total: int
    page: int
    pages: int
    size: int
    personal: bool                # whether rows carry names, phones and addresses
    signature: dict = field(default_factory=dict)    # {"counts", "rows"} as read (``page_signature``)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def may_list(principal: policy.Principal | None) -> bool:
    return policy.can(principal, "ticket_list")


def _require_list(principal: policy.Principal | None) -> policy.Principal:
    if principal is None:
        raise policy.SignInRequired("ticket_list")
    if not may_list(principal):
        raise policy.Forbidden("ticket_list")
    return principal


def personal_for(principal: policy.Principal | None) -> bool:
    return policy.can(principal, "ticket_read")


def _scope(principal: policy.Principal) -> dict[str, set[str]] | None:
    """A ticket_read holder's scope; a list-only reader (no personal data) reads every ticket."""
    return policy.ticket_scope(principal) if personal_for(principal) else None


# ------------------------------------------------------------------------------------------------ parsing

def _many(values: Any) -> tuple[str, ...]:
    if values in (None, ""):
        return ()
    if isinstance(values, str):
        values = values.split(",")
    return tuple(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))


def _day(field: str, value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise FieldError(field, "日期格式应为 YYYY-MM-DD") from None


def _flag(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return bool(value)
    return str(value).lower() in ("1", "true", "on", "yes")


def _known(field: str, label: str, values: tuple[str, ...], offered: Iterable[str]) -> tuple[str, ...]:
    unknown = [v for v in values if v not in set(offered)]
    if unknown:
        raise FieldError(field, f"未知{label}：{'、'.join(unknown)}")
    return values


def parse_query(values: Mapping[str, Any], options: dict[str, list[tuple[str, str]]] | None = None) -> db.Query:
    """A checked query from a form or a URL's arguments; FieldError (zh-CN) names the bad field."""
    options = options or filter_options()
    since, until = _day("since", values.get("since")), _day("until", values.get("until"))
    if since and until and since > until:
        raise FieldError("until", "结束日期不能早于开始日期")
    text = " ".join(str(values.get("q") or "").split())
    if len(text) > MAX_TEXT:
        raise FieldError("q", f"搜索内容不能超过 {MAX_TEXT} 字")
    if text and not text.isprintable():
        raise FieldError("q", "搜索内容含有不可见字符")
    sort = str(values.get("sort") or db.DEFAULT_SORT)
    if sort not in db.SORTS:
        raise FieldError("sort", "未知排序方式")
    satisfaction = str(values.get("satisfaction") or "") or None
    if satisfaction and satisfaction not in SATISFACTION_FILTER:
        raise FieldError("satisfaction", "未知评价")
    single = {}
    for field, label, key in (("street", "街道", "streets"), ("community", "社区", "communities"),
                              ("department", "承办单位", "departments")):
        value = str(values.get(field) or "") or None
        if value:
            _known(field, label, (value,), dict(options[key]))
        single[field] = value
    number = "".join(str(values.get("number") or "").split()) or None
    if number and not all(ch.isdigit() or ch == "-" for ch in number):
        raise FieldError("number", "工单号只含数字和“-”")
    phone = "".join(str(values.get("phone") or "").split()) or None
    if phone and not phone.isdigit():
        raise FieldError("phone", "电话号码只含数字")
    return db.Query(
        states=_known("state", "状态", _many(values.get("state")), STATES),
        categories=_known("category", "类别", _many(values.get("category")), dict(options["categories"])),
        channels=_known("channel", "渠道", _many(values.get("channel")), CHANNELS),
        **single, since=since, until=until, overdue=_flag(values.get("overdue")),
        escalated=_flag(values.get("escalated")), satisfaction=satisfaction, text=text or None,
        number=number, phone=phone, sort=sort)


def query_args(query: db.Query) -> dict[str, str]:
    """The URL arguments of a query (the export link follows the filters)."""
    args = {"state": ",".join(query.states), "category": ",".join(query.categories),
            "channel": ",".join(query.channels), "street": query.street, "community": query.community,
            "department": query.department, "since": query.since.isoformat() if query.since else None,
            "until": query.until.isoformat() if query.until else None, "overdue": "1" if query.overdue else None,
            "escalated": "1" if query.escalated else None, "satisfaction": query.satisfaction, "q": query.text,
            "number": query.number, "phone": query.phone,
            "sort": query.sort if query.sort != db.DEFAULT_SORT else None}
    return {k: v for k, v in args.items() if v}


def filter_options() -> dict[str, list[tuple[str, str]]]:
    with get_engine().connect() as conn:
        return db.filter_options(conn)


# ------------------------------------------------------------------------------------------------ reading

def _checked(principal: policy.Principal, query: db.Query) -> db.Query:
    """A phone is personal data: only who may read callers' tickets searches by it."""
    if query.phone and not (policy.can(principal, "caller_history") or personal_for(principal)):
        raise policy.Forbidden("caller_history", "没有权限：按来电号码查询")
    return query


def _view(row: dict, personal: bool) -> dict:
    """A row as the list shows it; without the right, no name, phone, typed address or content."""
    zone = ZoneInfo(get_settings().timezone)
    local = {k: (row[k].astimezone(zone).strftime("%Y-%m-%d %H:%M") if row[k] else None)
             for k in ("registered_at", "resolve_due_at", "arrival_due_at", "resolved_at")}
    view = {
        "number": row["number"], "state": row["state"], "state_label": STATES.get(row["state"], row["state"]),
        "category_name": row["category_name"], "channel": CHANNELS.get(row["channel"], row["channel"]),
        "street_name": row["street_name"], "community_name": row["community_name"],
        "department": row["lead_department_name"], "escalation_level": row["escalation_level"],
        "overdue": bool(row["overdue"]), "satisfaction": SATISFACTION.get(row["satisfaction"] or "", ""),
        "priority": row["priority"], **local,
    }
    if personal:
        view.update(description=row["description"], address=row["address"], citizen_name=row["citizen_name"],
                    citizen_phone=row["citizen_phone"])
    return view


def _short(value) -> str:
    return hashlib.sha1(repr(value).encode()).hexdigest()[:20]


def _signature(counts: dict[str, int], page: int, keys: Iterable[tuple]) -> dict[str, str]:
    """What the list shows, in short: "counts" (the counts and the page), "rows" (each row's number, last change
    and lateness): the live list redraws its table only when "rows" changed."""
    return {"counts": _short((sorted(counts.items()), page)),
            "rows": _short([(n, at.isoformat() if at else None, bool(late)) for n, at, late in keys])}


def _page_of(counts: dict[str, int], page: int, size: int) -> tuple[int, int]:
    """(page, pages): ``page`` within the pages ``counts`` make."""
    pages = max(1, -(-sum(counts.values()) // size))
    return min(max(1, page), pages), pages


def page_signature(principal: policy.Principal | None, query: db.Query, *, page: int = 1, size: int = PAGE_SIZE,
                   now: datetime | None = None) -> dict[str, str]:
    """The signature ``list_page`` would give the page now, from the counts and the page's numbers and times only:
    no personal data is read (so nothing to audit); the live list reads the page again only when it differs."""
    principal = _require_list(principal)
    query = _checked(principal, query)
    size = min(max(1, int(size)), MAX_PAGE_SIZE)
    now = now or _utcnow()
    tz, scope = get_settings().timezone, _scope(principal)
    with get_engine().connect() as conn:
        counts = db.counts(conn, query, now=now, timezone=tz, scope=scope)
        page, _pages = _page_of(counts, page, size)
        keys = db.page_keys(conn, query, now=now, timezone=tz, limit=size, offset=(page - 1) * size, scope=scope)
    return _signature(counts, page, keys)


def list_page(principal: policy.Principal | None, query: db.Query, *, page: int = 1, size: int = PAGE_SIZE,
              now: datetime | None = None) -> Page:
    """One page of the tickets ``principal`` may see that match ``query``, with counts by state."""
    principal = _require_list(principal)
    query = _checked(principal, query)
    size = min(max(1, int(size)), MAX_PAGE_SIZE)
    now = now or _utcnow()
    tz = get_settings().timezone
    scope = _scope(principal)
    personal = personal_for(principal)
    with get_engine().connect() as conn:
        counts = db.counts(conn, query, now=now, timezone=tz, scope=scope)
        total = sum(counts.values())
        page, pages = _page_of(counts, page, size)
        rows = db.search(conn, query, now=now, timezone=tz, limit=size, offset=(page - 1) * size, scope=scope)
    if rows and personal:
        audit.record("ticket_list_read", actor=principal, target="tickets",
                     detail={"filters": query_args(query), "count": len(rows), "page": page})
    signature = _signature(counts, page, ((r["number"], r["updated_at"], r["overdue"]) for r in rows))
    return Page([_view(r, personal) for r in rows], counts, total, page, pages, size, personal, signature)


# ------------------------------------------------------------------------------------------------ export

COLUMNS: tuple[tuple[str, str, bool], ...] = (
    # (key, header, personal)
    ("number", "工单号", False), ("registered_at", "登记时间", False), ("state_label", "状态", False),
    ("category_name", "类别", False), ("channel", "渠道", False), ("street_name", "街道", False),
    ("community_name", "社区", False), ("department", "承办单位", False), ("resolve_due_at", "办结时限", False),
    ("overdue", "超时", False), ("escalation_level", "督办级别", False), ("satisfaction", "评价", False),
    ("citizen_name", "群众姓名", True), ("citizen_phone", "联系电话", True), ("address", "地址", True),
    ("description", "诉求内容", True),
)
FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class Download:
    body: bytes
    filename: str
    rows: int


def neutralised(value: Any) -> str:
    """A cell as text that no spreadsheet runs: '=', '+', '-', '@' (and tab/CR) at the start get a quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else ""
    return no_formula(str(value))


def export(principal: policy.Principal | None, query: db.Query, fmt: str, now: datetime | None = None) -> Download:
    """The whole filtered list (at most EXPORT_LIMIT rows) as csv or xlsx; first line: who made it, when."""
    if fmt not in FORMATS:
        raise FieldError("format", f"导出格式应为 {' / '.join(FORMATS)}")
    principal = _require_list(principal)
    query = _checked(principal, query)
    now = now or _utcnow()
    personal = personal_for(principal)
    with get_engine().connect() as conn:
        rows = db.search(conn, query, now=now, timezone=get_settings().timezone, limit=EXPORT_LIMIT,
                         scope=_scope(principal))
    views = [_view(r, personal) for r in rows]
    columns = [(k, h) for k, h, p in COLUMNS if personal or not p]
    header = audit.provenance("工单列表", principal, now)
    body = _csv(views, columns, header) if fmt == "csv" else _xlsx(views, columns, header)
    local = now.astimezone(ZoneInfo(get_settings().timezone))
    filename = f"tickets-{local:%Y%m%d-%H%M}.{fmt}"
    audit.record("export", actor=principal, target=filename,
                 detail={"filters": query_args(query), "rows": len(views), "personal": personal})
    return Download(body, filename, len(views))


def _csv(rows: list[dict], columns: list[tuple[str, str]], header: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([header])
    writer.writerow([h for _, h in columns])
    for row in rows:
        writer.writerow([neutralised(row.get(k)) for k, _ in columns])
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx(rows: list[dict], columns: list[tuple[str, str]], header: str) -> bytes:
    from openpyxl import Workbook
    book = Workbook(write_only=True)
    sheet = book.create_sheet("工单列表")
    sheet.append([header])
    sheet.append([h for _, h in columns])
    for row in rows:
        # Every cell a string: openpyxl would store a string beginning with '=' as a formula.
        sheet.append([neutralised(row.get(k)) for k, _ in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def first_page_query() -> db.Query:
    return db.Query()


def with_sort(query: db.Query, sort: str) -> db.Query:
    return replace(query, sort=sort if sort in db.SORTS else db.DEFAULT_SORT)


# ------------------------------------------------------------------------------------------------ bulk

MAX_BULK = 100


@dataclass(frozen=True)
class BulkResult:
    done: list[str]
    refused: list[tuple[str, str]]     # (number, why, in Chinese)


def bulk_dispatch(principal: policy.Principal | None, numbers: Iterable[str],
                  department: str | None = None) -> BulkResult:
    """派单 (to the unit routing chose) or, with ``department``, 转办 (to that unit) for each ticket; each one
    through services.tickets.transition, which asks the policy on that ticket. One refusal stops no other."""
    from services.tickets import NotFound, transition
    from workorders.states import TransitionRefused
    policy.require(principal, "dispatch")
    if department:
        policy.require(principal, "transfer")
        if department not in dict(filter_options()["departments"]):
            raise FieldError("department", f"没有承办单位 {department}")
    numbers = list(dict.fromkeys(n for n in numbers if n))
    if not numbers:
        raise FieldError("numbers", "请先勾选工单")
    if len(numbers) > MAX_BULK:
        raise FieldError("numbers", f"一次最多 {MAX_BULK} 件")
    done, refused = [], []
    for number in numbers:
        try:
            transition(number, "dispatch", principal, department=department,
                       reason=f"转办：{department}" if department else None)
            done.append(number)
        except NotFound:
            refused.append((number, "没有此工单"))
        except TransitionRefused:
            refused.append((number, "当前状态不能派单"))
        except policy.Forbidden as no:
            refused.append((number, no.message))
    return BulkResult(done, refused)
