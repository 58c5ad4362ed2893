"""/consultation in headless Chromium: a leader starts a session with the form and moves it to its next step; a
resident, signed in as nobody, signs up on the session's public page and sees the count, never a phone."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sqlalchemy import text

from harness.browser import console_errors, wait_for_js
from screens.consultation_parts import ids, public_ids
from services import consultation
from tests.fresh import new_phone
from workorders.consultation import DATE_HEADERS
from workorders.policy import Principal

SIGNED_IN_AS = "leader"
LEADER = Principal(id=None, name="e2e-leader", roles=frozenset({"leader"}))


def field(header: str) -> str:
    """The XPath of a form field's control by its Chinese header (a pattern id: its JSON holds the header)."""
    return f"//*[@id='{ids.FORM}']//*[contains(@id, '\"{header}\"')]"


def choose(driver, header: str, value: str, search: str | None = None) -> None:
    """Open a dropdown of the form (typing ``search`` into its search box, if given) and pick ``value``."""
    driver.find_element(By.XPATH, field(header)).click()
    if search:
        box = wait_for_js(driver, "return document.querySelector('[role=dialog] input, .dash-dropdown-search');",
                          what=f"the search box of {header}")
        box.send_keys(search)
    option = f"//*[@role='option'][normalize-space()='{value}' or .//input[@value='{value}']]"
    wait_for_js(driver, "return document.evaluate(arguments[0], document, null, 9, null).singleNodeValue;",
                option, what=f"the options of {header}")
    driver.find_element(By.XPATH, option).click()
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)


@pytest.fixture
def tag(engine):
    word = f"测试{uuid.uuid4().hex[:8]}"
    yield word
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM consultation_sessions WHERE title LIKE :w"), {"w": f"%{word}%"})


def a_grid(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(text("SELECT code FROM grids ORDER BY code LIMIT 1")).scalar_one()


def text_of(driver, element_id: str) -> str:
    return driver.execute_script("return document.getElementById(arguments[0]).innerText;", element_id)


def test_a_leader_starts_a_session_and_moves_it_on(app_url, browser, engine, tag):
    title = f"{tag}背街小巷路面修缮"
    browser.get(app_url + "/consultation")
    wait_for_js(browser, f"const e = document.getElementById('{ids.TILES}'); "
                         "return !!e && e.innerText.includes('当前阶段');", what="the figures")
    markers = wait_for_js(browser, """const gd = document.querySelector('#consultation-map .js-plotly-plot');
        const layer = gd && gd.data && gd.data.find(d => d.name === 'consultation-sessions');
        return layer ? layer.lon.length : false;""", what="the sessions on the map")
    assert markers >= 40                                           # the seed's year
    browser.find_element(By.XPATH, field("议题名称")).send_keys(title)
    choose(browser, "议题类别", "城市建设")
    grid = a_grid(engine)
    choose(browser, "网格编码", grid, search=grid)
    browser.find_element(By.XPATH, field("议题内容")).send_keys("路面破损，雨天积水")
    for header, days in zip(DATE_HEADERS, (0, 4, 8, 10, 20)):
        browser.find_element(By.XPATH, field(header)).send_keys((date.today() + timedelta(days=days)).isoformat())
    browser.find_element(By.ID, ids.ADD).click()
    wait_for_js(browser, f"return document.getElementById('{ids.MESSAGE}').innerText.includes('已发起民主恳谈');",
                what="the session")
    number = text_of(browser, ids.MESSAGE).split("已发起民主恳谈")[1].split("（")[0].strip()
    wait_for_js(browser, f"return document.getElementById('{ids.DETAIL}').innerText.includes(arguments[0]);",
                title, what="the new session chosen")
    assert "当前阶段：发布预告" in text_of(browser, ids.DETAIL)
    assert browser.find_element(By.ID, ids.SPEECH).get_attribute("disabled")      # no speaking before the debate
    move = browser.find_element(By.ID, ids.MOVE)
    assert move.get_attribute("textContent") == "进入下一阶段「通报议题」"
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", move)
    move.click()
    wait_for_js(browser, f"return document.getElementById('{ids.ACT_MESSAGE}').innerText.includes('「通报议题」');",
                what="the move")
    wait_for_js(browser, f"return document.getElementById('{ids.DETAIL}').innerText.includes('当前阶段：通报议题');",
                what="the detail in its new step")
    assert consultation.public_session(number)["step_name"] == "通报议题"
    wait_for_js(browser, f"return document.getElementById('{ids.TABLE}').innerText.includes(arguments[0]);",
                number, what="the session in the list")
    other = consultation.list_sessions(LEADER, {"source": "seed"})[-1]["number"]
    browser.execute_script("""const gd = document.querySelector('#consultation-map .js-plotly-plot');
        gd.emit('plotly_click', {points: [{customdata: arguments[0]}]});""", other)    # as a click on its marker
    wait_for_js(browser, f"return document.getElementById('{ids.DETAIL}').innerText.includes(arguments[0]);",
                other, what="the session clicked on the map")
    assert console_errors(browser) == []


@pytest.mark.signed_in_as()
def test_a_resident_signs_up_on_the_public_page(app_url, browser, engine, tag):
    today = date.today()
    row = {"议题名称": f"{tag}四点半课堂开设", "议题类别": "教育", "网格编码": a_grid(engine), "议题内容": "放学后无人看护",
           **{h: (today + timedelta(days=d)).isoformat() for h, d in zip(DATE_HEADERS, (0, 4, 8, 10, 20))}}
    number = consultation.create_session(LEADER, row)
    phone = new_phone()
    browser.get(f"{app_url}/consultation/{number}")
    wait_for_js(browser, f"return !!document.getElementById('{public_ids.SIGN_UP}');", what="the sign-up form")
    assert "当前阶段：发布预告" in browser.find_element(By.ID, public_ids.STEPS).find_element(By.XPATH, "..").text
    browser.find_element(By.ID, public_ids.SIGN_UP_NAME).send_keys("刘桂兰")
    browser.find_element(By.ID, public_ids.SIGN_UP_PHONE).send_keys(phone)
    browser.find_element(By.ID, public_ids.SIGN_UP).click()
    wait_for_js(browser, f"return document.getElementById('{public_ids.SIGN_UP_MESSAGE}').innerText"
                         ".includes('报名成功');", what="the sign-up")
    wait_for_js(browser, f"return document.getElementById('{public_ids.COUNTS}').innerText.startsWith('1');",
                what="the residents' count")
    page = browser.execute_script("return document.body.innerText;")
    assert phone not in page and "刘桂兰" in browser.find_element(By.ID, public_ids.SIGN_UP_NAME).get_attribute("value")
    assert "刘桂兰" not in page                                     # typed into the field, never shown by the page
    detail = consultation.session_detail(LEADER, number)
    assert [(s["name"], s["phone"]) for s in detail["sign_ups"]] == [("刘桂兰", phone)]
    assert console_errors(browser) == []
