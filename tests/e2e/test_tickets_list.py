"""/tickets, /tickets/<number>, the dispatcher's queue on / and 常用答复 on /hotline in headless Chromium, each as the
role that uses it: search and filters, the export link following them, the print view, a queue click flying the
map to a ticket and opening its panel, an answer inserted while taking a call."""
from __future__ import annotations

import time
import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sqlalchemy import text

from harness.browser import console_errors
from harness.mapclick import wait_for_map
from harness.waiting import poll
from screens import ids as map_ids
from screens.map_queue import ids as queue_ids
from services import tickets as svc
from services.tickets import NewTicket
from tests.e2e.live_helpers import answers, redrawn, watch_answers
from workorders.policy import system_principal

DESK = system_principal("坐席")


class ids:      # screens/tickets_list.py's ids (importing a page module outside the app registers nothing)
    TEXT, RESULTS, FLAGS = "tickets-text", "tickets-results", "tickets-flags"
    EXPORT_CSV, EXPORT_XLSX = "tickets-export-csv", "tickets-export-xlsx"


@pytest.fixture(scope="module")
def marker() -> str:
    return "测" + uuid.uuid4().hex[:6]


@pytest.fixture(scope="module")
def two_tickets(engine, marker) -> list[str]:
    with engine.connect() as conn:
        point = conn.execute(text("""SELECT ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat
                                     FROM grids ORDER BY code LIMIT 1""")).mappings().one()
    made = [svc.create_ticket(NewTicket(channel="hotline", category=category, description=f"{marker} {words}",
                                        lon=point["lon"], lat=point["lat"], citizen_name="李娜",
                                        citizen_phone="13700001111"), DESK).ticket["number"]
            for category, words in (("water_leak", "楼道漏水"), ("noise", "夜里施工噪音"))]
    return made


def search_for(browser, words: str) -> None:
    box = browser.find_element(By.ID, ids.TEXT)
    box.clear()
    box.send_keys(words, Keys.ENTER)


@pytest.mark.signed_in_as("operator")
def test_search_filter_and_export_follow_each_other(app_url, browser, two_tickets, marker):
    browser.get(app_url + "/tickets")
    poll(lambda: browser.find_elements(By.ID, ids.TEXT), seconds=20)
    search_for(browser, marker)
    results = browser.find_element(By.ID, ids.RESULTS)
    poll(lambda: browser.find_element(By.ID, "tickets-total").text == "2", seconds=15, step=0.2,
         ignoring=(Exception,))
    assert browser.find_element(By.ID, "tickets-total").text == "2"
    assert all(n in results.text for n in two_tickets)
    assert "李娜" in results.text                      # an operator reads callers

    # A two-character Chinese substring (no trigram of its own) still finds the ticket.
    search_for(browser, f"{marker} 楼道漏")
    poll(lambda: two_tickets[1] not in results.text and two_tickets[0] in results.text, seconds=15, step=0.2)

    href = browser.find_element(By.ID, ids.EXPORT_CSV).get_attribute("href")
    assert "q=" in href
    body = browser.execute_script("return fetch(arguments[0]).then(r => r.text());", href)
    assert two_tickets[0] in body and two_tickets[1] not in body and "导出人" in body

    browser.find_element(By.CSS_SELECTOR, f"#{ids.FLAGS} input[value='escalated']").click()
    poll(lambda: browser.find_elements(By.ID, "tickets-empty"), seconds=15, step=0.2)
    assert "escalated=1" in browser.find_element(By.ID, ids.EXPORT_XLSX).get_attribute("href")
    assert console_errors(browser) == []


@pytest.mark.signed_in_as("operator")
def test_the_print_view_is_the_ticket_on_a4_without_controls(app_url, browser, two_tickets):
    browser.get(f"{app_url}/tickets/{two_tickets[0]}")
    poll(lambda: browser.find_elements(By.CSS_SELECTOR, ".ticket-print-head"), seconds=20)
    head = browser.find_element(By.CSS_SELECTOR, ".ticket-print-head")
    assert not head.is_displayed()
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    poll(lambda: head.is_displayed(), seconds=5)
    assert two_tickets[0] in head.text
    assert not browser.find_element(By.CSS_SELECTOR, ".shell").is_displayed()
    assert "楼道漏水" in browser.find_element(By.CSS_SELECTOR, ".detail-grid").text
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert console_errors(browser) == []


