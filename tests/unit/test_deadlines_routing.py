"""Deadline arithmetic and routing rules, from the district's rules in config/categories.yaml."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from workorders.catalogue import CatalogueError, load_catalogue, parse_category
from workorders.deadlines import compute_deadlines
from workorders.routing import RoutingExhausted, route

SHANGHAI = ZoneInfo("Asia/Shanghai")
CATALOGUE = load_catalogue()


def at(local: str) -> datetime:
    return datetime.fromisoformat(local).replace(tzinfo=SHANGHAI).astimezone(timezone.utc)


def test_the_catalogue_holds_the_required_categories():
    assert {"water_leak", "heating_cold", "power_fault", "gas_leak", "housing_repair", "sanitation", "road_damage",
            "streetlight", "noise", "neighbour_dispute", "public_security", "greening", "other"} <= set(CATALOGUE)


@pytest.mark.parametrize("code,minutes", [("water_leak", 30), ("heating_cold", 20), ("power_fault", 40)])
def test_arrival_deadlines(code, minutes):
    registered = at("2026-11-26T10:00:00")
    assert compute_deadlines(CATALOGUE[code], registered).arrival_due_at == registered + timedelta(minutes=minutes)


def test_no_arrival_deadline_for_non_emergencies():
    assert compute_deadlines(CATALOGUE["greening"], at("2026-11-26T10:00:00")).arrival_due_at is None


def test_simple_requests_are_due_the_same_local_day():
    due = compute_deadlines(CATALOGUE["sanitation"], at("2026-11-26T09:15:00")).resolve_due_at
    assert due.astimezone(SHANGHAI).isoformat() == "2026-11-26T23:59:59+08:00"


def test_simple_requests_after_the_cutoff_are_due_the_next_day():
    due = compute_deadlines(CATALOGUE["noise"], at("2026-11-26T22:30:00"), cutoff_hour=20).resolve_due_at
    assert due.astimezone(SHANGHAI).isoformat() == "2026-11-27T23:59:59+08:00"


def test_same_day_follows_local_time_not_utc():
    # 07:00 in Anshan is 23:00 UTC of the day before: the deadline is still that Anshan day.
    due = compute_deadlines(CATALOGUE["sanitation"], at("2026-11-27T07:00:00")).resolve_due_at
    assert due.astimezone(SHANGHAI).date().isoformat() == "2026-11-27"


def test_normal_three_days_complex_ten():
    registered = at("2026-11-26T10:00:00")
    assert compute_deadlines(CATALOGUE["road_damage"], registered).resolve_due_at == registered + timedelta(days=3)
    assert compute_deadlines(CATALOGUE["gas_leak"], registered).resolve_due_at == registered + timedelta(days=10)


def test_heating_indoor_same_day_outdoor_48_hours():
    registered = at("2026-11-26T10:00:00")
    indoor = compute_deadlines(CATALOGUE["heating_cold"], registered, "indoor").resolve_due_at
    outdoor = compute_deadlines(CATALOGUE["heating_cold"], registered, "outdoor").resolve_due_at
    default = compute_deadlines(CATALOGUE["heating_cold"], registered).resolve_due_at
    assert indoor.astimezone(SHANGHAI).isoformat() == "2026-11-26T23:59:59+08:00"
    assert outdoor == registered + timedelta(hours=48)
    assert default == indoor


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        compute_deadlines(CATALOGUE["water_leak"], datetime(2026, 11, 26, 10))


def test_routing_by_category_lead_and_co_handlers():
    gas = route(CATALOGUE["gas_leak"], "210302001")
    assert gas.lead_department == "gas" and gas.co_departments == ("xf",) and not gas.handled_by_community


def test_simple_community_matters_stay_in_the_community():
    assert route(CATALOGUE["neighbour_dispute"], "210302001").handled_by_community
    assert not route(CATALOGUE["water_leak"], "210302001").handled_by_community


def test_a_utility_serving_part_of_the_district_is_chosen_by_street():
    heat = parse_category({"code": "heat", "name": "供热", "complexity": "normal", "departments": ["heat"],
                           "by_street": {"210302014": "heat_south"}})
    assert route(heat, "210302014").lead_department == "heat_south"
    assert route(heat, "210302001").lead_department == "heat"


def test_rerouting_skips_departments_that_returned_the_ticket():
    road = CATALOGUE["road_damage"]
    assert route(road, "210302001", exclude=frozenset({"cgj"})).lead_department == "jtj"
    with pytest.raises(RoutingExhausted):
        route(road, "210302001", exclude=frozenset({"cgj", "jtj"}))


@pytest.mark.parametrize("raw,message", [
    ({"code": "x", "name": "X", "complexity": "hard", "departments": ["a"]}, "complexity"),
    ({"code": "x", "name": "X", "complexity": "simple"}, "missing departments"),
    ({"code": "x", "name": "X", "complexity": "simple", "departments": ["a"], "variants": {"a": {"name": "A"}},
      "default_variant": "b"}, "default_variant"),
])
def test_catalogue_errors_name_the_category(raw, message):
    with pytest.raises(CatalogueError, match=message):
        parse_category(raw)


def test_indoor_heating_after_the_cutoff_is_due_that_night():
    # 室内维修不过夜: the cut-off that moves simple matters to the next day does not apply to indoor heating.
    due = compute_deadlines(CATALOGUE["heating_cold"], at("2026-11-26T21:30:00"), "indoor", cutoff_hour=20)
    assert due.resolve_due_at.astimezone(SHANGHAI).isoformat() == "2026-11-26T23:59:59+08:00"
    late_evening = compute_deadlines(CATALOGUE["heating_cold"], at("2026-11-26T23:50:00"), cutoff_hour=20)
    assert late_evening.resolve_due_at.astimezone(SHANGHAI).isoformat() == "2026-11-26T23:59:59+08:00"
    outdoor = compute_deadlines(CATALOGUE["heating_cold"], at("2026-11-26T21:30:00"), "outdoor", cutoff_hour=20)
    assert outdoor.resolve_due_at == at("2026-11-26T21:30:00") + timedelta(hours=48)
