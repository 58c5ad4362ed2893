"""一键通: an elder presses the one-key phone → a priority-1 ticket at the elder's registered home.

A device raises at most one open ticket: further presses while it is open answer with that ticket (and leave a
"repeat_alarm" line in its history, so the operator sees the elder is still calling). Presses of one device are
serialised by an advisory lock, so two presses a few milliseconds apart still make one ticket.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from geo import devices as device_db
from geo import tickets as ticket_db
from geo.db import get_engine
from services.tickets import NewTicket, NotFound, create_ticket, registered_as, replayed, utcnow
from workorders.policy import Principal

ALARM_CHANNEL = "elder_phone"
ALARM_PRIORITY = 1
DEFAULT_CATEGORY = "other"


@dataclass
class Alarm:
    ticket: dict
    created: bool          # False: the device's open ticket (a repeat press) or an idempotent replay


def alarm_request(device: dict, category: str | None) -> NewTicket:
    address = device["address"] or "（未登记地址）"
    return NewTicket(
        channel=ALARM_CHANNEL, category=category or DEFAULT_CATEGORY,
        description=f"一键通呼叫：{device['elder_name']}，{address}",
        lon=device["lon"], lat=device["lat"], address=device["address"], citizen_name=device["elder_name"],
        citizen_phone=device["phone"], priority=ALARM_PRIORITY, source_ref=device["device_id"])


def raise_alarm(device_id: str, principal: Principal, category: str | None = None, *,
                idempotency: tuple[str, str] | None = None, now: datetime | None = None) -> Alarm:
    """``principal``: the gateway of the one-key phones (an API key with ``intake``), the ticket's registrar."""
    now = now or utcnow()
    with get_engine().begin() as conn:
        device_db.lock_device(conn, device_id)
        device = device_db.device_by_id(conn, device_id)
        if device is None:
            raise NotFound(f"没有登记的一键通设备 {device_id!r}")
        request = registered_as(alarm_request(device, category), principal)
        # Before the open-ticket rule: a key reused for another device is refused even while this one is open.
        replay = replayed(conn, request, idempotency)
        if replay is not None:
            return Alarm(replay.ticket, False)
        open_id = device_db.open_alarm_ticket_id(conn, device_id)
        if open_id is not None:
            ticket = ticket_db.ticket_by_id(conn, open_id)
            ticket_db.add_event(conn, open_id, now, principal.label, "repeat_alarm", ticket["state"],
                                ticket["state"], "一键通再次呼叫", {"device_id": device_id})
            return Alarm(ticket, False)
        created = create_ticket(request, principal, idempotency=idempotency, now=now, conn=conn)
        return Alarm(created.ticket, created.created)

