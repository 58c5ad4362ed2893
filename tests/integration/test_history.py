"""`python -m etl history` on a small run in a scratch database: written through the services (events,
supervisions, outbox rows exist), realistic figures, the heating season, idempotency and --force."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from etl.history import generate_history
from geo import outbox as outbox_sql
from services import stats
from services.tickets import NewTicket, create_ticket
from workorders.policy import system_principal as sp

TZ = ZoneInfo("Asia/Shanghai")
END = datetime(2025, 12, 1, tzinfo=TZ)           # two months: October (no heating) and November (heating starts)
WINDOW = stats.Window(date(2025, 9, 1), date(2025, 11, 30))


@pytest.fixture
def history_engine(scratch_engine):
    from etl.reference import load_reference_and_catalogue
    load_reference_and_catalogue(engine=scratch_engine, quiet=True)
    return scratch_engine


def scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def test_small_history_through_the_services(history_engine):
    engine = history_engine
    crews_busy_before = scalar(engine, "SELECT count(*) FROM crews WHERE status <> 'available'")
    report = generate_history(tickets=300, months=2, seed=7, end=END, workers=1, engine=engine, quiet=True,
                              through_services=True)
    assert not report.skipped and report.outcome.refused == []
    tickets = scalar(engine, "SELECT count(*) FROM tickets WHERE source_ref = 'history:7'")
    assert tickets == report.outcome.tickets and 290 <= tickets <= 300
    assert scalar(engine, "SELECT max(registered_at) FROM tickets") < END

    # Every ticket went through intake and has its history of events; late ones were escalated with supervisions.
    assert scalar(engine, """SELECT count(*) FROM tickets t WHERE NOT EXISTS (
                             SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.action = 'register')""") == 0
    closed = scalar(engine, "SELECT count(*) FROM tickets WHERE state = 'closed'")
    closed_with_event = scalar(engine, """SELECT count(DISTINCT e.ticket_id) FROM ticket_events e
                                          JOIN tickets t ON t.id = e.ticket_id
                                          WHERE t.state = 'closed' AND e.action = 'close'""")
    assert closed == closed_with_event > 250
    assert scalar(engine, "SELECT count(*) FROM ticket_events") > 5 * tickets
    escalations = scalar(engine, "SELECT count(*) FROM ticket_events WHERE action = 'escalate'")
    assert escalations > 0 and scalar(engine, "SELECT count(*) FROM supervisions") == escalations
    assert scalar(engine, "SELECT count(*) FROM tickets WHERE state = 'merged'") >= 1

    # Its outbox rows exist but were marked published in the history's own transactions: nothing for the relay.
    assert scalar(engine, "SELECT count(*) FROM outbox") > 5 * tickets
    with engine.connect() as conn:
        assert outbox_sql.backlog(conn) == 0
    # History never moves today's crews.
    assert scalar(engine, "SELECT count(*) FROM crews WHERE status <> 'available'") == crews_busy_before

    overall = stats.overview(WINDOW, engine=engine, now=END)
    assert overall["closure_rate"] >= 0.9          # the last days' tickets are still being handled, as they would be
    settled = stats.overview(stats.Window(WINDOW.start, date(2025, 11, 23)), engine=engine, now=END)
    assert settled["closure_rate"] >= 0.985
    assert 0.88 <= overall["on_time_rate"] <= 0.995
    assert 0.88 <= overall["satisfaction_rate"] <= 1.0

    # The heating season starts on 1 November: heating complaints come with it.
    heating_oct = scalar(engine, """SELECT count(*) FROM tickets WHERE category_code = 'heating_cold'
                                    AND registered_at < :nov""", nov=datetime(2025, 11, 1, tzinfo=TZ))
    heating_nov = scalar(engine, """SELECT count(*) FROM tickets WHERE category_code = 'heating_cold'
                                    AND registered_at >= :nov""", nov=datetime(2025, 11, 1, tzinfo=TZ))
    assert heating_nov > 5 * max(heating_oct, 1)
    hotline = scalar(engine, "SELECT count(*) FROM tickets WHERE channel = 'hotline'")
    assert hotline > tickets / 2

    # The seeded 越级上访 petitions link work orders of their community registered before them (the few months of
    # this small history: those received after it that have one of their kind), at most three each.
    assert report.petitions.petitions > 0 and report.petitions.tickets >= report.petitions.petitions
    assert scalar(engine, """SELECT count(*) FROM petition_tickets pt JOIN petitions p ON p.id = pt.petition_id
                             JOIN grids g ON g.code = p.grid_code JOIN tickets t ON t.id = pt.ticket_id
                             WHERE t.community_code = g.community_code AND t.registered_at < p.received_at
                               AND p.source = 'seed' AND p.skipped_level""") == report.petitions.tickets
    assert scalar(engine, """SELECT max(n) FROM (SELECT count(*) AS n FROM petition_tickets
                             GROUP BY petition_id) x""") <= 3


def test_history_is_skipped_when_present_and_force_replaces_only_history(history_engine):
    engine = history_engine
    first = generate_history(tickets=120, months=1, seed=3, end=END, workers=1, engine=engine, quiet=True)
    with engine.connect() as conn:
        numbers = set(conn.execute(text("SELECT number FROM tickets")).scalars())
    outbox_rows = scalar(engine, "SELECT count(*) FROM outbox")
    grid = scalar(engine, "SELECT code FROM grids ORDER BY code LIMIT 1")
    live = create_ticket(NewTicket(channel="hotline", category="sanitation", description="垃圾未清运",
                                   grid_code=grid), sp("测试"), engine=engine).ticket["number"]

    again = generate_history(tickets=120, months=1, seed=3, end=END, workers=1, engine=engine, quiet=True)
    assert again.skipped and again.existing == first.outcome.tickets

    forced = generate_history(tickets=120, months=1, seed=3, end=END, workers=1, engine=engine, quiet=True,
                              force=True)
    assert forced.deleted == first.outcome.tickets
    with engine.connect() as conn:
        after = set(conn.execute(text("SELECT number FROM tickets WHERE source_ref LIKE 'history:%'")).scalars())
        assert conn.execute(text("SELECT count(*) FROM tickets WHERE number = :n"), {"n": live}).scalar() == 1
    assert after == numbers                       # same seed, same history, same numbers (counters wound back)
    # The old history's outbox rows went with it; the live ticket's row stays.
    assert scalar(engine, "SELECT count(*) FROM outbox") == outbox_rows + 1


def test_history_refuses_without_reference_data(scratch_engine):
    with pytest.raises(ValueError, match="reference"):
        generate_history(tickets=10, months=1, seed=1, end=END, workers=1, engine=scratch_engine, quiet=True)
