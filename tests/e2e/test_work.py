"""/work in headless Chromium as a water-company desk (承办单位): a ticket dispatched to the unit after the page
loaded appears in 待签收 without a reload, with a ticking countdown; 签收 moves it to 办理中; 办结回复 with a PNG photo
resolves it, and the citizen's /track shows the reply and the photo."""
from __future__ import annotations

import os
import tempfile
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from harness.browser import console_errors, sign_in_as, wait_for_js
from harness.browser import wait_in_page as wait_in_page_of

# The machine is shared: every wait allows for a busy moment (a Dash round trip plus a redraw).
PATIENCE = 45


def wait_in_page(condition, what: str, seconds: float = PATIENCE):
    return wait_in_page_of(condition, what, seconds=seconds)
from harness.signing_in import make_user
from services import media
from services.tickets import NewTicket, create_ticket, history, transition
from tests.fresh import new_phone
from tests.photos import png
from workorders.policy import system_principal as sp

REPLY = "已更换楼道供水阀门，漏水已止住，请放心使用。"


def dispatched_ticket(inner_point, address: str | None = None) -> str:
    _code, lon, lat = inner_point
    number = create_ticket(NewTicket(channel="hotline", category="water_leak", lon=lon, lat=lat, address=address,
                                     description=f"楼道水管漏水 {uuid.uuid4().hex[:6]}", citizen_phone=new_phone()),
                           sp("坐席")).ticket["number"]
    transition(number, "dispatch", sp("调度"))
    return number


def find(browser, typed: str) -> None:
    """Narrow the queue with the page's search box: a queue shows its first 200 tickets by deadline, and tickets
    other tests left may fill them."""
    box = browser.find_element(By.ID, "work-find")
    box.clear()
    box.send_keys(typed + Keys.ENTER)
    # The narrowed queue shows the ticket, or says it holds none that match.
    wait_in_page(lambda: typed in text_of(browser, "work-table"), f"the queue narrowed to {typed!r}")


def text_of(browser, component_id: str) -> str:
    return browser.find_element(By.ID, component_id).text


def said(browser, words: str) -> str:
    return wait_in_page(lambda: words in text_of(browser, "work-message") and text_of(browser, "work-message"),
                        f"{words!r} in the message (it says {text_of(browser, 'work-message')!r})")


def button(browser, label: str):
    return browser.find_element(By.XPATH, f"//*[@id='work-pane']//button[normalize-space()='{label}']")


def row_of(browser, number: str):
    return browser.find_element(By.XPATH, f"//tr[contains(@class,'work-row')][td[text()='{number}']]")


def click_row(browser, number: str) -> None:
    """The table may be redrawn between finding a row and clicking it (the refresh): find it again then."""
    wait_in_page(lambda: row_of(browser, number).click() or True, f"a click on {number}")


def tab(browser, label: str):
    return browser.find_element(By.XPATH, f"//label[.//span[@class='work-tab-label'][text()='{label}']]")


def photo_file() -> str:
    path = os.path.join(tempfile.mkdtemp(prefix="work-e2e-"), "after.png")
    with open(path, "wb") as out:
        out.write(png(320, 200))
    return path


