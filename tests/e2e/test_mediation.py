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


def test_a_screening_round_recorded_on_the_page_adds_to_the_figures(app_url, browser, engine):
    with engine.connect() as conn:
        code = conn.execute(text("SELECT code FROM communities ORDER BY code LIMIT 1")).scalar_one()
    try:
        browser.get(app_url + "/mediation")
        wait_for_js(browser, f"const e = document.getElementById('{ids.TILES}'); "
                             "return !!e && e.innerText.includes('排查化解纠纷');", what="the 排查 figures")
        before = int(browser.find_element(By.ID, ids.TILES).text.split("排查化解纠纷\n")[1].split("\n")[0]
                     .replace(",", ""))
        assert before >= 2546                                          # the seed's rounds, at least
        for header, value in (("社区编码", code), ("排查日期", "2020-03-01"), ("排查发现纠纷", "7"), ("化解纠纷", "6"),
                              ("发现隐患", "1"), ("排除隐患", "1")):
            browser.find_element(By.XPATH, f"//*[@id='{ids.FORM}']//input[contains(@id, '\"{header}\"')]") \
                .send_keys(value)
        browser.find_element(By.ID, ids.SCREEN).click()
        wait_for_js(browser, f"return document.getElementById('{ids.MESSAGE}').innerText.includes('已登记排查');",
                    what="the round recorded")
        wait_for_js(browser, f"return document.getElementById('{ids.TILES}').innerText.includes(arguments[0]);",
                    f"{before + 6:,}", what="the figure grown by the round")
        browser.find_element(By.ID, ids.SCREEN).click()                  # the same round again: refused, named
        wait_for_js(browser, f"return document.getElementById('{ids.MESSAGE}').innerText.includes('已登记过排查');",
                    what="the second report refused")
        assert console_errors(browser) == []
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM mediation_screenings WHERE community_code = :c AND source = 'form'"),
                         {"c": code})
