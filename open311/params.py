"""Open311 query strings and forms → our filters and the contract's NewTicket. Pure: no database, no Flask.

Every problem found in one request is reported at once (a list of errors, as the spec's error document allows),
each naming the Open311 parameter at fault: the form's own (attributes, e-mail, numbers written as text) and what
the contract refuses, rendered by problem_texts — which also renders what the services refuse afterwards.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from open311.errors import bad_request
from open311.mapping import Service, parse_datetime_text
from open311.reports import states_with_status
from workorders.contract import LOCATION, IntakeError, NewTicket

MAX_ROWS = 1000
DEFAULT_WINDOW = timedelta(days=90)
CHANNEL = "open311"
ATTRIBUTE_KEY = re.compile(r"^attribute\[(.*)\]$")
# Length caps of Open311's own parameters (those that become a contract field are capped by the contract).
LIMITS = {"first_name": 50, "last_name": 50, "email": 254, "device_id": 200, "account_id": 200}
# The contract's fields → the Open311 parameter a client has to fix.
PARAMS = {"category": "service_code", "description": "description", LOCATION: "lat/long", "lat": "lat",
          "lon": "long", "address": "address_string", "grid_code": "address_id", "citizen_phone": "phone",
          "citizen_name": "first_name/last_name", "media_url": "media_url", "variant": "attribute[variant]",
          "priority": "attribute[urgent]", "attributes": "attribute", "source_ref": "device_id/account_id"}
# Where Open311 says it in its own parameters' words.
WORDS = {"no_location": "缺少位置：lat 与 long、address_string 或 address_id 至少提供一项"}


class Form(Protocol):
    """What Flask's request.form / request.args offer (a werkzeug MultiDict)."""
    def get(self, key: str, default: Any = None) -> Any: ...
    def getlist(self, key: str) -> list[str]: ...
    def keys(self): ...


# Control characters (NUL above all: PostgreSQL refuses it in text) are dropped from every value on the way in.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(value: str | None) -> str:
    return _CONTROL.sub("", value or "").strip()


def _text(form: Form, key: str) -> str:
    return clean(form.get(key))


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in clean(value).split(",") if part.strip()]


# ------------------------------------------------------------------------------------------------ GET requests

def _moment(form: Form, key: str, tz: ZoneInfo, errors: list[str]) -> datetime | None:
    raw = _text(form, key)
    if not raw:
        return None
    try:
        moment = parse_datetime_text(raw)
    except ValueError as error:
        errors.append(f"{key}：{error}")
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)   # no offset: our local time


def request_filters(args: Form, now: datetime, tz: ZoneInfo, service_codes: set[str]) -> dict:
    """Filters for geo.tickets.list_tickets. service_request_id overrides every other filter (the spec says so)."""
    numbers = _split(args.get("service_request_id"))
    if numbers:
        return {"numbers": numbers[:MAX_ROWS]}
    errors: list[str] = []
    codes = _split(args.get("service_code"))
    unknown = [c for c in codes if c not in service_codes]
    if unknown:
        errors.append(f"service_code：没有服务 {', '.join(unknown)}")
    statuses = set(_split(args.get("status")))
    if statuses - {"open", "closed"}:
        errors.append(f"status：只能为 open 或 closed，收到 {', '.join(sorted(statuses - {'open', 'closed'}))}")
    start, end = _moment(args, "start_date", tz, errors), _moment(args, "end_date", tz, errors)
    if errors:
        raise bad_request(*errors)
    start, end = date_window(start, end, now)
    filters: dict[str, Any] = {"category": codes, "since": start, "until": end + timedelta(microseconds=1)}
    if len(statuses) == 1:
        filters["state"] = states_with_status(statuses.pop())
    return filters


