"""SQL of the leader view (/analytics): the pre-aggregate ``ticket_grid_hourly``, its refresh, and every read.

The aggregate holds, per registration hour (truncated in UTC) × grid × street × category × channel × lead
department, the counts of geo.stats (the same SQL expressions, so the leader view and the statistics export agree),
plus ``returned`` (tickets sent back at least once). Counts that depend on the clock (``due``, ``arrival_due``) are
taken at the refresh time, kept in ``analytics_refresh``.

Refresh: triggers on ``tickets`` log the registration hour of every inserted, updated or deleted ticket in
``ticket_hours_dirty``; an incremental refresh takes that log, adds the hours of tickets whose deadline passed since
the last refresh (their counts change with no change to the row), deletes those hours from the aggregate and
aggregates them again from ``tickets``. In READ COMMITTED each statement sees a newer snapshot than the one before,
so every logged change is visible to the re-aggregation that follows; changes still in flight leave their log rows
for the next refresh. One refresher at a time (advisory lock).

Local days: windows arrive as timestamps at local midnight. UTC hour buckets split them exactly for time zones
whose offset is a whole number of hours (Asia/Shanghai is +08:00 all year).

Only counts come out of here; rates are computed in services (services.stats.with_rates).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, text

from geo.stats import COUNTS

AGGREGATE = "ticket_grid_hourly"
# Counts of the aggregate: geo.stats' COUNTS (same names) plus ``returned``.
MEASURES = ("received", "closed", "due", "on_time", "arrival_due", "arrived_on_time", "evaluated", "satisfied",
            "reopened", "escalated", "returned")
KEYS = ("hour", "grid_code", "street_code", "category_code", "channel", "department_code")
# Above this many dirty hours one pass over all tickets is cheaper than one index range per hour.
FULL_REFRESH_ABOVE_HOURS = 2000
# pg_advisory_xact_lock(key1, key2) of the refresh; key1 is a namespace of its own (geo.devices uses 96715).
LOCK_KEY = (96705, 1)

HOUR_OF = "date_trunc('hour', t.registered_at, 'UTC')"


# ------------------------------------------------------------------------------------------------ refresh

def _aggregate_insert(where: str, source: str = "tickets t") -> str:
    """INSERT … SELECT of the aggregate rows of the tickets (alias t) in ``source`` matching ``where``."""
    columns = ", ".join(KEYS + MEASURES)
    return f"""
        INSERT INTO {AGGREGATE} ({columns})
        SELECT {columns} FROM (
            SELECT {HOUR_OF} AS hour, t.grid_code, t.street_code, t.category_code, t.channel,
                   t.lead_department_code AS department_code, {COUNTS},
                   count(*) FILTER (WHERE t.returned_count > 0) AS returned
            FROM {source}
            WHERE {where}
            GROUP BY 1, 2, 3, 4, 5, 6) AS counted"""


def lock_refresh(conn: Connection, wait: bool = True) -> bool:
    """Take the refresh lock for this transaction; without ``wait``, False when another refresh holds it."""
    if wait:
        conn.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), {"a": LOCK_KEY[0], "b": LOCK_KEY[1]})
        return True
    return bool(conn.execute(text("SELECT pg_try_advisory_xact_lock(:a, :b)"),
                             {"a": LOCK_KEY[0], "b": LOCK_KEY[1]}).scalar())


def refreshed_at(conn: Connection) -> datetime | None:
    return conn.execute(text("SELECT refreshed_at FROM analytics_refresh WHERE name = :n"), {"n": AGGREGATE}).scalar()


def take_dirty_hours(conn: Connection) -> set[datetime]:
    """Remove the change log (the rows this statement can see) and return the distinct hours it named."""
    return set(conn.execute(text("""
        WITH taken AS (DELETE FROM ticket_hours_dirty RETURNING hour) SELECT DISTINCT hour FROM taken""")).scalars())


def deadline_hours(conn: Connection, since: datetime, now: datetime) -> set[datetime]:
    """Registration hours of tickets whose resolve or arrival deadline passed in (since, now] while still unmet:
    their ``due`` / ``arrival_due`` counts changed without any change to the ticket."""
    return set(conn.execute(text(f"""
        SELECT {HOUR_OF} FROM tickets t
        WHERE t.resolved_at IS NULL AND t.resolve_due_at > :since AND t.resolve_due_at <= :now
          AND t.state NOT IN ('merged', 'refused')
        UNION
        SELECT {HOUR_OF} FROM tickets t
        WHERE t.on_site_at IS NULL AND t.arrival_due_at IS NOT NULL
          AND t.arrival_due_at > :since AND t.arrival_due_at <= :now AND t.state NOT IN ('merged', 'refused')"""),
        {"since": since, "now": now}).scalars())


def reaggregate_hours(conn: Connection, hours: list[datetime], now: datetime) -> int:
    """Replace the aggregate rows of ``hours`` with fresh counts; returns the rows written."""
    if not hours:
        return 0
    conn.execute(text(f"DELETE FROM {AGGREGATE} WHERE hour = ANY(:hours)"), {"hours": hours})
    # One index range scan of tickets.registered_at per hour.
    insert = _aggregate_insert("t.registered_at >= h.hour AND t.registered_at < h.hour + interval '1 hour'",
                               source="unnest(CAST(:hours AS timestamptz[])) AS h(hour) JOIN tickets t ON true")
    return conn.execute(text(insert), {"hours": hours, "now": now}).rowcount


def reaggregate_all(conn: Connection, now: datetime) -> int:
    conn.execute(text("DELETE FROM ticket_hours_dirty"))
    conn.execute(text(f"DELETE FROM {AGGREGATE}"))
    return conn.execute(text(_aggregate_insert("true")), {"now": now}).rowcount


def mark_refreshed(conn: Connection, now: datetime, full: bool) -> None:
    conn.execute(text("""
        INSERT INTO analytics_refresh (name, refreshed_at, full_refresh_at) VALUES (:n, :now, :full_at)
        ON CONFLICT (name) DO UPDATE SET refreshed_at = EXCLUDED.refreshed_at,
            full_refresh_at = coalesce(EXCLUDED.full_refresh_at, analytics_refresh.full_refresh_at)"""),
        {"n": AGGREGATE, "now": now, "full_at": now if full else None})


def pending_changes(conn: Connection) -> int:
    return conn.execute(text("SELECT count(*) FROM ticket_hours_dirty")).scalar()


def aggregate_rows(conn: Connection) -> int:
    return conn.execute(text(f"SELECT count(*) FROM {AGGREGATE}")).scalar()


# ------------------------------------------------------------------------------------------------ reads

@dataclass(frozen=True)
class Scope:
    """Which tickets a read counts: registered in [start, end), of these categories, channels and streets
    (an empty tuple = all)."""
    start: datetime
    end: datetime
    categories: tuple[str, ...] = field(default_factory=tuple)
    channels: tuple[str, ...] = field(default_factory=tuple)
    streets: tuple[str, ...] = field(default_factory=tuple)

    def where(self, prefix: str = "", alias: str = "a", raw: bool = False) -> tuple[str, dict]:
        """SQL condition and its parameters; ``prefix`` keeps two scopes apart in one statement; ``raw`` writes it
        for the tickets table (alias t) instead of the aggregate."""
        time_column = f"{alias}.registered_at" if raw else f"{alias}.hour"
        parts = [f"{time_column} >= :{prefix}start", f"{time_column} < :{prefix}end"]
        params: dict = {f"{prefix}start": self.start, f"{prefix}end": self.end}
        for name, column, values in (("categories", "category_code", self.categories),
                                     ("channels", "channel", self.channels),
                                     ("streets", "street_code", self.streets)):
            if values:
                parts.append(f"{alias}.{column} = ANY(:{prefix}{name})")
                params[f"{prefix}{name}"] = list(values)
        return " AND ".join(parts), params


SUMS = ", ".join(f"coalesce(sum(a.{m}), 0)::int AS {m}" for m in MEASURES)


def totals(conn: Connection, scope: Scope) -> dict:
    where, params = scope.where()
    return dict(conn.execute(text(f"SELECT {SUMS} FROM {AGGREGATE} a WHERE {where}"), params).mappings().one())


def received_by_grid(conn: Connection, scope: Scope) -> dict[str, int]:
    where, params = scope.where()
    return {code: n for code, n in conn.execute(text(f"""
        SELECT a.grid_code, sum(a.received)::int FROM {AGGREGATE} a WHERE {where} GROUP BY 1"""), params)}


def by_day(conn: Connection, scope: Scope, tz: str) -> list[dict]:
    """Sums per local day that has tickets, in date order."""
    where, params = scope.where()
    rows = conn.execute(text(f"""
        SELECT (a.hour AT TIME ZONE :tz)::date AS day, {SUMS}
        FROM {AGGREGATE} a WHERE {where} GROUP BY 1 ORDER BY 1"""), {**params, "tz": tz}).mappings()
    return [dict(r) for r in rows]


def hotspots(conn: Connection, scope: Scope, previous: Scope, limit: int = 10) -> list[dict]:
    """The grids with the most tickets in ``scope``, with their count in ``previous`` and their names."""
    where, params = scope.where("cur_")
    prev_where, prev_params = previous.where("prev_")
    rows = conn.execute(text(f"""
        WITH cur AS (SELECT a.grid_code, sum(a.received)::int AS received FROM {AGGREGATE} a
                     WHERE {where} GROUP BY 1),
             prev AS (SELECT a.grid_code, sum(a.received)::int AS received FROM {AGGREGATE} a
                      WHERE {prev_where} GROUP BY 1)
        SELECT g.grid_code AS code, g.grid_name AS name, g.community_name AS community, g.street_name AS street,
               cur.received, coalesce(prev.received, 0) AS previous
        FROM cur JOIN grid_places g ON g.grid_code = cur.grid_code
        LEFT JOIN prev ON prev.grid_code = cur.grid_code
        WHERE cur.received > 0
        ORDER BY cur.received DESC, g.grid_code LIMIT :limit"""), {**params, **prev_params, "limit": limit}).mappings()
    return [dict(r) for r in rows]


def department_counts(conn: Connection, scope: Scope) -> list[dict]:
    """Sums per lead department, plus ``returns``: how often the department sent back a ticket of the scope
    (ticket_events 'return', data.returned_by; the same rule as geo.stats.department_counts)."""
    where, params = scope.where()
    raw_where, raw_params = scope.where("raw_", alias="t", raw=True)
    sums = ", ".join(f"coalesce(p.{m}, 0) AS {m}" for m in MEASURES)
    rows = conn.execute(text(f"""
        WITH per_lead AS (
            SELECT a.department_code AS code, {SUMS} FROM {AGGREGATE} a WHERE {where} GROUP BY 1),
        returns AS (
            SELECT e.data->>'returned_by' AS code, count(*) AS returns
            FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
            WHERE e.action = 'return' AND {raw_where}
            GROUP BY 1)
        SELECT d.code, d.name, {sums}, coalesce(r.returns, 0)::int AS returns
        FROM departments d
        LEFT JOIN per_lead p ON p.code = d.code
        LEFT JOIN returns r ON r.code = d.code
        WHERE p.code IS NOT NULL OR r.code IS NOT NULL
        ORDER BY d.code"""), {**params, **raw_params}).mappings()
    return [dict(r) for r in rows]


def day_by_hour_and_grid(conn: Connection, scope: Scope, tz: str) -> list[dict]:
    """Tickets of one day (``scope`` spans it) per local hour of day (0–23) and grid: the replay's data."""
    where, params = scope.where()
    rows = conn.execute(text(f"""
        SELECT extract(hour FROM a.hour AT TIME ZONE :tz)::int AS hour, a.grid_code, sum(a.received)::int AS received
        FROM {AGGREGATE} a WHERE {where} GROUP BY 1, 2 ORDER BY 1, 2"""), {**params, "tz": tz}).mappings()
    return [dict(r) for r in rows]


