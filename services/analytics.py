"""The leader view (/analytics): filters, the aggregate's refresh, and the figures of one screen.

Every read goes to the pre-aggregate of geo.analytics (tickets per grid × hour × category × channel × department),
never to tens of thousands of tickets. Rates and department scores are those of services.stats (with_rates,
scored_department), so the leader view and the statistics export give the same numbers for the same window.

Windows are whole local days (settings.timezone), both ends included, as in services.stats.
"""
from __future__ import annotations

import time as clock
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Iterable

from sqlalchemy.engine import Engine

from geo import analytics as db
from geo.db import get_engine
from services import stats
from settings import get_settings
from workorders.clock import local_date, local_today, local_zone
from workorders.errors import FieldError

QUICK_RANGES = {"today": "今日", "7d": "近7天", "30d": "近30天", "365d": "近一年", "all": "全部"}
DEFAULT_RANGE = "30d"
HOTSPOT_COUNT = 10
# Departments with fewer tickets than this in the window are listed but not ranked.
MIN_RANKED = 20
# The page refreshes the aggregate when it is older than this (a cheap incremental refresh of the changed hours).
FRESH_SECONDS = 60


class AnalyticsError(FieldError):
    """A bad filter; ``field`` names the input at fault."""


def today() -> date:
    return local_today()


# ------------------------------------------------------------------------------------------------ filters

@dataclass(frozen=True)
class Filters:
    window: stats.Window
    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    streets: tuple[str, ...] = ()

    def scope(self, window: stats.Window | None = None) -> db.Scope:
        start, end = (window or self.window).bounds(local_zone())
        return db.Scope(start, end, self.categories, self.channels, self.streets)


@dataclass(frozen=True)
class Options:
    """What the filters offer: (code, Chinese name) pairs."""
    categories: list[tuple[str, str]]
    channels: list[tuple[str, str]]
    streets: list[tuple[str, str]]


def options(engine: Engine | None = None) -> Options:
    from workorders.vocabulary import CHANNELS
    with (engine or get_engine()).connect() as conn:
        return Options(db.category_names(conn), list(CHANNELS.items()), db.street_names(conn))


def make_filters(start: date | str | None, end: date | str | None, categories: Iterable[str] | None = None,
                 channels: Iterable[str] | None = None, streets: Iterable[str] | None = None, *,
                 known: Options | None = None, today_: date | None = None) -> Filters:
    """Checked filters; unknown codes are refused by name (``known`` defaults to what the database offers)."""
    try:
        window = stats.make_window(start, end, today=today_)
    except stats.StatsError as error:
        raise AnalyticsError(error.field, error.message) from None
    known = known or options()
    chosen = {}
    for name, label, values, offered in (("category", "事项类别", categories, known.categories),
                                         ("channel", "渠道", channels, known.channels),
                                         ("street", "街道", streets, known.streets)):
        values = tuple(dict.fromkeys(str(v) for v in (values or ()) if v not in (None, "")))
        unknown = [v for v in values if v not in dict(offered)]
        if unknown:
            raise AnalyticsError(name, f"未知{label}：{'、'.join(unknown)}")
        chosen[name] = tuple(sorted(values))
    return Filters(window, chosen["category"], chosen["channel"], chosen["street"])


def quick_range(key: str, today_: date, first_day: date | None) -> tuple[date, date]:
    """(start, end) of a quick range; "all" starts at the first day with tickets (today when there are none)."""
    days = {"today": 1, "7d": 7, "30d": 30, "365d": 365}
    if key == "all":
        return (min(first_day, today_) if first_day else today_), today_
    if key not in days:
        raise AnalyticsError("range", f"未知时间范围 {key!r}（可选：{', '.join(QUICK_RANGES)}）")
    return today_ - timedelta(days=days[key] - 1), today_


def previous_window(window: stats.Window) -> stats.Window:
    """The window of equal length just before ``window``."""
    length = (window.end - window.start).days + 1
    return stats.Window(window.start - timedelta(days=length), window.start - timedelta(days=1))


