"""Replay of a past day on the command map: what was open, in which state, and where the crews were, minute by
minute, read from the stored events and tracks (geo/replay.py). No personal data: the command center's replay is
watched like the wall."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from geo import replay as replay_db
from geo.db import get_engine
from settings import get_settings
from services.tickets import categories
from workorders.policy import Principal, require
from workorders.states import STATES

MINUTES_A_DAY = 24 * 60
QUEUE_LENGTH = 12


class ReplayError(ValueError):
    """A day or minute the replay cannot show (a clear message for the page)."""


def moment_of(day: str | date, minute: int) -> datetime:
    """The instant of ``minute`` (0–1439) of the local ``day``."""
    try:
        day = date.fromisoformat(str(day)[:10]) if not isinstance(day, date) else day
    except ValueError:
        raise ReplayError(f"日期格式应为 YYYY-MM-DD：{day}") from None
    if not 0 <= int(minute) < MINUTES_A_DAY:
        raise ReplayError("时刻应在 0:00 至 23:59 之间")
    tz = ZoneInfo(get_settings().timezone)
    return datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(minutes=int(minute))


def moment(principal: Principal, day: str | date, minute: int) -> dict:
    """The map and the dispatcher's queue at that minute."""
    require(principal, "command_map")
    at = moment_of(day, minute)
    with get_engine().connect() as conn:
        tickets = replay_db.tickets_at(conn, at)
        crews = replay_db.crews_at(conn, at)
        names = {code: c.name for code, c in categories(conn).items()}
    waiting = [t for t in tickets if t["state"] in ("registered", "returned", "reopened", "escalated")]
    queue = sorted(waiting, key=lambda t: t["arrival_due_at"] or t["resolve_due_at"])[:QUEUE_LENGTH]
    return {"at": at.isoformat(), "tickets": [_public(t, at, names) for t in tickets],
            "crews": [_crew(c) for c in crews], "queue": [_public(t, at, names) for t in queue],
            "waiting": len(waiting)}


def _public(ticket: dict, at: datetime, names: dict[str, str]) -> dict:
    due = ticket["arrival_due_at"] if ticket["state"] in ("registered", "dispatched", "returned") and \
        ticket["arrival_due_at"] else ticket["resolve_due_at"]
    return {"number": ticket["number"], "category": ticket["category_code"], "priority": ticket["priority"],
            "category_name": names.get(ticket["category_code"], ticket["category_code"]),
            "state": ticket["state"], "state_label": STATES.get(ticket["state"], ticket["state"]), "lon": ticket["lon"], "lat": ticket["lat"], "crew": ticket["crew"],
            "grid": ticket["grid_code"], "minutes_left": round((due - at).total_seconds() / 60) if due else None}


def _crew(crew: dict) -> dict:
    return {"code": crew["code"], "name": crew["name"], "kind": crew["kind"], "lon": crew["lon"], "lat": crew["lat"],
            "moving": bool(crew["speed_kmh"] and crew["speed_kmh"] > 1)}
