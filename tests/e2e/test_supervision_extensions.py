"""/supervision's 延期申请 in headless Chromium as a supervisor: a unit's request arrives without reload, 批准 moves
the ticket's deadline, 驳回 needs a note and keeps it; the ticket's page shows the request and the decision."""
from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import quote

from selenium.webdriver.common.by import By

from harness.browser import console_errors, wait_for_js, wait_in_page
from services import handling
from services import tickets as svc
from services.tickets import NewTicket
from tests.fresh import new_phone
from workorders.policy import Principal
from workorders.policy import system_principal as sp

SIGNED_IN_AS = "supervisor"
WATER = Principal(id=None, name="e2e-water", roles=frozenset({"department"}), department_code="water",
                  display_name="供水值班员")


def requested(inner_point, reason: str, street: str) -> tuple[dict, dict]:
    """A water ticket in handling on ``street`` and its lead unit's request for two more days: (ticket, request)."""
    _code, lon, lat = inner_point
    number = svc.create_ticket(NewTicket(channel="hotline", category="water_leak", lon=lon, lat=lat,
                                         address=f"铁东区{street}",
                                         description=f"地下室管道漏水 {uuid.uuid4().hex[:6]}",
                                         citizen_phone=new_phone()), sp("坐席")).ticket["number"]
    for action in ("dispatch", "accept"):
        svc.transition(number, action, sp("调度"))
    ticket = svc.history(number)[0]
    return ticket, handling.request_extension(WATER, number, reason, ticket["resolve_due_at"] + timedelta(days=2))


def narrowed(browser, app_url) -> str:
    """/supervision opened with its lists narrowed to a street no other ticket is on (returned): with the late
    tickets other tests left, each list holds 200 rows, redrawn on every live batch, and a loaded machine's browser
    falls behind."""
    street = f"延期测试路{uuid.uuid4().hex[:6]}号"
    browser.get(app_url + f"/supervision?find={quote(street)}")
    wait_for_js(browser, "return !!document.getElementById('sup-extensions');", what="the supervision page")
    wait_in_page(lambda: street in browser.find_element(By.ID, "sup-lists").text, "the lists narrowed")
    return street


def row_text(browser, extension_id: int) -> str:
    found = browser.find_elements(By.ID, f"sup-ext-row-{extension_id}")
    return found[0].text if found else ""


def press(browser, extension_id: int, label: str) -> None:
    row = browser.find_element(By.ID, f"sup-ext-row-{extension_id}")
    row.find_element(By.XPATH, f".//button[normalize-space()='{label}']").click()


def message(browser, words: str) -> str:
    def said():
        text = browser.find_element(By.ID, "sup-ext-msg").text
        return words in text and text
    return wait_in_page(said, f"{words!r} in #sup-ext-msg")


def test_a_supervisor_approves_and_refuses_extensions_in_the_browser(app_url, browser, inner_point):
    street = narrowed(browser, app_url)
    ticket, asked = requested(inner_point, "漏点在承重墙内，需物业配合破墙", street)    # after the page loaded: live
    wait_in_page(lambda: "漏点在承重墙内" in row_text(browser, asked["id"]), "the request on the list", seconds=40)
    assert ticket["number"] in row_text(browser, asked["id"])

    press(browser, asked["id"], "批准")
    message(browser, f"已批准工单 {ticket['number']} 延期")
    assert svc.history(ticket["number"])[0]["resolve_due_at"] == asked["requested_due_at"]
    wait_in_page(lambda: not row_text(browser, asked["id"]), "the approved request off the list")

    other, refused = requested(inner_point, "业主外出", street)
    browser.refresh()
    wait_in_page(lambda: "业主外出" in row_text(browser, refused["id"]), "the second request")
    press(browser, refused["id"], "驳回")                    # no note: refused, and nothing changes
    message(browser, "请填写驳回理由")
    row = browser.find_element(By.ID, f"sup-ext-row-{refused['id']}")
    row.find_element(By.TAG_NAME, "input").send_keys("可先关阀止漏，当日办结")
    press(browser, refused["id"], "驳回")
    message(browser, f"已驳回工单 {other['number']} 的延期申请")
    assert svc.history(other["number"])[0]["resolve_due_at"] == other["resolve_due_at"]
    assert console_errors(browser) == []

    browser.get(app_url + f"/tickets/{ticket['number']}")
    section = wait_in_page(lambda: browser.find_element(By.ID, "ticket-handling").text, "the ticket's handling")
    assert "已批准" in section and "漏点在承重墙内" in section
    history = browser.find_element(By.CLASS_NAME, "timeline").text
    assert "申请延期" in history and "批准延期" in history and "供水值班员" in history
