"""The leader view in headless Chromium: the map holds the 932 cells and their heat points (never one point per
ticket); changing the window and the channel updates the map, the trend and the tables; the map switches between
heatmap and cells; the replay shows a past day hour by hour and plays on; the console stays clean."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sqlalchemy import text

from harness.browser import console_errors, wait_for_js
from harness.mapclick import map_ready
from screens.analytics_parts import ids
from services import analytics
from services.tickets import NewTicket, create_ticket
from services import predictions
from tests.hotspot_model import stored_hotspot_model
from workorders.policy import Principal
from workorders.policy import system_principal as sp

SIGNED_IN_AS = "leader"         # the browser fixture signs in as the role this screen is for

GRAPH = f"#{ids.MAP} .js-plotly-plot"
DAY = datetime(2024, 6, 12, tzinfo=ZoneInfo("Asia/Shanghai"))     # long before every other test's tickets
MAP_READY = map_ready(GRAPH)
LEADER = Principal(id=None, name="e2e-leader", roles=frozenset({"leader"}))


@pytest.fixture
def letters_of_one_day(engine):
    """Three letters about greening from one grid at 10 o'clock of DAY; the aggregate refreshed to hold them."""
    with engine.connect() as conn:
        grid, name = conn.execute(text("SELECT code, name FROM grids ORDER BY code OFFSET 17 LIMIT 1")).one()
    numbers = [create_ticket(NewTicket(channel="letter", category="greening", description=f"绿地被毁 来信{i}",
                                       grid_code=grid, citizen_name="赵六", citizen_phone="13900003333",
                                       registered_at=DAY + timedelta(hours=10, minutes=5 + 15 * i)), sp("测试"),
                             engine=engine).ticket["number"] for i in range(3)]
    analytics.refresh(engine=engine)
    yield grid, name
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM tickets WHERE number = ANY(:n)"), {"n": numbers})
    analytics.refresh(engine=engine)


def wait_for_page(driver, script: str, *args, timeout: float = 45, what: str = ""):
    """wait_for_js, and on failure say what the page's caption, error line and replay readout show."""
    try:
        return wait_for_js(driver, script, *args, seconds=timeout, what=what)
    except AssertionError:
        pass
    shown = driver.execute_script(f"""return ['{ids.MAP_CAPTION}', '{ids.ERROR}', '{ids.REPLAY_READOUT}']
        .map(id => id + ': ' + (document.getElementById(id) || {{innerText: '(none)'}}).innerText).join(' | ');""")
    raise AssertionError(f"timed out waiting for {what or script}; the page shows {shown}")


def cell_count(driver, grid: str) -> float:
    return driver.execute_script(f"""
        const t = document.querySelector('{GRAPH}').data[0];
        return t.z[t.locations.indexOf(arguments[0])];""", grid)


def choose(driver, dropdown: str, value: str) -> None:
    """Tick one option of a multi-select dropdown and close it."""
    driver.find_element(By.ID, dropdown).click()
    driver.find_element(By.XPATH, f"//*[@role='option'][.//input[@value='{value}']]").click()
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    wait_for_page(driver, "return document.getElementById(arguments[0]).getAttribute('aria-expanded') === 'false';",
               dropdown, what=f"{dropdown} to close")


def click_label(driver, group: str, value: str) -> None:
    driver.find_element(By.XPATH, f"//*[@id='{group}']//label[.//input[@value='{value}']]").click()


