"""What each Open311 endpoint does, between the thin views and services/ (catalogue, ticket reads, intake, keys).

Every function returns plain dicts/lists ready for open311.xml, or raises Open311Error with the spec's status.
"""
from __future__ import annotations

from typing import Sequence

from open311 import params
from open311.errors import Open311Error, bad_request, not_found, unavailable
from open311.mapping import Service, service_definition, service_item, service_of
from open311.reports import created_item, request_item, token_item
from services import catalogue, media, ticket_reads
from services.public_places import place_of
from services.api_keys import active_caller
from services.tickets import Created, IdempotencyConflict, IntakeError, create_ticket, utcnow
from settings import get_settings
from workorders import contract
from workorders.clock import local_zone as _tz
from workorders.policy import Forbidden, Principal


def check_jurisdiction(jurisdiction_id: str | None) -> None:
    expected = get_settings().open311_jurisdiction
    if jurisdiction_id and jurisdiction_id.strip() != expected:
        raise not_found(f"jurisdiction_id：本服务只受理 {expected}，没有 {jurisdiction_id.strip()[:80]!r}")


# ------------------------------------------------------------------------------------------------ services

def all_services() -> list[Service]:
    return [service_of(category, lead) for category, lead in catalogue.categories_with_lead_names()]


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

def requests(args: params.Form, base_url: str = "") -> list[dict]:
    codes = {s.category.code for s in all_services()}
    filters = params.request_filters(args, utcnow(), _tz(), codes)
    rows = with_photo_urls(ticket_reads.ticket_list(filters, limit=params.MAX_ROWS), base_url)
    return [request_item(row, _tz(), place_of(row)) for row in rows]


def with_photo_urls(rows: list[dict], base_url: str) -> list[dict]:
    """Open311 has one media_url per request: the first photo stored here when there is one (what this server
    keeps and serves), else the URL the client sent (the ticket keeps that one either way)."""
    paths = media.first_photo_paths(row["id"] for row in rows)
    return [{**row, "media_url": base_url + paths[row["id"]]} if row["id"] in paths else row for row in rows]


def _ticket(number: str) -> dict:
    ticket = ticket_reads.ticket(number)
    if ticket is None:
        raise not_found(f"service_request_id：没有工单 {number!r}")
    return ticket


def one_request(number: str, base_url: str = "") -> list[dict]:
    return [request_item(row, _tz(), place_of(row)) for row in with_photo_urls([_ticket(number)], base_url)]


def token(value: str) -> list[dict]:
    try:
        return [token_item(_ticket(value)["number"])]
    except Open311Error:
        raise not_found(f"token：没有 {value!r}（token 即工单号）") from None


def submit(form: params.Form, idempotency_key: str | None, uploads: Sequence[media.Upload] = (),
           base_url: str = "") -> list[dict]:
    # Open311 has one answer (403) for a missing, unknown or revoked key alike.
    caller = active_caller(form.get("api_key"))
    if caller is None:
        raise Open311Error(403, "api_key 无效、已停用或缺失，不能提交诉求")
    key_name = caller.name
    code = (form.get("service_code") or "").strip()
    if not code:
        raise bad_request("缺少 service_code")
    submission = params.new_ticket(form, find_service(code), key_name)
    try:
        created, photos = _create(submission, caller.principal, uploads, _idempotency(key_name, idempotency_key))
    except Forbidden:
        raise Open311Error(403, f"api_key {key_name} 没有登记诉求的权限（intake）") from None
    except media.MediaError as error:
        raise bad_request(error.message) from None
    except media.StorageUnavailable as error:
        raise unavailable(str(error), error.retry_after_seconds) from None
    except IntakeError as error:
        raise bad_request(*params.problem_texts(error)) from None
    except IdempotencyConflict as error:
        # Open311 has no 422; the IETF Idempotency-Key draft (and our REST API) answer a reused key with 422.
        raise Open311Error(422, f"Idempotency-Key：该键已用于另一份不同的请求或正在处理中（{error}）") from None
    media_url = base_url + photos[0]["path"] if photos else created.ticket.get("media_url")
    return [created_item(created.ticket, submission.account_id, _tz(), media_url)]


def _create(submission: params.Submission, principal: Principal, uploads: Sequence[media.Upload],
            idempotency: tuple[str, str] | None) -> tuple[Created, list[dict]]:
    if not uploads:
        return create_ticket(submission.ticket, principal, idempotency=idempotency), []
    done = media.create_ticket_with_photos(submission.ticket, principal, uploads, source=params.CHANNEL,
                                           idempotency=idempotency)
    return done.created, done.photos


def _idempotency(key_name: str, header: str | None) -> tuple[str, str] | None:
    try:
        key = contract.idempotency_key(header)
    except IntakeError as error:
        raise bad_request(*params.problem_texts(error)) from None
    return (key_name, key) if key else None
