"""POST /api/v1/tickets: the body → the contract's NewTicket, and who may use which channel.

The fields and their rules are the contract's (workorders.contract.TicketBody). Channel rules are the API's own
(the services accept any channel they know):
- anonymous callers (no key) may file only as ``api`` or ``web`` and may not set a priority: a public client
  must not be able to raise urgent alarms or pose as the hotline, 110 or a grid worker;
- ``grid_worker`` needs a key bound to a crew of kind 网格员 and a photo (``media_url``); such a key files only as
  grid_worker (the phone is the worker's), is the ticket's ``registered_by`` and, given no location, the
  worker's own grid is the place;
- ``police_110`` carries 110's own priority (required) and the incident number in ``source_ref`` (required);
- ``elder_phone`` is not filed here but by the one-key phones' POST /api/v1/alarms.
"""
from __future__ import annotations

from typing import Any

from api.errors import ApiError
from api.inputs import bad, parsed
from services.api_keys import Caller
from workorders.contract import NewTicket, TicketBody

ANONYMOUS_CHANNELS = ("api", "web")


def new_ticket_from(body: dict[str, Any], caller: Caller | None) -> NewTicket:
    body = dict(body)
    worker = caller is not None and caller.is_grid_worker
    if not _given(body.get("channel")):
        body["channel"] = "grid_worker" if worker else "api"
    if worker and not _located(body):
        body["grid_code"] = caller.crew_grid_code
    sent = parsed(TicketBody, body)
    ticket = parsed(NewTicket, {**sent.model_dump(), "registered_by": caller.actor if caller else None})
    check_channel_rights(ticket, caller)
    check_channel_fields(ticket)
    return ticket


def _given(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _located(body: dict) -> bool:
    return any(_given(body.get(name)) for name in ("lat", "lon", "address", "grid_code"))


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
