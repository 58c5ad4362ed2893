"""What each Open311 endpoint does, between the thin views and geo/ + services.tickets.

Every function returns plain dicts/lists ready for open311.xml, or raises Open311Error with the spec's status.
"""
from __future__ import annotations

from geo import open311 as geo_open311
from geo import tickets as geo_tickets
from geo.db import get_engine
from open311 import params
from open311.errors import Open311Error, bad_request, not_found
from open311.keys import api_key_name
from open311.mapping import Service, service_definition, service_item, service_of
from open311.reports import created_item, request_item, token_item
from services.tickets import IdempotencyConflict, IntakeError, create_ticket, utcnow
from settings import get_settings
from workorders.catalogue import category_from_row
from workorders.clock import local_zone as _tz

MAX_IDEMPOTENCY_KEY = 200     # the idempotency_keys.key column


def check_jurisdiction(jurisdiction_id: str | None) -> None:
    expected = get_settings().open311_jurisdiction
    if jurisdiction_id and jurisdiction_id.strip() != expected:
        raise not_found(f"jurisdiction_id：本服务只受理 {expected}，没有 {jurisdiction_id.strip()[:80]!r}")


# ------------------------------------------------------------------------------------------------ services

def all_services() -> list[Service]:
    with get_engine().connect() as conn:
        rows = geo_open311.service_rows(conn)
    return [service_of(category_from_row(row), row["lead_department_name"]) for row in rows]


def find_service(code: str) -> Service:
    for service in all_services():
        if service.category.code == code:
            return service
    raise not_found(f"service_code：没有服务 {code[:80]!r}")


def services() -> list[dict]:
    return [service_item(s) for s in all_services()]


def definition(code: str) -> dict:
    return service_definition(find_service(code))


# ------------------------------------------------------------------------------------------------ requests

def requests(args: params.Form) -> list[dict]:
    codes = {s.category.code for s in all_services()}
    filters = params.request_filters(args, utcnow(), _tz(), codes)
    with get_engine().connect() as conn:
        rows = geo_tickets.list_tickets(conn, filters, limit=params.MAX_ROWS)
    return [request_item(row, _tz()) for row in rows]


def _ticket(number: str) -> dict:
    if not number.isprintable():            # NUL and friends: no ticket has them, and PostgreSQL refuses NUL
        raise not_found("service_request_id：没有这个工单")
    with get_engine().connect() as conn:
        ticket = geo_tickets.ticket_by_number(conn, number)
    if ticket is None:
        raise not_found(f"service_request_id：没有工单 {number!r}")
    return ticket


def one_request(number: str) -> list[dict]:
    return [request_item(_ticket(number), _tz())]


def token(value: str) -> list[dict]:
    try:
        return [token_item(_ticket(value)["number"])]
    except Open311Error:
        raise not_found(f"token：没有 {value!r}（token 即工单号）") from None


def submit(form: params.Form, idempotency_key: str | None) -> list[dict]:
    key_name = api_key_name(form.get("api_key"))
    if key_name is None:
        raise Open311Error(403, "api_key 无效、已停用或缺失，不能提交诉求")
    code = (form.get("service_code") or "").strip()
    if not code:
        raise bad_request("缺少 service_code")
    submission = params.new_ticket(form, find_service(code), key_name)
    try:
        created = create_ticket(submission.ticket, idempotency=_idempotency(key_name, idempotency_key))
    except IntakeError as error:
        raise bad_request(params.intake_error_text(error.field, error.message)) from None
    except IdempotencyConflict as error:
        # Open311 has no 422; the IETF Idempotency-Key draft (and our REST API) answer a reused key with 422.
        raise Open311Error(422, f"Idempotency-Key：该键已用于另一份不同的请求或正在处理中（{error}）") from None
    return [created_item(created.ticket, submission.account_id, _tz())]


def _idempotency(key_name: str, header: str | None) -> tuple[str, str] | None:
    if header is None or not header.strip():
        return None
    if len(header.strip()) > MAX_IDEMPOTENCY_KEY or not header.isprintable():
        raise bad_request(f"Idempotency-Key：应为不超过 {MAX_IDEMPOTENCY_KEY} 个可见字符")
    return key_name, header.strip()
