"""/mediation in headless Chromium as a supervisor: the district's figures, the open cases on the map, and a
neighbour-dispute work order turned into a case with one action."""
from __future__ import annotations

from selenium.webdriver.common.by import By
from sqlalchemy import text

from harness.browser import console_errors, wait_for_js
from screens.mediation_parts import ids
from services.tickets import NewTicket, create_ticket, transition
from tests.fresh import new_phone
from workorders.policy import system_principal

SIGNED_IN_AS = "supervisor"


def test_a_dispute_ticket_becomes_a_case_from_the_page(app_url, browser, engine, inner_point):
    actor = system_principal("mediation-e2e")
    _grid, lon, lat = inner_point
    ticket = create_ticket(NewTicket(channel="hotline", category="neighbour_dispute", description="邻居占用楼道",
                                     lon=lon, lat=lat, citizen_name="孙七", citizen_phone=new_phone()),
                           actor, engine=engine).ticket
    try:
        browser.get(app_url + "/mediation")
        wait_for_js(browser, f"const e = document.getElementById('{ids.TILES}'); "
                             "return !!e && e.innerText.includes('调解成功率');", what="the figures")
        tiles = browser.find_element(By.ID, ids.TILES).text
        assert "%" in tiles and "调解员" in tiles
        markers = wait_for_js(browser, """const gd = document.querySelector('#mediation-map .js-plotly-plot');
            const layer = gd && gd.data && gd.data.find(d => d.name === 'mediation-open');
            return layer ? layer.lon.length : false;""", what="the open cases on the map")
        assert markers >= 40                                      # the seed's open cases, at least
        browser.find_element(By.ID, ids.TICKET).send_keys(ticket["number"])
        browser.find_element(By.ID, ids.FROM_TICKET).click()
        wait_for_js(browser, f"return document.getElementById('{ids.MESSAGE}').innerText.includes('已转为调解案件');",
                    what="the case")
        number = browser.find_element(By.ID, ids.MESSAGE).text.split("调解案件")[-1].strip()
        wait_for_js(browser, f"return document.getElementById('{ids.TABLE}').innerText.includes(arguments[0]);",
                    number, what="the case in the list")
        assert console_errors(browser) == []
    finally:
        transition(ticket["number"], "refuse", actor, reason="测试工单")
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM disputes WHERE ticket_id = :t"), {"t": ticket["id"]})
