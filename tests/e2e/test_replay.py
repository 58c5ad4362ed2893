"""The command map's replay of a past day in headless Chromium: a ticket's states and a crew's position at two
moments of an hour, read from the stored events and tracks, and ▶ playing the hour on."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from harness.browser import console_errors, wait_for_js
from screens.replay import ids
from services.tickets import NewTicket, create_ticket, transition
from workorders.policy import system_principal

SIGNED_IN_AS = "dispatcher"
DAY = datetime(2025, 3, 10, tzinfo=ZoneInfo("Asia/Shanghai"))       # far from every other test's tickets
AT = {"registered": DAY + timedelta(hours=10), "dispatched": DAY + timedelta(hours=10, minutes=20),
      "arrived": DAY + timedelta(hours=10, minutes=40), "resolved": DAY + timedelta(hours=11, minutes=30)}
POINT_A, POINT_B = (122.985, 41.115), (122.995, 41.121)
SHOWN = """(() => { const gd = document.querySelector('#replay-map .js-plotly-plot');
                     return !!(gd && gd.data && gd.data.some(d => d.name === 'replay-tickets' && d.lon.length)); })()"""
LAYERS = """const gd = document.getElementById('replay-map').querySelector('.js-plotly-plot');
            const t = gd.data.find(d => d.name === 'replay-tickets'), c = gd.data.find(d => d.name === 'replay-crews');
            return {tickets: t.customdata.map((n, i) => [n, t.text[i]]),
                    crews: c.customdata.map((k, i) => [k, c.lon[i], c.lat[i]])};"""


@pytest.fixture
def past_hour(engine):
    """A water leak registered at 10:00, dispatched 10:20, crew on site 10:40, resolved 11:30; a water crew's
    track points at 10:05 (A) and 10:35 (B)."""
    actor = system_principal("replay-tests")
    with engine.connect() as conn:
        crew = conn.execute(text("SELECT code FROM crews WHERE department_code = 'water' ORDER BY code LIMIT 1")).scalar()
    number = create_ticket(NewTicket(channel="hotline", category="water_leak", description="回放测试：水管爆裂",
                                     lon=POINT_B[0], lat=POINT_B[1], citizen_name="测试", citizen_phone="13900001111",
                                     registered_at=AT["registered"]), actor, engine=engine).ticket["number"]
    transition(number, "dispatch", actor, department="water", now=AT["dispatched"])
    transition(number, "arrive", actor, now=AT["arrived"])
    transition(number, "resolve", actor, now=AT["resolved"])
    with engine.begin() as conn:
        for at, (lon, lat), speed in ((AT["registered"] + timedelta(minutes=5), POINT_A, 0.0),
                                      (AT["dispatched"] + timedelta(minutes=15), POINT_B, 30.0)):
            conn.execute(text("""INSERT INTO crew_tracks (crew_code, at, speed_kmh, geom)
                                 VALUES (:c, :at, :s, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"""),
                         {"c": crew, "at": at, "s": speed, "lon": lon, "lat": lat})
    yield number, crew
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM tickets WHERE number = :n"), {"n": number})
        conn.execute(text("DELETE FROM crew_tracks WHERE crew_code = :c AND at >= :a AND at < :b"),
                     {"c": crew, "a": DAY, "b": DAY + timedelta(days=1)})


def layers_at(browser, clock: str) -> dict:
    wait_for_js(browser, f"const e = document.getElementById('{ids.CLOCK}'); return !!e && e.innerText === arguments[0];", clock,
                what=f"the replay at {clock}")
    wait_for_js(browser, "return !document.querySelector('[data-dash-is-loading]') && " + SHOWN, what="the update")
    return browser.execute_script(LAYERS)


def test_a_past_hour_replays_the_tickets_states_and_the_crews_tracks(app_url, browser, past_hour):
    number, crew = past_hour
    browser.get(f"{app_url}/?replay=2025-03-10&at=10:10")
    first = layers_at(browser, "10:10")
    assert "已登记" in dict(first["tickets"])[number]
    assert [c for c in first["crews"] if c[0] == crew] == [[crew, *POINT_A]]
    browser.get(f"{app_url}/?replay=2025-03-10&at=10:45&speed=600")
    second = layers_at(browser, "10:45")
    assert "已到场" in dict(second["tickets"])[number]
    assert [c for c in second["crews"] if c[0] == crew] == [[crew, *POINT_B]]
    queue = browser.find_element("id", ids.QUEUE).text
    assert "待派单" in queue

    # ▶ at 600×: ten minutes a second, until the ticket is resolved and gone from the map.
    browser.find_element("id", ids.PLAY).click()
    wait_for_js(browser, f"""const [h, m] = document.getElementById('{ids.CLOCK}').innerText.split(':').map(Number);
                            return h * 60 + m >= 11 * 60 + 35;""", seconds=120, what="the replay to pass 11:35")
    browser.find_element("id", ids.PLAY).click()
    wait_for_js(browser, "return !document.querySelector('[data-dash-is-loading]');", what="the update")
    gone = browser.execute_script(LAYERS)
    assert number not in dict(gone["tickets"])
    assert console_errors(browser) == []
