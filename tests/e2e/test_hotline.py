"""The 96715 operator's screen in headless Chromium: a whole call taken with the keyboard alone, a double submit,
refused addresses and points, the caller's history, merging a duplicate, and a walk-in at a department's window."""
from __future__ import annotations

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sqlalchemy import text

from harness.browser import console_errors, wait_in_page
from screens import ids
from tests.e2e.intake_helpers import (ctrl_enter, error_text, fill_quickly, focused_id, keys, open_desk,
                                      pick_category_by_typing, registered_number,
                                      type_address_and_take_the_first_suggestion)
from tests.fresh import new_phone
from workorders.policy import system_principal as sp

SIGNED_IN_AS = "operator"         # the browser fixture signs in as the role this screen is for
FORM = ids.HOTLINE
MAP = f"#{FORM.map} .js-plotly-plot"


def tickets_of(engine, phone: str) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text("""
            SELECT number, channel, grid_code, category_code, citizen_name, registered_by, attributes, state
            FROM tickets WHERE citizen_phone = :p ORDER BY id"""), {"p": phone}).mappings()]


def test_a_call_taken_with_the_keyboard_alone(app_url, browser, engine):
    phone = new_phone()
    open_desk(browser, app_url)
    keys(browser, phone, Keys.TAB, "王建国", Keys.TAB)
    assert focused_id(browser) == FORM.category_input
    assert pick_category_by_typing(browser, FORM.category_input, "water") == "漏水"
    wait_in_page(lambda: "30 分钟内到场" in browser.find_element(By.ID, FORM.category_hint).text,
               what="the category's priority and time limits")
    keys(browser, Keys.TAB)
    assert focused_id(browser) == FORM.address          # hidden variant and window fields are skipped
    type_address_and_take_the_first_suggestion(browser, "胜利路12号")
    wait_in_page(lambda: focused_id(browser) == FORM.description, what="the cursor to move on to the description")
    wait_in_page(lambda: "已定位" in browser.find_element(By.ID, FORM.location_text).text, what="the location")
    keys(browser, "楼上漏水，天花板滴水", Keys.ENTER)

    number = registered_number(browser)
    result = browser.find_element(By.ID, FORM.result).text
    assert "办结时限" in result and "到场时限" in result and "承办单位" in result
    [ticket] = tickets_of(engine, phone)
    with engine.connect() as conn:
        place_grid = conn.execute(text("SELECT grid_code FROM places WHERE name = '胜利路12号'")).scalar()
    assert ticket["number"] == number and ticket["channel"] == "hotline"
    assert ticket["grid_code"] == place_grid and ticket["category_code"] == "water_leak"
    # 登记人 is the signed-in user, as the header shows them (there is no name to type)
    shown_operator = browser.find_element(By.ID, FORM.operator).text
    assert ticket["citizen_name"] == "王建国" and ticket["registered_by"] == shown_operator == "话务员 演示"

    # Ready for the next call: the form is empty and the cursor is back on the phone field …
    wait_in_page(lambda: focused_id(browser) == FORM.phone, what="the focus to return to the phone field")
    assert browser.find_element(By.ID, FORM.phone).get_attribute("value") == ""
    assert browser.find_element(By.ID, FORM.description).get_attribute("value") == ""
    # … and the same caller calling again is recognised with the ticket just registered.
    keys(browser, phone)
    wait_in_page(lambda: number in browser.find_element(By.ID, FORM.history).text, what="the caller's history")
    assert "王建国" in browser.find_element(By.ID, FORM.history).text
    assert console_errors(browser) == []


def test_a_double_click_on_submit_registers_one_ticket(app_url, browser, engine):
    phone = new_phone()
    open_desk(browser, app_url)
    fill_quickly(browser, phone, "和平路5号", "路灯不亮")
    ActionChains(browser).double_click(browser.find_element(By.ID, FORM.submit)).perform()
    number = registered_number(browser)
    assert [t["number"] for t in tickets_of(engine, phone)] == [number]
    assert console_errors(browser) == []


def test_an_unknown_address_and_a_click_outside_the_district_are_refused(app_url, browser, engine):
    phone = new_phone()
    open_desk(browser, app_url)
    keys(browser, phone, Keys.TAB, Keys.TAB)
    pick_category_by_typing(browser, FORM.category_input, "nois")
    keys(browser, Keys.TAB, "火星路999号")
    wait_in_page(lambda: "没有匹配的地址" in browser.find_element(By.ID, FORM.suggestions).text,
               what="the no-match hint")
    browser.find_element(By.ID, FORM.description).send_keys("广场舞音响太吵")
    ctrl_enter(browser)
    message = wait_in_page(lambda: error_text(browser, FORM.error, "address"), what="the address error")
    assert "找不到地址" in message
    assert tickets_of(engine, phone) == []

    click_map(browser, 122.95, 41.125)     # north-west of the district, inside the map's view
    message = wait_in_page(lambda: error_text(browser, FORM.error, "location"), what="the location error")
    assert "不在本辖区内" in message
    assert "未定位" in browser.find_element(By.ID, FORM.location_text).text
    assert tickets_of(engine, phone) == []
    assert console_errors(browser) == []


