"""/supervision in headless Chromium as a supervisor: a late ticket appears without reload, a 督办单 is issued,
answered and closed, 问责 recorded, a 联席会 convened and decided; the ticket's page shows them."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from harness.browser import console_errors, wait_for_js, wait_in_page
from services import supervision as sup
from services.tickets import NewTicket, create_ticket
from tests.fresh import new_phone
from workorders.policy import system_principal as sp

SIGNED_IN_AS = "supervisor"


def late_ticket(inner_point, address: str) -> str:
    _code, lon, lat = inner_point
    return create_ticket(NewTicket(channel="hotline", category="water_leak", description=f"水管爆裂 {uuid.uuid4().hex[:6]}",
                                   lon=lon, lat=lat, citizen_phone=new_phone(), address=address,
                                   registered_at=datetime.now(timezone.utc) - timedelta(days=3)),
                         sp("坐席")).ticket["number"]


def text_of(browser, component_id: str) -> str:
    return browser.find_element(By.ID, component_id).text


def type_into(browser, component_id: str, value: str) -> None:
    box = browser.find_element(By.ID, component_id)
    box.clear()
    box.send_keys(value)


def choose(browser, component_id: str, value) -> None:
    """Pick the option of a dcc.Dropdown whose value is ``value`` with the mouse, then close the list."""
    browser.find_element(By.ID, component_id).click()
    option = f"//*[@role='option'][.//input[@value='{value}']]"
    wait_in_page(lambda: browser.find_elements(By.XPATH, option), f"option {value} of #{component_id}")
    browser.find_element(By.XPATH, option).click()
    if browser.find_element(By.ID, component_id).get_attribute("aria-expanded") == "true":
        browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
    wait_in_page(lambda: browser.find_element(By.ID, component_id).get_attribute("aria-expanded") != "true",
                 f"#{component_id} to close")


def said(browser, component_id: str, words: str) -> str:
    return wait_in_page(lambda: words in text_of(browser, component_id) and text_of(browser, component_id),
                        f"{words!r} in #{component_id} (it says {text_of(browser, component_id)!r})")


def test_a_supervisor_supervises_a_late_ticket_from_the_browser(app_url, browser, inner_point):
    # Every list shows its first 200 rows, most urgent first, and late tickets other tests left may fill them (and,
    # redrawn on every live batch, keep a loaded machine's browser busy): the page opens narrowed to this ticket's
    # street before the ticket exists, as its search box would narrow it.
    street = f"督办测试路{uuid.uuid4().hex[:6]}号"
    browser.get(app_url + f"/supervision?find={quote(street)}")
    wait_for_js(browser, "return !!document.getElementById('sup-order-number');", what="the supervision page")
    said(browser, "sup-lists", street)
    assert browser.find_element(By.ID, "sup-find").get_attribute("value") == street
    number = late_ticket(inner_point, f"铁东区{street}")   # registered after the page loaded: the live feed brings it
    wait_in_page(lambda: number in text_of(browser, "sup-overdue"), "the late ticket on the overdue list", seconds=40)

    type_into(browser, "sup-order-number", number)
    type_into(browser, "sup-order-person", "张科长")
    type_into(browser, "sup-order-demand", "当日修复并回复群众")
    browser.find_element(By.ID, "sup-order-submit").click()
    said(browser, "sup-order-msg", "督办单")
    order = [o for o in sup.ticket_records(_supervisor(), number)["orders"]][0]
    wait_in_page(lambda: number in text_of(browser, "sup-orders"), "the order in the list")

    choose(browser, "sup-reply-order", order["id"])
    type_into(browser, "sup-reply-answer", "已关阀抢修，管段已更换")
    browser.find_element(By.ID, "sup-reply-submit").click()
    said(browser, "sup-reply-msg", "已登记")
    choose(browser, "sup-reply-outcome", "resolved")
    browser.find_element(By.ID, "sup-reply-close").click()
    said(browser, "sup-reply-msg", "办结")

    type_into(browser, "sup-acc-number", number)
    type_into(browser, "sup-acc-person", "李站长")
    choose(browser, "sup-acc-measure", "talk")
    browser.find_element(By.ID, "sup-acc-submit").click()
    said(browser, "sup-acc-msg", "已记录问责")

    type_into(browser, "sup-meet-number", number)
    choose(browser, "sup-meet-units", "water")
    choose(browser, "sup-meet-units", "cgj")
    browser.find_element(By.ID, "sup-meet-submit").click()
    said(browser, "sup-meet-msg", "已召集联席会")
    meeting = sup.ticket_records(_supervisor(), number)["meetings"][0]
    choose(browser, "sup-decide-meeting", meeting["id"])
    type_into(browser, "sup-decide-text", "供水集团牵头更换管段")
    type_into(browser, "sup-decide-follow", "城管局配合占道审批")
    browser.find_element(By.ID, "sup-decide-submit").click()
    said(browser, "sup-decide-msg", "已记录联席会")

    records = sup.ticket_records(_supervisor(), number)
    assert [(o["answer"], o["outcome"]) for o in records["orders"]] == [("已关阀抢修，管段已更换", "resolved")]
    assert [(a["person"], a["measure"]) for a in records["accountabilities"]] == [("李站长", "talk")]
    assert [(m["department_codes"], m["decision"]) for m in records["meetings"]] == [
        (["water", "cgj"], "供水集团牵头更换管段")]
    assert console_errors(browser) == []

    browser.get(app_url + f"/tickets/{number}")
    section = wait_in_page(lambda: browser.find_element(By.ID, "ticket-supervision").text, "the ticket's records")
    assert "供水集团牵头更换管段" in section and "张科长" in section and "李站长" in section


def _supervisor():
    from workorders.policy import Principal
    return Principal(id=None, name="e2e-reader", roles=frozenset({"supervisor"}))
