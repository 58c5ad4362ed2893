"""/supervision unfiltered in headless Chromium as a supervisor: a note being typed in a form survives the live
batches, which redraw the lists only when their rows changed (and then they do)."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import text

from harness.browser import console_errors, wait_for_js, wait_in_page
from settings import get_settings
from services.tickets import NewTicket, create_ticket
from tests.e2e.live_helpers import answers, redrawn, watch_answers
from tests.fresh import new_phone
from workers.escalation import sweep
from workorders.policy import system_principal as sp

SIGNED_IN_AS = "supervisor"
CATEGORY = "water_leak"


@pytest.fixture
def quiet_point(engine):
    """A grid's point where no closed ticket of CATEGORY is near enough and recent enough for a new one to repeat
    it: another test's closed ticket there (the department flow closes one at the largest grid) would put every
    new ticket on the repeat list, a change the lists show."""
    settings = get_settings()
    with engine.connect() as conn:
        return conn.execute(text("""
            SELECT g.code, ST_X(p), ST_Y(p) FROM grids g CROSS JOIN LATERAL ST_PointOnSurface(g.geom) AS p
            WHERE NOT EXISTS (SELECT 1 FROM tickets e WHERE e.category_code = :category
                              AND e.closed_at >= now() - make_interval(days => :days)
                              AND ST_DWithin(e.geom::geography, p::geography, :radius))
            ORDER BY ST_Area(g.geom) DESC LIMIT 1"""),
            {"category": CATEGORY, "days": settings.repeat_window_days,
             "radius": settings.repeat_radius_m + 1}).one()


def new_ticket(point, days_ago: float = 0) -> str:
    _code, lon, lat = point
    return create_ticket(NewTicket(channel="hotline", category=CATEGORY, lon=lon, lat=lat,
                                   description=f"楼道漏水 {uuid.uuid4().hex[:6]}", citizen_phone=new_phone(),
                                   registered_at=datetime.now(timezone.utc) - timedelta(days=days_ago)),
                         sp("坐席")).ticket["number"]


def test_a_note_typed_in_a_form_survives_the_live_batches(app_url, browser, quiet_point):
    for _ in range(3):
        late = new_ticket(quiet_point, days_ago=3)          # late already: the lists have rows to (not) redraw
    # Raised now, as the app's escalation sweep would within its minute: raised while the note is typed (by the
    # sweep, for these or for another test's late tickets) they would change the lists in the middle of the test.
    sweep()
    browser.get(app_url + "/supervision")
    wait_for_js(browser, "return !!document.getElementById('sup-acc-note');", what="the supervision page")
    wait_in_page(lambda: late in browser.find_element(By.ID, "sup-overdue").text, "the late tickets listed")
    time.sleep(3)                            # the first refresh, once the page follows the feed
    watch_answers(browser)
    note, answer = "当事人拒不整改，建议约谈", "已约谈物业负责人，限期三日整改"
    note_box, answer_box = (browser.find_element(By.ID, i) for i in ("sup-acc-note", "sup-reply-answer"))
    # One character at a time while new tickets (on no list: not late) keep the feed busy.
    for i, (a, b) in enumerate(zip(note.ljust(len(answer)), answer)):
        if a.strip():
            note_box.send_keys(a)
        answer_box.send_keys(b)
        if i % 3 == 0:
            new_ticket(quiet_point)
        time.sleep(0.25)
    wait_in_page(lambda: answers(browser) >= 3, "the page to follow the batches", seconds=30)
    time.sleep(2)
    assert (note_box.get_attribute("value"), answer_box.get_attribute("value")) == (note, answer)
    assert redrawn(browser, "sup-lists") == 0          # nothing on them changed: not sent again
    assert redrawn(browser, "sup-records") == 0

    now_late = new_ticket(quiet_point, days_ago=3)                   # a change the lists show: redrawn
    wait_in_page(lambda: now_late in browser.find_element(By.ID, "sup-overdue").text, "the new late ticket",
                 seconds=40)
    assert redrawn(browser, "sup-records") == 0
    assert (note_box.get_attribute("value"), answer_box.get_attribute("value")) == (note, answer)
    assert console_errors(browser) == []
