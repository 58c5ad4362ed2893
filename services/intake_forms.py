"""The intake forms (/hotline for 热线, 信函 and 当面; /report for 民情网): form values → the contract's NewTicket.

Every refusal is an IntakeError naming the input at fault, in the form's Chinese, so the screen shows it beside
that input: the contract's problems are said with each input's label (or the form's own words, FORM_WORDS).
Also here: the caller's earlier tickets, address suggestions, map points, and the summary shown after submitting.
Who registers, merges or looks a caller up is the signed-in principal the door passes: the policy decides, the
ticket's history and the audit log name that principal (the form has no field for who the operator is).
"""
from __future__ import annotations

from typing import Any

from geo.callers import tickets_by_phone
from geo.db import get_engine
from geo.intake_reference import department_names, grid_contexts, point_context, resident_departments
from services import audit
from services import catalogue as reference
from services import tickets as intake
from services.tickets import Created, NotFound
from settings import get_settings
from workorders.catalogue import Category
from workorders.clock import local_minute
from workorders.contract import LOCATION, IntakeError, NewTicket, Problem
from workorders.deadlines import RESOLVE_DAYS
from workorders.policy import Principal, require
from workorders.privacy import digits
from workorders.states import STATES, TransitionRefused
from workorders.vocabulary import CHANNELS, priority_label

# Channels registered at the operator's desk (/hotline?channel=…), with the screen's title for each.
DESK_CHANNELS: dict[str, str] = {"hotline": "96715 热线", "letter": "信函", "walk_in": "当面来访"}
PUBLIC_CHANNEL = "web"
PLACE_KINDS = {"road": "道路", "building": "门牌", "community": "社区", "grid": "网格", "landmark": "地标"}
MAX_NAME_LENGTH = 40              # the screens' name inputs hold 40 characters
CALLER_LOOKUP_MIN_DIGITS = 7      # shorter numbers are still being typed; a lookup would only find noise
# Which input of the form shows an error about which NewTicket field.
ERROR_SLOTS = {"citizen_phone": "phone", "citizen_name": "name", "category": "category", "variant": "variant",
               "description": "description", "address": "address", LOCATION: "location", "grid_code": "location",
               "lon": "location", "lat": "location", "window_department": "window"}
# How the form names each field in a message (the phone's label depends on the channel: see _phone_label).
FORM_LABELS = {"citizen_name": "姓名", "category": "事项类别", "variant": "子类", "description": "诉求内容",
               "address": "地址", "lon": "位置", "lat": "位置"}
# The form's own words for a problem of the contract: (field, rule) → message.
FORM_WORDS = {("category", "missing"): "请选择事项类别", ("description", "missing"): "请填写诉求内容",
              ("description", "blank"): "请填写诉求内容",
              (LOCATION, "no_location"): "请填写地址并选择一条建议，或在地图上点选位置"}


def error_slot(field: str) -> str:
    """The form input that shows an IntakeError about ``field``; anything else goes to the form as a whole."""
    return ERROR_SLOTS.get(field, "form")


# ------------------------------------------------------------------------------------------------ formatting

def deadline_rule(category: Category, variant: str | None = None) -> str:
    """The category's time limits in words, shown while the operator is still typing (before any ticket)."""
    parts = []
    if category.arrival_minutes:
        parts.append(f"{category.arrival_minutes} 分钟内到场")
    # The same order of rules as workorders.deadlines.compute_deadlines.
    rule = category.variants.get(variant or category.default_variant or "") if category.variants else None
    same_day = f"当日办结（{get_settings().same_day_cutoff_hour}:00 后登记次日办结）"
    if rule and rule.resolve == "same_day":
        parts.append(same_day)
    elif rule and rule.resolve_hours:
        parts.append(f"{rule.resolve_hours} 小时内办结")
    elif category.resolve_hours:
        parts.append(f"{category.resolve_hours} 小时内办结")
    elif category.complexity == "simple":
        parts.append(same_day)
    else:
        parts.append(f"{RESOLVE_DAYS[category.complexity]} 天内办结")
    return " · ".join(parts)


# ------------------------------------------------------------------------------------------------ reference

def matching_categories(categories: dict[str, Category], query: str | None) -> list[Category]:
    """Categories whose Chinese name or code contains what was typed (all of them for nothing typed): names that
    start with it first, then the most urgent."""
    query = "".join((query or "").split()).lower()
    found = [c for c in categories.values()
             if not query or query in c.name.lower() or query in c.code.lower() or query in c.code.replace("_", "")]
    return sorted(found, key=lambda c: (not c.name.startswith(query) and not c.code.startswith(query), c.priority,
                                        c.code))


