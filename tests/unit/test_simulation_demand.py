"""The simulator's demand model: hour of day, season, channel mix, places and determinism (no database)."""
from __future__ import annotations

import itertools
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from simulation.arrivals import DAILY_TICKETS, Demand, Places, default_rate
from simulation.demand import CHANNEL_ONLY, DESCRIPTIONS, category_intensity, demand_shape, season_factor

TZ = ZoneInfo("Asia/Shanghai")


def places() -> Places:
    """Three cells of equal population: a small downtown one with buildings, a mid one, a large rural one."""
    grids = [
        {"grid_code": "G1", "grid_name": "光明社区第1网格", "worker_name": "王伟", "community_name": "光明社区",
         "community_kind": "社区", "area_m2": 20_000.0,
         "building": [(122.991, 41.106, "胜利路40号"), (122.992, 41.107, "胜利路41号")],
         "outdoor": [(122.9905, 41.1055, None)]},
        {"grid_code": "G2", "grid_name": "光明社区第2网格", "worker_name": "李娜", "community_name": "光明社区",
         "community_kind": "社区", "area_m2": 80_000.0, "building": [],
         "outdoor": [(123.001, 41.100, None), (123.002, 41.101, None)]},
        {"grid_code": "G3", "grid_name": "东山村第1网格", "worker_name": "张强", "community_name": "东山村",
         "community_kind": "村", "area_m2": 2_000_000.0, "building": [],
         "outdoor": [(123.05, 41.05, None)]},
    ]
    elders = [{"device_id": "YJT00001", "elder_name": "赵淑珍", "phone": "04125551234", "address": "胜利路40号",
               "lon": 122.991, "lat": 41.106}]
    return Places(grids, elders)


def at(month: int, day: int, hour: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, 30, tzinfo=TZ)


# ------------------------------------------------------------------------------------------------ hour of day

@pytest.mark.parametrize("month", [1, 4, 7, 11])
def test_nights_are_quiet_and_office_hours_are_the_peaks(month):
    shape = {h: demand_shape(at(month, 14, h)) for h in range(24)}   # the 14th of these months: a weekday or not
    morning, afternoon = max(shape[h] for h in range(8, 12)), max(shape[h] for h in range(14, 18))
    night = max(shape[h] for h in range(1, 5))
    assert night < 0.25 * morning and night < 0.25 * afternoon
    assert max(shape, key=shape.get) in (8, 9, 10, 11, 14, 15, 16, 17)
    assert shape[12] < morning and shape[12] < afternoon            # the lunch dip


def test_noise_comes_in_the_evening():
    intensity = {h: category_intensity(at(7, 15, h))["noise"] for h in range(24)}
    assert max(intensity, key=intensity.get) in (19, 20, 21, 22)
    assert intensity[21] > 2 * intensity[10]


# ------------------------------------------------------------------------------------------------ seasons

@pytest.mark.parametrize("day", [date(2026, 4, 15), date(2026, 7, 15), date(2026, 10, 31)])
def test_no_heating_complaints_outside_the_heating_season(day):
    assert season_factor("heating_cold", day) == 0
    assert category_intensity(datetime.combine(day, datetime.min.time(), TZ).replace(hour=9))["heating_cold"] == 0


@pytest.mark.parametrize("day", [date(2026, 11, 1), date(2026, 12, 20), date(2026, 1, 20), date(2026, 3, 31)])
def test_heating_complaints_in_the_heating_season(day):
    assert season_factor("heating_cold", day) > 0


def test_heating_dominates_winter():
    for month in (12, 1):
        intensity = category_intensity(at(month, 14, 9))
        assert max(intensity, key=intensity.get) == "heating_cold"
        assert intensity["heating_cold"] > 0.3 * sum(intensity.values())


def test_more_water_leaks_in_the_cold_and_more_noise_in_summer():
    january, july = date(2026, 1, 20), date(2026, 7, 20)
    assert season_factor("water_leak", january) > 1.4 * season_factor("water_leak", july)
    assert season_factor("noise", july) > 3 * season_factor("noise", january)


def test_default_rate_gives_about_45_tickets_a_day_over_a_year():
    demand = Demand(places(), seed=1, tz=TZ)
    start = datetime(2025, 1, 1, tzinfo=TZ)
    total = sum(demand.rate_at(start + timedelta(hours=h)) for h in range(365 * 24))   # tickets per hour, hourly
    assert total / 365 == pytest.approx(DAILY_TICKETS, rel=0.01)
    assert demand.rate == pytest.approx(default_rate())


