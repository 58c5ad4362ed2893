"""The leader view's pre-aggregate against the tickets themselves, in a scratch database holding a small realistic
history (written by `etl history`: returns, reopenings, escalations, merges, refusals):
every count of the aggregate equals the count from the raw tickets, for any window and filter; the incremental
refresh picks up new, changed and deleted tickets and deadlines that pass; the CLI and the migration's downgrade."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from geo import analytics as agg
from geo import stats as raw
from geo.db import make_engine
from services import analytics, stats
from services.tickets import NewTicket, create_ticket, transition
from tests.conftest import ROOT, _with_db, scratch_database
from workorders.policy import system_principal as sp

TZ = ZoneInfo("Asia/Shanghai")
END = datetime(2025, 12, 1, tzinfo=TZ)             # history: October and November 2025
NOW = datetime(2025, 12, 1, 12, tzinfo=TZ)         # "now" of every count that depends on the clock
OCT = stats.Window(date(2025, 10, 1), date(2025, 10, 31))
NOV = stats.Window(date(2025, 11, 1), date(2025, 11, 30))


@pytest.fixture(scope="module")
def history_db(database_url):
    """A scratch database: migrated, reference data, ~400 history tickets, the aggregate filled once by the
    history (as of its end), then brought up to NOW by the incremental refresh (the deadlines passed since)."""
    with scratch_database(database_url, "analytics") as url:
        engine = make_engine(url)
        from etl.history import generate_history
        from etl.reference import load_reference_and_catalogue
        load_reference_and_catalogue(engine=engine, quiet=True)
        generate_history(tickets=400, months=2, seed=11, end=END, workers=1, engine=engine, quiet=True)
        with engine.connect() as conn:
            assert agg.refreshed_at(conn) == END             # the history counted every ticket once, as of its end
        report = analytics.refresh(now=NOW, engine=engine)
        assert not report.full and not report.skipped
        yield url, engine
        engine.dispose()


def scope(window: stats.Window, **kw) -> agg.Scope:
    start, end = window.bounds(TZ)
    return agg.Scope(start, end, **{k: tuple(v) for k, v in kw.items()})


def raw_totals(conn, s: agg.Scope) -> dict:
    """geo.stats' counts with the scope's filters (geo.stats itself filters by window only)."""
    where, params = s.where(alias="t", raw=True)
    return dict(conn.execute(text(f"""
        SELECT {raw.COUNTS}, count(*) FILTER (WHERE t.returned_count > 0) AS returned
        FROM tickets t WHERE {where}"""), {**params, "now": NOW}).mappings().one())


def some(engine, column: str, n: int = 2) -> list[str]:
    """The n most frequent values of a ticket column (so filters select something)."""
    with engine.connect() as conn:
        return list(conn.execute(text(f"SELECT {column} FROM tickets GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT :n"),
                                 {"n": n}).scalars())


def test_history_is_varied_enough_to_check_every_count(history_db):
    _, engine = history_db
    with engine.connect() as conn:
        counts = raw_totals(conn, scope(stats.Window(OCT.start, NOV.end)))
    assert counts["received"] > 350
    for measure in ("closed", "due", "on_time", "arrival_due", "arrived_on_time", "evaluated", "satisfied"):
        assert counts[measure] > 0, measure
    assert counts["received"] > counts["on_time"]            # some late tickets: the counts differ


@pytest.mark.parametrize("window", [OCT, NOV, stats.Window(date(2025, 10, 20), date(2025, 11, 3)),
                                    stats.Window(date(2025, 11, 15), date(2025, 11, 15))])
def test_aggregate_totals_and_grid_counts_equal_the_raw_tickets(history_db, window):
    _, engine = history_db
    s = scope(window)
    with engine.connect() as conn:
        mine = agg.totals(conn, s)
        assert mine == raw_totals(conn, s)
        theirs = raw.totals(conn, s.start, s.end, NOW)                # the statistics module's own query
        assert {k: mine[k] for k in theirs} == theirs
        assert agg.received_by_grid(conn, s) == agg.raw_received_by_grid(conn, s)


def test_filters_by_category_channel_and_street_match_the_raw_tickets(history_db):
    _, engine = history_db
    filters = [{"categories": some(engine, "category_code", 1)}, {"channels": some(engine, "channel", 2)},
               {"streets": some(engine, "street_code", 3)},
               {"categories": some(engine, "category_code", 3), "channels": some(engine, "channel", 1),
                "streets": some(engine, "street_code", 5)}]
    with engine.connect() as conn:
        for kw in filters:
            s = scope(NOV, **kw)
            totals = agg.totals(conn, s)
            assert totals == raw_totals(conn, s), kw
            assert 0 < totals["received"] < agg.totals(conn, scope(NOV))["received"], kw
            assert agg.received_by_grid(conn, s) == agg.raw_received_by_grid(conn, s), kw


def test_days_hotspots_and_replay_match_the_raw_tickets(history_db):
    _, engine = history_db
    s, previous = scope(NOV), scope(OCT)
    with engine.connect() as conn:
        days = {r["day"]: r for r in agg.by_day(conn, s, "Asia/Shanghai")}
        raw_days = {date.fromisoformat(r["key"]): r for r in raw.counts_by(conn, "day", s.start, s.end, NOW,
                                                                           "Asia/Shanghai")}
        assert days.keys() == raw_days.keys()
        for day, row in days.items():
            for measure in ("received", "closed", "due", "on_time", "arrival_due", "evaluated", "satisfied"):
                assert row[measure] == raw_days[day][measure], (day, measure)
        spots = agg.hotspots(conn, s, previous, 10)
        assert spots == agg.raw_hotspots(conn, s, previous, 10)
        assert len(spots) == 10 and spots[0]["received"] >= spots[-1]["received"] and spots[0]["name"]
        one_day = scope(stats.Window(date(2025, 11, 17), date(2025, 11, 17)))   # a Monday
        replay = agg.day_by_hour_and_grid(conn, one_day, "Asia/Shanghai")
        assert replay == agg.raw_day_by_hour_and_grid(conn, one_day, "Asia/Shanghai") and replay


def test_department_ranking_equals_the_statistics_module(history_db):
    _, engine = history_db
    with engine.connect() as conn:
        rows = agg.department_counts(conn, scope(NOV))
    mine = {r["code"]: r for r in analytics.rank_departments(rows)}
    theirs = {r["code"]: r for r in stats.department_scores(window=NOV, now=NOW, engine=engine)}
    assert mine.keys() == theirs.keys() and len(mine) > 3
    keys = ("received", "due", "on_time", "evaluated", "satisfied", "reopened", "returns", "on_time_rate",
            "satisfaction_rate", "reopen_rate", "returned_rate", "score")
    for code in mine:
        assert {k: mine[code][k] for k in keys} == {k: theirs[code][k] for k in keys}, code
    assert any(r["returns"] for r in mine.values())           # the history sent some tickets back


def test_overview_puts_it_together_for_the_screen(history_db):
    _, engine = history_db
    filters = analytics.Filters(NOV)
    view = analytics.overview(filters, engine=engine)
    assert view.previous == stats.Window(date(2025, 10, 2), date(2025, 10, 31))      # the 30 days before
    assert view.kpis["received"] == sum(view.grid_counts.values()) == sum(d["received"] for d in view.daily)
    assert len(view.daily) == 30 and sum(w["received"] for w in view.weekly) == view.kpis["received"]
    assert view.previous_kpis["received"] > 0 and len(view.hotspots) == analytics.HOTSPOT_COUNT
    assert view.hotspots[0]["change"] == analytics.change(view.hotspots[0]["received"], view.hotspots[0]["previous"])
    ranked = [d for d in view.departments if d["rank"]]
    assert [d["rank"] for d in ranked] == list(range(1, len(ranked) + 1))
    assert [d["score"] for d in ranked] == sorted((d["score"] for d in ranked), reverse=True)
    assert view.departments[:len(ranked)] == ranked                 # the unranked (small samples) come after
    assert all(d["received"] < analytics.MIN_RANKED or d["score"] is None for d in view.departments[len(ranked):])


# ------------------------------------------------------------------------------------------------ refresh

def a_grid(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SELECT code FROM grids ORDER BY code LIMIT 1")).scalar()


def hour_counts(engine, hour: datetime, grid: str) -> dict:
    with engine.connect() as conn:
        return agg.totals(conn, agg.Scope(hour, hour + timedelta(hours=1))) | {
            "grid": agg.received_by_grid(conn, agg.Scope(hour, hour + timedelta(hours=1))).get(grid, 0)}


def test_incremental_refresh_picks_up_new_changed_and_deleted_tickets(history_db):
    _, engine = history_db
    grid = a_grid(engine)
    registered = datetime(2025, 11, 20, 10, 15, tzinfo=TZ)
    hour = registered.replace(minute=0).astimezone(timezone.utc)
    analytics.refresh(now=NOW, engine=engine)
    before = hour_counts(engine, hour, grid)

    number = create_ticket(NewTicket(channel="hotline", category="water_leak", description="水管漏水 测试",
                                     grid_code=grid, citizen_name="李四", citizen_phone="13900002222",
                                     registered_at=registered), sp("测试"), engine=engine).ticket["number"]
    assert hour_counts(engine, hour, grid) == before            # not counted until a refresh
    report = analytics.refresh(now=NOW, engine=engine)
    assert not report.full and report.hours >= 1
    after = hour_counts(engine, hour, grid)
    assert (after["received"], after["grid"]) == (before["received"] + 1, before["grid"] + 1)
    assert after["closed"] == before["closed"]

    with engine.begin() as conn:
        for action, minutes, actor in (("dispatch", 5, "坐席01"), ("accept", 10, "water"), ("arrive", 20, "water"),
                                       ("resolve", 60, "water"), ("close", 90, "坐席01")):
            transition(number, action, sp(actor), now=registered + timedelta(minutes=minutes), conn=conn)
    analytics.refresh(now=NOW, engine=engine)
    resolved = hour_counts(engine, hour, grid)
    assert resolved["closed"] == before["closed"] + 1 and resolved["on_time"] == before["on_time"] + 1

    with engine.begin() as conn:
        conn.execute(text("DELETE FROM tickets WHERE number = :n"), {"n": number})
    analytics.refresh(now=NOW, engine=engine)
    assert hour_counts(engine, hour, grid) == before
    with engine.connect() as conn:
        assert agg.pending_changes(conn) == 0


def test_a_deadline_that_passes_changes_the_counts_without_a_change_to_the_ticket(history_db):
    """Checked inside one transaction that is rolled back: the shared refresh time is not moved."""
    _, engine = history_db
    registered = datetime(2025, 11, 28, 9, 10, tzinfo=TZ)
    hour = registered.replace(minute=0).astimezone(timezone.utc)
    with engine.connect() as conn, conn.begin() as tx:
        agg.lock_refresh(conn)
        ticket = create_ticket(NewTicket(channel="web", category="greening", description="树枝折断 测试",
                                         grid_code=a_grid(engine), registered_at=registered), None,
                               conn=conn).ticket
        due = ticket["resolve_due_at"]
        just_before, just_after = due - timedelta(minutes=1), due + timedelta(minutes=1)
        agg.take_dirty_hours(conn)
        agg.reaggregate_hours(conn, [hour], just_before)
        s = agg.Scope(hour, hour + timedelta(hours=1), categories=("greening",))
        assert agg.totals(conn, s)["due"] == 0                    # nothing to resolve yet
        assert agg.deadline_hours(conn, just_before - timedelta(hours=1), just_before) == set()
        assert hour in agg.deadline_hours(conn, just_before, just_after)
        assert agg.take_dirty_hours(conn) == set()               # the ticket itself did not change
        agg.reaggregate_hours(conn, [hour], just_after)
        assert agg.totals(conn, s)["due"] == 1 and agg.totals(conn, s)["on_time"] == 0
        tx.rollback()


def test_a_refresh_running_elsewhere_is_not_waited_for(history_db):
    _, engine = history_db
    with engine.connect() as conn, conn.begin():
        assert agg.lock_refresh(conn, wait=False)
        report = analytics.refresh(wait=False, engine=engine)
        assert report.skipped and report.rows == 0
    assert not analytics.refresh(wait=False, now=NOW, engine=engine).skipped


def test_replay_day_service_groups_a_day_by_hour(history_db):
    _, engine = history_db
    day = date(2025, 11, 17)
    payload = analytics.replay_day(day, analytics.Filters(stats.Window(day, day)), engine=engine)
    with engine.connect() as conn:
        expected = agg.totals(conn, scope(stats.Window(day, day)))["received"]
    assert sum(payload["totals"]) == expected > 0
    assert payload["peak"] >= 1 and len(payload["totals"]) == 24


# ------------------------------------------------------------------------------------------------ CLI, migration

def test_aggregate_cli_refreshes_and_reports(history_db):
    url, _ = history_db
    env = {**os.environ, "DATABASE_URL": url}
    full = subprocess.run([sys.executable, "-m", "etl", "aggregate", "--full"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    assert full.returncode == 0, full.stderr
    assert full.stdout.startswith("aggregated all hours:")
    quick = subprocess.run([sys.executable, "-m", "etl", "aggregate"], cwd=ROOT, env=env, capture_output=True,
                           text=True)
    assert quick.returncode == 0 and "aggregated 0 changed hour(s): 0 row(s)" in quick.stdout
    bad = subprocess.run([sys.executable, "-m", "etl", "aggregate"], cwd=ROOT, capture_output=True, text=True,
                         env={**env, "DATABASE_URL": _with_db(url, "no_such_database_here")})
    assert bad.returncode == 1 and bad.stderr.startswith("error: aggregate:") and len(bad.stderr.splitlines()) == 1


def test_migration_downgrades_and_upgrades_again(scratch_url):
    env = {**os.environ, "DATABASE_URL": scratch_url}
    for step in (["downgrade", "0004"], ["upgrade", "head"]):
        done = subprocess.run([sys.executable, "-m", "alembic", *step], cwd=ROOT, env=env, capture_output=True,
                              text=True)
        assert done.returncode == 0, done.stderr
    engine = make_engine(scratch_url)
    try:
        with engine.connect() as conn:
            triggers = conn.execute(text("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'analytics_tickets_%'"))
            assert triggers.scalar() == 3
    finally:
        engine.dispose()
