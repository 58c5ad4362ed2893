"""The simulator's crews: distances, ETA, the drive along the streets, timings and the choice of crew."""
from __future__ import annotations

import itertools
import math
from datetime import datetime, timezone

import numpy as np
import pytest

from services.dispatch import eta_minutes
from simulation.behaviour import (HANDLING_MINUTES, Odds, choose_crew, citizen_rating, desk_minutes, drive_speed,
                                  handling_minutes, next_step)
from simulation.engine import SimClock
from simulation.movement import Trip, metres_between, street_path, travel_seconds

A = (122.99, 41.10)
B = (123.01, 41.11)


# ------------------------------------------------------------------------------------------------ distance, ETA

def test_metres_between_matches_the_local_scale():
    assert metres_between(A, (A[0], A[1] + 0.01)) == pytest.approx(1105.7, rel=1e-3)
    assert metres_between(A, (A[0] + 0.01, A[1])) == pytest.approx(111_320 * math.cos(math.radians(41.10)) / 100,
                                                                  rel=1e-3)
    assert metres_between(A, A) == 0


def test_travel_time_agrees_with_the_dispatch_eta():
    assert travel_seconds(2500, 25.0) == pytest.approx(360.0)
    assert travel_seconds(4321, 25.0) / 60 == pytest.approx(eta_minutes(4321, 25.0))


# ------------------------------------------------------------------------------------------------ the drive

def test_street_path_turns_one_corner_along_the_axes():
    rng = np.random.default_rng(1)
    corners = set()
    for _ in range(20):
        start, corner, end = street_path(A, B, rng)
        assert (start, end) == (A, B)
        assert corner in ((B[0], A[1]), (A[0], B[1]))
        corners.add(corner)
    assert len(corners) == 2


def test_trip_eta_is_path_length_over_speed():
    trip = Trip((A, (B[0], A[1]), B), depart=100.0, speed_kmh=30.0)
    legs = metres_between(A, (B[0], A[1])) + metres_between((B[0], A[1]), B)
    assert trip.metres == pytest.approx(legs)
    assert trip.arrive == pytest.approx(100.0 + legs / (30 / 3.6))
    assert trip.metres > metres_between(A, B)          # streets are longer than the straight line


def test_trip_interpolates_along_its_legs():
    corner = (B[0], A[1])
    trip = Trip((A, corner, B), depart=0.0, speed_kmh=36.0)   # 10 m/s
    first = metres_between(A, corner)
    assert trip.position(-50) == A                      # not left yet
    assert trip.position(0) == A
    halfway = trip.position(first / 2 / 10)
    assert halfway[1] == pytest.approx(A[1]) and halfway[0] == pytest.approx((A[0] + corner[0]) / 2)
    assert trip.position(first / 10) == pytest.approx(corner)
    second = trip.position(first / 10 + 100)            # 1 km up the second leg
    assert second[0] == pytest.approx(B[0]) and metres_between(corner, second) == pytest.approx(1000, rel=1e-6)
    assert trip.position(trip.arrive) == pytest.approx(B)
    assert trip.position(trip.arrive + 999) == B


def test_positions_progress_steadily_without_jumps():
    trip = Trip(tuple(street_path(A, B, np.random.default_rng(5))), depart=0.0, speed_kmh=25.0)
    times = np.linspace(0, trip.arrive, 200)
    points = [trip.position(t) for t in times]
    step = metres_between(points[0], points[1])
    for p, q in itertools.pairwise(points):
        assert metres_between(p, q) == pytest.approx(step, rel=0.02, abs=0.5) or metres_between(p, q) < step


def test_a_zero_length_trip_stays_put():
    trip = Trip((A, A, A), depart=10.0, speed_kmh=25.0)
    assert trip.arrive == 10.0 and trip.position(20.0) == A


# ------------------------------------------------------------------------------------------------ timings

def test_emergencies_leave_the_desk_faster():
    rng = np.random.default_rng(2)
    urgent = [desk_minutes(rng, True) for _ in range(500)]
    normal = [desk_minutes(rng, False) for _ in range(500)]
    assert max(urgent) <= 4 < min(normal)