def test_arrivals_follow_the_rate():
    """Thinning draws as many tickets as the rate promises, and few of them at night."""
    demand = Demand(places(), rate=60.0, seed=7, tz=TZ)
    start = at(1, 5, 0)
    end = start + timedelta(days=10)
    expected = sum(demand.rate_at(start + timedelta(minutes=10 * i)) / 6 for i in range(10 * 24 * 6))
    arrivals = []
    t = demand.next_arrival(start)
    while t < end:
        arrivals.append(t)
        t = demand.next_arrival(t)
    assert len(arrivals) == pytest.approx(expected, rel=0.06)
    night = sum(1 for a in arrivals if 1 <= a.astimezone(TZ).hour < 5)
    assert night < 0.05 * len(arrivals)
    assert all(b > a for a, b in itertools.pairwise(arrivals))


# ------------------------------------------------------------------------------------------------ requests

def requests(n: int, when: datetime, seed: int = 3) -> list:
    demand = Demand(places(), seed=seed, tz=TZ)
    return [demand.request(when) for _ in range(n)]


def test_channel_mix_hotline_about_55_percent():
    drawn = requests(4000, at(1, 14, 10)) + requests(4000, at(7, 14, 10))
    share = Counter(r.channel for r in drawn)
    assert 0.50 <= share["hotline"] / len(drawn) <= 0.60
    assert set(share) == {"hotline", "web", "grid_worker", "elder_phone", "letter", "walk_in", "police_110"}
    for r in drawn:        # channels only bring the matters they can bring
        assert r.channel not in CHANNEL_ONLY or r.category in CHANNEL_ONLY[r.channel]
    security = Counter(r.channel for r in drawn if r.category == "public_security")
    assert security["police_110"] > 0.3 * sum(security.values())


def test_requests_are_realistic_and_carry_their_channel_details():
    drawn = requests(3000, at(12, 14, 10))
    for r in drawn:
        assert r.source_ref == "simulate:3"
        assert any(template in r.description for template in DESCRIPTIONS[r.category])
        if r.channel == "grid_worker":   # seen on patrol: no citizen behind it
            assert r.citizen_name is None and r.citizen_phone is None and r.registered_by.startswith("网格员")
            assert r.description.startswith("网格员巡查发现")
        if r.channel == "elder_phone":   # at the registered elder's home, top priority
            assert (r.lon, r.lat, r.priority) == (122.991, 41.106, 1) and r.description.startswith("一键通")
        if r.channel == "hotline":
            assert r.registered_by.startswith("坐席")
        if r.category == "heating_cold":
            assert r.variant in ("indoor", "outdoor")
    named = [r for r in drawn if r.channel in ("hotline", "web", "letter", "walk_in")]
    with_phone = [r for r in named if r.citizen_phone]
    assert 0.9 < len(with_phone) / len(named) < 1
    assert all(len(r.citizen_phone) == 11 and r.citizen_phone.startswith("1") for r in with_phone)
    assert len({r.citizen_name for r in with_phone}) > 0.5 * len(with_phone)


def test_each_cell_gets_its_share_so_small_cells_are_denser():
    """Cells hold about equal population: equal counts per cell, hence far more per km² downtown."""
    drawn = [r for r in requests(4000, at(7, 14, 10)) if r.channel != "elder_phone"]
    cell = {(122.991, 41.106): "G1", (122.992, 41.107): "G1", (122.9905, 41.1055): "G1",
            (123.001, 41.100): "G2", (123.002, 41.101): "G2", (123.05, 41.05): "G3"}
    counts = Counter(cell[(r.lon, r.lat)] for r in drawn)
    for code in ("G1", "G2", "G3"):
        assert counts[code] == pytest.approx(len(drawn) / 3, rel=0.1)
    density = {g["grid_code"]: counts[g["grid_code"]] / g["area_m2"] for g in places().grids}
    assert density["G1"] > density["G2"] > density["G3"]


def test_residents_report_from_a_building_with_its_entrance():
    drawn = [r for r in requests(3000, at(1, 14, 10)) if r.category == "heating_cold" and r.channel != "elder_phone"]
    downtown = [r for r in drawn if (r.lon, r.lat) in ((122.991, 41.106), (122.992, 41.107))]
    assert downtown and all(r.address.startswith("胜利路4") and r.address.endswith("单元") for r in downtown)
    elsewhere = [r for r in drawn if r not in downtown]
    assert elsewhere and all("号楼" in r.address for r in elsewhere)


def test_same_seed_same_sequence_other_seed_another():
    def sequence(seed: int) -> list[tuple]:
        demand = Demand(places(), seed=seed, tz=TZ)
        t, out = at(1, 14, 8), []
        for _ in range(200):
            t = demand.next_arrival(t)
            r = demand.request(t)
            out.append((t, r.category, r.channel, r.lon, r.lat, r.description, r.citizen_name, r.citizen_phone))
        return out
    assert sequence(11) == sequence(11)
    assert sequence(11) != sequence(12)


def test_a_rate_must_be_positive():
    with pytest.raises(ValueError, match="rate"):
        Demand(places(), rate=0, tz=TZ)
