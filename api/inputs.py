"""Reading and checking what clients send: JSON bodies, query strings, the Idempotency-Key header.

Every refusal is an ApiError naming the field at fault, so a malformed request is a 4xx with a message and never
reaches the services (nor the database) half-understood.
"""
from __future__ import annotations

import json
import math
from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import request

from api.errors import ApiError
from settings import get_settings

MAX_BODY_BYTES = 256 * 1024
MAX_JSON_FIELD_BYTES = 16 * 1024        # attributes / data objects
MAX_TEXT = 2000
MAX_CODE = 32
MAX_IDEMPOTENCY_KEY = 200               # idempotency_keys.key is 200 characters
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


def only_fields(body: dict, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise bad(unknown[0], f"未知字段 {unknown[0]!r}（可用字段：{', '.join(allowed)}）")


def text(body: dict, name: str, *, required: bool = False, max_len: int = MAX_TEXT) -> str | None:
    """A string field; blank counts as absent (and is refused when required)."""
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise bad(name, f"{name} 应为字符串，收到 {type(value).__name__}")
    if value is None or not value.strip():
        if required:
            raise bad(name, f"缺少 {name}" if value is None else f"{name} 不能为空")
        return None
    if len(value) > max_len:
        raise bad(name, f"{name} 不能超过 {max_len} 字（收到 {len(value)} 字）")
    return value


def number(body: dict, name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad(name, f"{name} 应为数字，收到 {type(value).__name__}")
    try:
        result = float(value)
    except OverflowError:
        raise bad(name, f"{name} 超出范围") from None
    if not math.isfinite(result):
        raise bad(name, f"{name} 应为有限数字")
    return result


def integer(body: dict, name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad(name, f"{name} 应为整数，收到 {type(value).__name__}")
    return value


def json_object(body: dict, name: str) -> dict:
    value = body.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad(name, f"{name} 应为 JSON 对象，收到 {type(value).__name__}")
    if len(json.dumps(value, ensure_ascii=False).encode("utf-8")) > MAX_JSON_FIELD_BYTES:
        raise bad(name, f"{name} 超过 {MAX_JSON_FIELD_BYTES // 1024} KB")
    return value


def http_url(body: dict, name: str) -> str | None:
    value = text(body, name, max_len=MAX_TEXT)
    if value is None:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise bad(name, f"{name} 应为 http(s) 链接，收到 {value[:80]!r}")
    return value.strip()


def transition_data(action: str, data: dict) -> dict:
    """The parts of ``data`` the services read for merge and joint_meeting, checked before they are used."""
    if action == "merge" and not (isinstance(data.get("into"), str) and data["into"].strip()):
        raise bad("data.into", "合并须在 data.into 中给出主工单编号")
    if action == "joint_meeting":
        departments = data.get("departments")
        if departments is not None and not (isinstance(departments, list) and departments and all(
                isinstance(d, str) and 0 < len(d) <= MAX_CODE for d in departments)):
            raise bad("data.departments", "data.departments 应为部门编码列表")
        meeting_date = data.get("meeting_date")
        if meeting_date is not None:
            try:
                date.fromisoformat(meeting_date if isinstance(meeting_date, str) else "")
            except ValueError:
                raise bad("data.meeting_date", f"data.meeting_date 应为日期 YYYY-MM-DD，收到 {meeting_date!r:.40}") \
                    from None
        for name in ("decision", "follow_up"):
            if data.get(name) is not None and not isinstance(data[name], str):
                raise bad(f"data.{name}", f"data.{name} 应为字符串")
    return data


# ------------------------------------------------------------------------------------------------ headers

def idempotency_key() -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None or not key.strip():
        return None
    if len(key) > MAX_IDEMPOTENCY_KEY:
        raise bad(IDEMPOTENCY_HEADER, f"{IDEMPOTENCY_HEADER} 不能超过 {MAX_IDEMPOTENCY_KEY} 个字符")
    return key.strip()


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