def date_window(start: datetime | None, end: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """Both ends inclusive; 90 days when one or both are missing; a longer span is refused as the spec allows."""
    if start is None and end is None:
        return now - DEFAULT_WINDOW, now
    if start is None:
        return end - DEFAULT_WINDOW, end
    if end is None:
        return start, start + DEFAULT_WINDOW
    if start > end:
        raise bad_request("start_date 不能晚于 end_date")
    if end - start > DEFAULT_WINDOW:
        raise bad_request("start_date 至 end_date 不能超过 90 天")
    return start, end


# ------------------------------------------------------------------------------------------------ POST requests

@dataclass
class Submission:
    ticket: NewTicket
    account_id: str | None


def new_ticket(form: Form, service: Service, key_name: str) -> Submission:
    """The ticket a POST asks for; raises Open311Error(400) listing every problem of the form."""
    errors: list[str] = []
    for key, limit in LIMITS.items():
        if len(_text(form, key)) > limit:
            errors.append(f"{key}：不能超过 {limit} 个字符")
    said = len(errors)
    lon, lat = _point(form, errors)
    point_refused = len(errors) > said
    values = _attributes(form, service, errors)
    email = _email(form, errors)
    category = service.category
    variant = values.pop("variant", None)
    priority = max(1, category.priority - 1) if values.get("urgent") == "yes" else None
    extras = {"contact_email": email, "open311_account_id": _text(form, "account_id") or None,
              "open311_device_id": _text(form, "device_id") or None}
    request = {
        "channel": CHANNEL, "category": category.code, "description": _description(form, service),
        "lon": lon, "lat": lat, "address": _text(form, "address_string") or None,
        "grid_code": _text(form, "address_id") or None, "variant": variant, "citizen_name": citizen_name(form),
        "citizen_phone": _text(form, "phone") or None, "priority": priority,
        "media_url": _text(form, "media_url") or None,
        "attributes": {**values, **{k: v for k, v in extras.items() if v}},
        "source_ref": extras["open311_device_id"] or extras["open311_account_id"], "registered_by": key_name}
    try:
        ticket = NewTicket.parse(request)
    except IntakeError as refused:
        # A point that is no number was said already: the contract would only add that the place is missing.
        errors += [text for problem, text in zip(refused.problems, problem_texts(refused))
                   if not (point_refused and problem.field in (LOCATION, "lat", "lon"))]
    if errors:
        raise bad_request(*errors)
    return Submission(ticket, extras["open311_account_id"])


def _point(form: Form, errors: list[str]) -> tuple[float | None, float | None]:
    """lat and long as numbers (decimal degrees); whether they are a point of the earth is the contract's."""
    raw_lat, raw_lon = _text(form, "lat"), _text(form, "long")
    try:
        return (float(raw_lon) if raw_lon else None), (float(raw_lat) if raw_lat else None)
    except ValueError:
        errors.append(f"lat/long：应为十进制度数，收到 lat={raw_lat!r}, long={raw_lon!r}")
        return None, None


def _description(form: Form, service: Service) -> str:
    # The spec makes description optional; our tickets need text, so the service name stands in for it.
    return _text(form, "description") or f"{service.category.name}（Open311 报告，未填写描述）"


def _attributes(form: Form, service: Service, errors: list[str]) -> dict[str, Any]:
    defined = {a.code: a for a in service.attributes}
    sent: dict[str, list[str]] = {}
    for key in form.keys():
        match = ATTRIBUTE_KEY.match(key)
        if match:
            sent[match.group(1)] = [clean(v) for v in form.getlist(key) if clean(v)]
    unknown = sorted(code for code in sent if code not in defined)
    if unknown:
        errors.append(f"attribute：服务 {service.category.code} 没有属性 {', '.join(unknown)}"
                      f"（可用：{', '.join(defined) or '无'}）")
    values: dict[str, Any] = {}
    for code, attribute in defined.items():
        if not attribute.variable:      # informational: nothing to fill in, whatever a client echoes back
            continue
        if not sent.get(code):
            if attribute.required:
                errors.append(f"attribute[{code}]：缺少必填属性“{attribute.description}”")
            continue
        try:
            values[code] = attribute.parse(sent[code])
        except ValueError as error:
            errors.append(f"attribute[{code}]：{error}")
    return values


def _email(form: Form, errors: list[str]) -> str | None:
    email = _text(form, "email")
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        errors.append("email：格式无效")
        return None
    return email or None


def citizen_name(form: Form) -> str | None:
    """姓 before 名 for Chinese names (王 + 小明 → 王小明); 'First Last' for Latin ones."""
    first, last = _text(form, "first_name"), _text(form, "last_name")
    if first and last and (first + last).isascii():
        return f"{first} {last}"
    return (last + first) or None


def problem_texts(error: IntakeError) -> list[str]:
    """What the contract or a service refused, one description per problem, each naming its Open311 parameter."""
    return [f"{PARAMS.get(p.field, p.field)}：{WORDS.get(p.rule) or p.said('')}" for p in error.problems]
