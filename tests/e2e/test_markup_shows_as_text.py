"""Hostile markup in ticket text shows as text on every page a person reads it (issue 12, "Hostile input"), in a
real headless Chromium: tickets whose description, address, citizen name and transition reasons (退回, 升级督办,
办结回复) hold <img onerror>, <script>, javascript: links and <br> are opened as the role that reads each page.
On every page: nothing ran (window.__pwned stays undefined), no element was made from the text (no img[src=x], no
javascript: link, no onerror attribute), and where the page shows the text it shows it literally ("<img" in
innerText). The exports' formula cells are tests/integration/test_exports_neutralised.py's."""
from __future__ import annotations

import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sqlalchemy import text

from harness.browser import console_errors, sign_in_as, wait_for_js
from harness.browser import wait_in_page as wait_in_page_of
from harness.mapclick import wait_for_map
from harness.signing_in import make_user
from screens import ids as map_ids
from screens.map_queue import ids as queue_ids
from services.tickets import NewTicket, create_ticket, transition
from tests.fresh import new_phone
from workorders.policy import system_principal as sp

PATIENCE = 45       # a shared machine: a Dash round trip plus a redraw may take a while

IMG = '<img src=x onerror="window.__pwned=1">'
SCRIPT = "<script>window.__pwned=1</script>"
LINK = '<a href="javascript:window.__pwned=1">x</a>'
BREAK = "<br>"
MARKER = "标" + uuid.uuid4().hex[:6]
DESCRIPTION = f"{MARKER} 楼道漏水 {IMG} {SCRIPT} {LINK} 一{BREAK}二"
ADDRESS = f"胜利路12号{IMG}{BREAK}"
NAME = f"{MARKER}王{BREAK}{IMG}"
REASONS = {"return": f"非本单位职责 {LINK} {IMG}", "escalate": f"群众多次来电 {SCRIPT} {IMG}",
           "resolve": f"已修复 {IMG} {LINK} 完{BREAK}毕"}
# The plain words each typed text starts with: an element holding them shows a ticket's text.
TYPED = [MARKER, "胜利路12号", *(reason.split(" ")[0] for reason in REASONS.values())]

# What the page holds, read in one go: did anything run, was any element made from the text, which element showing
# a ticket's text has markup children (a <br> that took effect: a sanitiser may drop <img> and keep <br>), and what
# the page says.
INERT = """
// The page's own links beside a ticket's text (a phone's tel:, a ticket's page) are not made from it.
const MARKUP = 'br, img, script, a:not([href^="tel:"]):not([href^="/"]):not([href^="http"])';
const holders = [...document.querySelectorAll('body *')].filter(e => [...e.childNodes].some(
    n => n.nodeType === 3 && arguments[0].some(words => n.nodeValue.includes(words))));
return {pwned: window.__pwned === undefined ? null : String(window.__pwned),
        made: document.querySelectorAll('img[src="x"], [onerror], [href^="javascript"], [*|href^="javascript"]').length,
        marked: holders.filter(e => e.querySelector(MARKUP)).map(e => e.outerHTML.slice(0, 300)),
        text: document.body.innerText};"""


def wait_in_page(condition, what: str, seconds: float = PATIENCE):
    return wait_in_page_of(condition, what, seconds=seconds)


def assert_inert(browser, where: str, *shown: str) -> str:
    """Nothing ran and nothing was made from the text on the page; each of ``shown`` is in its text, literally."""
    # A page busy redrawing (/supervision's lists, on a loaded machine) may hold its main thread for many seconds.
    browser.set_script_timeout(3 * PATIENCE)
    page = browser.execute_script(INERT, TYPED)
    assert page["pwned"] is None, f"{where}: the markup ran"
    assert page["made"] == 0, f"{where}: an element was made from the text"
    assert page["marked"] == [], f"{where}: the text took effect as markup"
    for words in shown:
        assert words in page["text"], f"{where}: {words!r} is not shown literally"
    return page["text"]


def text_of(browser, component_id: str) -> str:
    return browser.find_element(By.ID, component_id).text


@pytest.fixture(scope="module")
def spot(engine):
    with engine.connect() as conn:
        return conn.execute(text("""SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))
                                    FROM grids ORDER BY code LIMIT 1 OFFSET 7""")).one()


def hostile_ticket(spot, **fields) -> str:
    lon, lat = spot
    return create_ticket(NewTicket(**{
        "channel": "hotline", "category": "water_leak", "lon": lon, "lat": lat, "description": DESCRIPTION,
        "address": ADDRESS, "citizen_name": NAME, "citizen_phone": new_phone(), **fields}), sp("坐席")).ticket["number"]


