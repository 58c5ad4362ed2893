"""Local time as the district reads it: every screen, export and door turns a stored moment into words here.

Moments are stored and passed around in UTC (timestamptz columns, aware datetimes); people read the district's
zone (``settings.timezone``, Asia/Shanghai). ``tz`` is only for callers that already hold the zone.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from settings import get_settings


def local_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def to_local(moment: datetime, tz: ZoneInfo | None = None) -> datetime:
    return moment.astimezone(tz or local_zone())


def local_today(tz: ZoneInfo | None = None) -> date:
    return datetime.now(tz or local_zone()).date()


def local_date(moment: datetime, tz: ZoneInfo | None = None) -> date:
    return to_local(moment, tz).date()


def local_day(moment: datetime, tz: ZoneInfo | None = None) -> tuple[datetime, datetime]:
    """[start, end) of the local day ``moment`` falls in."""
    tz = tz or local_zone()
    start = datetime.combine(local_date(moment, tz), time(0), tzinfo=tz)
    return start, start + timedelta(days=1)


def local_minute(moment: datetime | None, tz: ZoneInfo | None = None) -> str | None:
    """'2026-11-26 08:30': what the operator and the citizen read."""
    return f"{to_local(moment, tz):%Y-%m-%d %H:%M}" if moment else None


def local_clock(moment: datetime, tz: ZoneInfo | None = None) -> str:
    """'08:30': today's tickets on the wall."""
    return f"{to_local(moment, tz):%H:%M}"


def local_iso(moment: datetime | None, tz: ZoneInfo | None = None) -> str | None:
    """'2026-11-26T08:30:00.123456+08:00': ISO 8601 with the district's offset (the REST API)."""
    return to_local(moment, tz).isoformat() if moment else None


def w3c(moment: datetime | None, tz: ZoneInfo | None = None) -> str | None:
    """'2026-11-26T08:30:00+08:00': local time with its offset, whole seconds (Open311's W3C datetimes)."""
    return to_local(moment, tz).isoformat(timespec="seconds") if moment else None
