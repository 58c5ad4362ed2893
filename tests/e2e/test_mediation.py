"""/mediation in headless Chromium as a supervisor: the district's figures, the open cases on the map, and a
neighbour-dispute work order turned into a case with one action; as a street's staff: a case list uploaded and a
case registered with its organisation's mediator."""
from __future__ import annotations

import uuid

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import text

from geo.users import demo_scopes
from harness.browser import console_errors, wait_for_js
from screens.mediation_parts import ids
from tests.e2e.form_helpers import choose, field, message_of, upload
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


@pytest.mark.signed_in_as("street")
def test_street_staff_upload_a_case_list_and_register_a_case_with_its_organisations_mediator(app_url, browser,
                                                                                             engine, tmp_path):
    """The street's own page: a file with a bad row is refused row by row and writes nothing, the corrected file
    imports; a case registered with a mediator of the chosen organisation shows them in the list."""
    tag = f"e2e{uuid.uuid4().hex[:8]}"
    with engine.connect() as conn:
        street = demo_scopes(conn)["street"]
        grid, org, org_name, other_grid = conn.execute(text("""
            SELECT g.code, o.code, o.name,
                   (SELECT g2.code FROM grids g2 JOIN communities c2 ON c2.code = g2.community_code
                    WHERE c2.street_code <> :s ORDER BY g2.code LIMIT 1)
            FROM grids g JOIN communities c ON c.code = g.community_code
            JOIN mediation_orgs o ON o.community_code = c.code WHERE c.street_code = :s ORDER BY g.code LIMIT 1"""),
                                                   {"s": street}).one()
    header = "纠纷类型,纠纷概要,当事人,网格编码,调解组织编码,受理日期\n"
    good = f"邻里纠纷,{tag} 楼道堆物,甲、乙,{grid},{org},2026-11-01\n"
    bad, fixed = tmp_path / "bad.csv", tmp_path / "cases.csv"
    bad.write_text(header + good + f"邻里纠纷,{tag} 外街道,丙,{other_grid},{org},2026-11-01\n"
                   f"吵架,{tag} 坏类型,丁,{grid},{org},2026-11-01\n", encoding="utf-8-sig")
    fixed.write_text(header + good, encoding="utf-8-sig")
    try:
        browser.get(app_url + "/mediation")
        upload(browser, ids.UPLOAD_CASES, bad)
        refused = message_of(browser, ids.MESSAGE, "第 4 行 纠纷类型", what="the bad rows named")
        assert "第 3 行 网格编码" in refused
        lines = browser.execute_script(f"return [...document.querySelectorAll('#{ids.MESSAGE} li')]"
                                       ".map(li => li.textContent);")
        assert len(lines) == 2 and lines[0].endswith("只能登记本辖区的纠纷")      # one line per bad row
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM disputes WHERE summary LIKE :t"),
                                {"t": f"{tag}%"}).scalar() == 0                  # not even the good row
        upload(browser, ids.UPLOAD_CASES, fixed)
        message_of(browser, ids.MESSAGE, "已导入 1 件调解案件", what="the import")
        wait_for_js(browser, f"return document.getElementById('{ids.TABLE}').innerText.includes(arguments[0]);",
                    f"{tag} 楼道堆物", what="the imported case in the list")

        choose(browser, field(ids.FORM, "纠纷类型"), "物业纠纷")
        browser.find_element(By.XPATH, field(ids.FORM, "纠纷概要")).send_keys(f"{tag} 电梯停运")
        browser.find_element(By.XPATH, field(ids.FORM, "当事人")).send_keys("业主甲、物业公司")
        browser.find_element(By.XPATH, field(ids.FORM, "网格编码")).send_keys(grid)
        choose(browser, f"//*[@id='{ids.ORG}']", org_name)
        mediator = choose(browser, f"//*[@id='{ids.MEDIATOR}']")               # the organisation's first mediator
        with engine.connect() as conn:
            assert mediator in {r[0] for r in conn.execute(text("SELECT name FROM mediators WHERE org_code = :o"),
                                                           {"o": org})}
        browser.find_element(By.XPATH, field(ids.FORM, "受理日期")).send_keys("2026-11-02")
        browser.find_element(By.ID, ids.ADD).click()
        number = message_of(browser, ids.MESSAGE, "已登记调解案件", what="the case registered") \
            .split("调解案件")[-1].strip()
        row = wait_for_js(browser, f"""const rows = [...document.querySelectorAll('#{ids.TABLE} tr')];
            const row = rows.find(r => r.innerText.includes(arguments[0])); return row ? row.innerText : false;""",
                          number, what="the case in the list")
        assert mediator in row and f"{tag} 电梯停运" in row and org_name in row
        with engine.connect() as conn:
            assert conn.execute(text("""SELECT m.name FROM disputes d JOIN mediators m ON m.id = d.mediator_id
                                        WHERE d.number = :n"""), {"n": number}).scalar() == mediator
        assert console_errors(browser) == []
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM disputes WHERE summary LIKE :t"), {"t": f"{tag}%"})