def extent(conn: Connection) -> tuple[datetime | None, datetime | None]:
    """First and last registration hour in the aggregate (None, None when empty)."""
    first, last = conn.execute(text(f"SELECT min(hour), max(hour) FROM {AGGREGATE}")).one()
    return first, last


def category_names(conn: Connection) -> list[tuple[str, str]]:
    return [(c, n) for c, n in conn.execute(text("SELECT code, name FROM categories ORDER BY priority, code"))]


def street_names(conn: Connection) -> list[tuple[str, str]]:
    return [(c, n) for c, n in conn.execute(text("SELECT code, name FROM streets ORDER BY code"))]


# ------------------------------------------------------------------------------------------------ raw (benchmark)

def raw_received_by_grid(conn: Connection, scope: Scope) -> dict[str, int]:
    """The same as received_by_grid, straight from the tickets: the check and the benchmark's baseline."""
    where, params = scope.where(alias="t", raw=True)
    return {code: n for code, n in conn.execute(text(f"""
        SELECT t.grid_code, count(*)::int FROM tickets t WHERE {where} GROUP BY 1"""), params)}


def raw_day_by_hour_and_grid(conn: Connection, scope: Scope, tz: str) -> list[dict]:
    where, params = scope.where(alias="t", raw=True)
    rows = conn.execute(text(f"""
        SELECT extract(hour FROM t.registered_at AT TIME ZONE :tz)::int AS hour, t.grid_code, count(*)::int AS received
        FROM tickets t WHERE {where} GROUP BY 1, 2 ORDER BY 1, 2"""), {**params, "tz": tz}).mappings()
    return [dict(r) for r in rows]


def raw_hotspots(conn: Connection, scope: Scope, previous: Scope, limit: int = 10) -> list[dict]:
    where, params = scope.where("cur_", alias="t", raw=True)
    prev_where, prev_params = previous.where("prev_", alias="t", raw=True)
    rows = conn.execute(text(f"""
        WITH cur AS (SELECT t.grid_code, count(*)::int AS received FROM tickets t WHERE {where} GROUP BY 1),
             prev AS (SELECT t.grid_code, count(*)::int AS received FROM tickets t WHERE {prev_where} GROUP BY 1)
        SELECT g.grid_code AS code, g.grid_name AS name, g.community_name AS community, g.street_name AS street,
               cur.received, coalesce(prev.received, 0) AS previous
        FROM cur JOIN grid_places g ON g.grid_code = cur.grid_code
        LEFT JOIN prev ON prev.grid_code = cur.grid_code
        ORDER BY cur.received DESC, g.grid_code LIMIT :limit"""), {**params, **prev_params, "limit": limit}).mappings()
    return [dict(r) for r in rows]
