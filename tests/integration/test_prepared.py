"""geo.db.execute_prepared: a statement prepared once per database connection, whatever happens to transactions."""
from __future__ import annotations

from sqlalchemy import text

from geo.db import execute_prepared, make_engine
from geo.tickets import ticket_by_id, ticket_by_number
from services.tickets import create_ticket
from workorders.contract import NewTicket
from workorders.policy import system_principal


def _prepared_names(conn) -> set[str]:
    return set(conn.execute(text("SELECT name FROM pg_prepared_statements")).scalars())


def test_a_statement_prepared_in_a_rolled_back_transaction_still_serves(engine):
    with engine.connect() as conn:
        assert execute_prepared(conn, "probe_sum", "int, int", "SELECT $1 + $2", (2, 3)).scalar() == 5
        conn.rollback()
        assert "probe_sum" in _prepared_names(conn)
        assert execute_prepared(conn, "probe_sum", "int, int", "SELECT $1 + $2", (4, 5)).scalar() == 9


def test_a_replaced_connection_prepares_again(engine):
    private = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with private.connect() as conn:
            execute_prepared(conn, "probe_one", "int", "SELECT $1", (1,))
            conn.invalidate()                       # the pool throws this database connection away
        with private.connect() as conn:
            assert "probe_one" not in _prepared_names(conn)
            assert execute_prepared(conn, "probe_one", "int", "SELECT $1", (7,)).scalar() == 7
    finally:
        private.dispose()


def test_the_prepared_ticket_reads_see_the_transactions_own_writes(engine):
    with engine.connect() as conn:
        ticket_by_number(conn, "20000101-000001")            # prepared before the ticket exists
        created = create_ticket(NewTicket(channel="hotline", category="greening", description="预备语句对照",
                                          grid_code=conn.execute(text("SELECT min(code) FROM grids")).scalar()),
                                system_principal("测试"), conn=conn).ticket
        assert ticket_by_number(conn, created["number"])["id"] == created["id"]
        assert ticket_by_number(conn, created["number"], lock=True)["description"] == "预备语句对照"
        assert ticket_by_id(conn, created["id"])["street_name"].endswith("街道")
        assert {"ticket_by_number", "ticket_by_number_for_update", "ticket_by_id"} <= _prepared_names(conn)
        conn.rollback()
        assert ticket_by_id(conn, created["id"]) is None