@pytest.fixture(scope="module")
def tickets(spot) -> dict[str, str]:
    """One ticket per stage a page shows: waiting for dispatch, returned, escalated, waiting at the unit, resolved."""
    made = {stage: hostile_ticket(spot) for stage in ("waiting", "returned", "escalated", "at_unit", "resolved")}
    for stage in ("returned", "escalated", "at_unit", "resolved"):
        transition(made[stage], "dispatch", sp("调度"))
    transition(made["returned"], "return", sp("供水"), reason=REASONS["return"])
    transition(made["escalated"], "escalate", sp("督办"), reason=REASONS["escalate"])
    transition(made["resolved"], "accept", sp("供水"))
    transition(made["resolved"], "resolve", sp("供水"), reason=REASONS["resolve"],
               data={"reply": REASONS["resolve"]})
    return made


# ---------------------------------------------------------------------------------------------- the map

@pytest.mark.signed_in_as("dispatcher")
def test_the_dispatchers_queue_and_panel_show_markup_as_text(app_url, browser, tickets):
    browser.get(app_url + "/")
    wait_for_map(browser)
    for stage in ("waiting", "returned", "escalated"):
        number = tickets[stage]
        box = browser.find_element(By.ID, queue_ids.SEARCH)
        box.clear()
        box.send_keys(number, Keys.ENTER)
        found = browser.find_element(By.ID, queue_ids.FOUND)
        item = wait_in_page(lambda: found.find_elements(By.CSS_SELECTOR, f"[data-number='{number}']"),
                            f"{number} found in the queue")
        assert_inert(browser, f"the queue finding {stage}")
        item[0].click()
        panel = browser.find_element(By.ID, map_ids.PANEL)
        # The panel holds the typed address (and the masked citizen), not the description.
        wait_in_page(lambda: number in panel.text and "胜利路12号" in panel.text, f"{number}'s panel")
        assert_inert(browser, f"the panel of the {stage} ticket", ADDRESS)
    assert console_errors(browser) == []


# -------------------------------------------------------------------------------------------- /tickets

@pytest.mark.signed_in_as("operator")
def test_the_ticket_list_and_search_show_markup_as_text(app_url, browser, tickets):
    browser.get(app_url + "/tickets")
    box = wait_in_page(lambda: browser.find_elements(By.ID, "tickets-text"), "the search box")[0]
    box.send_keys(MARKER, Keys.ENTER)
    wait_in_page(lambda: all(n in text_of(browser, "tickets-results") for n in tickets.values()), "every ticket")
    assert_inert(browser, "/tickets", MARKER, IMG)
    assert console_errors(browser) == []


@pytest.mark.signed_in_as("operator")
@pytest.mark.parametrize("stage, reason", [("waiting", None), ("returned", "return"), ("escalated", "escalate"),
                                           ("resolved", "resolve")])
def test_a_tickets_page_shows_its_markup_and_history_as_text(app_url, browser, tickets, stage, reason):
    number = tickets[stage]
    browser.get(f"{app_url}/tickets/{number}")
    wait_in_page(lambda: MARKER in browser.find_element(By.TAG_NAME, "body").text, f"/tickets/{number}")
    shown = [IMG, SCRIPT, LINK, "胜利路12号<img"] + ([REASONS[reason].split(" ")[0]] if reason else [])
    page = assert_inert(browser, f"/tickets/{number}", *shown)
    if reason:
        assert "<img" in page.split(REASONS[reason].split(" ")[0], 1)[1], "the reason's markup is not literal"
    assert console_errors(browser) == []


# ---------------------------------------------------------------------------------------------- /work

def test_the_units_workplace_shows_markup_as_text(app_url, browser, tickets):
    username, password = make_user("department", department="water")
    sign_in_as(browser, app_url, username, password, next_path="/work")
    wait_for_js(browser, "return !!document.getElementById('work-table');", what="the workplace")
    number = tickets["at_unit"]
    # 待签收 shows its first 200 tickets by deadline (others' leftovers may fill them): the search box finds it.
    browser.find_element(By.ID, "work-find").send_keys(number + Keys.ENTER)
    wait_in_page(lambda: number in text_of(browser, "work-table"), f"{number} in 待签收")
    row = f"//tr[contains(@class,'work-row')][td[text()='{number}']]"
    wait_in_page(lambda: browser.find_element(By.XPATH, row).click() or True, f"a click on {number}")
    wait_in_page(lambda: MARKER in text_of(browser, "work-pane"), f"{number}'s pane")
    assert_inert(browser, "/work", IMG, SCRIPT, LINK)
    assert console_errors(browser) == []


# ---------------------------------------------------------------------------------- /supervision, /wall

