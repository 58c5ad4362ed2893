"""`python -m etl escalate`: late tickets go one level up per run (承办单位 → 街道 → 区), then stay."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from services.tickets import NewTicket, create_ticket
from tests.conftest import ROOT


def escalate(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "etl", "escalate", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "DATABASE_URL": url}, timeout=120)


def test_escalate_once_per_run_up_to_the_district(scratch_url, scratch_engine):
    from etl.reference import load_reference_and_catalogue
    load_reference_and_catalogue(engine=scratch_engine, quiet=True)
    with scratch_engine.connect() as conn:
        grid = conn.execute(text("SELECT code FROM grids ORDER BY code LIMIT 1")).scalar()
    late = create_ticket(NewTicket(channel="hotline", category="greening", description="树枝折断挡路", grid_code=grid,
                                   registered_at=datetime.now(timezone.utc) - timedelta(days=10)),
                         engine=scratch_engine).ticket["number"]
    create_ticket(NewTicket(channel="hotline", category="greening", description="绿地被毁", grid_code=grid),
                  engine=scratch_engine)                                      # on time: stays where it is

    outputs = [escalate(scratch_url) for _ in range(3)]
    assert [o.returncode for o in outputs] == [0, 0, 0], [o.stderr for o in outputs]
    assert [o.stdout.strip() for o in outputs] == [f"escalated 1 ticket(s): {late}", f"escalated 1 ticket(s): {late}",
                                                   "escalated 0 ticket(s)"]
    with scratch_engine.connect() as conn:
        level, state = conn.execute(text("SELECT escalation_level, state FROM tickets WHERE number = :n"),
                                    {"n": late}).one()
        supervisions = conn.execute(text("SELECT count(*) FROM supervisions")).scalar()
    assert (level, state, supervisions) == (2, "escalated", 2)


def test_escalate_refuses_a_bad_interval(scratch_url):
    done = escalate(scratch_url, "--every", "0")
    assert done.returncode == 2 and done.stderr.strip() == "error: --every must be a positive number of seconds"
