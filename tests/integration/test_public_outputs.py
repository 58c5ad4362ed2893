"""What public and shared outputs reveal, tried as their audience would: the wall screen's callback, the citizen's
/track/<number> page (anonymous), and the exports' header and audit entries.

Open311 GET, the live feed's variants and the evaluation token have their tests beside their doors
(test_open311_api, test_live_feed, test_api_tickets)."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest

from workorders.policy import system_principal as sp
from openpyxl import load_workbook
from sqlalchemy import text

from harness.signing_in import csrf_headers, make_user, sign_in, signed_in_client
from services.tickets import NewTicket, create_ticket, transition
from tests.integration.dash_requests import callback_body, router_body

WALL_OUTPUTS = ("wall-tiles", "wall-categories", "wall-streets", "wall-hours", "wall-crews", "wall-overdue",
                "wall-at-risk", "wall-ticker")
WALL = ".." + "...".join(f"{i}.children" for i in WALL_OUTPUTS) + ".."
NAME, PHONE, ADDRESS, WORDS = "欧阳娜娜", "13700009999", "和平路77号4单元", "欧阳家楼道漏水"


@pytest.fixture(scope="module")
def server(engine):
    from app import app as dash_app
    dash_app.server.test_client().get("/healthz")     # Dash registers its page router at the first request
    return dash_app.server


@pytest.fixture(scope="module")
def citizens_ticket(engine):
    with engine.connect() as conn:
        lon, lat = conn.execute(text("""SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))
                                        FROM grids ORDER BY code LIMIT 1""")).one()
    ticket = create_ticket(NewTicket(channel="hotline", category="water_leak", description=WORDS, lon=lon, lat=lat,
                                     address=ADDRESS, citizen_name=NAME, citizen_phone=PHONE), sp("tests")).ticket
    transition(ticket["number"], "dispatch", sp("调度员"), reason=f"请联系{NAME} {PHONE}")
    yield ticket
    transition(ticket["number"], "refuse", sp("public-tests"), reason="测试工单")


def private_values() -> tuple[str, ...]:
    # The full values and the masked forms (欧**, 137****9999): the wall gets neither.
    return NAME, PHONE, ADDRESS, WORDS, "欧*", "****9999"


@pytest.fixture
def escalated_ticket(citizens_ticket):
    """The same citizen's second call, escalated: the newest event of the wall's ticker (shown by its place)."""
    request = NewTicket(channel="hotline", category="water_leak", description=WORDS, lon=citizens_ticket["lon"],
                        lat=citizens_ticket["lat"], address=ADDRESS, citizen_name=NAME, citizen_phone=PHONE)
    ticket = create_ticket(request, sp("tests")).ticket
    transition(ticket["number"], "escalate", sp("public-tests"), reason=f"大屏测试升级 {NAME}")
    yield ticket
    transition(ticket["number"], "dispatch", sp("public-tests"), department=ticket["lead_department_code"])
    transition(ticket["number"], "refuse", sp("public-tests"), reason="测试工单")


def test_the_wall_screen_shows_no_name_or_phone_not_even_masked(server, escalated_ticket):
    citizens_ticket = escalated_ticket
    wall = signed_in_client(server, "wall")
    body = {"output": WALL, "outputs": [{"id": i, "property": "children"}
                                        for i in WALL_OUTPUTS],
            "inputs": [{"id": "wall-tick", "property": "n_intervals", "value": 1}], "state": [],
            "changedPropIds": ["wall-tick.n_intervals"]}
    answer = wall.post("/_dash-update-component", json=body, headers=csrf_headers(wall))
    assert answer.status_code == 200
    shown = json.dumps(answer.get_json(), ensure_ascii=False)
    assert citizens_ticket["community_name"] in shown          # the newest ticket is there: by its place
    for private in private_values():
        assert private not in shown, private
    layout = json.dumps(wall.post("/_dash-update-component", json=router_body("/wall"),
                                  headers=csrf_headers(wall)).get_json(), ensure_ascii=False)
    assert "wall-ticker" in layout and not any(p in layout for p in private_values())


def test_the_tracking_page_shows_progress_and_no_personal_data(server, citizens_ticket):
    anonymous = server.test_client()
    anonymous.get("/track")                                    # the CSRF cookie a browser would have
    answer = anonymous.post("/_dash-update-component", json=router_body(f"/track/{citizens_ticket['number']}"),
                            headers=csrf_headers(anonymous))
    assert answer.status_code == 200
    page = json.dumps(answer.get_json(), ensure_ascii=False)
    assert citizens_ticket["number"] in page and "已派单" in page
    for private in (NAME, PHONE, ADDRESS, WORDS, "欧*", "****9999", "请联系"):
        assert private not in page, private


@pytest.mark.parametrize("path, fmt", [("department-scores", "csv"), ("statistics", "xlsx")])
def test_an_export_says_who_made_it_and_when_and_is_audited(server, engine, path, fmt):
    username, password = make_user("supervisor")
    supervisor = server.test_client()
    sign_in(supervisor, username, password)
    answer = supervisor.get(f"/exports/{path}.{fmt}?start=2026-01-01&end=2026-03-31&dimension=street")
    assert answer.status_code == 200
    first = (next(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))[0] if fmt == "csv" else
             load_workbook(io.BytesIO(answer.data)).active["A1"].value)
    assert re.fullmatch(rf".+ 2026-01-01至2026-03-31 · 导出人 .+（{username}） · 导出时间 \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d",
                        first), first
    with engine.connect() as conn:
        entries = conn.execute(text("""SELECT action, target, outcome, detail FROM audit_log
                                       WHERE actor = :u AND action = 'export'"""), {"u": username}).all()
    assert len(entries) == 1
    action, target, outcome, detail = entries[0]
    assert outcome == "success" and target.endswith(f"2026-01-01_2026-03-31.{fmt}") and target.startswith(path)
    assert detail["start"] == "2026-01-01" and detail["end"] == "2026-03-31"


def test_the_leaders_map_panel_shows_the_place_not_the_address_nor_the_citizen(server, citizens_ticket):
    """The command map (/) is open to the leader read-only; a clicked ticket shows the place, while the dispatcher
    (who may read tickets) sees the typed address and the masked citizen."""
    body = callback_body("..grid-panel-body.children...grid-panel.className...grid-panel-state.data..")
    clicked = {"number": citizens_ticket["number"]}
    body["inputs"] = [{"id": "command-map", "property": "clickData", "value": None},
                      {"id": "live-selected-ticket", "property": "data", "value": clicked},
                      [], [], {"id": "grid-panel-close", "property": "n_clicks", "value": None}]
    body["state"] = [{"id": "grid-panel-state", "property": "data", "value": None}]
    body["changedPropIds"] = ["live-selected-ticket.data"]
    shown = {}
    for role in ("leader", "dispatcher"):
        viewer = signed_in_client(server, role)
        answer = viewer.post("/_dash-update-component", json=body, headers=csrf_headers(viewer))
        assert answer.status_code == 200
        shown[role] = json.dumps(answer.get_json(), ensure_ascii=False)
        assert citizens_ticket["number"] in shown[role] and NAME not in shown[role] and PHONE not in shown[role]
    assert ADDRESS not in shown["leader"] and "欧*" not in shown["leader"] and "137****9999" not in shown["leader"]
    assert f"{citizens_ticket['street_name']}{citizens_ticket['grid_name']}" in shown["leader"]
    assert ADDRESS in shown["dispatcher"] and "137****9999" in shown["dispatcher"]


def test_the_live_message_of_a_resolve_carries_no_evaluation_token(engine, citizens_ticket):
    """The stream reaches every open screen: the outbox row of the resolve (what the relay publishes) and the
    batch a browser gets from it hold neither the token nor the SMS."""
    from events.bus import live_streams
    from events.relay import stream_fields
    from services import live
    other = create_ticket(NewTicket(channel="hotline", category="water_leak", description=WORDS,
                                    lon=citizens_ticket["lon"], lat=citizens_ticket["lat"], citizen_name=NAME,
                                    citizen_phone=PHONE), sp("tests")).ticket["number"]
    transition(other, "dispatch", sp("调度员"))
    transition(other, "accept", sp("供水"))
    resolved = transition(other, "resolve", sp("供水"))
    token = resolved.ticket["evaluation_token"]
    assert token and token in resolved.sms and token not in resolved.notice
    with engine.connect() as conn:
        rows = conn.execute(text("""SELECT id, topic, event_type, created_at, payload FROM outbox
                                    WHERE payload->'ticket'->>'number' = :n ORDER BY id"""), {"n": other}).mappings()
        entries = [(live_streams()[0], f"{i + 1}-0", stream_fields(dict(r))) for i, r in enumerate(rows)]
    assert len(entries) == 4 and not any(token in json.dumps(e[2], ensure_ascii=False) for e in entries)
    for variant in live.VARIANTS:
        assert token not in json.dumps(live.to_batch(entries, variant), ensure_ascii=False)
    transition(other, "close", sp("public-tests"))
