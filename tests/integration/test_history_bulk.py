"""The set-based history writer (etl/history_bulk.py) against the service path: the same small plan written both
ways into two scratch databases gives the same tickets, events, supervisions, joint meetings, repeat links,
counters, aggregate and figures. Ids, evaluation tokens (random) and outbox rows (the bulk path writes none) are
left out of the comparison."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from psycopg2 import sql as pgsql
from sqlalchemy import text

from etl.history import generate_history
from geo.db import make_engine
from services import analytics, stats
from tests.conftest import _admin, _with_db, scratch_database

TZ = ZoneInfo("Asia/Shanghai")
END = datetime(2025, 12, 1, tzinfo=TZ)
PLAN = {"tickets": 600, "months": 2, "seed": 7, "end": END}

TICKETS = """
    SELECT t.number, t.state, t.channel, t.category_code, t.category_version, t.variant, t.description,
           ST_AsText(t.geom), t.grid_code, t.community_code, t.street_code, t.address, t.citizen_name,
           t.citizen_phone, t.priority, t.complexity, t.lead_department_code, t.co_department_codes,
           t.handled_by_community, t.escalation_level, t.supervised, t.returned_count, t.reopened_count,
           t.crew_code, m.number AS merged_into, t.flags, t.attributes, t.source_ref, t.registered_by,
           t.registered_at, t.dispatched_at, t.accepted_at, t.on_site_at, t.resolved_at, t.evaluated_at,
           t.closed_at, t.updated_at, t.arrival_due_at, t.resolve_due_at, t.evaluation_token IS NOT NULL,
           t.satisfaction, t.evaluation_comment
    FROM tickets t LEFT JOIN tickets m ON m.id = t.merged_into_id ORDER BY t.number"""
EVENTS = """
    SELECT t.number, e.at, e.actor, e.action, e.from_state, e.to_state, e.reason, e.data
    FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id ORDER BY t.number, e.at, e.id"""
SUPERVISIONS = """
    SELECT t.number, s.level, s.unit, s.person, s.reason, s.created_at, s.closed_at
    FROM supervisions s JOIN tickets t ON t.id = s.ticket_id ORDER BY t.number, s.created_at, s.level"""
MEETINGS = """
    SELECT t.number, j.meeting_date, j.department_codes, j.decision, j.follow_up, j.created_at
    FROM joint_meetings j JOIN tickets t ON t.id = j.ticket_id ORDER BY t.number, j.created_at"""
LINKS = """
    SELECT t.number, e.number, l.reasons, l.created_at FROM ticket_links l
    JOIN tickets t ON t.id = l.ticket_id JOIN tickets e ON e.id = l.earlier_id ORDER BY 1, 2"""
COUNTERS = "SELECT day, last FROM ticket_counters ORDER BY day"
AGGREGATE = "SELECT * FROM ticket_grid_hourly ORDER BY hour, grid_code, category_code, channel, department_code"


@pytest.fixture(scope="module")
def two_databases(database_url):
    """Two scratch databases holding the same reference data: the second a copy of the first (loaded once)."""
    from etl.reference import load_reference_and_catalogue
    with scratch_database(database_url, "history_a") as first_url:
        first = make_engine(first_url)
        load_reference_and_catalogue(engine=first, quiet=True)
        first.dispose()
        copy_name = first_url.rsplit("/", 1)[1] + "_b"
        admin = _admin(database_url)
        with admin.cursor() as cur:
            cur.execute(pgsql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                pgsql.Identifier(copy_name), pgsql.Identifier(first_url.rsplit("/", 1)[1])))
        engines = make_engine(first_url), make_engine(_with_db(database_url, copy_name))
        try:
            yield engines
        finally:
            for engine in engines:
                engine.dispose()
            with admin.cursor() as cur:
                cur.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(copy_name)))
            admin.close()


@pytest.fixture(scope="module")
def both_ways(two_databases):
    """The same plan through the services (one worker: the order the plan is written in) and set-based; each
    aggregate rebuilt for the same moment, so that clock-dependent counts agree."""
    slow_engine, bulk_engine = two_databases
    slow = generate_history(**PLAN, workers=1, engine=slow_engine, quiet=True, through_services=True)
    bulk = generate_history(**PLAN, engine=bulk_engine, quiet=True)
    for engine in two_databases:
        analytics.refresh(full=True, now=END, engine=engine)
    return (slow, slow_engine), (bulk, bulk_engine)


def rows(engine, query: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(query))]


def test_both_paths_write_the_plan_without_refusals(both_ways):
    (slow, _), (bulk, _) = both_ways
    assert slow.outcome.refused == [] and bulk.outcome.refused == []
    assert (bulk.outcome.tickets, bulk.outcome.steps) == (slow.outcome.tickets, slow.outcome.steps)
    assert bulk.outcome.tickets > 550


def test_the_plan_holds_every_kind_of_life(both_ways):
    """What the comparisons below compare is there: returns, escalations, merges, reopenings, joint meetings,
    repeat links, refusals, the last days' open tickets."""
    (_, engine), _ = both_ways
    kinds = dict(rows(engine, "SELECT action, count(*) FROM ticket_events GROUP BY action"))
    for action in ("register", "dispatch", "accept", "arrive", "return", "escalate", "joint_meeting", "resolve",
                   "evaluate", "reopen", "close", "merge", "notify_closed", "refuse"):
        assert kinds.get(action, 0) > 0, action
    assert rows(engine, "SELECT count(*) FROM ticket_links")[0][0] > 0
    assert rows(engine, "SELECT count(*) FROM tickets WHERE state NOT IN ('closed', 'merged', 'refused')")[0][0] > 0


@pytest.mark.parametrize("query", [TICKETS, EVENTS, SUPERVISIONS, MEETINGS, LINKS, COUNTERS, AGGREGATE],
                         ids=["tickets", "events", "supervisions", "joint_meetings", "links", "counters",
                              "aggregate"])
def test_the_same_rows_both_ways(both_ways, query):
    (_, slow_engine), (_, bulk_engine) = both_ways
    slow, bulk = rows(slow_engine, query), rows(bulk_engine, query)
    assert slow, "nothing to compare"
    if bulk != slow:
        slow_set, bulk_set = {repr(r) for r in slow}, {repr(r) for r in bulk}
        pytest.fail(f"{len(slow)} rows through the services, {len(bulk)} set-based; through the services only: "
                    f"{sorted(slow_set - bulk_set)[:3]}; set-based only: {sorted(bulk_set - slow_set)[:3]}")


def test_the_same_figures_both_ways(both_ways):
    (_, slow_engine), (_, bulk_engine) = both_ways
    window = stats.Window(date(2025, 10, 1), date(2025, 11, 30))
    slow = stats.overview(window, engine=slow_engine, now=END)
    assert stats.overview(window, engine=bulk_engine, now=END) == slow
    assert slow["closure_rate"] >= 0.9


def test_the_bulk_path_writes_no_outbox_rows_and_forces_like_the_service_path(both_ways):
    (_, slow_engine), (bulk, bulk_engine) = both_ways
    assert rows(bulk_engine, "SELECT count(*) FROM outbox")[0][0] == 0
    assert rows(slow_engine, "SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0] == 0
    numbers = rows(bulk_engine, "SELECT number FROM tickets ORDER BY number")
    again = generate_history(**PLAN, engine=bulk_engine, quiet=True, force=True)
    assert again.deleted == bulk.outcome.tickets
    assert rows(bulk_engine, "SELECT number FROM tickets ORDER BY number") == numbers
