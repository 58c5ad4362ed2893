"""Reading what clients send: JSON bodies (as the contract's models), query strings, the Idempotency-Key header.

Every refusal is an ApiError naming the field at fault (what the contract refuses becomes a 400 through
api.errors.invalid), so a malformed request never reaches the services (nor the database) half-understood.
"""
from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask import request

from api.errors import ApiError, invalid
from settings import get_settings
from workorders import contract
from workorders.contract import MAX_CODE, Contract, IntakeError

MAX_BODY_BYTES = 256 * 1024
IDEMPOTENCY_HEADER = "Idempotency-Key"


def bad(field: str | None, message: str, code: str = "invalid") -> ApiError:
    return ApiError(400, code, message, field)


# ------------------------------------------------------------------------------------------------ JSON bodies

def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def json_body() -> dict[str, Any]:
    """The request body as a JSON object: 415 unless it is declared JSON, 413 when huge, 400 when not an object."""
    if not request.mimetype or not (request.mimetype == "application/json" or request.mimetype.endswith("+json")):
        raise ApiError(415, "unsupported_media_type",
                       f"请求体须为 JSON（Content-Type: application/json），收到 {request.mimetype or '无类型'}")
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise ApiError(413, "payload_too_large", f"请求体超过 {MAX_BODY_BYTES // 1024} KB")
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, "payload_too_large", f"请求体超过 {MAX_BODY_BYTES // 1024} KB")
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError) as error:
        raise bad(None, f"请求体不是有效的 JSON：{error}", "bad_json") from None
    if not isinstance(body, dict):
        raise bad(None, "请求体须为 JSON 对象 {…}", "bad_json")
    return body


def body_of(model: type[Contract]) -> Contract:
    """The JSON body as the contract's ``model``: 415/413/400 for what is no JSON object, 400 naming the first
    field the model refuses."""
    return parsed(model, json_body())


def parsed(model: type[Contract], values: dict[str, Any]) -> Contract:
    try:
        return model.parse(values)
    except IntakeError as error:
        raise invalid(error) from None


# ------------------------------------------------------------------------------------------------ headers

def idempotency_key() -> str | None:
    try:
        return contract.idempotency_key(request.headers.get(IDEMPOTENCY_HEADER), IDEMPOTENCY_HEADER)
    except IntakeError as error:
        raise invalid(error) from None


# ------------------------------------------------------------------------------------------------ query strings

def query_list(name: str, allowed: set[str] | None = None) -> list[str]:
    """``state=a,b`` and ``state=a&state=b`` alike."""
    values = [v.strip() for raw in request.args.getlist(name) for v in raw.split(",") if v.strip()]
    for value in values:
        if len(value) > MAX_CODE or (allowed is not None and value not in allowed):
            choices = f"（可选：{', '.join(sorted(allowed))}）" if allowed else ""
            raise bad(name, f"{name} 的取值 {value[:40]!r} 无效{choices}")
    return values


def query_code(name: str) -> str | None:
    value = (request.args.get(name) or "").strip()
    if len(value) > MAX_CODE:
        raise bad(name, f"{name} 过长")
    return value or None


def query_int(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad(name, f"{name} 应为整数，收到 {raw[:40]!r}") from None
    if not low <= value <= high:
        raise bad(name, f"{name} 应在 {low}–{high} 之间")
    return value


def query_time(name: str) -> datetime | None:
    """ISO 8601 date or datetime; without an offset it is the district's local time."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    tz = ZoneInfo(get_settings().timezone)
    try:
        if len(raw) == 10:
            return datetime.combine(date.fromisoformat(raw), time(0), tz)
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise bad(name, f"{name} 应为 ISO 8601 日期或时间（如 2026-11-26 或 2026-11-26T08:00:00+08:00），"
                        f"收到 {raw[:40]!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=tz)


def unknown_query_params(allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(request.args) - set(allowed) - {"api_key"})
    if unknown:
        raise bad(unknown[0], f"未知查询参数 {unknown[0]!r}（可用：{', '.join(allowed)}）")
