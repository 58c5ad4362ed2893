"""`python -m simulation` against the test database and Redis db 15: tickets through the services, dispatch,
arrivals, resolutions, positions on the stream, a burst, SIGTERM, and Redis down."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest
import redis
from sqlalchemy import text

from harness.servers import free_port
from harness.waiting import wait_until
from services.dispatch import assign, crew_options
from services.tickets import history, utcnow
from settings import get_settings
from workorders.policy import system_principal as sp
from workorders.states import TransitionRefused

ROOT = Path(__file__).resolve().parents[2]
WINTER_MORNING = "2026-01-15T08:00+08:00"     # a busy simulated hour, whatever the real time is


def simulate(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "simulation", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})


# The simulator at 900x on two busy cores: its next step may take a while.
wait_for_simulator = partial(wait_until, seconds=40.0, step=0.25)


def actions(engine, seed: int) -> dict[str, int]:
    """How often each action happened to the tickets of one simulator seed."""
    with engine.connect() as conn:
        rows = conn.execute(text("""
            SELECT e.action, count(*) FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
            WHERE t.source_ref = :m GROUP BY 1"""), {"m": f"simulate:{seed}"})
        return dict(rows.all())


def tickets(engine, seed: int) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text("""
            WITH mine AS (SELECT id, number, channel, state, crew_code, registered_at FROM tickets
                          WHERE source_ref = :m),
            created AS (SELECT o.payload -> 'ticket' ->> 'number' AS number, count(*) AS n FROM outbox o
                        WHERE o.event_type = 'ticket.created'
                          AND o.created_at >= (SELECT min(registered_at) FROM mine) GROUP BY 1)
            SELECT mine.*, coalesce(created.n, 0) AS published
            FROM mine LEFT JOIN created USING (number) ORDER BY mine.id"""),
            {"m": f"simulate:{seed}"}).mappings()]


@pytest.fixture
def seed() -> int:
    return random.randrange(10**6, 10**9)


@pytest.fixture
def stream():
    r = redis.Redis.from_url(get_settings().redis_url, decode_responses=True)
    name = get_settings().position_stream
    newest = r.xrevrange(name, count=1)
    head = newest[0][0] if newest else "0-0"

    def crews_posted_since() -> set[str]:
        return {fields["crew"] for _, fields in r.xrange(name, min=f"({head}")}
    return crews_posted_since


def test_burst_fires_n_tickets_at_once_through_the_intake(engine, seed):
    done = simulate("--burst", "20", "--duration", "0", "--seed", str(seed), "--start", WINTER_MORNING)
    out, err = done.communicate(timeout=60)
    assert done.returncode == 0, err
    created = tickets(engine, seed)
    assert len(created) == 20
    assert all(t["state"] == "registered" and t["published"] == 1 for t in created)   # event + outbox each
    assert actions(engine, seed) == {"register": 20}
    assert "burst: 20 tickets fired at once" in err and "tickets 20 ·" in out


def test_a_running_simulation_dispatches_drives_resolves_and_stops_on_sigterm(engine, seed, stream):
    """Emergencies go out at once; the other tickets wait for a person, and the one a person dispatches on the map
    is driven by the simulator like its own."""
    sim = simulate("--speed", "900", "--seed", str(seed), "--start", WINTER_MORNING, "--burst", "10",
                   "--human-share", "1", "--human-wait", "8", "--max-posts", "20")
    try:
        number, crew = wait_for_simulator(lambda: dispatch_one_by_hand(engine, seed), "a ticket left for a person")
        wait_for_simulator(lambda: {"dispatch", "accept", "arrive", "resolve"} <= set(actions(engine, seed)),
                           "tickets dispatched, accepted, arrived at and resolved")
        wait_for_simulator(lambda: "arrive" in [e["action"] for e in history(number)[1]],
                           "the hand-dispatched crew arrives")
        wait_for_simulator(lambda: (posted := stream()) and crew in posted and desk_crews(engine, seed, crew) & posted,
                           "positions of the crews (the desk's and the hand-dispatched one) on crews:positions")
    finally:
        sim.send_signal(signal.SIGTERM)
        _, err = sim.communicate(timeout=30)
    assert sim.returncode == 0, err
    assert "stopped at simulated" in err and "Traceback" not in err
    assert "taken 1)" in err.splitlines()[-1]
    created = tickets(engine, seed)
    assert len(created) >= 10 and all(t["published"] == 1 for t in created)
    seen = actions(engine, seed)
    assert seen["register"] == len(created)
    assert seen["dispatch"] >= seen["arrive"] >= seen["resolve"] >= 1
    events = history(number)[1]
    assert [e["actor"] for e in events if e["action"] == "dispatch"][0] == "值班调度员"
    assert {e["action"] for e in events} >= {"register", "dispatch", "accept", "arrive"}


def desk_crews(engine, seed: int, hand_crew: str) -> set[str]:
    return {t["crew_code"] for t in tickets(engine, seed) if t["crew_code"]} - {hand_crew}


def dispatch_one_by_hand(engine, seed: int) -> tuple[str, str] | None:
    """As a person on the map: the nearest able crew for a waiting non-emergency ticket of this run."""
    with engine.connect() as conn:
        numbers = conn.execute(text("""
            SELECT t.number FROM tickets t JOIN categories c ON c.code = t.category_code
            WHERE t.source_ref = :m AND t.state = 'registered' AND c.rules ->> 'arrival_minutes' IS NULL
            ORDER BY t.id DESC"""), {"m": f"simulate:{seed}"}).scalars().all()   # the newest: far from the wait
    for number in numbers:
        ticket = history(number)[0]
        options = crew_options(ticket, utcnow())
        able = [c for c in options if c["department_code"] != "grid" or c["grid_code"] == ticket["grid_code"]]
        if able:
            try:
                assign(number, able[0]["code"], sp("值班调度员"))
            except TransitionRefused:
                continue                 # the desk took it meanwhile
            return number, able[0]["code"]
    return None


def test_redis_down_positions_pause_tickets_go_on(engine, seed):
    port = free_port()               # nobody listens on it
    sim = simulate("--speed", "900", "--seed", str(seed), "--start", WINTER_MORNING,
                   "--burst", "10", "--human-share", "0", "--duration", "3", "--no-resume",
                   env={"REDIS_URL": f"redis://127.0.0.1:{port}/0"})
    _, err = sim.communicate(timeout=60)
    assert sim.returncode == 0, err
    assert len(tickets(engine, seed)) >= 10
    assert actions(engine, seed).get("dispatch", 0) >= 1
    assert err.count("Redis unavailable") == 1          # logged once, not once per position



def test_no_database_one_clear_line(monkeypatch, capsys):
    from geo.db import get_engine
    from simulation.cli import main
    port = free_port()               # nobody listens on it
    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres@127.0.0.1:{port}/tiedong")
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        assert main(["--duration", "0"]) == 1
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        get_engine.cache_clear()
    err = capsys.readouterr().err
    assert err.startswith("error: database unavailable:") and err.count("\n") == 1
