"""/petitions in headless Chromium: a supervisor sees the center's figures and registers a 越级上访 that links the work
order it grew from, which /supervision then lists with that work order; a leader reads the list without phones."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sqlalchemy import text

from harness.browser import console_errors, wait_for_js
from screens.petitions_parts import ids
from services import petitions
from services.tickets import NewTicket, create_ticket, transition
from tests.fresh import new_phone
from workorders.policy import Principal, system_principal

SIGNED_IN_AS = "supervisor"
ROWS = f"""const rows = [...document.querySelectorAll('#{ids.TABLE} tbody tr')]
    .map(tr => [...tr.cells].map(td => td.textContent));
    return rows.length ? rows : false;"""


def field(header: str) -> str:
    return f"//*[@id='{ids.FORM}']//*[contains(@id, '\"{header}\"')]"


def choose(driver, header: str, value: str) -> None:
    control = driver.find_element(By.XPATH, field(header))
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", control)
    control.click()
    option = f"//*[@role='option'][normalize-space()='{value}' or .//input[@value='{value}']]"
    wait_for_js(driver, "return document.evaluate(arguments[0], document, null, 9, null).singleNodeValue;",
                option, what=f"the options of {header}")
    driver.find_element(By.XPATH, option).click()
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)


def test_a_skipped_level_petition_registered_from_the_page_reaches_supervision(app_url, browser, engine,
                                                                               inner_point):
    actor = system_principal("petitions-e2e")
    grid, lon, lat = inner_point
    ticket = create_ticket(NewTicket(channel="hotline", category="heating_cold", description="暖气不热多次反映",
                                     lon=lon, lat=lat, citizen_name="钱二", citizen_phone=new_phone()),
                           actor, engine=engine).ticket
    try:
        browser.get(app_url + "/petitions")
        wait_for_js(browser, f"const e = document.getElementById('{ids.TILES}'); "
                             "return !!e && e.innerText.includes('化解率');", what="the figures")
        assert "1,1" in browser.find_element(By.ID, ids.TILES).text and "%" in browser.find_element(By.ID, ids.TILES).text
        browser.find_element(By.XPATH, field("信访人")).send_keys("钱二")
        browser.find_element(By.XPATH, field("联系电话")).send_keys("13900004444")
        choose(browser, "问题类别", "城建管理")
        browser.find_element(By.XPATH, field("反映问题")).send_keys("供暖问题区里未解决，到市里上访")
        choose(browser, "信访层级", "市级")
        choose(browser, "越级上访", "是")
        browser.find_element(By.XPATH, field("网格编码")).send_keys(grid)
        browser.find_element(By.XPATH, field("登记日期")).send_keys("2026-11-25")
        browser.find_element(By.XPATH, field("关联工单")).send_keys(ticket["number"])
        browser.find_element(By.ID, ids.ADD).click()
        wait_for_js(browser, f"return document.getElementById('{ids.MESSAGE}').innerText.includes('已登记信访案件');",
                    what="the petition")
        number = browser.find_element(By.ID, ids.MESSAGE).get_attribute("textContent").split()[-1]
        browser.get(app_url + "/supervision")
        wait_for_js(browser, "const e = document.getElementById('sup-petitions-skipped'); "
                             "return !!e && e.textContent.includes(arguments[0]) && e.textContent.includes(arguments[1]);",
                    number, ticket["number"], what="the 越级上访 with its work order on /supervision")
        assert console_errors(browser) == []
    finally:
        transition(ticket["number"], "refuse", actor, reason="测试工单")
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM petitions WHERE petitioner = '钱二'"))


@pytest.mark.signed_in_as("leader")
def test_a_leader_reads_petitions_without_phones(app_url, browser):
    browser.get(app_url + "/petitions")
    rows = wait_for_js(browser, ROWS, what="the list")
    assert all("*" in r[1] and "*" in r[2] for r in rows)
    assert not browser.find_elements(By.ID, ids.FORM) and not browser.find_elements(By.ID, ids.EXPORT)
    shown = wait_for_js(browser, f"""const gd = document.querySelector('#{ids.MAP} .js-plotly-plot');
        if (!gd || !gd.data) return false;
        const open = gd.data.filter(d => (d.uid || '').startsWith('petitions-'));
        return open.length ? open.reduce((n, d) => n + d.lon.length, 0) : false;""", what="the open petitions on the map")
    assert shown == petitions.summary(Principal(id=None, name="e2e", roles=frozenset({"leader"}))).open
    assert console_errors(browser) == []