@pytest.mark.signed_in_as("dispatcher")
def test_the_queue_finds_a_ticket_and_a_click_flies_there_and_opens_its_panel(app_url, browser, two_tickets):
    browser.get(app_url + "/")
    wait_for_map(browser)
    counts = browser.find_element(By.ID, queue_ids.COUNTS)
    poll(lambda: "待派单" in counts.text, seconds=15)
    box = browser.find_element(By.ID, queue_ids.SEARCH)
    box.send_keys(two_tickets[0], Keys.ENTER)
    found = browser.find_element(By.ID, queue_ids.FOUND)
    item = poll(lambda: found.find_elements(By.CSS_SELECTOR, f"[data-number='{two_tickets[0]}']"), seconds=15)
    item[0].click()
    panel = browser.find_element(By.ID, map_ids.PANEL)
    poll(lambda: two_tickets[0] in panel.text and "hidden" not in panel.get_attribute("class"), seconds=15,
         step=0.2)
    assert two_tickets[0] in panel.text
    assert browser.execute_script("return window.queueFlights;") == 1
    assert console_errors(browser) == []


@pytest.mark.signed_in_as("operator")
def test_a_standard_answer_is_inserted_into_the_description(app_url, browser):
    browser.get(app_url + "/hotline")
    button = poll(lambda: browser.find_elements(By.CSS_SELECTOR, ".answer-insert"), seconds=20)[0]
    wanted = button.get_attribute("data-text")
    description = browser.find_element(By.ID, "hotline-description")
    description.send_keys("楼上漏水")
    button.click()
    poll(lambda: wanted in description.get_attribute("value"), seconds=10, step=0.2)
    assert description.get_attribute("value").startswith("楼上漏水\n")
    assert console_errors(browser) == []


@pytest.mark.signed_in_as("operator")
def test_a_follow_up_call_rates_the_ticket_from_its_page(app_url, browser, two_tickets):
    number = two_tickets[1]
    system = system_principal("tests")
    svc.transition(number, "dispatch", system)
    svc.transition(number, "accept", system)
    svc.transition(number, "resolve", system)
    browser.get(f"{app_url}/tickets/{number}")
    choice = "#ticket-detail-follow-rating input[value='satisfied']"
    rating = poll(lambda: browser.find_elements(By.CSS_SELECTOR, choice), seconds=20)
    rating[0].click()
    browser.find_element(By.ID, "ticket-detail-follow-save").click()
    result = browser.find_element(By.ID, "ticket-detail-follow-result")
    poll(lambda: "回访已记录" in result.text, seconds=15, step=0.2)
    assert "已关闭" in result.text
    assert svc.history(number)[0]["satisfaction"] == "satisfied"
    assert console_errors(browser) == []


def pick_box(browser, number: str):
    return browser.find_element(By.CSS_SELECTOR, f".tickets-row[data-number='{number}'] .tickets-pick input")


@pytest.mark.signed_in_as("dispatcher")
def test_a_ticket_registered_while_the_list_is_open_appears_and_the_ticks_stay(app_url, browser, two_tickets):
    """A dispatcher's list follows the live feed: a new ticket the filters select appears without a reload (well
    within the 30 s tick, which a dispatcher's page does not run); one they do not select leaves the table as it was;
    a redraw keeps what was ticked."""
    marker = "活" + uuid.uuid4().hex[:6]
    point = svc.history(two_tickets[0])[0]

    def new_marked(words: str) -> str:
        return svc.create_ticket(NewTicket(channel="hotline", category="water_leak", description=f"{words} 井盖松动",
                                           lon=point["lon"], lat=point["lat"], citizen_phone="13700002222"),
                                 DESK).ticket["number"]
    browser.get(app_url + "/tickets")
    poll(lambda: browser.find_elements(By.ID, ids.TEXT), seconds=20)
    search_for(browser, marker)
    poll(lambda: browser.find_elements(By.ID, "tickets-empty"), seconds=15, step=0.2)
    time.sleep(2)                                      # the page follows the feed (its first nudge answered)
    first = new_marked(marker)
    # Live, not by the 30-second tick a dispatcher does not have: well within it.
    assert poll(lambda: first in browser.find_element(By.ID, ids.RESULTS).text, seconds=15, step=0.2,
         ignoring=(Exception,))
    assert browser.find_element(By.ID, "tickets-total").text == "1"
    pick_box(browser, first).click()
    assert pick_box(browser, first).is_selected()

    watch_answers(browser)
    new_marked("不相干")                                # on no row of this page: the table is not drawn again
    poll(lambda: answers(browser) >= 1, seconds=15, step=0.2)
    time.sleep(1)
    assert redrawn(browser, ids.RESULTS) == 0 and pick_box(browser, first).is_selected()

    second = new_marked(marker)                         # on the page: redrawn, the tick kept
    assert poll(lambda: second in browser.find_element(By.ID, ids.RESULTS).text, seconds=15, step=0.2,
         ignoring=(Exception,))
    assert browser.find_element(By.ID, "tickets-total").text == "2"
    assert pick_box(browser, first).is_selected() and not pick_box(browser, second).is_selected()
    assert console_errors(browser) == []