def test_some_drives_crawl_in_traffic():
    rng = np.random.default_rng(3)
    speeds = np.array([drive_speed(rng, 25.0) for _ in range(5000)])
    jams = (speeds < 25.0 * 0.5).mean()
    assert jams == pytest.approx(Odds().traffic_jam, abs=0.015)
    assert speeds.max() <= 30.0 and speeds.min() >= 25.0 * 0.25


def test_handling_time_per_category():
    rng = np.random.default_rng(4)
    for category, (low, high) in HANDLING_MINUTES.items():
        assert all(low <= handling_minutes(rng, category) <= high for _ in range(50))


def test_citizens_mostly_satisfied_never_without_a_phone():
    rng = np.random.default_rng(5)
    assert all(citizen_rating(rng, False) is None for _ in range(100))
    ratings = [citizen_rating(rng, True) for _ in range(10_000)]
    answered = [r for r in ratings if r]
    assert len(answered) / len(ratings) == pytest.approx(0.88, abs=0.02)
    assert answered.count("satisfied") / len(answered) == pytest.approx(0.83, abs=0.02)
    assert 0.04 < answered.count("unsatisfied") / len(answered) < 0.1


def test_sim_clock_runs_speed_times_faster():
    now = [1000.0]
    clock = SimClock(datetime(2026, 1, 15, tzinfo=timezone.utc), 60.0, monotonic=lambda: now[0])
    now[0] += 2.5
    assert clock.now() == pytest.approx(150.0)
    assert clock.at(150.0) == datetime(2026, 1, 15, 0, 2, 30, tzinfo=timezone.utc)
    assert clock.real(600) == pytest.approx(10.0)


# ------------------------------------------------------------------------------------------------ choice of crew

def crew(code, department, grid=None):
    return {"code": code, "department_code": department, "grid_code": grid}


TICKET = {"lead_department_code": "water", "co_department_codes": [], "grid_code": "G1",
          "handled_by_community": False}


def test_nearest_crew_of_a_department_that_handles_it():
    options = [crew("WGY-G1", "grid", "G1"), crew("GAS-01", "gas"), crew("WATER-03", "water"),
               crew("WATER-01", "water")]
    assert choose_crew(TICKET, options, ["water"])["code"] == "WATER-03"
    assert choose_crew(TICKET, options, ["water"], busy={"WATER-03"})["code"] == "WATER-01"
    assert choose_crew(TICKET, options, ["water"], busy={"WATER-03", "WATER-01"}) is None


def test_community_matters_go_to_the_cells_own_grid_worker_first():
    ticket = {**TICKET, "lead_department_code": "hbj", "co_department_codes": ["cgj"], "handled_by_community": True}
    options = [crew("CGJ-02", "cgj"), crew("WGY-G9", "grid", "G9"), crew("WGY-G1", "grid", "G1")]
    assert choose_crew(ticket, options, ["hbj", "cgj"])["code"] == "WGY-G1"
    assert choose_crew(ticket, options, ["hbj", "cgj"], busy={"WGY-G1"})["code"] == "CGJ-02"


# ------------------------------------------------------------------------------------------------ what next

@pytest.mark.parametrize("state,crew,on_site_at,step", [
    ("registered", None, None, "dispatch"),
    ("returned", None, None, "dispatch"),
    ("reopened", "WATER-01", "2026-01-15T08:20", "dispatch"),
    ("dispatched", "WATER-01", None, "drive"),
    ("dispatched", "WATER-01", "2026-01-15T08:20", "drive"),      # reopened and dispatched again
    ("accepted", None, None, "drive"),                             # the department goes, off the map
    ("escalated", None, None, "dispatch"),
    ("escalated", "WATER-01", None, "drive"),
    ("escalated", "WATER-01", "2026-01-15T08:20", "resolve"),
    ("on_site", "WATER-01", "2026-01-15T08:20", "resolve"),
    ("joint_meeting", None, "2026-01-15T08:20", "resolve"),
    ("resolved", "WATER-01", "2026-01-15T08:20", "answer"),
    ("evaluated", "WATER-01", "2026-01-15T08:20", "close"),
    ("closed", None, None, "finish"), ("merged", None, None, "finish"), ("refused", None, None, "finish"),
])
def test_the_next_step_follows_the_tickets_real_state(state, crew, on_site_at, step):
    assert next_step({"state": state, "crew_code": crew, "on_site_at": on_site_at}) == step