@pytest.mark.signed_in_as("supervisor")
def test_supervision_shows_markup_as_text(app_url, browser, tickets):
    # As a ticket's page links to it: the lists narrowed to the ticket (each shows its first 200 rows otherwise).
    browser.get(app_url + f"/supervision?ticket={tickets['escalated']}")
    wait_for_js(browser, "return !!document.getElementById('sup-order-number');", what="the supervision page")
    wait_in_page(lambda: tickets["escalated"] in browser.find_element(By.ID, "sup-lists").text,
                 "the escalated ticket on /supervision")
    page = assert_inert(browser, "/supervision")
    if MARKER in page:
        assert IMG in page
    assert console_errors(browser) == []


@pytest.mark.signed_in_as("wall")
def test_the_wall_shows_markup_as_text(app_url, browser, tickets):
    browser.set_window_size(1920, 1080)
    browser.get(app_url + "/wall")
    wait_for_js(browser, f"const el = document.getElementById('{map_ids.WALL_TICKER}'); return el && el.innerText.length;",
                seconds=PATIENCE)
    page = assert_inert(browser, "/wall")
    assert "胜利路12号" not in page or "胜利路12号<img" in page
    assert console_errors(browser) == []


# ------------------------------------------------------------------------------------- citizens, phones

@pytest.mark.signed_in_as()
def test_the_citizens_track_page_shows_the_reply_as_text(app_url, browser, tickets):
    browser.get(f"{app_url}/track/{tickets['resolved']}")
    wait_in_page(lambda: "已修复" in text_of(browser, "track-reply"), "the reply on /track")
    assert_inert(browser, "/track", REASONS["resolve"])
    assert console_errors(browser) == []


@pytest.fixture(scope="module")
def crew(engine) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(text("""
            SELECT c.code, ST_X(ST_PointOnSurface(g.geom)) AS lon, ST_Y(ST_PointOnSurface(g.geom)) AS lat
            FROM crews c JOIN grids g ON g.code = c.grid_code
            WHERE c.kind = '网格员' ORDER BY c.code LIMIT 1 OFFSET 31""")).mappings().one())


@pytest.mark.signed_in_as()
def test_the_grid_workers_phone_shows_a_task_as_text(app_url, browser, crew):
    number = hostile_ticket((crew["lon"], crew["lat"]))
    transition(number, "dispatch", sp("调度"), crew=crew["code"])
    # The phone asks where it is: tell it (else Chromium asks a network location provider, a console error).
    browser.execute_cdp_cmd("Browser.grantPermissions", {"origin": app_url, "permissions": ["geolocation"]})
    browser.execute_cdp_cmd("Emulation.setGeolocationOverride",
                            {"latitude": crew["lat"], "longitude": crew["lon"], "accuracy": 8})
    username, password = make_user("grid_worker", crew=crew["code"])
    sign_in_as(browser, app_url, username, password, next_path="/m")
    wait_for_js(browser, "return !!document.getElementById('m-user');", what="the phone page")
    browser.find_element(By.ID, "m-tab-tasks").click()
    wait_in_page(lambda: number in browser.find_element(By.TAG_NAME, "body").text, "the task on /m")
    assert_inert(browser, "/m", IMG)
    assert console_errors(browser) == []


@pytest.mark.signed_in_as()
def test_a_consultations_public_page_shows_markup_as_text(app_url, browser, engine):
    """Not a ticket, but typed text a resident reads: a session's title and content (staff type them)."""
    from datetime import date, timedelta

    from services import consultation
    from workorders.consultation import DATE_HEADERS
    from workorders.policy import Principal
    with engine.connect() as conn:
        grid = conn.execute(text("SELECT code FROM grids ORDER BY code LIMIT 1")).scalar_one()
    today = date.today()
    row = {"议题名称": f"{MARKER}课堂{IMG}", "议题类别": "教育", "网格编码": grid, "议题内容": f"放学后无人看护{BREAK}{LINK}",
           **{h: (today + timedelta(days=d)).isoformat() for h, d in zip(DATE_HEADERS, (0, 4, 8, 10, 20))}}
    number = consultation.create_session(Principal(id=None, name="e2e-leader", roles=frozenset({"leader"})), row)
    try:
        browser.get(f"{app_url}/consultation/{number}")
        wait_in_page(lambda: MARKER in browser.find_element(By.TAG_NAME, "body").text, "the session's page")
        page = browser.execute_script(INERT, [MARKER, "放学后无人看护"])
        assert page["pwned"] is None and page["made"] == 0 and page["marked"] == [], page["marked"]
        assert IMG in page["text"] and f"放学后无人看护{BREAK}{LINK}" in page["text"]
        assert console_errors(browser) == []
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM consultation_sessions WHERE title LIKE :w"), {"w": f"{MARKER}%"})
