"""The grid worker's phone (/m): report what they see in their grid, work the tasks dispatched to their crew, and
send their position while on a task.

Every function takes the signed-in ``policy.Principal`` and asks workorders/policy.py; the door (mobile/views.py)
only parses the form and renders. Refusals are ``policy.Forbidden`` (403), ``IntakeError`` / ``MediaError``
naming the form field (400), ``TransitionRefused`` (409) and ``NotFound`` (404).

Coordinates arrive from ``navigator.geolocation`` as WGS-84. A phone app or a map SDK may hand over GCJ-02
(AMap, Tencent): such a point is marked ``datum=gcj02`` and converted here, at the edge, so that everything
behind this module is WGS-84.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from geo import tickets as ticket_db
from geo.crs import gcj02_to_wgs84
from geo.db import get_engine
from services import live, media
from services import tickets as intake
from services.catalogue import categories
from services.ticket_reads import tickets_for
from services.tickets import IntakeError, NewTicket, NotFound, Transitioned
from workorders import policy
from workorders.catalogue import Category
from workorders.policy import Principal, Target

DATUMS = ("wgs84", "gcj02")
# A task is the worker's own while it is dispatched to their crew and not yet done.
TASK_STATES = ("dispatched", "accepted", "on_site", "escalated", "joint_meeting")
MAX_TASKS = 50
SOURCE = "grid_worker"          # the photos' source (ticket_photos.source)
MAX_TEXT = 2000


@dataclass(frozen=True)
class Report:
    """The report form as the door read it (strings as typed; the service judges them)."""
    category: str | None
    description: str | None
    lon: str | None = None
    lat: str | None = None
    datum: str | None = None
    form_key: str | None = None     # one per form shown: a double submit on a slow link files one ticket


class ReportInvalid(IntakeError):
    """The report form, every wrong field at once (``errors``: field → message)."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        field, message = next(iter(errors.items()))
        super().__init__(field, message)


# ------------------------------------------------------------------------------------------------ reading

def report_categories(principal: Principal | None) -> list[Category]:
    """The categories a grid worker may report, as the catalogue lists them."""
    policy.require(principal, "grid_tasks")
    return sorted(categories().values(), key=lambda c: c.code)


def my_tasks(principal: Principal | None) -> list[dict]:
    """The open tickets dispatched to the worker's own crew, the most urgent deadline first."""
    policy.require(principal, "grid_tasks")
    if not principal.crew_code:
        return []
    rows = tickets_for(principal, {"crew": principal.crew_code, "state": list(TASK_STATES)}, limit=MAX_TASKS)
    return sorted(rows, key=lambda t: (t["resolve_due_at"] is None, t["resolve_due_at"] or t["registered_at"],
                                       t["number"]))


def has_task(principal: Principal) -> bool:
    """Whether a task of the worker's crew is open (no personal data is read, so nothing to audit)."""
    if not principal.crew_code:
        return False
    with get_engine().connect() as conn:
        return bool(ticket_db.list_tickets(conn, {"crew": principal.crew_code, "state": list(TASK_STATES)},
                                           limit=1))


# ------------------------------------------------------------------------------------------------ location

def edge_point(lon: str | float | None, lat: str | float | None, datum: str | None) -> tuple[float, float] | None:
    """A point as the phone sent it → WGS-84 (None: no point sent). Bad numbers are an IntakeError."""
    if (lon in (None, "")) and (lat in (None, "")):
        return None
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        raise IntakeError("location", "定位数据无效，请重新定位") from None
    if not (-180 <= x <= 180 and -90 <= y <= 90) or x != x or y != y:
        raise IntakeError("location", "定位数据超出范围，请重新定位")
    datum = (datum or "wgs84").strip().lower()
    if datum not in DATUMS:
        raise IntakeError("location", f"未知的坐标系 {datum!r}（wgs84 或 gcj02）")
    if datum == "gcj02":
        wx, wy = gcj02_to_wgs84(x, y)
        x, y = float(wx), float(wy)
    return round(x, 7), round(y, 7)


# ------------------------------------------------------------------------------------------------ reporting