def test_filters_update_map_and_tables_and_the_replay_shows_a_past_hour(app_url, browser, letters_of_one_day):
    grid, grid_name = letters_of_one_day
    browser.get(app_url + "/analytics")
    wait_for_page(browser, MAP_READY, timeout=60, what="the map")
    wait_for_page(browser, f"return document.getElementById('{ids.KPIS}').innerText.includes('受理量');",
               what="the KPI tiles")
    sizes = browser.execute_script(f"""
        const gd = document.querySelector('{GRAPH}');
        return gd.data.map(t => [t.name, (t.locations || t.lon).filter(v => v !== null).length]);""")
    assert dict(sizes[:2]) == {"cells": 932, "heat": 932}        # aggregates per cell, not tickets
    wait_for_page(browser, f"return document.getElementById('{ids.MAP_CAPTION}').innerText.includes('受理');",
               what="the caption")
    assert "2024-06-12" not in browser.find_element(By.ID, ids.MAP_CAPTION).text   # default: the last 30 days

    # The whole history, letters about greening only (other tests write letters too, rarely about greening): the
    # map, the trend and the hot spots follow.
    browser.find_element(By.XPATH, f"//button[contains(@class, 'an-quick') and text()='全部']").click()
    choose(browser, ids.CHANNEL, "letter")
    choose(browser, ids.CATEGORY, "greening")
    wait_for_page(browser, f"""
        const t = document.querySelector('{GRAPH}').data[0];
        return t.z[t.locations.indexOf(arguments[0])] >= 3;""", grid, what="the letters on the map")
    wait_for_page(browser, f"return document.getElementById('{ids.HOTSPOTS}').innerText.includes(arguments[0]);",
               grid_name, what="the grid among the hot spots")
    assert "2024-06-12至" in browser.find_element(By.ID, ids.MAP_CAPTION).text
    days_on_trend = browser.execute_script(
        f"return document.querySelector('#{ids.TREND} .js-plotly-plot').data[0].x.length;")
    assert days_on_trend > 365
    click_label(browser, ids.TREND_GRAIN, "week")
    wait_for_page(browser, f"""const x = document.querySelector('#{ids.TREND} .js-plotly-plot').data[0].x;
                            return x.length > 52 && x.length < arguments[0] / 6;""", days_on_trend,
               what="the weekly trend")
    assert browser.find_elements(By.CSS_SELECTOR, f"#{ids.DEPARTMENTS} tbody tr")

    # Heatmap ↔ cells: only the visibility changes.
    click_label(browser, ids.MAP_MODE, "cells")
    wait_for_page(browser, f"""const d = document.querySelector('{GRAPH}').data;
                            return d[0].visible === true && d[1].visible === false;""", what="the cells")

    # Replay DAY at 10 o'clock: the three letters of that hour, per grid (the filters still apply).
    click_label(browser, ids.MAP_SOURCE, "replay")
    day = browser.find_element(By.ID, ids.REPLAY_DAY)
    wait_for_page(browser, f"return document.getElementById('{ids.REPLAY_BAR}').offsetParent !== null;",
               what="the replay bar")
    day.click()
    wait_for_page(browser, """const th = [...document.querySelectorAll("[class*='dash-datepicker-calendar'] th")]
                               .map(e => e.textContent);
                           return th.includes('一') && th.includes('日') && !th.includes('Mo');""",
               what="the calendar's weekday names in Chinese")
    day.send_keys(Keys.CONTROL, "a")
    day.send_keys("2024-06-12", Keys.ENTER)
    thumb = browser.find_element(By.CSS_SELECTOR, f"#{ids.REPLAY_HOUR} [role=slider]")
    thumb.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)                 # 8 → 10 o'clock
    wait_for_page(browser, f"""return document.getElementById('{ids.MAP_CAPTION}').innerText
                            .includes('回放 2024-06-12 10:00–10:59 · 受理 3 件');""", what="the replayed hour")
    assert cell_count(browser, grid) == 3

    # ▶ plays the following hours, one per step; pressed again it pauses.
    browser.find_element(By.ID, ids.REPLAY_PLAY).click()
    wait_for_page(browser, f"""return document.getElementById('{ids.MAP_CAPTION}').innerText
                            .includes('回放 2024-06-12 11:00');""", what="the replay playing on")
    assert cell_count(browser, grid) == 0                         # the letters came at ten, none at eleven
    browser.find_element(By.ID, ids.REPLAY_PLAY).click()
    wait_for_page(browser, f"return document.getElementById('{ids.REPLAY_PLAY}').innerText.includes('播放');",
               what="the pause")
    assert console_errors(browser) == []


