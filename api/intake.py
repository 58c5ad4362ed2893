"""POST /api/v1/tickets: the body → a NewTicket, and who may use which channel.

Channel rules (the API's own; the services accept any channel they know):
- anonymous callers (no key) may file only as ``api`` or ``web`` and may not set a priority: a public client
  must not be able to raise urgent alarms or pose as the hotline, 110 or a grid worker;
- ``grid_worker`` needs a key bound to a crew of kind 网格员 and a photo (``media_url``); such a key files only as
  grid_worker (the phone is the worker's), is the ticket's ``registered_by`` and, given no location, the
  worker's own grid is the place;
- ``police_110`` carries 110's own priority (required) and the incident number in ``source_ref`` (required);
- ``elder_phone`` is not filed here but by the one-key phones' POST /api/v1/alarms.
"""
from __future__ import annotations

from api.auth import Caller
from api.errors import ApiError
from api.inputs import MAX_CODE, bad, http_url, integer, json_object, number, only_fields, text
from services.tickets import MAX_DESCRIPTION, NewTicket

API_CHANNELS = ("api", "hotline", "letter", "walk_in", "web", "police_110", "grid_worker")
ANONYMOUS_CHANNELS = ("api", "web")
TICKET_FIELDS = ("channel", "category", "description", "lat", "lon", "address", "grid_code", "variant",
                 "citizen_name", "citizen_phone", "priority", "media_url", "attributes", "related_number",
                 "source_ref")


def new_ticket_from(body: dict, caller: Caller | None) -> NewTicket:
    only_fields(body, TICKET_FIELDS)
    channel = text(body, "channel", max_len=MAX_CODE) or ("grid_worker" if caller and caller.is_grid_worker
                                                          else "api")
    if channel not in API_CHANNELS:
        raise bad("channel", f"渠道 {channel!r} 不能经此接口登记（可选：{', '.join(API_CHANNELS)}；"
                             "一键通请用 POST /api/v1/alarms）")
    ticket = NewTicket(
        channel=channel,
        category=text(body, "category", required=True, max_len=MAX_CODE),
        description=text(body, "description", required=True, max_len=MAX_DESCRIPTION),
        lon=number(body, "lon"), lat=number(body, "lat"),
        address=text(body, "address", max_len=300), grid_code=text(body, "grid_code", max_len=MAX_CODE),
        variant=text(body, "variant", max_len=MAX_CODE),
        citizen_name=text(body, "citizen_name", max_len=100), citizen_phone=text(body, "citizen_phone", max_len=32),
        priority=integer(body, "priority"), media_url=http_url(body, "media_url"),
        attributes=json_object(body, "attributes"),
        source_ref=text(body, "source_ref", max_len=200), related_number=text(body, "related_number", max_len=20),
        registered_by=caller.actor if caller else None)
    check_channel_rights(ticket, caller)
    check_channel_fields(ticket)
    if caller and caller.is_grid_worker and _no_location(ticket):
        ticket.grid_code = caller.crew_grid_code
    return ticket


def check_channel_rights(ticket: NewTicket, caller: Caller | None) -> None:
    if caller is None:
        if ticket.channel not in ANONYMOUS_CHANNELS:
            raise ApiError(401, "missing_api_key", f"渠道 {ticket.channel} 需要 API 密钥 (X-API-Key)", "channel")
        if ticket.priority is not None:
            raise ApiError(401, "missing_api_key", "指定优先级需要 API 密钥 (X-API-Key)", "priority")
        return
    if ticket.channel == "grid_worker" and not caller.is_grid_worker:
        raise ApiError(403, "forbidden", f"API 密钥 {caller.name} 未绑定网格员，不能以 grid_worker 渠道上报",
                       "channel")
    if caller.is_grid_worker and ticket.channel != "grid_worker":
        raise ApiError(403, "forbidden", f"网格员终端只能以 grid_worker 渠道上报（收到 {ticket.channel}）", "channel")


def check_channel_fields(ticket: NewTicket) -> None:
    if ticket.channel == "grid_worker" and not ticket.media_url:
        raise bad("media_url", "网格员上报须附现场照片链接 media_url")
    if ticket.channel == "police_110":
        if ticket.priority is None:
            raise bad("priority", "110 转办须带 110 的优先级 priority（1–4）")
        if not ticket.source_ref:
            raise bad("source_ref", "110 转办须带 110 警情编号 source_ref")


def _no_location(ticket: NewTicket) -> bool:
    return ticket.lon is None and ticket.lat is None and not ticket.address and not ticket.grid_code
