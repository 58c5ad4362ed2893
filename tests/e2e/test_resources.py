"""/resources in headless Chromium as a supervisor: the district's figures, the coverage gaps on the map, a patrol
post added with the form closing the gap of the cell it walks, then edited through 载入; a leader sees the elders
without their names and phones."""
from __future__ import annotations

import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sqlalchemy import text

from harness.browser import console_errors, wait_for_js
from screens.resources_parts import ids
from services import resources
from workorders.policy import Principal

SIGNED_IN_AS = "supervisor"
SUPERVISOR = Principal(id=None, name="e2e", roles=frozenset({"supervisor"}))
GAP_CELLS = """const gd = document.querySelector('#resources-map .js-plotly-plot');
    const layers = gd && gd.data && gd.data.filter(d => (d.uid || '').startsWith('resources-gaps'));
    return layers && layers.length ? layers.reduce((n, d) => n.concat(d.locations), []) : false;"""


def field(header: str) -> str:
    """The XPath of a form field's control by its Chinese header (a pattern id: its JSON holds the header)."""
    return f"//*[@id='{ids.FORM}']//*[contains(@id, '\"{header}\"')]"


def choose(driver, header: str, value: str) -> None:
    """Type into a dropdown of the form (it filters), pick the first match, close it."""
    control = driver.find_element(By.XPATH, field(header))
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", control)
    control.click()
    search = driver.switch_to.active_element
    search.send_keys(value)
    option = f"//*[@role='option'][contains(normalize-space(), '{value}')]"
    wait_for_js(driver, "return document.evaluate(arguments[0], document, null, 9, null).singleNodeValue;",
                option, what=f"the options of {header}")
    driver.find_element(By.XPATH, option).click()
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)


def test_the_gaps_on_the_map_and_a_patrol_post_added_then_edited(app_url, browser, engine):
    name = f"测试{uuid.uuid4().hex[:8]}巡逻岗"
    gaps = resources.coverage_gaps(SUPERVISOR)
    target = next(g for g in gaps if not g["has_patrol"])["code"]
    try:
        browser.get(app_url + "/resources")
        wait_for_js(browser, f"const e = document.getElementById('{ids.TILES}'); "
                             "return !!e && e.innerText.includes('覆盖缺口网格');", what="the figures")
        tiles = browser.find_element(By.ID, ids.TILES).text
        assert "574" in tiles and "338" in tiles and "11,000" in tiles and f"\n{len(gaps)}\n" in tiles
        cells = wait_for_js(browser, GAP_CELLS, what="the coverage gaps on the map")
        assert sorted(cells) == sorted(g["code"] for g in gaps)
        streets = browser.execute_script(f"return document.getElementById('{ids.STREETS}').textContent;")
        assert "站前街道" in streets and "合计" in streets
        choose(browser, "类型", "治安巡逻岗")
        browser.find_element(By.XPATH, field("名称")).send_keys(name)
        choose(browser, "覆盖网格", target)
        browser.find_element(By.XPATH, field("负责人")).send_keys("测试员")
        browser.find_element(By.ID, ids.SAVE).click()
        wait_for_js(browser, f"return document.getElementById('{ids.MESSAGE}').innerText.includes('已登记社会力量');",
                    what="the saved resource")
        code = browser.find_element(By.ID, ids.MESSAGE).text.split()[-1]
        wait_for_js(browser, GAP_CELLS.replace("return layers", "const c = layers").replace(
            ": false;", ": false; return c && !c.includes(arguments[0]) && c.length;"), target,
            what="the gap closed on the map")
        # Edit: 载入 fills the form with the resource, a new name is saved onto the same number.
        browser.find_element(By.ID, ids.CODE).send_keys(code)
        browser.find_element(By.ID, ids.LOAD).click()
        wait_for_js(browser, f"return document.getElementById('{ids.LOAD_MESSAGE}').innerText.includes('已载入');",
                    what="the loaded resource")
        box = browser.find_element(By.XPATH, field("名称"))
        assert box.get_attribute("value") == name
        box.send_keys("（改）")
        browser.find_element(By.ID, ids.SAVE).click()
        wait_for_js(browser, f"return document.getElementById('{ids.MESSAGE}').innerText.includes('已修改社会力量');",
                    what="the edit")
        assert resources.resource(SUPERVISOR, code)["name"] == name + "（改）"
        assert console_errors(browser) == []
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM social_resources WHERE name LIKE :n"), {"n": name + "%"})


@pytest.mark.signed_in_as("leader")
def test_a_leader_reads_the_figures_and_elders_without_names_or_phones(app_url, browser):
    browser.get(app_url + "/resources")
    wait_for_js(browser, f"const e = document.getElementById('{ids.ELDERS}'); "
                         "return !!e && e.innerText.includes('YJT');", what="the elders")
    rows = browser.execute_script(f"""return [...document.querySelectorAll('#{ids.ELDERS} tbody tr')]
        .map(tr => [...tr.cells].map(td => td.textContent));""")
    assert rows and all("*" in r[1] and "*" in r[5] and r[3] == resources.HIDDEN for r in rows)
    assert not browser.find_elements(By.ID, ids.FORM) and not browser.find_elements(By.ID, ids.EXPORT)
    browser.get(app_url + "/analytics")
    wait_for_js(browser, "return document.body.innerText.includes('社会力量（按街道）') && "
                         "document.body.innerText.includes('站前街道');", what="the counts by street")
