"""Reads of tickets for the doors: a filtered list, one ticket by its number, the supervision list.

Each is one call with what is asked (filters are the keys of geo.tickets.LIST_FILTERS); when rights are decided
in the services, who asks becomes one more argument here, and no door reads tickets any other way.
"""
from __future__ import annotations

from typing import Any

from geo import tickets as db
from geo.db import get_engine


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


def supervisions(*, open_only: bool = True) -> list[dict]:
    """The supervision list (督办), oldest first; ``open_only`` False includes the closed ones."""
    with get_engine().connect() as conn:
        return db.supervision_list(conn, open_only=open_only)