def click_map(browser, lon: float, lat: float) -> None:
    wait_in_page(lambda: browser.execute_script(
        f"const gd = document.querySelector('{MAP}');"
        "const m = gd && gd._fullLayout.map && gd._fullLayout.map._subplot && gd._fullLayout.map._subplot.map;"
        "return !!(m && m.loaded() && m.__intakeClicks);"), what="the locator map", seconds=60)
    x, y = browser.execute_script(f"""
        const map = document.querySelector('{MAP}')._fullLayout.map._subplot.map;
        const p = map.project([arguments[0], arguments[1]]);
        const box = map.getCanvas().getBoundingClientRect();
        return [p.x + box.left, p.y + box.top];""", lon, lat)
    body = browser.find_element(By.TAG_NAME, "body")
    ActionChains(browser).move_to_element_with_offset(
        body, int(x - body.size["width"] / 2), int(y - body.size["height"] / 2)).pause(0.3).click().perform()


def test_a_map_click_sets_the_location_and_a_duplicate_can_be_merged(app_url, browser, engine):
    with engine.connect() as conn:
        code, lon, lat = conn.execute(text("""SELECT code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))
                                              FROM grids ORDER BY ST_Area(geom) DESC LIMIT 1""")).one()
    numbers = []
    for attempt in range(2):
        phone = new_phone()
        open_desk(browser, app_url, "?channel=letter")
        keys(browser, phone, Keys.TAB, Keys.TAB)
        pick_category_by_typing(browser, FORM.category_input, "green")
        click_map(browser, lon, lat)
        wait_in_page(lambda: "已定位" in browser.find_element(By.ID, FORM.location_text).text,
                   what="the clicked point to be located")
        browser.find_element(By.ID, FORM.description).send_keys("树枝折断挡路", Keys.ENTER)
        numbers.append(registered_number(browser))
        assert tickets_of(engine, phone)[0]["grid_code"] == code
        assert tickets_of(engine, phone)[0]["channel"] == "letter"
    merge = wait_in_page(lambda: browser.find_element(
        By.CSS_SELECTOR, f"[id*='\"into\":\"{numbers[0]}\"'][id*='{FORM.merge}']"), what="the merge button")
    merge.click()
    wait_in_page(lambda: f"已合并到工单 {numbers[0]}" in browser.find_element(By.ID, FORM.result).text,
               what="the merge to be confirmed")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT state FROM tickets WHERE number = :n"), {"n": numbers[1]}).scalar() == "merged"
    assert console_errors(browser) == []
    from services.tickets import transition   # leave no open look-alike at this point for the next run
    transition(numbers[0], "refuse", sp("测试"), reason="测试数据")


def test_a_walk_in_records_the_window(app_url, browser, engine):
    phone = new_phone()
    open_desk(browser, app_url, "?channel=walk_in")
    assert "当面来访" in browser.find_element(By.CSS_SELECTOR, ".channel-tab.active").text
    keys(browser, phone, Keys.TAB, Keys.TAB)
    pick_category_by_typing(browser, FORM.category_input, "streetl")
    keys(browser, Keys.TAB)                      # into the windows, shown on this channel only; none chosen yet
    assert browser.execute_script("return document.activeElement.closest('.window-choice') !== null")
    keys(browser, Keys.TAB)
    type_address_and_take_the_first_suggestion(browser, "站前街3号")
    wait_in_page(lambda: focused_id(browser) == FORM.description, what="the address to be picked")
    keys(browser, "路灯杆倾斜")
    ctrl_enter(browser)
    assert "请选择" in wait_in_page(lambda: error_text(browser, FORM.error, "window"), what="the window error")
    wait_in_page(lambda: browser.execute_script("return document.activeElement.closest('.window-choice') !== null"),
               what="the focus to go to the windows")
    assert tickets_of(engine, phone) == []
    browser.find_element(By.XPATH, "//*[contains(@class, 'window-choice')]//label[contains(., '区司法局')]").click()
    ctrl_enter(browser)
    registered_number(browser)
    [ticket] = tickets_of(engine, phone)
    assert ticket["channel"] == "walk_in" and ticket["attributes"] == {"window_department": "sfj"}
    assert console_errors(browser) == []
