"""The live map in a browser test: open it until its feed is connected, and make tickets for it to show."""
from __future__ import annotations

import json
import urllib.request
import uuid

from harness.browser import wait_for_js
from harness.mapclick import wait_for_map

LIVE_READY = "return !!(window.liveMap && window.liveMap.map && window.liveMap.connected);"


def open_live(driver, url: str) -> None:
    driver.get(url)
    wait_for_map(driver)
    wait_for_js(driver, LIVE_READY, seconds=30)


def post_ticket(app_url: str, lon: float, lat: float, **extra) -> str:
    body = json.dumps({"category": "water_leak", "description": f"e2e 漏水 {uuid.uuid4().hex[:6]}", "lon": lon,
                       "lat": lat, "citizen_name": "李明华", "citizen_phone": "13812345678", **extra}).encode()
    request = urllib.request.Request(app_url + "/api/v1/tickets", data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "X-API-Key": extra.pop("api_key", "") if "api_key" in extra else ""})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())["ticket"]["number"]


def create_ticket_direct(lon: float, lat: float) -> str:
    from services.tickets import NewTicket, create_ticket
    from workorders.policy import system_principal
    return create_ticket(NewTicket(channel="hotline", category="water_leak", description="e2e 漏水", lon=lon,
                                   lat=lat, citizen_name="李明华", citizen_phone="13812345678"),
                         system_principal("测试")).ticket["number"]


# Every answer of the page's Dash callbacks from the call of watch_answers on: the ids of the components each one
# redraws ([] for a 204, which redraws nothing).
WATCH_ANSWERS = """window.dashAnswers = [];
    const plain = window.fetch;
    window.fetch = function () {
        return plain.apply(this, arguments).then(function (answer) {
            if (answer.url.includes('_dash-update-component')) {
                answer.clone().text().then(function (body) {
                    try { window.dashAnswers.push(Object.keys(JSON.parse(body).response || {})); }
                    catch (e) { window.dashAnswers.push([]); }
                });
            }
            return answer;
        });
    };"""


def watch_answers(driver) -> None:
    driver.execute_script(WATCH_ANSWERS)


def answers(driver) -> int:
    """How many callback answers came since watch_answers."""
    return driver.execute_script("return (window.dashAnswers || []).length;")


def redrawn(driver, component_id: str) -> int:
    """How many of them redrew ``component_id``."""
    return driver.execute_script("return (window.dashAnswers || []).filter(a => a.includes(arguments[0])).length;",
                                 component_id)
