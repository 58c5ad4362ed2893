"""/admin in headless Chromium as the administrator: the lead unit of a category is changed in the editor, saved as
a new version, and the next call an operator takes on /hotline, in a second browser, goes to the new unit — one of
issue 11's "done when" flows."""
from __future__ import annotations

import json

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sqlalchemy import text

from harness.browser import console_errors, sign_in, start_chromium, wait_for_js, wait_in_page
from screens.admin_parts import ids
from services import admin_rules
from services.tickets import transition
from tests.e2e.intake_helpers import HOTLINE, fill_quickly, open_desk, registered_number
from tests.fresh import new_phone
from workorders.policy import Principal, system_principal

SIGNED_IN_AS = "admin"
CODE = "streetlight"            # 路灯: lead cgj in config/categories.yaml
NEW_LEAD = "zjj"
ADMIN = Principal(id=None, name="e2e-admin", roles=frozenset({"admin"}), display_name="e2e 管理员")


def field_id(name: str, kind: str = ids.FIELD) -> str:
    """The DOM id Dash gives the pattern id {"type": kind, "name": name} (keys sorted, no spaces)."""
    return json.dumps({"name": name, "type": kind}, separators=(",", ":"), sort_keys=True)


def element(browser, component_id: str):
    """By its DOM id, which may be a pattern id's JSON (the CSS selector By.ID writes cannot hold it)."""
    return browser.execute_script("return document.getElementById(arguments[0]);", component_id)


def choose(browser, component_id: str, value: str) -> None:
    """Pick the option of a dcc.Dropdown whose value is ``value`` with the mouse, then close the list."""
    element(browser, component_id).click()
    option = f"//*[@role='option'][.//input[@value='{value}']]"
    wait_in_page(lambda: browser.find_elements(By.XPATH, option), f"option {value} of {component_id}")
    browser.find_element(By.XPATH, option).click()
    if element(browser, component_id).get_attribute("aria-expanded") == "true":
        browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)


def test_an_admin_changes_a_lead_unit_and_the_next_ticket_goes_there(app_url, browser, engine):
    original = admin_rules.category_form(ADMIN, CODE)
    numbers = []
    try:
        browser.get(app_url + f"/admin?category={CODE}")
        wait_for_js(browser, "const e = document.getElementById(arguments[0]); return !!e && "
                             "e.innerText.includes(arguments[1]);", field_id("lead"), original["lead"],
                    what="the editor with the category's lead unit")
        choose(browser, field_id("lead"), NEW_LEAD)
        browser.find_element(By.ID, ids.SAVE).click()
        wait_for_js(browser, "return document.getElementById(arguments[0]).innerText.includes('已保存');", ids.MESSAGE,
                    what="the saved version")
        message = browser.find_element(By.ID, ids.MESSAGE).text
        assert f"第 {original['version'] + 1} 版" in message
        wait_for_js(browser, "return document.getElementById(arguments[0]).innerText.includes(arguments[1]);",
                    ids.VERSIONS, f"第 {original['version'] + 1} 版", what="the new version in the history")
        assert "主办单位" in browser.find_element(By.ID, ids.VERSIONS).text

        # The next call, taken by an operator in a browser of their own, goes to the new unit.
        operator = start_chromium(1600, 1000)
        try:
            sign_in(operator, app_url, "operator", next_path="/hotline")
            open_desk(operator, app_url)
            fill_quickly(operator, new_phone(), "和平路5号", "小区路灯不亮（系统管理测试）")
            operator.find_element(By.ID, HOTLINE.submit).click()
            numbers.append(registered_number(operator))
            result = operator.find_element(By.ID, HOTLINE.result).text
            assert console_errors(operator) == []
        finally:
            operator.quit()
        with engine.connect() as conn:
            ticket = conn.execute(text("SELECT lead_department_code, category_version FROM tickets WHERE number = :n"),
                                  {"n": numbers[0]}).mappings().one()
        assert ticket["lead_department_code"] == NEW_LEAD != original["lead"]
        assert ticket["category_version"] == original["version"] + 1
        with engine.connect() as conn:
            new_name = conn.scalar(text("SELECT name FROM departments WHERE code = :c"), {"c": NEW_LEAD})
        assert new_name in result                               # 承办单位 on the operator's result card
        assert console_errors(browser) == []
    finally:
        admin_rules.save_category(ADMIN, CODE, {k: v for k, v in original.items() if k != "version"})
        for number in numbers:
            transition(number, "refuse", system_principal("admin-e2e"), reason="测试工单")


def test_the_one_time_password_of_a_new_user_is_shown_once(app_url, browser):
    from tests.fresh import unique
    browser.get(app_url + "/admin")
    wait_for_js(browser, "return !!document.getElementById('admin-tabs');", what="the admin page")
    browser.find_element(By.XPATH, "//*[@id='admin-tabs']//*[contains(text(), '用户与角色')]").click()
    name = unique("e2e-user")
    box = json.dumps({"name": "username", "type": ids.USER_FIELD}, separators=(",", ":"), sort_keys=True)
    wait_in_page(lambda: element(browser, box) and element(browser, box).is_displayed(), "the users tab")
    element(browser, box).send_keys(name)
    choose(browser, json.dumps({"name": "roles", "type": ids.USER_FIELD}, separators=(",", ":"), sort_keys=True),
           "operator")
    browser.find_element(By.ID, ids.USER_CREATE).click()
    wait_for_js(browser, "return !!document.getElementById('admin-secret');", what="the one-time password")
    assert len(browser.find_element(By.ID, "admin-secret").text) >= 10
    wait_for_js(browser, "return document.getElementById(arguments[0]).innerText.includes(arguments[1]);",
                ids.USERS, name, what="the new user in the list")


def test_a_new_unit_is_listed_and_offered_for_its_crews_at_once(app_url, browser, engine):
    from tests.fresh import unique
    code, name = unique("e2e-unit")[:32], unique("测试物业中心")[:60]
    try:
        browser.get(app_url + "/admin?tab=units")
        wait_in_page(lambda: element(browser, field_id("code", ids.DEPT_FIELD)) is not None
                     and element(browser, field_id("code", ids.DEPT_FIELD)).is_displayed(), "the units tab")
        browser.find_element(By.ID, ids.DEPT_ADD).click()                           # empty: refused in words
        wait_for_js(browser, "return document.getElementById(arguments[0]).innerText.includes('编码：必填');",
                    ids.DEPT_MESSAGE, what="the refusal")
        element(browser, field_id("code", ids.DEPT_FIELD)).send_keys(code)
        element(browser, field_id("name", ids.DEPT_FIELD)).send_keys(name)
        choose(browser, field_id("kind", ids.DEPT_FIELD), "utility")
        browser.find_element(By.ID, ids.DEPT_ADD).click()
        wait_for_js(browser, "return document.getElementById(arguments[0]).innerText.includes(arguments[1]);",
                    ids.DEPT_MESSAGE, f"已新增单位 {code}", what="the new unit's message")
        assert name in browser.find_element(By.ID, ids.DEPARTMENTS).text
        assert "公用事业单位" in browser.find_element(By.ID, ids.DEPARTMENTS).text
        choose(browser, ids.CREW_DEPARTMENT, code)                                   # offered without a reload
        wait_for_js(browser, "return document.getElementById(arguments[0]).innerText.includes('该单位没有处置力量');",
                    ids.CREWS, what="the new unit's (empty) crews")
        assert console_errors(browser) == []
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM departments WHERE code = :c"), {"c": code})
