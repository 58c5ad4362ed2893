"""/risk in headless Chromium as a supervisor: the figures, the 山南小学 east plot's area on the map with the grids
inside it, its six factors, and a project added with the form appearing in the list, its outcome recorded later."""
from __future__ import annotations

import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sqlalchemy import text

from harness.browser import console_errors, wait_for_js
from screens.risk_parts import ids
from services import risk_assessment
from workorders.policy import Principal

SIGNED_IN_AS = "supervisor"


def field(header: str) -> str:
    """The XPath of a form field's control by its Chinese header (a pattern id: its JSON holds the header)."""
    return f"//*[@id='{ids.FORM}']//*[contains(@id, '\"{header}\"')]"


def choose(driver, header: str, value: str | None) -> None:
    """Open a dropdown of the form and pick ``value`` (None: the first option), then close it."""
    driver.find_element(By.XPATH, field(header)).click()
    option = "//*[@role='option']" + (f"[normalize-space()='{value}' or .//input[@value='{value}']]" if value else "")
    wait_for_js(driver, "return document.evaluate(arguments[0], document, null, 9, null).singleNodeValue;",
                option, what=f"the options of {header}")
    driver.find_element(By.XPATH, option).click()
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)


def test_the_shannan_plot_on_the_map_and_a_project_added_with_the_form(app_url, browser, engine):
    name = f"测试{uuid.uuid4().hex[:8]}供热改造"
    projects = risk_assessment.summary(Principal(id=None, name="e2e", roles=frozenset({"supervisor"}))).projects
    try:
        browser.get(app_url + "/risk")
        wait_for_js(browser, f"const e = document.getElementById('{ids.TILES}'); "
                             "return !!e && e.innerText.includes('高风险');", what="the figures")
        assert browser.find_element(By.ID, ids.TILES).text.split("\n")[:2] == ["评估项目", str(projects)]
        cells = wait_for_js(browser, """const gd = document.querySelector('#risk-map .js-plotly-plot');
            const layer = gd && gd.data && gd.data.find(d => d.name === 'risk-grid-counts');
            return layer ? layer.lon.length : false;""", what="the grids of the area on the map")
        assert cells == 4                                     # the plot's four cells, not their neighbours
        detail = browser.execute_script(f"return document.getElementById('{ids.DETAIL}').textContent;")
        assert "山南小学东侧地块" in detail and "6. 群体性上访苗头" in detail and "区域内网格 4 个" in detail
        browser.find_element(By.XPATH, field("项目名称")).send_keys(name)
        for header, value in (("项目类型", "重大工程"), ("风险等级", "低"), ("评估结论", "准予实施"), ("网格编码", None)):
            choose(browser, header, value)
        browser.find_element(By.XPATH, f"//*[@id='{ids.FORM}']//label[normalize-space()='公示']").click()
        browser.find_element(By.XPATH, field("评估日期")).send_keys("2026-11-20")
        browser.find_element(By.ID, ids.ADD).click()
        wait_for_js(browser, f"return document.getElementById('{ids.MESSAGE}').innerText.includes('已登记评估项目');",
                    what="the project")
        wait_for_js(browser, f"return document.getElementById('{ids.TABLE}').innerText.includes(arguments[0]);",
                    name, what="the project in the list")
        wait_for_js(browser, f"return document.getElementById('{ids.DETAIL}').innerText.includes(arguments[0]);",
                    name, what="the new project on the map")
        assert "实施结果：尚未实施" in browser.find_element(By.ID, ids.DETAIL).get_attribute("textContent")
        browser.find_element(By.ID, ids.OUTCOME).send_keys("已完工，未发生群体性事件")       # carried out later
        save = browser.find_element(By.ID, ids.OUTCOME_SAVE)
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", save)
        save.click()
        wait_for_js(browser, f"return document.getElementById('{ids.DETAIL}').innerText.includes(arguments[0]);",
                    "实施结果：已完工，未发生群体性事件", what="the outcome in the project's details")
        assert "的实施结果" in browser.find_element(By.ID, ids.MESSAGE).text
        assert console_errors(browser) == []
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM risk_projects WHERE name = :n"), {"n": name})


def test_an_uploaded_csv_with_a_bad_row_is_refused_row_by_row_then_imported(app_url, browser, engine, tmp_path):
    tag = f"测试{uuid.uuid4().hex[:8]}"
    with engine.connect() as conn:
        grid = conn.execute(text("SELECT code FROM grids ORDER BY code LIMIT 1")).scalar_one()
    header = "项目名称,项目类型,网格编码,评估方法,风险等级,评估结论,评估日期\n"
    good = f"{tag}公交线路调整,其他,{grid},公示,低,准予实施,2026-11-01\n"
    bad, fixed = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text(header + good + f"{tag}坏行,其他,{grid},公示,极高,准予实施,2026-11-01\n", encoding="utf-8-sig")
    fixed.write_text(header + good, encoding="utf-8-sig")
    try:
        browser.get(app_url + "/risk")
        upload = wait_for_js(browser, f"return document.querySelector('#{ids.UPLOAD} input[type=file]');",
                             what="the upload")
        upload.send_keys(str(bad))
        wait_for_js(browser, f"return document.getElementById('{ids.MESSAGE}').innerText.includes('第 3 行 风险等级');",
                    what="the bad row named")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM risk_projects WHERE name LIKE :t"),
                                {"t": f"{tag}%"}).scalar() == 0
        browser.execute_script("arguments[0].value = '';", upload)
        upload.send_keys(str(fixed))
        wait_for_js(browser, f"return document.getElementById('{ids.MESSAGE}').innerText.includes('已导入 1 个评估项目');",
                    what="the import")
        wait_for_js(browser, f"return document.getElementById('{ids.TABLE}').innerText.includes(arguments[0]);",
                    f"{tag}公交线路调整", what="the imported project in the list")
        assert console_errors(browser) == []
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM risk_projects WHERE name LIKE :t"), {"t": f"{tag}%"})