def change(current: int, previous: int) -> float | None:
    """Relative change against the previous period; None when there was nothing before (new)."""
    return (current - previous) / previous if previous else None


# ------------------------------------------------------------------------------------------------ refresh

@dataclass(frozen=True)
class RefreshReport:
    full: bool
    hours: int              # hours re-aggregated (0 for a full refresh: every hour)
    rows: int               # aggregate rows written
    seconds: float
    refreshed_at: datetime | None
    skipped: bool = False   # another refresh was running (only when not waiting for it)


def refresh(full: bool = False, *, now: datetime | None = None, wait: bool = True,
            engine: Engine | None = None) -> RefreshReport:
    """Bring the aggregate up to date: the hours whose tickets changed (and whose deadlines passed) since the last
    refresh, or every hour with ``full`` (or when it was never filled). One transaction: readers see the old
    counts until it commits."""
    started = clock.monotonic()
    with (engine or get_engine()).begin() as conn:
        if not db.lock_refresh(conn, wait=wait):
            return RefreshReport(False, 0, 0, clock.monotonic() - started, None, skipped=True)
        moment = now or datetime.now(timezone.utc)
        previous = db.refreshed_at(conn)
        hours: set[datetime] = set()
        if not full and previous is not None:
            hours = db.take_dirty_hours(conn)
            if moment > previous:
                hours |= db.deadline_hours(conn, previous, moment)
            full = len(hours) > db.FULL_REFRESH_ABOVE_HOURS
        if full or previous is None:
            rows, full, hours = db.reaggregate_all(conn, moment), True, set()
        else:
            rows = db.reaggregate_hours(conn, sorted(hours), moment)
        db.mark_refreshed(conn, moment, full)
    return RefreshReport(full, len(hours), rows, clock.monotonic() - started, moment)


def ensure_fresh(max_age_seconds: float = FRESH_SECONDS, engine: Engine | None = None) -> datetime | None:
    """The time the aggregate is exact for, refreshing it first when older than ``max_age_seconds``. Never waits
    for a refresh another request is running: the screen then shows the counts of a minute ago."""
    engine = engine or get_engine()
    with engine.connect() as conn:
        last = db.refreshed_at(conn)
    if last is None or (datetime.now(timezone.utc) - last).total_seconds() > max_age_seconds:
        report = refresh(wait=False, engine=engine)
        if not report.skipped:
            return report.refreshed_at
    return last


def history_extent(engine: Engine | None = None) -> tuple[date | None, date | None]:
    """First and last local day with tickets in the aggregate."""
    with (engine or get_engine()).connect() as conn:
        first, last = db.extent(conn)
    return (local_date(first) if first else None, local_date(last) if last else None)


# ------------------------------------------------------------------------------------------------ the screen

@dataclass
class Overview:
    """Everything the screen shows for one set of filters except the replay."""
    filters: Filters
    previous: stats.Window
    kpis: dict
    previous_kpis: dict
    grid_counts: dict[str, int]
    daily: list[dict]
    weekly: list[dict]
    hotspots: list[dict]
    departments: list[dict]
    refreshed_at: datetime | None = None
    notes: list[str] = field(default_factory=list)


def overview(filters: Filters, *, engine: Engine | None = None) -> Overview:
    previous = previous_window(filters.window)
    scope, previous_scope = filters.scope(), filters.scope(previous)
    tz = get_settings().timezone
    with (engine or get_engine()).connect() as conn:
        kpis = stats.with_rates(db.totals(conn, scope))
        previous_kpis = stats.with_rates(db.totals(conn, previous_scope))
        grid_counts = db.received_by_grid(conn, scope)
        days = db.by_day(conn, scope, tz)
        spots = db.hotspots(conn, scope, previous_scope, HOTSPOT_COUNT)
        departments = db.department_counts(conn, scope)
        refreshed = db.refreshed_at(conn)
    daily = fill_days(days, filters.window)
    return Overview(
        filters, previous, kpis, previous_kpis, grid_counts,
        daily=[{**stats.with_rates(d), "day": d["day"]} for d in daily],
        weekly=[{**stats.with_rates(w), "week": w["week"], "days": w["days"]} for w in weekly(daily)],
        hotspots=[{**h, "change": change(h["received"], h["previous"])} for h in spots],
        departments=rank_departments(departments), refreshed_at=refreshed)