def catalogue() -> dict[str, Category]:
    return reference.categories()


def reception_windows() -> list[dict]:
    """The 12 departments resident in the center whose window can receive a walk-in visitor."""
    with get_engine().connect() as conn:
        return resident_departments(conn)


# ------------------------------------------------------------------------------------------------ form → request

def _location(values: dict) -> dict[str, Any]:
    """lon/lat of a picked suggestion or map click, else the typed address (intake looks it up)."""
    picked = values.get("location") or None
    address = (values.get("address") or "").strip() or None
    if picked:
        try:
            lon, lat = float(picked["lon"]), float(picked["lat"])
        except (KeyError, TypeError, ValueError):
            raise IntakeError(LOCATION, "位置无效，请重新选择地址或在地图上点选")
        return {"lon": lon, "lat": lat, "address": address or picked.get("label")}
    return {"address": address}


def _phone_label(channel: str) -> str:
    return "来电号码" if channel == "hotline" else "联系电话"


def form_message(problem: Problem, channel: str) -> str:
    """A problem of the contract as the form says it beside the input."""
    words = FORM_WORDS.get((problem.field, problem.rule))
    if words:
        return words
    label = _phone_label(channel) if problem.field == "citizen_phone" else FORM_LABELS.get(problem.field)
    return problem.said(label) if label else problem.message


class FormInvalid(IntakeError):
    """Several inputs of a form are wrong at once: ``errors`` maps each NewTicket field to its message."""

    def __init__(self, errors: dict[str, str]):
        field, message = next(iter(errors.items()))
        super().__init__(field, message, [Problem(f, "refused", m, named=False) for f, m in errors.items()])
        self.errors = errors


def form_request(channel: str, values: dict, *, windows: set[str] | None = None) -> NewTicket:
    """Check the whole form (every wrong input is named at once) and build the request; what only the service can
    judge (the category exists, the address is found, the point is in the district) it judges after.

    ``values``: phone, name, category, variant, address, location ({lon, lat, label} or None), description,
    window (walk-in only). Who registers it is not the form's to say (services.tickets.create_ticket).
    """
    if channel not in DESK_CHANNELS and channel != PUBLIC_CHANNEL:
        raise IntakeError("channel", f"本页面不受理渠道 {channel!r}")
    errors: dict[str, str] = {}
    phone = (values.get("phone") or "").strip() or None
    if phone is None and channel in ("hotline", PUBLIC_CHANNEL):
        errors["citizen_phone"] = f"请填写{_phone_label(channel)}"
    name = (values.get("name") or "").strip() or None
    if name and len(name) > MAX_NAME_LENGTH:
        errors["citizen_name"] = f"姓名不能超过 {MAX_NAME_LENGTH} 字"
    attributes: dict[str, Any] = {}
    if channel == "walk_in":
        window = values.get("window")
        if window and window in (windows or set()):
            attributes["window_department"] = window
        else:
            errors["window_department"] = "请选择接待来访群众的部门窗口"
    try:
        where = _location(values)
    except IntakeError as error:
        errors[error.field], where = error.message, {}
    request = {"channel": channel, "category": values.get("category") or None,
               "variant": values.get("variant") or None,
               "description": (values.get("description") or "").strip() or None, "citizen_name": name,
               "citizen_phone": phone, "attributes": attributes, **where}
    try:
        ticket = NewTicket.parse({k: v for k, v in request.items() if v is not None})
    except IntakeError as refused:
        for problem in refused.problems:
            errors.setdefault(problem.field, form_message(problem, channel))
    if errors:
        raise FormInvalid(errors)
    return ticket.model_copy(update={"citizen_phone": digits(phone) or None})


def form_errors(error: IntakeError) -> dict[str, str]:
    """Error messages by form input (slot) for an IntakeError of the form or of the service."""
    slots: dict[str, str] = {}
    for problem in error.problems:
        slots.setdefault(error_slot(problem.field), problem.message)
    return slots


def submit(channel: str, values: dict, form_key: str, principal: Principal | None) -> dict:
    """Register the form as a ticket; the same form key and values (a double submit) give the same ticket.
    ``principal``: the signed-in operator at the desk (None: a citizen on the public form)."""
    if channel in DESK_CHANNELS:
        require(principal, "intake")           # before anything is looked up for the form
    windows = {w["code"] for w in reception_windows()} if channel == "walk_in" else None
    request = form_request(channel, values, windows=windows)
    created = intake.create_ticket(request, principal, idempotency=(f"form:{channel}", form_key))
    return ticket_summary(created)


# ------------------------------------------------------------------------------------------------ after submit

