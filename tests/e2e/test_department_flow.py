"""Issue 11's "done when", end to end in three headless Chromiums against one real app: a water-company desk signs
in and 签收 a ticket dispatched to it on /work, then asks for more time (申请延期); a supervisor, in a second
browser, approves the request on /supervision; the desk sees the new deadline and the outcome in its pane and
answers (办结回复) with a PNG photo; the citizen, in a third browser and not signed in, reads the reply and sees the
photo on /track/<number>, then rates the handling on /evaluate/<token> (the link of the rating SMS)."""
from __future__ import annotations

import os
import re
import tempfile
import uuid
from datetime import timedelta

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sqlalchemy import text

from harness.browser import console_errors, sign_in, sign_in_as, start_chromium, wait_for_js
from harness.browser import wait_in_page as wait_in_page_of
from harness.signing_in import make_user
from services import media
from services.tickets import NewTicket, create_ticket, evaluation_sms, history, transition
from tests.fresh import new_phone
from tests.photos import png
from workorders.clock import local_minute
from workorders.policy import system_principal as sp

PATIENCE = 45            # the machine is shared: a Dash round trip plus a redraw may take a while
REASON = "漏点在承重墙内，需物业配合破墙，材料后天到货"
REPLY = "已破墙更换漏水管段并恢复墙面，供水正常，请放心使用。"


def wait_in_page(condition, what: str, seconds: float = PATIENCE):
    return wait_in_page_of(condition, what, seconds=seconds)


def text_of(browser, component_id: str) -> str:
    found = browser.find_elements(By.ID, component_id)
    return found[0].text if found else ""


def said(browser, words: str) -> str:
    return wait_in_page(lambda: words in text_of(browser, "work-message") and text_of(browser, "work-message"),
                        f"{words!r} in the message (it says {text_of(browser, 'work-message')!r})")


def press(browser, label: str) -> None:
    """A button of the pane, found again if a redraw replaced it between finding and clicking."""
    path = f"//*[@id='work-pane']//button[normalize-space()='{label}']"
    wait_in_page(lambda: browser.find_element(By.XPATH, path).is_displayed()
                 and (browser.find_element(By.XPATH, path).click() or True), f"a click on {label}")


def open_ticket(browser, number: str, queue: str) -> None:
    tab = f"//label[.//span[@class='work-tab-label'][text()='{queue}']]"
    wait_in_page(lambda: browser.find_element(By.XPATH, tab).click() or True, f"a click on {queue}")
    row = f"//tr[contains(@class,'work-row')][td[text()='{number}']]"
    wait_in_page(lambda: browser.find_element(By.XPATH, row).click() or True, f"a click on {number}")
    wait_in_page(lambda: number in text_of(browser, "work-pane"), "the ticket's pane")


def retype(browser, component_id: str, value: str) -> None:
    """Replace what a dcc.Input holds as a person would (clear() bypasses React: Dash would keep the old value)."""
    box = browser.find_element(By.ID, component_id)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys(value)
    wait_in_page(lambda: browser.find_element(By.ID, component_id).get_attribute("value") == value,
                 f"{value!r} in #{component_id}")


def fact(browser, label: str) -> str:
    """One row of the pane's facts (info_rows: <dt>label</dt><dd>value</dd>)."""
    return browser.find_element(By.XPATH, f"//*[@id='work-pane']//dt[normalize-space()='{label}']"
                                          "/following-sibling::dd[1]").text


def photo_file() -> str:
    path = os.path.join(tempfile.mkdtemp(prefix="flow-e2e-"), "after.png")
    with open(path, "wb") as out:
        out.write(png(320, 200))
    return path


