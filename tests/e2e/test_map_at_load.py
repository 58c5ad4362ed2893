"""The command map with 10,000 open tickets in headless Chromium: at district zoom MapLibre draws a few hundred
symbols (clusters coloured by their most urgent ticket, the priority-1 and breached tickets on their own), and the
clusters' counts plus the single tickets add up to every open ticket the map holds."""
from __future__ import annotations

import pytest

from harness.browser import console_errors, exact_viewport, wait_for_js
from harness.mapclick import wait_for_map
from harness.bulk_tickets import add_open_tickets, remove

SIGNED_IN_AS = "dispatcher"
LOAD = 10_000
DRAWN = """const map = window.liveMap.map;
const clusters = new Map(), singles = new Set(), standouts = new Set();
for (const f of map.queryRenderedFeatures({layers: ['live-clusters']})) clusters.set(f.properties.cluster_id, f);
for (const f of map.queryRenderedFeatures({layers: ['live-tickets']})) singles.add(f.properties.id);
for (const f of map.queryRenderedFeatures({layers: ['live-standout']})) standouts.add(f.properties.id);
let inClusters = 0;
for (const f of clusters.values()) inClusters += f.properties.point_count;
return {clusters: clusters.size, singles: singles.size, standouts: standouts.size, inClusters: inClusters,
        held: window.liveMap.tickets.size, urgency: [...clusters.values()].map(f => f.properties.urgency),
        labels: document.querySelectorAll('.live-counts span').length};"""


@pytest.fixture
def ten_thousand_open(engine):
    assert add_open_tickets(engine, LOAD) == LOAD
    yield
    remove(engine)


def test_ten_thousand_open_tickets_draw_as_a_few_hundred_symbols_that_add_up(app_url, browser, ten_thousand_open):
    # The map is fitted to the district for 1600×1000 (layers/figure.py); a shorter page would cut its northern
    # edge off, and a ticket there is not drawn, so would not add up.
    exact_viewport(browser, 1600, 1000)
    browser.get(app_url + "/")
    wait_for_map(browser)
    wait_for_js(browser, "return window.liveMap && window.liveMap.tickets.size >= arguments[0] && "
                         "window.liveMap.renders > 0;", LOAD, seconds=60, what="the 10,000 tickets on the map")
    drawn = wait_for_js(browser, "const d = (function () {" + DRAWN + "})(); "
                        "return d.clusters && d.inClusters + d.singles + d.standouts === d.held ? d : false;",
                        seconds=30, what="clusters that add up to every open ticket")
    symbols = drawn["clusters"] + drawn["singles"] + drawn["standouts"]
    assert symbols < 500, drawn
    assert drawn["inClusters"] > 0.9 * LOAD                  # the carpet of dots became clusters
    assert drawn["standouts"] >= 0.015 * LOAD               # priority-1 and breached tickets stay on their own
    assert set(drawn["urgency"]) <= {0, 1, 2, 3} and max(drawn["urgency"]) >= 1
    assert drawn["labels"] == drawn["clusters"]             # every cluster shows its count
    assert console_errors(browser) == []