def test_a_unit_signs_for_and_answers_a_ticket_in_the_browser(app_url, browser, inner_point):
    username, password = make_user("department", department="water")
    sign_in_as(browser, app_url, username, password, next_path="/work")
    assert browser.current_url.endswith("/work")
    wait_for_js(browser, "return !!document.getElementById('work-table');", what="the workplace")
    street = f"承办测试路{uuid.uuid4().hex[:6]}号"
    find(browser, street)                             # before the ticket exists: the queue holds none of it
    number = dispatched_ticket(inner_point, f"铁东区{street}")   # after the page loaded: the refresh brings it
    wait_in_page(lambda: number in text_of(browser, "work-table"), "the new ticket in 待签收")
    left = lambda: row_of(browser, number).find_element(By.CLASS_NAME, "countdown").text     # noqa: E731
    first = wait_in_page(lambda: left().startswith("到场剩") and left(), "the time left to arrive")
    wait_in_page(lambda: left() != first, "the countdown to tick")

    click_row(browser, number)
    wait_in_page(lambda: number in text_of(browser, "work-pane") and button(browser, "签收"), "the ticket's pane")
    wait_in_page(lambda: button(browser, "签收").click() or True, "a click on 签收")
    said(browser, "签收完成")
    assert history(number)[0]["state"] == "accepted"
    wait_in_page(lambda: tab(browser, "办理中").click() or True, "a click on 办理中")
    wait_in_page(lambda: number in text_of(browser, "work-table"), "the ticket in 办理中")

    reply = wait_in_page(lambda: browser.find_element(By.ID, "work-reply").is_displayed()
                         and browser.find_element(By.ID, "work-reply"), "the reply box")
    reply.send_keys(REPLY)
    browser.find_element(By.CSS_SELECTOR, "#work-upload input[type=file]").send_keys(photo_file())
    wait_in_page(lambda: "after.png" in text_of(browser, "work-files"), "the chosen photo's name")
    wait_in_page(lambda: button(browser, "办结并回复").click() or True, "a click on 办结并回复")
    said(browser, "已办结")

    ticket, events = history(number)
    assert ticket["state"] == "resolved"
    assert [e["data"].get("reply") for e in events if e["action"] == "resolve"] == [REPLY]
    photos = media.photos_of(ticket)
    assert len(photos) == 1 and photos[0]["public"] and photos[0]["content_type"] == "image/png"
    wait_in_page(lambda: number not in text_of(browser, "work-table"), "the ticket to leave 办理中")
    wait_in_page(lambda: tab(browser, "已办结").click() or True, "a click on 已办结")
    wait_in_page(lambda: number in text_of(browser, "work-table"), "the ticket in 已办结")
    assert console_errors(browser) == []

    browser.get(f"{app_url}/track/{number}")          # the citizen's page (no sign-in needed)
    wait_in_page(lambda: REPLY in text_of(browser, "track-reply"), "the reply on /track")
    image = browser.find_element(By.CSS_SELECTOR, ".track-photos img")
    assert wait_for_js(browser, "return arguments[0].complete && arguments[0].naturalWidth;", image) == 320


def test_a_bad_photo_is_refused_in_words_and_nothing_is_stored(app_url, browser, inner_point):
    username, password = make_user("department", department="water")
    sign_in_as(browser, app_url, username, password, next_path="/work")
    number = dispatched_ticket(inner_point)
    transition(number, "accept", sp("供水"))
    browser.get(app_url + "/work")
    wait_for_js(browser, "return !!document.getElementById('work-table');", what="the workplace")
    wait_in_page(lambda: tab(browser, "办理中").click() or True, "a click on 办理中")
    find(browser, number)
    wait_in_page(lambda: number in text_of(browser, "work-table"), "the ticket in 办理中")
    click_row(browser, number)
    reply = wait_in_page(lambda: browser.find_element(By.ID, "work-reply").is_displayed()
                         and browser.find_element(By.ID, "work-reply"), "the reply box")
    reply.send_keys("已处理")
    path = os.path.join(tempfile.mkdtemp(prefix="work-e2e-"), "notes.png")
    with open(path, "wb") as out:
        out.write(b"this is no image at all")
    browser.find_element(By.CSS_SELECTOR, "#work-upload input[type=file]").send_keys(path)
    wait_in_page(lambda: "notes.png" in text_of(browser, "work-files"), "the chosen file's name")
    wait_in_page(lambda: button(browser, "办结并回复").click() or True, "a click on 办结并回复")
    message = said(browser, "notes.png")
    assert "图片" in message or "图像" in message or "文件" in message, message
    ticket, events = history(number)
    assert ticket["state"] == "accepted" and not media.photos_of(ticket)
