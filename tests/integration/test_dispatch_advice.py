"""The dispatcher's panel recommends the plan that misses the fewest arrival deadlines, not the nearest crew.

Hand-solved, on a line through the district (km east of a building; crews drive at 25 km/h, 2.4 min a km):
leak A at 0 km is due in 6 min, leak B at 4 km in 8 min; water crew X stands at 1.6 km (A 3.8 min, B 5.8 min),
crew Y at -2 km (A 4.8 min, B 14.4 min). Nearest-first gives the more urgent A its nearest crew X and sends Y to B,
14 minutes for an 8-minute deadline. Y to A and X to B makes both. Every other crew able to go is off duty for the
test, and its clock is set in 2030, beyond every other test's deadlines.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from services.dispatch import cell_panel
from services.tickets import NewTicket, create_ticket, transition
from tests.fresh import new_phone
from workorders.policy import system_principal

NOW = datetime(2030, 1, 15, 2, 0, tzinfo=timezone.utc)
KM_LON = 1 / (111.320 * 0.7534)          # degrees of longitude per km at 41.1° N (cos 41.1° ≈ 0.7534)


@pytest.fixture
def two_leaks(engine, spot):
    actor = system_principal("advice-tests")
    lon, lat = spot["lon"], spot["lat"]
    numbers = [create_ticket(NewTicket(channel="hotline", category="water_leak", description=f"水管爆裂 {name}",
                                       lon=lon + km * KM_LON, lat=lat, citizen_name="测试",
                                       citizen_phone=new_phone()), actor, engine=engine).ticket["number"]
               for name, km in (("A", 0.0), ("B", 4.0))]
    with engine.begin() as conn:
        crews = [r.code for r in conn.execute(text(
            "SELECT code FROM crews WHERE department_code = 'water' ORDER BY code LIMIT 2"))]
        grids = [r.grid_code for r in conn.execute(text("SELECT grid_code FROM tickets WHERE number = ANY(:n)"),
                                                   {"n": numbers})]
        saved = [dict(r) for r in conn.execute(text("""
            SELECT code, status, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM crews
            WHERE department_code = 'water' OR grid_code = ANY(:g)"""), {"g": grids}).mappings()]
        conn.execute(text("UPDATE crews SET status = 'off_duty' WHERE code = ANY(:c)"),
                     {"c": [s["code"] for s in saved if s["code"] not in crews]})
        for code, km in zip(crews, (1.6, -2.0)):
            conn.execute(text("""UPDATE crews SET status = 'available',
                                 geom = ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) WHERE code = :c"""),
                         {"c": code, "lon": lon + km * KM_LON, "lat": lat})
        for number, minutes in zip(numbers, (6.0, 8.0)):
            conn.execute(text("UPDATE tickets SET arrival_due_at = :due WHERE number = :n"),
                         {"n": number, "due": NOW + timedelta(minutes=minutes)})
    yield numbers, crews, grids
    with engine.begin() as conn:
        for row in saved:
            conn.execute(text("""UPDATE crews SET status = :status,
                                 geom = ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) WHERE code = :code"""), row)
    for number in numbers:
        transition(number, "refuse", actor, reason="测试工单")


def test_the_panel_recommends_the_far_crew_so_that_both_leaks_are_reached_in_time(two_leaks):
    (a, b), (x, y), (grid_a, grid_b) = two_leaks
    panel_a = cell_panel(grid_a, a, now=NOW)
    nearest = [c["code"] for c in panel_a["crews"]]
    assert nearest[:2] == [x, y]                         # X is the nearer crew to A …
    advice = panel_a["advice"]
    assert (advice.crew, advice.nearest_crew, advice.displaced) == (y, x, (b,))   # … but B needs it
    assert b in advice.reason and "超时" in advice.reason
    assert advice.eta_minutes == pytest.approx(4.8, abs=0.3) and advice.breach_probability < 0.5
    advice_b = cell_panel(grid_b, b, now=NOW)["advice"]
    assert advice_b.crew == x and advice_b.reason == "最近的力量"


def test_a_ticket_without_an_arrival_deadline_gets_no_recommendation(engine, spot):
    number = create_ticket(NewTicket(channel="hotline", category="sanitation", description="垃圾未清运",
                                     lon=spot["lon"], lat=spot["lat"], citizen_name="测试",
                                     citizen_phone=new_phone()), system_principal("advice-tests"),
                           engine=engine).ticket
    try:
        assert cell_panel(number["grid_code"], number["number"])["advice"] is None
    finally:
        transition(number["number"], "refuse", system_principal("advice-tests"), reason="测试工单")