def ticket_summary(created: Created) -> dict:
    """What the operator sees after submitting: number, deadlines, routing and the likely duplicates."""
    ticket = created.ticket
    with get_engine().connect() as conn:
        co_names = department_names(conn, list(ticket["co_department_codes"] or []))
        category = intake.category_of_ticket(conn, ticket)
    variant = category.variants.get(ticket["variant"] or "")
    return {
        "number": ticket["number"], "created": created.created, "channel": CHANNELS[ticket["channel"]],
        "category_name": ticket["category_name"], "variant_name": variant.name if variant else None,
        "priority": priority_label(ticket["priority"]), "state": STATES[ticket["state"]],
        **{k: local_minute(ticket[k]) for k in ("registered_at", "arrival_due_at", "resolve_due_at")},
        "department": ticket["lead_department_name"],
        "co_departments": [co_names.get(c, c) for c in ticket["co_department_codes"] or []],
        "handled_by_community": ticket["handled_by_community"],
        "place": " · ".join(p for p in (ticket["grid_name"], ticket["community_name"], ticket["street_name"]) if p),
        "address": ticket["address"],
        "duplicates": [{
            "number": d["number"], "category_name": d["category_name"], "state": STATES.get(d["state"], d["state"]),
            "registered_at": local_minute(d["registered_at"]), "metres": round(float(d["metres"])),
            "address": d["address"], "description": _shorten(d["description"], 60),
        } for d in created.duplicates],
        "merged_into": None,
    }


def _shorten(text: str | None, length: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[:length - 1] + "…"


def merge_into(number: str, into: str, principal: Principal | None) -> str:
    """Merge the ticket just registered into an open one it repeats; returns the new state's label."""
    try:
        merged = intake.merge(number, into, require(principal, "intake"))
    except NotFound:
        raise IntakeError("merge", f"没有工单 {number}")
    except TransitionRefused:
        raise IntakeError("merge", f"未能合并：工单 {into} 或 {number} 当前状态不可合并（可能已办结、已关闭或已合并）")
    return STATES[merged.ticket["state"]]


# ------------------------------------------------------------------------------------------------ caller lookup

def caller_history(principal: Principal | None, phone: str | None, limit: int = 8) -> dict | None:
    """The caller's earlier tickets, for the operator's own screen (names and numbers in full); None while the
    number is too short to be a number. Needs the ``caller_history`` right; a lookup that finds someone's
    tickets is written to the audit log (one that finds none has shown nobody's data)."""
    require(principal, "caller_history")
    number = digits(phone)
    if len(number) < CALLER_LOOKUP_MIN_DIGITS:
        return None
    with get_engine().connect() as conn:
        rows, total = tickets_by_phone(conn, number, limit)
    if total:
        audit.record("caller_history_read", actor=principal, target=f"phone:{number}",
                     detail={"tickets": total, "shown": len(rows)})
    return {"phone": number, "total": total, "tickets": [{
        "number": r["number"], "state": STATES.get(r["state"], r["state"]), "category_name": r["category_name"],
        "channel": CHANNELS.get(r["channel"], r["channel"]), "registered_at": local_minute(r["registered_at"]),
        "name": r["citizen_name"], "phone": r["citizen_phone"],
        "place": r["address"] or f"{r['street_name']} · {r['community_name']}",
    } for r in rows]}


# ------------------------------------------------------------------------------------------------ where

def address_suggestions(query: str | None, limit: int = 8) -> list[dict]:
    """Gazetteer matches of what was typed, each with where it is (grid, community, street)."""
    query = "".join((query or "").split())
    if not query:
        return []
    places = reference.search_places(query, limit=limit)
    with get_engine().connect() as conn:
        contexts = grid_contexts(conn, [p["grid_code"] for p in places if p["grid_code"]])
    suggestions = []
    for place in places:
        where = contexts.get(place["grid_code"], {})
        suggestions.append({
            "label": place["name"], "kind": PLACE_KINDS.get(place["kind"], place["kind"]),
            "lon": place["lon"], "lat": place["lat"], "grid_name": where.get("grid_name"),
            "community_name": where.get("community_name"), "street_name": where.get("street_name")})
    return suggestions


def locate(lon: float, lat: float, label: str | None = None, source: str = "map") -> dict:
    """A chosen point with the names of where it is; refused outside the district."""
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise IntakeError("location", "位置无效，请重新选择")
    with get_engine().connect() as conn:
        where = point_context(conn, lon, lat)
    if where is None:
        raise IntakeError("location", "该位置不在本辖区内，请在辖区范围内选择")
    return {"lon": lon, "lat": lat, "label": label or f"地图选点（{lon:.5f}, {lat:.5f}）", "source": source,
            **{k: where[k] for k in ("grid_name", "community_name", "street_name")}}
