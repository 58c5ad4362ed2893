"""`python -m workers escalate`: late tickets go one level up per sweep (承办单位 → 街道 → 区), then stay; two sweeps
at once escalate each ticket once."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from events.bus import ESCALATION_SWEEP, get_redis, worker_run_age
from geo import tickets as tickets_db
from services.tickets import NewTicket, create_ticket, escalate_overdue
from tests.conftest import ROOT
from workorders.policy import system_principal as sp


def escalate(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workers", "escalate", *args], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "DATABASE_URL": url}, timeout=120)


def test_escalate_once_per_run_up_to_the_district(scratch_url, scratch_engine):
    from etl.reference import load_reference_and_catalogue
    load_reference_and_catalogue(engine=scratch_engine, quiet=True)
    with scratch_engine.connect() as conn:
        grid = conn.execute(text("SELECT code FROM grids ORDER BY code LIMIT 1")).scalar()
    late = create_ticket(NewTicket(channel="hotline", category="greening", description="树枝折断挡路", grid_code=grid,
                                   registered_at=datetime.now(timezone.utc) - timedelta(days=10)), sp("测试"),
                         engine=scratch_engine).ticket["number"]
    create_ticket(NewTicket(channel="hotline", category="greening", description="绿地被毁", grid_code=grid), sp("测试"),
                  engine=scratch_engine)                                      # on time: stays where it is

    outputs = [escalate(scratch_url, "--once") for _ in range(3)]
    assert [o.returncode for o in outputs] == [0, 0, 0], [o.stderr for o in outputs]
    assert [o.stdout.strip() for o in outputs] == [f"escalated 1 ticket(s): {late}", f"escalated 1 ticket(s): {late}",
                                                   "escalated 0 ticket(s)"]
    with scratch_engine.connect() as conn:
        level, state = conn.execute(text("SELECT escalation_level, state FROM tickets WHERE number = :n"),
                                    {"n": late}).one()
        supervisions = conn.execute(text("SELECT count(*) FROM supervisions")).scalar()
    assert (level, state, supervisions) == (2, "escalated", 2)
    assert worker_run_age(get_redis(), ESCALATION_SWEEP) < 120          # each sweep is recorded for /healthz


@pytest.fixture
def late_tickets(scratch_engine):
    """Three tickets ten days late, in a database of their own."""
    from etl.reference import load_reference_and_catalogue
    load_reference_and_catalogue(engine=scratch_engine, quiet=True)
    with scratch_engine.connect() as conn:
        grid = conn.execute(text("SELECT code FROM grids ORDER BY code LIMIT 1")).scalar()
    return [create_ticket(NewTicket(channel="hotline", category="greening", description=f"树枝折断挡路 {i}",
                                    grid_code=grid, registered_at=datetime.now(timezone.utc) - timedelta(days=10)),
                          sp("测试"), engine=scratch_engine).ticket["number"] for i in range(3)]


def levels(engine) -> dict[str, tuple[int, int]]:
    """Each escalated ticket's level and number of supervisions."""
    with engine.connect() as conn:
        return {number: (level, supervisions) for number, level, supervisions in conn.execute(text("""
            SELECT t.number, t.escalation_level, count(s.id) FROM tickets t
            LEFT JOIN supervisions s ON s.ticket_id = t.id
            WHERE t.escalation_level > 0 GROUP BY t.number, t.escalation_level"""))}


def test_two_sweeps_at_once_escalate_each_ticket_once(scratch_engine, late_tickets, monkeypatch):
    """Both sweeps have read the late tickets before either escalates one. Without the row locks taken while
    reading (SKIP LOCKED), the second waited for the first's commit and escalated the same tickets again."""
    both_have_read = threading.Barrier(2)
    overdue = tickets_db.overdue_tickets

    def overdue_then_meet(conn, *args):
        rows = overdue(conn, *args)
        both_have_read.wait(timeout=30)
        return rows

    monkeypatch.setattr(tickets_db, "overdue_tickets", overdue_then_meet)
    escalated: list[list[str]] = []
    sweeps = [threading.Thread(target=lambda: escalated.append(escalate_overdue(engine=scratch_engine)))
              for _ in range(2)]
    for sweep in sweeps:
        sweep.start()
    for sweep in sweeps:
        sweep.join(timeout=60)
    assert not both_have_read.broken and len(escalated) == 2
    assert sorted(n for numbers in escalated for n in numbers) == sorted(late_tickets)
    assert levels(scratch_engine) == {n: (1, 1) for n in late_tickets}


def test_escalate_refuses_a_bad_interval(database_url):
    done = escalate(database_url, "--every", "0")
    assert done.returncode == 2 and done.stderr.strip() == "error: --every must be a positive number of seconds"
