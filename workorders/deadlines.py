"""Deadlines (时限): when a crew must be on site and when the request must be resolved."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from workorders.catalogue import Category

RESOLVE_DAYS = {"normal": 3, "complex": 10}


@dataclass(frozen=True)
class Deadlines:
    arrival_due_at: datetime | None
    resolve_due_at: datetime


def end_of_local_day(moment: datetime, tz: ZoneInfo, cutoff_hour: int) -> datetime:
    """23:59:59 local time of the registration day, or of the next day when registered after the cut-off."""
    local = moment.astimezone(tz)
    day = local.date() + (timedelta(days=1) if local.hour >= cutoff_hour else timedelta())
    return datetime.combine(day, time(23, 59, 59), tzinfo=tz)


def end_of_registration_day(moment: datetime, tz: ZoneInfo) -> datetime:
    """23:59:59 local time of the registration day, whatever the hour: no cut-off."""
    return datetime.combine(moment.astimezone(tz).date(), time(23, 59, 59), tzinfo=tz)


def compute_deadlines(category: Category, registered_at: datetime, variant: str | None = None, *,
                      tz: ZoneInfo = ZoneInfo("Asia/Shanghai"), cutoff_hour: int = 20) -> Deadlines:
    if registered_at.tzinfo is None:
        raise ValueError("registered_at must carry a time zone")
    arrival = registered_at + timedelta(minutes=category.arrival_minutes) if category.arrival_minutes else None
    rule = category.variants.get(variant or category.default_variant or "") if category.variants else None
    if rule and rule.resolve == "same_day":
        # A variant due the same day is due that night even after the cut-off: a home without heat in an Anshan
        # winter is not left overnight (室内维修不过夜). The cut-off is the simple matters' rule, below.
        resolve = end_of_registration_day(registered_at, tz)
    elif rule and rule.resolve_hours:
        resolve = registered_at + timedelta(hours=rule.resolve_hours)
    elif category.resolve_hours:
        resolve = registered_at + timedelta(hours=category.resolve_hours)
    elif category.complexity == "simple":
        resolve = end_of_local_day(registered_at, tz, cutoff_hour)
    else:
        resolve = registered_at + timedelta(days=RESOLVE_DAYS[category.complexity])
    return Deadlines(arrival, resolve)