def test_a_department_signs_for_extends_and_answers_and_the_citizen_rates_it(app_url, engine, inner_point):
    _code, lon, lat = inner_point
    number = create_ticket(NewTicket(channel="hotline", category="water_leak", lon=lon, lat=lat,
                                     description=f"地下室墙内水管漏水 {uuid.uuid4().hex[:6]}",
                                     citizen_name="王先生", citizen_phone=new_phone()), sp("坐席")).ticket["number"]
    transition(number, "dispatch", sp("调度"))
    browsers = []
    try:
        # ---- the department: 签收, then 申请延期
        desk = start_chromium(1600, 1000)
        browsers.append(desk)
        username, password = make_user("department", department="water")
        sign_in_as(desk, app_url, username, password, next_path="/work")
        wait_for_js(desk, "return !!document.getElementById('work-table');", what="the workplace")
        open_ticket(desk, number, "待签收")
        press(desk, "签收")
        said(desk, "签收完成")
        assert history(number)[0]["state"] == "accepted"

        before = history(number)[0]["resolve_due_at"]
        asked_due = local_minute(before + timedelta(days=2))
        # The message comes first, the pane redrawn in the new state (with the form shown) after it.
        wait_in_page(lambda: "已签收" in desk.find_element(By.CSS_SELECTOR, "#work-pane .result-head").text
                     and desk.find_element(By.ID, "work-ext-reason").is_displayed(), "the pane redrawn, 已签收")
        desk.find_element(By.ID, "work-ext-reason").send_keys(REASON)
        retype(desk, "work-ext-due", "明天")                                         # not a date: refused in words
        press(desk, "申请延期")
        said(desk, "无法识别")
        retype(desk, "work-ext-due", asked_due)
        press(desk, "申请延期")
        said(desk, f"已申请延期至 {asked_due}")
        wait_in_page(lambda: "待督查审批" in text_of(desk, "work-ext-records"), "the pending request in the pane")
        assert asked_due in text_of(desk, "work-ext-records")
        assert not desk.find_element(By.ID, "work-ext-send").is_displayed()       # one pending request at a time
        with engine.connect() as conn:
            extension_id = conn.execute(text("""
                SELECT e.id FROM ticket_extensions e JOIN tickets t ON t.id = e.ticket_id
                WHERE t.number = :n AND e.status = 'pending'"""), {"n": number}).scalar()
        assert extension_id

        # ---- a supervisor approves it on /supervision
        supervisor = start_chromium(1600, 1000)
        browsers.append(supervisor)
        sign_in(supervisor, app_url, "supervisor", next_path="/supervision")
        wait_for_js(supervisor, "return !!document.getElementById('sup-extensions');", what="the supervision page")
        row_id = f"sup-ext-row-{extension_id}"
        wait_in_page(lambda: REASON in text_of(supervisor, row_id), "the request on /supervision")
        assert number in text_of(supervisor, row_id)
        wait_in_page(lambda: supervisor.find_element(
            By.XPATH, f"//*[@id='{row_id}']//button[normalize-space()='批准']").click() or True, "a click on 批准")
        wait_in_page(lambda: f"已批准工单 {number} 延期" in text_of(supervisor, "sup-ext-msg"), "the approval")
        wait_in_page(lambda: not text_of(supervisor, row_id), "the request off the list")
        assert console_errors(supervisor) == []

        # ---- the department sees the new deadline and the outcome, and answers with a photo
        desk.refresh()
        wait_for_js(desk, "return !!document.getElementById('work-table');", what="the workplace again")
        open_ticket(desk, number, "办理中")
        wait_in_page(lambda: fact(desk, "办结时限") == asked_due, f"the new deadline {asked_due} in the pane")
        assert "已批准" in text_of(desk, "work-ext-records")
        assert history(number)[0]["resolve_due_at"] > before
        reply = wait_in_page(lambda: desk.find_element(By.ID, "work-reply").is_displayed()
                             and desk.find_element(By.ID, "work-reply"), "the reply box")
        reply.send_keys(REPLY)
        desk.find_element(By.CSS_SELECTOR, "#work-upload input[type=file]").send_keys(photo_file())
        wait_in_page(lambda: "after.png" in text_of(desk, "work-files"), "the chosen photo's name")
        press(desk, "办结并回复")
        said(desk, "已办结")
        ticket = history(number)[0]
        assert ticket["state"] == "resolved" and len(media.photos_of(ticket)) == 1
        assert console_errors(desk) == []

        # ---- the citizen, not signed in: /track shows the reply and the photo, /evaluate takes the rating
        citizen = start_chromium(1280, 900)
        browsers.append(citizen)
        citizen.get(f"{app_url}/track/{number}")
        wait_in_page(lambda: REPLY in text_of(citizen, "track-reply"), "the reply on /track")
        image = citizen.find_element(By.CSS_SELECTOR, ".track-photos img")
        assert wait_for_js(citizen, "return arguments[0].complete && arguments[0].naturalWidth;", image) == 320
        assert "承重墙" not in citizen.find_element(By.TAG_NAME, "body").text     # the unit's reason stays inside
        # The rating link reaches the citizen in the resolve SMS (services.tickets.evaluation_sms), made from the
        # ticket's token: read here from the database, as the SMS gateway would be given it.
        with engine.connect() as conn:
            token = conn.execute(text("SELECT evaluation_token FROM tickets WHERE number = :n"), {"n": number}).scalar()
        link = re.search(r"/evaluate/\S+", evaluation_sms(number, token)).group(0)
        citizen.get(app_url + link)
        wait_in_page(lambda: citizen.find_element(By.ID, "evaluate-submit"), "the rating form")
        assert number in citizen.find_element(By.TAG_NAME, "body").text
        citizen.find_element(By.CSS_SELECTOR, "#evaluate-choice input[value='satisfied']").click()
        citizen.find_element(By.ID, "evaluate-comment").send_keys("师傅很专业")
        citizen.find_element(By.ID, "evaluate-submit").click()
        wait_in_page(lambda: "感谢您的评价（满意）" in text_of(citizen, "evaluate-result"), "the thanks")
        assert console_errors(citizen) == []
        with engine.connect() as conn:
            state, satisfaction = conn.execute(text("SELECT state, satisfaction FROM tickets WHERE number = :n"),
                                               {"n": number}).one()
        assert (state, satisfaction) == ("closed", "satisfied")
    finally:
        for opened in browsers:
            opened.quit()
