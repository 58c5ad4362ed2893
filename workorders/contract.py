"""The intake contract: what any door may hand to the services, written once as pydantic models.

Every way in builds these models: the REST API's JSON bodies (api/), the Open311 form (open311/params.py), the
operators' and citizens' forms (services/intake_forms.py), the one-key phones (services/alarms.py), the simulator
and the history import. A refusal is an IntakeError whose ``problems`` name every input at fault (field, rule,
Chinese words); each door only renders that list in its own shape — the API's {"error": {code, message, field}},
Open311's list of {code, description}, the forms' message beside each input. The OpenAPI document's request
schemas are generated from the same models (api/openapi.py), so the description cannot drift from the checks.

Pure: no database, no web framework. What only the database can judge (the category exists, the variant is one
of it, the address is in the gazetteer, the point lies in the district) services/tickets.py judges after.

The field types (Phone, Longitude, Latitude, Code, …) are public: any loader checks a single value with
``checked(Phone, value, "phone")`` or collects ``value_problems(...)`` without raising.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Annotated, Any, Iterable, Sequence
from urllib.parse import urlsplit

from pydantic import (AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter,
                      ValidationError, WithJsonSchema, model_validator)
from pydantic_core import InitErrorDetails, PydanticCustomError

from workorders.errors import FieldError
from workorders.privacy import digits as phone_digits
from workorders.states import ACTIONS

MAX_CODE = 32                   # category, variant, grid, department and crew codes (the columns are 32)
MAX_TEXT = 2000                 # reasons, notes, comments, URLs
MAX_DESCRIPTION = 4000
MAX_ADDRESS = 300
MAX_NAME = 100
MAX_PHONE = 32                  # tickets.citizen_phone and elder_devices.phone are 32 characters
MAX_REFERENCE = 200             # source_ref: a 110 incident number, a partner's id, an Open311 account …
MAX_TICKET_NUMBER = 20
MAX_DEVICE_ID = 64              # elder_devices.device_id
MAX_IDEMPOTENCY_KEY = 200       # idempotency_keys.key
MAX_JSON_OBJECT_BYTES = 16 * 1024
PHONE_DIGITS = (5, 15)          # extensions and landlines without area code included
PHONE_PUNCTUATION = frozenset(" -+()（）—")
# The channels a client may file through POST /api/v1/tickets (elder_phone has POST /alarms, open311 its own API).
API_CHANNELS = ("api", "hotline", "letter", "walk_in", "web", "police_110", "grid_worker")
LOCATION = "location"           # the field a problem of the place as a whole names (no point, half a point …)
NOT_A_TIME = "应为带时区的 ISO 8601 时间（如 2026-11-26T08:30:00+08:00）"


# ------------------------------------------------------------------------------------------------ problems

@dataclass(frozen=True)
class Problem:
    """One input at fault. ``words`` say in Chinese what is wrong with it; when ``named``, they follow the input's
    name, which each door gives its own way (the API the field, Open311 its parameter, a form the input's label);
    otherwise they are a whole sentence."""
    field: str          # dotted path of the contract's field: "description", "data.into", "location"
    rule: str           # stable: missing, blank, too_long, not_number, out_of_range, phone_digits, unknown_field …
    words: str
    named: bool = True

    def said(self, name: str) -> str:
        if not (self.named and name):
            return self.words
        # A Latin name stands apart; a Chinese label joins its words ("联系电话只能包含数字").
        return f"{name} {self.words}" if name.isascii() else f"{name}{self.words}"

    @property
    def message(self) -> str:
        """As the API says it: the field by its own name."""
        return self.said(self.field)


class IntakeError(FieldError):
    """A request that cannot become a ticket. ``problems`` name every input at fault; ``field`` and ``message`` are
    the first one's (what a door that shows one error at a time shows)."""

    def __init__(self, field: str, message: str, problems: Sequence[Problem] = ()):
        super().__init__(field, message)
        self.problems = tuple(problems) or (Problem(field, "refused", message, named=False),)

    @classmethod
    def of(cls, problems: Sequence[Problem]) -> "IntakeError":
        return cls(problems[0].field, problems[0].message, problems)


def _type_name(value: Any) -> str:
    return type(value).__name__


def _quoted(value: Any, length: int = 80) -> str:
    return repr(value[:length] if isinstance(value, str) else value)


# pydantic's errors of a value of the wrong type → (rule, what the value should be)
WRONG_TYPE = {"string_type": ("not_text", "应为字符串"), "int_type": ("not_integer", "应为整数"),
              "int_from_float": ("not_integer", "应为整数"), "int_parsing": ("not_integer", "应为整数"),
              "float_type": ("not_number", "应为数字"), "float_parsing": ("not_number", "应为数字"),
              "dict_type": ("not_object", "应为 JSON 对象"), "bool_type": ("not_boolean", "应为 true 或 false"),
              "datetime_type": ("not_time", NOT_A_TIME), "datetime_parsing": ("not_time", NOT_A_TIME)}


def _words(kind: str, ctx: dict, value: Any, path: str, allowed: Iterable[str]) -> tuple[str, str, bool]:
    """(rule, words, named) for one pydantic error type."""
    if value is None and kind.endswith("_type"):
        kind = "missing"            # null for a required field is a missing field
    if kind == "missing":
        return "missing", "为必填项", True
    if kind == "extra_forbidden":
        return "unknown_field", f"未知字段 {path!r}（可用字段：{', '.join(allowed)}）", False
    if kind in WRONG_TYPE:
        rule, expected = WRONG_TYPE[kind]
        got = _quoted(value, 40) if isinstance(value, str) and rule == "not_time" else _type_name(value)
        return rule, f"{expected}，收到 {got}", True
    if kind in ("string_too_long", "too_long"):
        return "too_long", f"不能超过 {ctx['max_length']} 字（收到 {len(value)} 字）", True
    if kind == "finite_number":
        return "out_of_range", f"超出范围：应为有限数字，收到 {value!r}", True
    if kind in ("greater_than_equal", "less_than_equal"):
        return "out_of_range", f"超出范围（{_bounds(ctx)}），收到 {value!r}", True
    if kind == "timezone_aware":
        return "not_time", f"{NOT_A_TIME}，缺少时区", True
    if "words" in ctx:              # our own rules say their words themselves
        return kind, ctx["words"], ctx.get("named", True)
    return kind, f"无效（{kind}）", True


def _bounds(ctx: dict) -> str:
    low, high = (f"{ctx[k]:g}" if k in ctx else None for k in ("ge", "le"))
    if low is not None and high is not None:
        return f"应在 {low} 至 {high} 之间"
    return f"应不小于 {low}" if low is not None else f"应不大于 {high}"


def problems(error: ValidationError, model: type[BaseModel] | None = None, field: str | None = None,
             sent: Iterable[str] = ()) -> list[Problem]:
    """The one translation of a pydantic ValidationError. Unknown fields come first (a caller who misspelt a field
    should hear that before what the misspelling left missing), then what is wrong with the fields ``sent``,
    then what is missing; each group in the model's field order."""
    allowed = list(model.model_fields) if model is not None else []
    sent = set(sent)
    found = []
    for detail in error.errors(include_url=False):
        loc = [str(part) for part in detail["loc"]]
        path = ".".join(([field] if field else []) + loc) or field or "body"
        rule, words, named = _words(detail["type"], detail.get("ctx") or {}, detail.get("input"), path, allowed)
        found.append(Problem(path, rule, words, named))

    def order(problem: Problem) -> int:
        if problem.rule == "unknown_field":
            return 0
        return 1 if problem.field.split(".")[0] in sent and problem.rule != "missing" else 2
    return sorted(found, key=order)


def refuse(rule: str, words: str, named: bool = True) -> PydanticCustomError:
    """An error of our own rules for a validator to raise; ``words`` and ``named`` as in Problem."""
    return PydanticCustomError(rule, "{words}", {"words": words, "named": named})


# ------------------------------------------------------------------------------------------------ field types

def _blank_is_absent(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _not_blank(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        raise refuse("blank", "不能为空")
    return value


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _phone(value: str) -> str:
    if any(not (ch.isdigit() or ch in PHONE_PUNCTUATION) for ch in value):
        raise refuse("phone_chars", "只能包含数字")
    low, high = PHONE_DIGITS
    if not low <= sum(ch.isdigit() for ch in value) <= high:
        raise refuse("phone_digits", f"应为 {low}–{high} 位数字")
    return value


def _http_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise refuse("not_http_url", f"应为 http(s) 链接，收到 {_quoted(value)}")
    return value.strip()


def _small_json(value: dict) -> dict:
    if len(json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")) > MAX_JSON_OBJECT_BYTES:
        raise refuse("too_big", f"超过 {MAX_JSON_OBJECT_BYTES // 1024} KB")
    return value


def _printable(value: str) -> str:
    if not value.isprintable():
        raise refuse("not_printable", "只能包含可见字符")
    return value


def _no_nul(value: str) -> str:
    # PostgreSQL cannot store NUL in text (psycopg2 raises before the statement is sent): refuse it as bad input
    # here, or it becomes a 500 half-way through the transaction.
    if "\x00" in value:
        raise refuse("nul_character", "不能包含空字符（NUL）")
    return value


def _iso_time(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise refuse("not_time", f"{NOT_A_TIME}，收到 {_quoted(value, 40)}") from None
    return value


def one_of(choices: Iterable[str], hint: str = "") -> Any:
    """A code from a fixed list (documented as an enum); ``hint`` tells the caller where else to turn."""
    allowed = tuple(choices)

    def check(value: str) -> str:
        if value not in allowed:
            raise refuse("not_allowed", f"的取值 {_quoted(value, 40)} 无效（可选：{', '.join(allowed)}）{hint}")
        return value
    return Annotated[str, AfterValidator(check), WithJsonSchema({"type": "string", "enum": list(allowed)})]


def optional(kind: Any) -> Any:
    """``kind`` or nothing; a blank string counts as nothing."""
    return Annotated[kind | None, BeforeValidator(_blank_is_absent)]


Code = Annotated[str, BeforeValidator(_not_blank), Field(max_length=MAX_CODE), AfterValidator(_no_nul)]
Text = Annotated[str, BeforeValidator(_not_blank), Field(max_length=MAX_TEXT), AfterValidator(_no_nul)]
Description = Annotated[str, BeforeValidator(_not_blank), Field(max_length=MAX_DESCRIPTION),
                        AfterValidator(_no_nul)]
Address = Annotated[str, Field(max_length=MAX_ADDRESS), AfterValidator(_no_nul)]
PersonName = Annotated[str, Field(max_length=MAX_NAME), AfterValidator(_no_nul)]
Phone = Annotated[str, Field(max_length=MAX_PHONE), AfterValidator(_phone),
                  Field(description=f"{PHONE_DIGITS[0]}–{PHONE_DIGITS[1]} digits; spaces, dashes, + and brackets "
                                    "are allowed between them")]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Priority = Annotated[int, Field(ge=1, le=4)]
HttpUrl = Annotated[str, Field(max_length=MAX_TEXT, json_schema_extra={"format": "uri"}), AfterValidator(_http_url)]
JsonObject = Annotated[dict[str, Any], BeforeValidator(lambda v: {} if v is None else v), AfterValidator(_small_json)]
TicketNumber = Annotated[str, Field(max_length=MAX_TICKET_NUMBER), AfterValidator(_no_nul)]
Reference = Annotated[str, Field(max_length=MAX_REFERENCE), AfterValidator(_no_nul)]
DeviceId = Annotated[str, BeforeValidator(_not_blank), Field(max_length=MAX_DEVICE_ID), AfterValidator(_stripped)]
Time = Annotated[AwareDatetime, BeforeValidator(_iso_time)]
IdempotencyKey = Annotated[str, BeforeValidator(_stripped), Field(min_length=1, max_length=MAX_IDEMPOTENCY_KEY),
                           AfterValidator(_printable)]


@lru_cache(maxsize=None)
def _adapter(kind: Any) -> TypeAdapter:
    return TypeAdapter(kind, config=ConfigDict(strict=True))


def value_problems(kind: Any, value: Any, field: str) -> list[Problem]:
    """What is wrong with one value of a field type (empty: nothing)."""
    try:
        _adapter(kind).validate_python(value)
    except ValidationError as error:
        return problems(error, field=field)
    return []


def checked(kind: Any, value: Any, field: str) -> Any:
    """The value as the field type makes it; IntakeError naming ``field`` when it is not one."""
    try:
        return _adapter(kind).validate_python(value)
    except ValidationError as error:
        raise IntakeError.of(problems(error, field=field)) from None


def idempotency_key(raw: str | None, field: str = "Idempotency-Key") -> str | None:
    """A client's Idempotency-Key, trimmed; None when none was sent."""
    if raw is None or not raw.strip():
        return None
    return checked(IdempotencyKey, raw, field)


# ------------------------------------------------------------------------------------------------ the models

class Contract(BaseModel):
    """A request that exists is a valid one: building it (``Model(**values)`` or ``Model.parse(values)``) checks
    every field and the rules across fields, and refuses with one IntakeError listing every problem found."""
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    def __init__(self, **values: Any):
        try:
            super().__init__(**values)
        except ValidationError as error:
            raise IntakeError.of(problems(error, type(self), sent=values)) from None

    @classmethod
    def parse(cls, values: dict[str, Any]):
        """The model of a decoded body (JSON object, form values); IntakeError when it is not one."""
        if not all(isinstance(key, str) for key in values):
            raise IntakeError("body", "字段名须为字符串")
        return cls(**values)

    @classmethod
    def cross_checks(cls, values: dict[str, Any]) -> list[tuple[str, str, str]]:
        """Rules across fields as (field, rule, words), judged on the values as sent (so they are reported
        together with the problems of single fields)."""
        return []

    @model_validator(mode="wrap")
    @classmethod
    def _whole_request(cls, values: Any, handler):
        across = [InitErrorDetails(type=refuse(rule, words, named=False), loc=tuple(field.split(".")), input=values)
                  for field, rule, words in (cls.cross_checks(values) if isinstance(values, dict) else [])]
        try:
            model = handler(values)
        except ValidationError as error:
            if not across:
                raise
            across = [_again(detail) for detail in error.errors(include_url=False)] + across
        if across:
            raise ValidationError.from_exception_data(cls.__name__, across)
        return model


def _again(detail: dict) -> InitErrorDetails:
    """A field's error raised again beside the cross-field ones, keeping its type and context for problems()."""
    ctx = {**(detail.get("ctx") or {}), "_message": detail["msg"]}
    return InitErrorDetails(type=PydanticCustomError(detail["type"], "{_message}", ctx), loc=detail["loc"],
                            input=detail.get("input"))


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


class TicketFields(Contract):
    """A request to register a ticket: what, where (lat and lon, or an address, or a grid code) and from whom."""
    channel: Code
    category: Code = Field(description="a code of GET /categories")
    description: Description
    lat: optional(Latitude) = None
    lon: optional(Longitude) = None
    address: optional(Address) = Field(None, description="matched in the gazetteer when lat/lon are not given")
    grid_code: optional(Code) = None
    variant: optional(Code) = Field(None, description="a variant of the category (e.g. heating indoor/outdoor)")
    citizen_name: optional(PersonName) = None
    citizen_phone: optional(Phone) = None
    priority: Priority | None = Field(None, description="1 most urgent … 4; default the category's")
    media_url: optional(HttpUrl) = Field(None, description="a photo of the matter")
    attributes: JsonObject = Field(default_factory=dict)
    related_number: optional(TicketNumber) = Field(None, description="越级: the number of the ticket this one "
                                                                     "repeats")
    source_ref: optional(Reference) = Field(None, description="the 110 incident number, a partner system's own "
                                                              "reference …")

    @classmethod
    def cross_checks(cls, values: dict[str, Any]) -> list[tuple[str, str, str]]:
        """Where: lat and lon together, or an address, or a grid code."""
        lat, lon = values.get("lat") is not None, values.get("lon") is not None
        if lat != lon:
            return [(LOCATION, "lat_lon_pair", "经纬度须同时提供 (lat and lon together)")]
        if not lat and not _present(values.get("address")) and not _present(values.get("grid_code")):
            return [(LOCATION, "no_location", "缺少位置：需要经纬度、地址或网格编码之一")]
        return []


class NewTicket(TicketFields):
    """A request to register, from any door: what services.tickets.create_ticket takes."""
    registered_by: optional(str) = None
    registered_at: AwareDatetime | None = None      # history import only; live intake uses the clock


class TicketBody(TicketFields):
    """The body of POST /api/v1/tickets (who may use which channel is api/intake.py's)."""
    model_config = ConfigDict(title="NewTicket", json_schema_extra={
        "description": "Location: lat and lon together, or address (matched in the gazetteer), or grid_code."})
    channel: one_of(API_CHANNELS, "；一键通请用 POST /api/v1/alarms") = Field(
        "api", description="anonymous callers: api or web only; grid_worker needs a grid worker's key (and is its "
                           "default); police_110 needs priority and source_ref")
    priority: Priority | None = Field(None, description="1 most urgent; default the category's; needs a key; "
                                                        "required for 110")
    media_url: optional(HttpUrl) = Field(None, description="photo; required for grid_worker")


class Transition(Contract):
    """The body of POST /api/v1/tickets/<number>/transitions."""
    action: one_of(ACTIONS) = Field(description="allowed only from the states of the transition table (else 409); "
                                    + "; ".join(f"{a.name}: from {', '.join(sorted(a.sources))}"
                                                for a in ACTIONS.values()))
    reason: optional(Text) = Field(None, description="required for "
                                   + ", ".join(a.name for a in ACTIONS.values() if a.needs_reason))
    department: optional(Code) = Field(None, description="dispatch: the lead department's code")
    crew: optional(Code) = Field(None, description="dispatch: the crew's code")
    data: JsonObject = Field(default_factory=dict, description='merge: {"into": "<number>"}; joint_meeting: '
                                                               "{departments, meeting_date, decision, follow_up}")

    @classmethod
    def cross_checks(cls, values: dict[str, Any]) -> list[tuple[str, str, str]]:
        action = values.get("action")
        if not isinstance(action, str) or action not in ACTIONS:
            return []
        found = []
        if ACTIONS[action].needs_reason and not _present(values.get("reason")):
            found.append(("reason", "needs_reason", f"{ACTIONS[action].label}（{action}）须说明理由 reason"))
        data = {} if values.get("data") is None else values["data"]
        if isinstance(data, dict):
            found += _action_data(action, data)
        return found


def _action_data(action: str, data: dict) -> list[tuple[str, str, str]]:
    """The parts of ``data`` the services read for merge and joint_meeting."""
    if action == "merge" and not (isinstance(data.get("into"), str) and data["into"].strip()):
        return [("data.into", "missing", "合并须在 data.into 中给出主工单编号")]
    if action != "joint_meeting":
        return []
    found = []
    departments = data.get("departments")
    if departments is not None and not (isinstance(departments, list) and departments and all(
            isinstance(d, str) and 0 < len(d) <= MAX_CODE for d in departments)):
        found.append(("data.departments", "not_codes", "data.departments 应为部门编码列表"))
    meeting_date = data.get("meeting_date")
    if meeting_date is not None:
        try:
            date.fromisoformat(meeting_date if isinstance(meeting_date, str) else "")
        except ValueError:
            found.append(("data.meeting_date", "not_date",
                          f"data.meeting_date 应为日期 YYYY-MM-DD，收到 {meeting_date!r:.40}"))
    for name in ("decision", "follow_up"):
        if data.get(name) is not None and not isinstance(data[name], str):
            found.append((f"data.{name}", "not_text", f"data.{name} 应为字符串"))
    return found


class Evaluation(Contract):
    """The body of POST /api/v1/evaluations/<token>: the citizen's rating."""
    satisfaction: Code
    comment: optional(Text) = None


class SupervisionAction(Contract):
    """The body of POST /api/v1/supervisions/<id>/actions: what was done about a late ticket."""
    note: Text


class Alarm(Contract):
    """The body of POST /api/v1/alarms: an elder pressed the one-key phone."""
    device_id: DeviceId
    category: optional(Code) = Field(None, description="default: other")


class CrewPosition(Contract):
    """The body of POST /api/v1/crews/<code>/position: a crew's mobile client reports where it is."""
    lon: Longitude
    lat: Latitude
    at: Time | None = Field(None, description="when (ISO 8601 with offset); default: when it arrives")
    speed_kmh: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None


# ------------------------------------------------------------------------------------------------ handling (issue 11)

class ExtensionBody(Contract):
    """The body of POST /api/v1/tickets/<number>/extensions: 申请延期."""
    reason: Text
    new_due: Time = Field(description="the resolution deadline asked for (ISO 8601 with offset): later than the "
                                      "current one and now, at most 10 days after registration (plus time held)")


class ExtensionDecision(Contract):
    """The body of POST /api/v1/extensions/<id>/decision: 批准 or 驳回 (a refusal needs a note)."""
    approve: bool
    note: optional(Text) = Field(None, description="required to refuse")


class HoldBody(Contract):
    """The body of POST /api/v1/tickets/<number>/hold: 挂起."""
    reason: Text


class AssistBody(Contract):
    """The body of POST /api/v1/tickets/<number>/assists: a co-handling unit's answer (协办答复)."""
    department: Code = Field(description="the co-handling unit answering (a department key: its own)")
    text: Text
