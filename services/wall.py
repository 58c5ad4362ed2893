"""What the wall screen shows: today's figures and the day's story — by category, by street, hour by hour against
last week, crews by kind, the tickets late and about to be (by their modelled chance), the events to notice. Places
and categories only: no name or phone, not even masked — the wall is read from across the room by whoever is there."""
from __future__ import annotations

from datetime import datetime, timedelta

from geo import wall as db
from geo.db import get_engine
from services.tickets import utcnow
from settings import get_settings
from workorders.clock import local_day
from workorders.policy import Principal, require

WATCH_HORIZON = timedelta(hours=2)
CATEGORY_BARS = 8          # the day's top categories; the rest are one bar "其他"
LIST_ROWS = 5              # rows of each deadline list: read from five metres, so few
CREW_KINDS_SHOWN = 10
EVENTS_SHOWN = 8


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def kpis(principal: Principal, now: datetime | None = None) -> dict:
    require(principal, "wall")
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


# ------------------------------------------------------------------------------------ the day's story (issue 15)

def day_story(principal: Principal, now: datetime | None = None) -> dict:
    """Everything the wall's side panels show, in one read: today by category and by street, the hourly curve
    against the same weekday last week, crews by kind, the two deadline lists (late; due within 2 h by their
    modelled chance to be late) and the events to notice. No personal data anywhere in it."""
    require(principal, "wall")
    now = now or utcnow()
    start, end = local_day(now)
    week_ago = start - timedelta(days=7)
    with get_engine().connect() as conn:
        overdue_total, overdue = db.overdue_open(conn, now, LIST_ROWS)
        risk_total, at_risk = db.at_risk_open(conn, now, now + WATCH_HORIZON, LIST_ROWS)
        story = {
            "categories": top_with_rest(db.category_counts(conn, start, end), CATEGORY_BARS),
            "streets": db.street_counts(conn, start, end, now),
            "hours": hourly_curve(db.hourly_counts(conn, start, end, get_settings().timezone),
                                  db.hourly_counts(conn, week_ago, week_ago + timedelta(days=1),
                                                   get_settings().timezone), now_hour(now, start)),
            "crews": db.crews_by_kind(conn)[:CREW_KINDS_SHOWN],
            "overdue": {"total": overdue_total, "rows": overdue},
            "at_risk": {"total": risk_total, "rows": at_risk},
            "events": db.notable_events(conn, start, now, EVENTS_SHOWN),
        }
    return story


def top_with_rest(counts: list[dict], shown: int) -> list[dict]:
    """The ``shown`` largest categories and, when there are more, one row 其余N类 holding the rest's total (not
    其他: that is a category of its own)."""
    if len(counts) <= shown + 1:
        return counts
    rest = counts[shown:]
    return counts[:shown] + [{"code": "_rest", "name": f"其余{len(rest)}类", "n": sum(c["n"] for c in rest)}]


def now_hour(now: datetime, day_start: datetime) -> int:
    """The local hour of the day ``now`` is in (0–23)."""
    return min(23, max(0, int((now - day_start).total_seconds() // 3600)))


def hourly_curve(today: dict[int, int], last_week: dict[int, int], current_hour: int) -> dict:
    """24 hours of today (hours still to come are None, not 0: they have not happened) and of the same weekday a
    week ago, with the running totals up to this hour for the headline comparison."""
    hours = list(range(24))
    so_far = sum(today.get(h, 0) for h in hours if h <= current_hour)
    then = sum(last_week.get(h, 0) for h in hours if h <= current_hour)
    return {"today": [today.get(h, 0) if h <= current_hour else None for h in hours],
            "last_week": [last_week.get(h, 0) for h in hours], "current_hour": current_hour,
            "so_far": so_far, "last_week_so_far": then}