def test_tomorrows_forecast_shows_on_the_map_with_the_baselines_beside_it(app_url, browser, engine):
    with stored_hotspot_model(engine):
        browser.get(app_url + "/analytics")
        wait_for_page(browser, MAP_READY, timeout=60, what="the map")
        click_label(browser, ids.MAP_SOURCE, "forecast")
        wait_for_page(browser, f"""return document.getElementById('{ids.MAP_CAPTION}').innerText
                                .includes('明日预测') && document.getElementById('{ids.MAP_CAPTION}').innerText
                                .includes('预计受理');""", what="the forecast caption")
        note = browser.find_element(By.ID, ids.FORECAST_NOTE).text
        assert "上周同日" in note and "近4周均值" in note and "前20热点命中" in note
        # the map draws the service's expected counts, cell by cell
        expected = predictions.tomorrow_hotspots(LEADER, engine=engine)["counts"]
        drawn = browser.execute_script(f"""
            const t = document.querySelector('{GRAPH}').data[0];
            return Object.fromEntries(t.locations.map((c, i) => [c, t.z[i]]));""")
        assert drawn == pytest.approx(expected)
        click_label(browser, ids.MAP_SOURCE, "window")
        wait_for_page(browser, f"return document.getElementById('{ids.FORECAST_NOTE}').offsetParent === null;",
                      what="the forecast note to go")
    assert console_errors(browser) == []


def test_the_programme_blocks_show_the_figures_of_the_rows(app_url, browser):
    """矛盾纠纷排查调处, 重大决策稳评, 民主恳谈, 社会力量 and 信访 on the leader view: the notes and tables hold what the
    services count."""
    from services import consultation, mediation, petitions, resources, risk_assessment
    summary, screening = mediation.summary(LEADER), mediation.screening(LEADER)
    risk = risk_assessment.summary(LEADER)
    browser.get(app_url + "/analytics")
    wait_for_page(browser, f"const e = document.getElementById('{ids.RISK}'); "
                           "return !!e && !!e.querySelector('.js-plotly-plot');", what="the risk block")
    note = browser.find_element(By.ID, ids.MEDIATION_NOTE).text
    assert f"受理 {summary.cases:,} 件" in note and f"调解成功率 {summary.rate * 100:.1f}%" in note.replace(" %", "%")
    assert f"排查化解纠纷 {screening.disputes_resolved:,} 起" in note and f"排除隐患 {screening.hazards_removed:,} 处" in note
    streets = browser.find_elements(By.CSS_SELECTOR, f"#{ids.MEDIATION} tbody tr")
    assert len(streets) == len(summary.by_street) and "排查化解" in browser.find_element(By.ID, ids.MEDIATION).text
    assert f"评估项目 {risk.projects:,} 项" in browser.find_element(By.ID, ids.RISK_NOTE).text
    bars = browser.execute_script(f"""return [...document.querySelectorAll('#{ids.RISK} .js-plotly-plot')]
        .map(gd => gd.data[0].x.reduce((a, b) => a + b, 0));""")
    assert bars == [risk.projects, risk.projects]                   # by level and by decision, every project once
    # 民主恳谈, 社会力量 and 信访: notes and tables hold what the services count, by street.
    figures, petition = consultation.figures(LEADER), petitions.summary(LEADER)
    forces = resources.counts_by_street(LEADER)
    wait_for_page(browser, f"const e = document.getElementById('{ids.CONSULTATION}'); "
                           "return !!e && e.querySelectorAll('.js-plotly-plot').length === 3;", what="the 民主恳谈 block")
    block = browser.find_element(By.ID, ids.CONSULTATION).text
    assert f"{figures.sessions} 场" in block and f"参与 {figures.participants:,} 人次" in block
    follow = figures.follow_ups
    assert f"已完成 {follow['done']} / {follow['done'] + follow['open']}" in block
    steps = browser.execute_script(f"""return [...document.querySelectorAll('#{ids.CONSULTATION} .js-plotly-plot')]
        .slice(0, 2).map(gd => gd.data[0].x.reduce((a, b) => a + b, 0));""")
    assert steps == [figures.sessions, figures.sessions]          # by topic and by step, every session once
    note = browser.find_element(By.ID, "an-petitions-note").text
    assert f"受理 {petition.cases:,} 件" in note and f"越级上访 {petition.skipped:,}" in note
    petition_rows = browser.execute_script("""return [...document.querySelectorAll('.an-petitions-card tbody tr')]
        .map(tr => [...tr.cells].map(td => td.textContent));""")
    by_street = {r["name"]: r for r in petitions.counts_by_street(LEADER)}
    assert len(petition_rows) == len(by_street) + 1 and petition_rows[-1][0] == "合计"
    assert all(int(r[1].replace(",", "")) == by_street[r[0]]["cases"] for r in petition_rows[:-1])
    forces_text = browser.find_element(By.CSS_SELECTOR, ".an-resources-card").text
    assert all(street["name"] in forces_text for street in forces)
    assert console_errors(browser) == []