def _report_request(principal: Principal, form: Report) -> NewTicket:
    errors: dict[str, str] = {}
    known = categories()
    if not form.category:
        errors["category"] = "请选择问题类别"
    elif form.category not in known:
        errors["category"] = f"没有类别 {form.category!r}"
    text = (form.description or "").strip()
    if not text:
        errors["description"] = "请简要描述问题"
    elif len(text) > MAX_TEXT:
        errors["description"] = f"描述不能超过 {MAX_TEXT} 字"
    point = None
    try:
        point = edge_point(form.lon, form.lat, form.datum)
    except IntakeError as bad:
        errors["location"] = bad.message
    if point is None and not principal.grid_code and "location" not in errors:
        errors["location"] = "请先定位（您的账户未绑定网格）"
    if errors:
        raise ReportInvalid(errors)
    where = {"lon": point[0], "lat": point[1]} if point else {"grid_code": principal.grid_code}
    try:
        return NewTicket.parse({"channel": "grid_worker", "category": form.category, "description": text, **where})
    except IntakeError as refused:
        raise ReportInvalid({p.field: p.message for p in refused.problems} or {refused.field: refused.message})


def report(principal: Principal | None, form: Report, uploads: Sequence[media.Upload]) -> dict:
    """A problem seen on patrol → a ticket of channel grid_worker with its photo(s), in one transaction. The
    place must be in the worker's own grid (their location, or their grid's point when they sent none): a point
    elsewhere writes nothing. A second submit of the same form answers the first ticket."""
    policy.require(principal, "grid_tasks")
    request = _report_request(principal, form)
    prepared = media.prepare_all(uploads)
    if not prepared:
        raise ReportInvalid({"photo": "请拍摄现场照片"})
    idempotency = (f"mobile:{principal.name}", form.form_key) if form.form_key else None
    with media.staged(prepared) as batch, get_engine().begin() as conn:
        created = intake.create_ticket(request, principal, idempotency=idempotency, conn=conn)
        if not created.created:
            batch.drop()
            return created.ticket
        ticket = created.ticket
        if not policy.can(principal, "grid_tasks", Target(grid_code=ticket["grid_code"])):
            # Raising here rolls the ticket back and discards the staged photos.
            raise policy.Forbidden("grid_tasks", f"该位置属于网格 {ticket['grid_name'] or ticket['grid_code']}，"
                                                 "不在您负责的网格内，请通知该网格或拨打 96715")
        media.attach(conn, ticket, batch, actor=principal.label, source=SOURCE, now=ticket["registered_at"])
    return ticket


# ------------------------------------------------------------------------------------------------ tasks

def _own_task(conn, principal: Principal, number: str) -> dict:
    ticket = ticket_db.ticket_by_number(conn, number, lock=True) if number.isprintable() else None
    if ticket is None:
        raise NotFound(f"没有工单 {number}")
    if ticket["crew_code"] != principal.crew_code:
        raise policy.Forbidden("grid_tasks", f"工单 {number} 未派给您")
    return ticket


def arrive(principal: Principal | None, number: str) -> Transitioned:
    """到场 on a task of the worker's crew."""
    policy.require(principal, "grid_tasks")
    with get_engine().begin() as conn:
        _own_task(conn, principal, number)
        return intake.transition(number, "arrive", principal, conn=conn)


def resolve(principal: Principal | None, number: str, reply: str | None,
            uploads: Sequence[media.Upload]) -> Transitioned:
    """办结 with the photo(s) of the work done: the photos and the transition in one transaction."""
    policy.require(principal, "grid_tasks")
    reply = (reply or "").strip()
    if len(reply) > MAX_TEXT:
        raise IntakeError("reply", f"办结说明不能超过 {MAX_TEXT} 字")
    prepared = media.prepare_all(uploads)
    if not prepared:
        raise media.NoPhotos("photo", "请拍摄办结现场照片")
    with media.staged(prepared) as batch, get_engine().begin() as conn:
        ticket = _own_task(conn, principal, number)
        policy.require(principal, "ticket_handle", Target.of_ticket(ticket))
        media.attach(conn, ticket, batch, actor=principal.label, source=SOURCE)
        return intake.transition(number, "resolve", principal, reason=reply or None, conn=conn)


# ------------------------------------------------------------------------------------------------ position

class NotOnTask(IntakeError):
    """A position sent while the worker has no task: not recorded (off duty is nobody's business)."""


def send_position(principal: Principal | None, lon: str | float | None, lat: str | float | None,
                  datum: str | None = None, speed_kmh: float | None = None) -> str | None:
    """The worker's position onto the live positions path, only while a task of their crew is open."""
    policy.require(principal, "crew_position")
    point = edge_point(lon, lat, datum)
    if point is None:
        raise IntakeError("location", "缺少位置")
    if not principal.crew_code:
        raise policy.Forbidden("crew_position", "您的账户未绑定处置力量")
    if not has_task(principal):
        raise NotOnTask("task", "当前没有进行中的任务，不上报位置")
    return live.report_position(principal.crew_code, point[0], point[1], speed_kmh=speed_kmh, principal=principal)
