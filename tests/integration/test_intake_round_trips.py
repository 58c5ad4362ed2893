"""Intake's round trips (issue 12): a ticket by its point costs two statements (its place with the catalogue's
stamp, then one statement writing everything), the catalogue kept in memory follows every change of the stored
one, and the outbox payload written in that statement is the public view of the ticket read back."""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, text

from geo import tickets as ticket_sql
from services import tickets as svc
from services.tickets import NewTicket
from workorders.policy import system_principal

DESK = system_principal("坐席")
# place + stamp, then the one writing statement. Raising this needs a reason: each statement is a round trip
# that every ticket of every door waits for (bench/intake.py measures what they cost).
MAX_STATEMENTS_PER_TICKET = 2


@pytest.fixture(scope="module")
def point(engine):
    with engine.connect() as conn:
        return dict(conn.execute(text("""SELECT ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom))
                                         AS lat FROM grids ORDER BY code LIMIT 1""")).mappings().one())


def new(point, **kw) -> NewTicket:
    return NewTicket(**{"channel": "hotline", "category": "water_leak", "lon": point["lon"], "lat": point["lat"],
                        "description": f"楼道漏水 {uuid.uuid4().hex[:6]}", "citizen_phone": "13800001234", **kw})


@contextmanager
def counted(engine):
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def per_ticket(statements: list[str]) -> list[str]:
    """The statements but the PREPAREs: a statement is prepared once per pooled connection, not per ticket."""
    return [s for s in statements if not s.startswith("PREPARE ")]


def test_a_ticket_by_its_point_costs_two_statements(engine, point):
    svc.create_ticket(new(point), DESK)                    # the process reads the catalogue once
    with counted(engine) as statements:
        created = svc.create_ticket(new(point), DESK)
    assert created.created
    assert len(per_ticket(statements)) <= MAX_STATEMENTS_PER_TICKET, statements


def test_both_statements_are_prepared_once_per_connection(engine, point):
    """Planning the writing statement cost more than running it: each connection plans it once, then executes."""
    with engine.connect() as conn:
        with counted(engine) as statements:
            for _ in range(3):
                svc.create_ticket(new(point), DESK, conn=conn)
        conn.rollback()
    assert [s for s in statements if not s.startswith(("EXECUTE ", "PREPARE "))] == []
    executed = [s.split("(")[0] for s in statements if s.startswith("EXECUTE ")]
    assert len(executed) == 6 and len(set(executed)) == 2, statements
    assert len([s for s in statements if s.startswith("PREPARE ")]) <= 2, statements


def test_the_written_ticket_is_the_ticket_read_back_and_its_payload_its_public_view(engine, point):
    created = svc.create_ticket(new(point, priority=2, attributes={"楼层": "3"}), DESK)
    with engine.connect() as conn:
        assert created.ticket == ticket_sql.ticket_by_id(conn, created.ticket["id"])
        payload = conn.execute(text("SELECT payload FROM outbox WHERE payload->'ticket'->>'number' = :n"),
                               {"n": created.ticket["number"]}).scalar_one()
        events = conn.execute(text("SELECT action, to_state, data FROM ticket_events WHERE ticket_id = :t"),
                              {"t": created.ticket["id"]}).all()
    assert payload == {"event": "ticket.created", "ticket": svc.public_view(created.ticket)}
    assert [tuple(e) for e in events] == [("register", "registered", {"channel": "hotline"})]


def test_a_second_ticket_at_the_place_names_the_first_as_a_look_alike(engine, point):
    first = svc.create_ticket(new(point), DESK).ticket
    second = svc.create_ticket(new(point), DESK)
    assert first["number"] in [d["number"] for d in second.duplicates]
    assert second.ticket["number"] not in [d["number"] for d in second.duplicates]


def test_a_category_changed_in_the_database_is_used_by_the_next_ticket(engine, point):
    svc.create_ticket(new(point), DESK)                    # the catalogue is in memory now
    with engine.connect() as conn:
        # Raw SQL, around the editor: only the stamp's triggers (migration 0029) can tell the process.
        conn.execute(text("""
            INSERT INTO category_versions (category_code, version, name, complexity, priority, lead_department_code,
                                           rules, valid_from, changed_at, changed_by, source)
            SELECT category_code, version + 1000, name, complexity, priority, lead_department_code,
                   jsonb_set(rules, '{arrival_minutes}', '7'), now() - interval '1 second', now(), 'test', 'editor'
            FROM category_versions WHERE category_code = 'water_leak' ORDER BY version DESC LIMIT 1"""))
        ticket = svc.create_ticket(new(point), DESK, conn=conn).ticket
        conn.rollback()                                    # the catalogue as it was, for the other tests
    assert ticket["arrival_due_at"] - ticket["registered_at"] == timedelta(minutes=7)
    assert ticket["category_version"] > 1000
    again = svc.create_ticket(new(point), DESK).ticket     # after the rollback: the stored catalogue again
    assert again["arrival_due_at"] - again["registered_at"] == timedelta(minutes=30)
