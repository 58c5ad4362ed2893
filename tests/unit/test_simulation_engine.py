"""The simulator's engine without I/O: one ticket's calls into the services in order, refused transitions, stale
steps, the position budget and Redis down.

The services are a fake ``Services`` object here (pure unit tests); tests/integration/test_simulate.py runs the
real thing against PostGIS and Redis.
"""
from __future__ import annotations

import dataclasses
import logging
import threading
from datetime import datetime, timezone

import pytest

from services.tickets import NewTicket, NotFound
from simulation.engine import (MIN_POST_SIM_SECONDS, REDIS_RETRY_SECONDS, CrewRun, Options, Services, Simulator,
                               TicketRun)
from simulation.movement import Trip
from workorders.catalogue import load_catalogue
from workorders.states import TransitionRefused

A, B = (122.99, 41.10), (123.03, 41.12)
FAR = (123.20, 41.30)          # ~40 km of streets from A: over an hour of driving


class Wall:
    """A wall clock the test moves by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def wall() -> Wall:
    return Wall()


def fake_services(**calls) -> Services:
    """A Services whose calls fail the test unless given here."""
    def unexpected(name: str):
        def call(*args):
            raise AssertionError(f"unexpected call: {name}{args}")
        return call
    return Services(**{f.name: calls.get(f.name, unexpected(f.name)) for f in dataclasses.fields(Services)})


@pytest.fixture
def posts() -> tuple[list[tuple], dict]:
    """The positions the engine reports, and the answer it gets (the stream entry's id; None: Redis down)."""
    return [], {"id": "1-0"}


def simulator(wall, services: Services) -> Simulator:
    return Simulator(Options(speed=60, max_posts=5, start=datetime(2026, 1, 15, tzinfo=timezone.utc)), services,
                     threading.Event(), monotonic=wall)


@pytest.fixture
def sim(wall, posts) -> Simulator:
    sent, answer = posts

    def report_position(crew, lon, lat, speed_kmh):
        sent.append((crew, lon, lat, speed_kmh))
        return answer["id"]
    return simulator(wall, fake_services(report_position=report_position))


def tracked(sim: Simulator, number: str = "20260115-000001") -> TicketRun:
    run = TicketRun(number, "water_leak", True, B, True)
    sim.tickets[number] = run
    return run


def raising(error: Exception):
    def _arrive(run):          # named like a step, for the log line
        raise error
    return _arrive


# ------------------------------------------------------------------------------------------------ one ticket

class Desk:
    """A fake of the product for one water-leak ticket: the state table's moves, and every call in order."""

    def __init__(self):
        self.calls: list[str] = []
        self.row = {"number": "20260115-000001", "category_code": "water_leak", "lon": B[0], "lat": B[1],
                    "citizen_phone": "13912345678", "crew_code": None, "evaluation_token": None,
                    "reopened_count": 0, "state": "registered", "lead_department_code": "water",
                    "co_department_codes": [], "grid_code": "G1", "handled_by_community": False, "on_site_at": None}

    def services(self, posts) -> Services:
        def log(name, fn):
            def call(*args):
                self.calls.append(f"transition {args[1]}" if name == "transition" else name)
                return fn(*args)
            return call
        moves = {"accept": "accepted", "resolve": "resolved", "close": "closed"}
        return Services(
            catalogue=log("catalogue", lambda: {"water_leak": load_catalogue()["water_leak"]}),
            report_places=log("report_places", lambda seed: [{"grid_code": "G1", "worker_name": "王伟",
                                                               "community_name": "光明社区", "building": [],
                                                               "outdoor": [(*B, None)]}]),
            elder_homes=log("elder_homes", lambda: []),
            unfinished_tickets=log("unfinished_tickets", lambda: []),
            ticket=log("ticket", lambda number: dict(self.row)),
            ticket_states=log("ticket_states", lambda numbers: {}),
            crew_place=log("crew_place", lambda code: {"name": "供水抢修1组", "lon": A[0], "lat": A[1],
                                                       "home_lon": A[0], "home_lat": A[1]}),
            create_ticket=log("create_ticket", lambda request: dict(self.row)),
            transition=log("transition", lambda number, action, actor: self._move(moves[action])),
            evaluate=log("evaluate", lambda token, rating, comment, reopen: self._move(
                "reopened" if rating == "unsatisfied" and reopen else "closed")),
            crew_options=log("crew_options", lambda ticket: [{"code": "WATER-01", "department_code": "water",
                                                              "grid_code": None}]),
            assign=log("assign", lambda number, crew, actor: self.row.update(state="dispatched", crew_code=crew)),
            record_arrival=log("record_arrival", lambda number, actor: self.row.update(state="on_site") or -5.0),
            report_position=log("report_position",
                                lambda crew, lon, lat, speed: posts.append((crew, lon, lat)) or "1-0"),
        )

    def _move(self, state: str) -> dict:
        self.row.update(state=state, evaluation_token="tok" if state == "resolved" else self.row["evaluation_token"])
        return dict(self.row)


def test_an_emergency_goes_through_the_services_in_order(wall):
    desk, posted = Desk(), []
    sim = simulator(wall, desk.services(posted))
    sim._prepare()
    sim._create(NewTicket(channel="hotline", category="water_leak", description="楼道自来水管冻裂跑水",
                          lon=B[0], lat=B[1]))
    for _ in range(20):                                  # step by step through the agenda until it is done
        if desk.row["state"] in ("closed", "reopened"):
            break
        sim._run_due(sim._agenda[0][0])
    assert desk.calls[:4] == ["catalogue", "report_places", "elder_homes", "unfinished_tickets"]
    assert desk.calls[4:15] == ["create_ticket", "ticket", "crew_options", "assign", "crew_place",   # the desk
                                "ticket", "transition accept", "report_position",                    # drives off
                                "record_arrival", "report_position",                                 # on site
                                "transition resolve"]
    assert desk.calls[15:] in (["evaluate"], ["transition close"])      # the citizen answers, or the operator closes
    assert posted == [("WATER-01", *A), ("WATER-01", *B)]                # the crew left, then arrived
    assert sim.stats.dispatched == sim.stats.arrived == sim.stats.resolved == 1 and sim.stats.late_arrivals == 0
    assert sim.crews["WATER-01"].ticket is None and sim.crews["WATER-01"].trip.end == A     # heading home


# ------------------------------------------------------------------------------------------------ refusals

def test_a_refused_transition_is_one_log_line_then_the_real_state_is_followed(sim, caplog):
    run = tracked(sim)
    with caplog.at_level(logging.INFO, logger="simulate"):
        sim._guarded(run, run.generation, raising(TransitionRefused("cannot arrive a ticket that is on_site")))
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["refused: 20260115-000001 arrive: cannot arrive a ticket that is on_site; following its state"]
    assert sim.stats.refused == 1 and run.number in sim.tickets
    (_, _, fn, args), = sim._agenda           # the next step: look at the ticket again
    assert fn == sim._guarded and args[2] == sim._resync and args[1] == run.generation


def test_a_vanished_ticket_or_a_bug_drops_the_ticket_not_the_simulator(sim, caplog):
    gone, buggy = tracked(sim, "20260115-000002"), tracked(sim, "20260115-000003")
    with caplog.at_level(logging.INFO, logger="simulate"):
        sim._guarded(gone, gone.generation, raising(NotFound("没有工单")))
        sim._guarded(buggy, buggy.generation, raising(KeyError("surprise")))
    assert gone.number not in sim.tickets and buggy.number not in sim.tickets
    assert any("error in 20260115-000003 arrive" in r.getMessage() for r in caplog.records)


def test_a_stale_step_does_nothing(sim):
    run = tracked(sim)
    calls = []
    sim._step(run, 5, lambda r: calls.append("old"))
    sim._step(run, 5, lambda r: calls.append("new"))     # rescheduled: the first is stale
    sim._run_due(sim.clock.now() + 3600)
    assert calls == ["new"]


# ------------------------------------------------------------------------------------------------ positions

def moving_crews(sim: Simulator, n: int) -> None:
    for i in range(n):
        code = f"WATER-{i:02d}"
        sim.crews[code] = CrewRun(code, code, A, A, Trip((A, (FAR[0], A[1]), FAR), 0.0, 25.0), ticket=f"T{i}")


def test_positions_stay_within_the_real_time_budget(sim, wall, posts):
    sent, _ = posts
    moving_crews(sim, 30)
    sim._post_positions(sim.clock.now())
    assert len(sent) == 5                                  # a full bucket: 5 posts
    sim._post_positions(sim.clock.now())
    assert len(sent) == 5                                  # no real time passed: nothing more
    wall.now += 2.0                                        # 2 real s at 5 posts/s
    sim._post_positions(sim.clock.now())
    assert len(sent) == 10                                 # the bucket holds at most 5
    assert len({c for c, *_ in sent}) == 10                # the longest-silent crews first
    assert all(speed == 25.0 for *_, speed in sent)


def test_a_crew_posts_every_few_simulated_seconds_at_most(sim, wall, posts):
    sent, _ = posts
    moving_crews(sim, 1)
    for _ in range(10):
        wall.now += 0.02                                   # 1.2 simulated seconds each at speed 60
        sim._post_positions(sim.clock.now())
    assert 2 <= len(sent) <= 10 * 1.2 / MIN_POST_SIM_SECONDS + 1     # 12 simulated seconds: 2, at most 3


def test_positions_move_along_the_trip(sim, wall, posts):
    sent, _ = posts
    moving_crews(sim, 1)
    points = []
    for _ in range(5):
        sim._post_positions(sim.clock.now())
        points.append(sent[-1][1:3])
        wall.now += 5.0
    assert points[0] == A and len(set(points)) == 5
    assert all(p[1] == A[1] or p[0] == FAR[0] for p in points)   # along the two legs of the street path


def test_a_crew_home_reports_once_more_and_leaves_the_books(sim, wall, posts):
    sent, _ = posts
    sim.crews["WATER-01"] = CrewRun("WATER-01", "供水抢修1组", A, B, Trip((B, A), 0.0, 25.0))   # heading home
    wall.now += 3600 / 60                                  # an hour later in simulated time: long home
    sim._post_positions(sim.clock.now())
    assert sent[-1][:3] == ("WATER-01", *A) and "WATER-01" not in sim.crews


def test_redis_down_pauses_positions_with_one_line_and_resumes(sim, wall, posts, caplog):
    sent, answer = posts
    moving_crews(sim, 3)
    answer["id"] = None                                    # report_position: Redis refused, PostGIS only
    with caplog.at_level(logging.INFO, logger="simulate"):
        sim._post_positions(sim.clock.now())
        attempts = len(sent)
        for _ in range(5):
            wall.now += 1.0
            sim._post_positions(sim.clock.now())
        assert len(sent) == attempts == 1                  # paused after the first failure
        assert sim.stats.positions_skipped > 0
        answer["id"] = "2-0"
        wall.now += REDIS_RETRY_SECONDS
        sim._post_positions(sim.clock.now())
    messages = [r.getMessage() for r in caplog.records]
    assert sum("Redis unavailable" in m for m in messages) == 1
    assert sum("Redis back" in m for m in messages) == 1
    assert len(sent) > attempts and sim.stats.positions >= 1