def fill_days(rows: list[dict], window: stats.Window) -> list[dict]:
    """One row per day of the window, zeros where there were no tickets (a trend line must not bridge gaps)."""
    seen = {r["day"]: r for r in rows}
    out = []
    day = window.start
    while day <= window.end:
        out.append(seen.get(day) or {"day": day, **{m: 0 for m in db.MEASURES}})
        day += timedelta(days=1)
    return out


def weekly(daily: list[dict]) -> list[dict]:
    """Daily sums added up per ISO week (Monday first); ``days`` tells how much of a week the window holds. The
    rows may carry only some of the counts (the screen keeps three of them for its trend)."""
    weeks: dict[date, dict] = {}
    for row in daily:
        monday = row["day"] - timedelta(days=row["day"].weekday())
        measures = [m for m in db.MEASURES if m in row]
        week = weeks.setdefault(monday, {"week": monday, "days": 0, **{m: 0 for m in measures}})
        week["days"] += 1
        for m in measures:
            week[m] += row[m]
    return [weeks[k] for k in sorted(weeks)]


def trend_rows(daily: list[dict], granularity: str) -> list[dict]:
    """The trend's rows, per day or per ISO week, with their on-time rate (None without tickets due)."""
    rows = weekly(daily) if granularity == "week" else [dict(r) for r in daily]
    for row in rows:
        row["on_time_rate"] = stats.ratio(row["on_time"], row["due"])
    return rows


def rank_departments(rows: list[dict], min_received: int = MIN_RANKED) -> list[dict]:
    """Scored like the annual assessment (services.stats), best first. A department with fewer than
    ``min_received`` tickets (or no score) is listed after the ranked ones with ``rank`` None: three tickets all
    done in time are no proof of a 100-point department."""
    scored = [stats.scored_department(r) for r in rows]
    order = sorted(scored, key=lambda r: (r["score"] is None or r["received"] < min_received, -(r["score"] or 0),
                                          r["code"]))
    rank = 0
    for row in order:
        ranked = row["score"] is not None and row["received"] >= min_received
        rank += ranked
        row["rank"] = rank if ranked else None
    return order


# ------------------------------------------------------------------------------------------------ replay

def parse_day(value: date | str | None, *, today_: date | None = None) -> date:
    if value in (None, ""):
        raise AnalyticsError("day", "请选择回放日期")
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise AnalyticsError("day", f"日期格式应为 YYYY-MM-DD：{value!r}") from None
    if day > (today_ or today()):
        raise AnalyticsError("day", f"回放日期 {day} 还没有到")
    return day


def replay_day(day: date | str | None, filters: Filters, *, engine: Engine | None = None) -> dict:
    """One day's tickets per local hour and grid, for the replay slider (JSON-ready: it goes into a dcc.Store).
    ``by_hour[h]`` maps grid code → tickets registered in hour h; ``totals`` are the 24 hourly sums."""
    day = parse_day(day)
    scope = filters.scope(stats.Window(day, day))
    with (engine or get_engine()).connect() as conn:
        rows = db.day_by_hour_and_grid(conn, scope, get_settings().timezone)
    return replay_payload(day, rows)


def replay_payload(day: date, rows: list[dict]) -> dict:
    by_hour: dict[str, dict[str, int]] = defaultdict(dict)
    totals = [0] * 24
    for r in rows:
        by_hour[str(r["hour"])][r["grid_code"]] = r["received"]
        totals[r["hour"]] += r["received"]
    peak = max((n for cells in by_hour.values() for n in cells.values()), default=0)
    return {"day": day.isoformat(), "by_hour": dict(by_hour), "totals": totals, "peak": peak}
