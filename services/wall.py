"""What the wall screen shows: today's figures, deadlines about to breach, the newest tickets (a place and a
category: no name or phone, not even masked — the wall is read from across the room by whoever is there)."""
from __future__ import annotations

from datetime import datetime, timedelta

from geo import wall as db
from geo.db import get_engine
from services.tickets import utcnow
from workorders.clock import local_day

WATCH_HORIZON = timedelta(hours=2)


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def kpis(now: datetime | None = None) -> dict:
    now = now or utcnow()
    start, end = local_day(now)
    with get_engine().connect() as conn:
        f = db.day_figures(conn, start, end, now)
    return {
        "received": f["received"], "closed": f["closed"], "closure_rate": share(f["closed"], f["received"]),
        "on_time_rate": share(f["closed_on_time"], f["closed"]), "overdue": f["overdue"], "open": f["open"],
        "crews_out": f["crews_out"], "arrival_minutes": f["arrival_minutes"],
        "arrival_sla_minutes": f["arrival_sla_minutes"], "arrival_on_time": share(f["arrivals_on_time"], f["arrivals"]),
    }


def watch_list(now: datetime | None = None, limit: int = 12) -> list[dict]:
    now = now or utcnow()
    with get_engine().connect() as conn:
        rows = db.deadline_watch(conn, now, now + WATCH_HORIZON, limit)
    for row in rows:
        row["breached"] = row["due"] < now
    return rows


def ticker(limit: int = 12) -> list[dict]:
    """Newest tickets: when, where (street · community), what and through which channel."""
    with get_engine().connect() as conn:
        return db.newest_tickets(conn, limit)
