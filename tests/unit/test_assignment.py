"""The dispatch recommendation against hand-solved cases, and the day model that compares it with nearest-first."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from simulation.dispatch_day import Call, Crew, draw_calls, play_day
from workorders.assignment import (Waiting, breach_probability, expected_breaches, fewest_breaches,
                                   nearest_first, recommend)

# Hand-solved: a heating call (20 min left) and a water leak (30 min left), both priority 1. Crew X is 15 min from
# the heating call and 10 from the leak; crew Y 18 from the heating call and 40 from the leak. Nearest-first serves
# the more urgent heating call first with X (its nearest), so Y goes to the leak and arrives 10 min late. Sending X
# to the leak and Y to the heating call makes both in time.
HEATING = Waiting("H", 1, 20.0, {"X": 15.0, "Y": 18.0})
LEAK = Waiting("W", 1, 30.0, {"X": 10.0, "Y": 40.0})


def late(tickets, plan) -> int:
    return sum(1 for t in tickets if plan[t.number] and t.etas[plan[t.number]] > t.minutes_left)


def test_nearest_first_sends_the_nearest_crew_to_the_most_urgent_ticket():
    assert nearest_first([LEAK, HEATING], ["X", "Y"]) == {"H": "X", "W": "Y"}


def test_the_recommendation_misses_no_deadline_where_nearest_first_misses_one():
    plan = fewest_breaches([LEAK, HEATING], ["X", "Y"])
    assert plan == {"H": "Y", "W": "X"}
    assert (late([LEAK, HEATING], plan), late([LEAK, HEATING], nearest_first([LEAK, HEATING], ["X", "Y"]))) == (0, 1)
    assert expected_breaches([LEAK, HEATING], plan) < expected_breaches([LEAK, HEATING], {"H": "X", "W": "Y"})


def test_the_reason_names_the_ticket_the_nearest_crew_is_kept_for():
    heating = next(c for c in recommend([LEAK, HEATING], ["X", "Y"]) if c.number == "H")
    assert (heating.crew, heating.nearest_crew, heating.displaced) == ("Y", "X", ("W",))
    assert "W" in heating.reason and "超时" in heating.reason


def test_a_priority_one_ticket_gets_the_only_crew_before_a_priority_three_one():
    routine = Waiting("R", 3, 25.0, {"X": 20.0})
    urgent = Waiting("U", 1, 25.0, {"X": 20.0})
    assert fewest_breaches([routine, urgent], ["X"]) == {"R": None, "U": "X"}


def test_a_crew_is_never_sent_to_a_category_it_cannot_handle():
    # Y is much nearer but not able to go (not among the ticket's crews): the ticket waits for X or for nobody.
    ticket = Waiting("G", 1, 30.0, {"X": 50.0})
    assert fewest_breaches([ticket], ["Y"]) == {"G": None}
    assert fewest_breaches([ticket], ["X", "Y"]) == {"G": "X"}


def test_more_tickets_than_crews_leaves_the_least_costly_unserved():
    tickets = [Waiting(n, 1, 20.0, {"X": eta}) for n, eta in (("A", 30.0), ("B", 10.0), ("C", 12.0))]
    plan = fewest_breaches(tickets, ["X"])
    assert sorted(n for n, c in plan.items() if c) == ["B"]


def test_nothing_to_match():
    assert fewest_breaches([], ["X"]) == {}
    assert fewest_breaches([LEAK], []) == {"W": None}


def test_breach_probability_rises_smoothly_through_one_half_at_the_deadline():
    assert breach_probability(5.0, 30.0) == pytest.approx(0.0, abs=1e-3)
    assert breach_probability(30.0, 30.0) == pytest.approx(0.5)
    assert breach_probability(120.0, 30.0) > 0.95
    chances = [breach_probability(eta, 30.0) for eta in range(0, 90, 5)]
    assert chances == sorted(chances)
    assert breach_probability(500.0, None) == 0.0


def test_the_day_model_replays_the_same_calls_under_both_rules_and_counts_the_breaches():
    crews = [Crew("X", "heat", 0.0, 0.0), Crew("Y", "heat", 7000.0, 0.0)]
    rules = {"heating_cold": {"departments": ["heat"], "priority": 1, "arrival_minutes": 20}}
    tz = ZoneInfo("Asia/Shanghai")
    places = [(500.0 * i, 0.0) for i in range(15)]
    calls = draw_calls(datetime(2026, 1, 13, tzinfo=tz), tz, 40.0, places, rules, seed=7)
    assert calls == draw_calls(datetime(2026, 1, 13, tzinfo=tz), tz, 40.0, places, rules, seed=7)
    a, b = (play_day(calls, crews, p, 25.0) for p in ("nearest_first", "fewest_breaches"))
    assert a.tickets == b.tickets == len(calls) > 10
    assert a.never_served == b.never_served == 0


def test_the_day_model_measures_a_hand_checked_case():
    # One crew at 0, one call 5 km away (12.5 min at 25 km/h, ×1.3 detour = 15.6 min) with 15 min to arrive: late.
    crew = [Crew("X", "water", 0.0, 0.0)]
    call = Call("T1", 0.0, "water_leak", ("water",), 1, 15, 5000.0, 0.0, 30.0)
    day = play_day([call], crew, "nearest_first", 25.0)
    assert (day.breaches, day.weighted_breaches) == (1, 4.0)
    assert day.mean_arrival_minutes == pytest.approx(5000 * 1.3 / (25000 / 60), abs=0.01)
    assert day.crew_km == pytest.approx(6.5)
