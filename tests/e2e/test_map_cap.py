"""More open tickets than the live snapshot holds (LIVE_SNAPSHOT_MAX_TICKETS, 50,000 by default; 5 here): the map
holds the most urgent ones and a note over it says how many of how many, instead of leaving the rest out unseen."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from harness.browser import console_errors, wait_for_js
from harness.bulk_tickets import add_open_tickets, remove
from harness.mapclick import wait_for_map
from harness.servers import free_port, start_app, stop

SIGNED_IN_AS = "dispatcher"
CAP = 5
PREFIX = "BCAP"


@pytest.fixture(scope="module")
def app_url(engine, database_url):
    """A dashboard of its own, with a snapshot of at most CAP tickets (the browser fixture signs in here)."""
    port = free_port()
    proc = start_app(database_url, port, {"LIVE_SNAPSHOT_MAX_TICKETS": str(CAP)})
    yield f"http://127.0.0.1:{port}"
    stop(proc)


@pytest.fixture
def over_the_cap(engine):
    add_open_tickets(engine, 40, prefix=PREFIX)
    with engine.connect() as conn:
        total = conn.execute(text("""SELECT count(*) FROM tickets
            WHERE state NOT IN ('resolved', 'evaluated', 'closed', 'merged', 'refused')""")).scalar_one()
    yield total
    remove(engine, PREFIX)


def test_a_map_over_the_snapshots_cap_says_it_shows_the_most_urgent_part(app_url, browser, over_the_cap):
    browser.get(app_url + "/")
    wait_for_map(browser)
    wait_for_js(browser, "return window.liveMap && window.liveMap.snapshots > 0;", seconds=60,
                what="the live snapshot")
    note = wait_for_js(browser, "const el = document.getElementById('live-cap-note');"
                                "return el && !el.hidden ? el.textContent : false;", seconds=20,
                       what="the note that the map shows a part")
    assert note == f"地图显示最紧急的 {CAP} 件，共 {over_the_cap:,} 件未办结", note
    # The snapshot held CAP; a ticket changed since (by the app's sweeps, or another test's) comes by the stream.
    assert browser.execute_script("return window.liveMap.tickets.size;") >= CAP
    browser.save_screenshot("/tmp/map-cap.png")
    assert console_errors(browser) == []
