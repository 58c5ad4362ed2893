"""Reads of tickets for the doors: a filtered list, one ticket by its number, the supervision list.

Each is one call with what is asked (filters are the keys of geo.tickets.LIST_FILTERS). The reads with personal
data (``tickets_for``, ``ticket_for``, ``supervisions``) take who asks: the policy's ``ticket_read`` right (on the
ticket, or ``ticket_scope`` filtering a list) and an audit entry for each read. ``ticket_list`` and ``ticket``
serve the public outputs (Open311), which publish no personal data of what they read.
"""
from __future__ import annotations

from typing import Any

from geo import tickets as db
from geo.db import get_engine
from services import audit
from services.tickets import NotFound
from workorders import policy


def ticket_list(filters: dict[str, Any], *, limit: int, offset: int = 0) -> list[dict]:
    """Tickets matching ``filters``, newest first."""
    with get_engine().connect() as conn:
        return db.list_tickets(conn, filters, limit=limit, offset=offset)


def ticket(number: str) -> dict | None:
    """The ticket with this number, or None."""
    if not number.isprintable():          # NUL and friends: no ticket has them, and PostgreSQL refuses NUL
        return None
    with get_engine().connect() as conn:
        return db.ticket_by_number(conn, number)


def tickets_for(principal: policy.Principal | None, filters: dict[str, Any], *, limit: int,
                offset: int = 0) -> list[dict]:
    """The tickets matching ``filters`` that ``principal`` may read (a scoped reader: only its own), newest
    first; a list that shows anybody's ticket is written to the audit log."""
    policy.require(principal, "ticket_read")
    scope = policy.ticket_scope(principal)
    with get_engine().connect() as conn:
        rows = db.list_tickets(conn, filters, limit=limit, offset=offset, scope=scope)
    if rows:
        audit.record("ticket_list_read", actor=principal, target="tickets",
                     detail={"filters": {k: str(v) for k, v in filters.items() if v not in (None, [], "")},
                             "count": len(rows), "offset": offset})
    return rows


def ticket_for(principal: policy.Principal | None, number: str) -> tuple[dict, list[dict]]:
    """One ticket in full with its events, if ``principal`` may read this ticket (audited); NotFound else."""
    policy.require(principal, "ticket_read")
    with get_engine().connect() as conn:
        ticket = db.ticket_by_number(conn, number) if number.isprintable() else None
        if ticket is None:
            raise NotFound(f"没有工单 {number}")
        policy.require(principal, "ticket_read", policy.Target.of_ticket(ticket))
        events = db.ticket_events(conn, ticket["id"])
    audit.record("ticket_read", actor=principal, target=f"ticket:{ticket['number']}", detail={"view": "api"})
    return ticket, events


def supervisions(principal: policy.Principal | None, *, open_only: bool = True) -> list[dict]:
    """The supervision list (督办), oldest first; ``open_only`` False includes the closed ones. It names tickets and
    the units held to account, no citizen: the ``ticket_read`` right suffices, unscoped readers only."""
    policy.require(principal, "ticket_read")
    if policy.ticket_scope(principal) is not None:
        raise policy.Forbidden("ticket_read", "督办清单只对可读取全部工单的调用方开放")
    with get_engine().connect() as conn:
        return db.supervision_list(conn, open_only=open_only)
