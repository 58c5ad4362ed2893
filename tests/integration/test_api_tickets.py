"""/api/v1 tickets: create, read with history, list with filters, transitions, merge, evaluation, supervision,
channels (hotline, 110, grid workers), and every error code — on the real database through the Flask client."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from tests.fresh import new_phone, unique
from tests.integration.api_helpers import error_of, ticket_body

OFFSET = re.compile(r"[+-]\d\d:\d\d$")


def create(client, auth, body, **headers):
    answer = client.post("/api/v1/tickets", json=body, headers={**auth, **headers})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["ticket"]


def move(client, auth, number, action, **fields):
    answer = client.post(f"/api/v1/tickets/{number}/transitions", json={"action": action, **fields}, headers=auth)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


# ------------------------------------------------------------------------------------------------ create / read

def test_a_created_ticket_reads_back_with_its_history(client, auth, spot, key_name):
    body = ticket_body(spot, citizen_phone="138-1234-5678", attributes={"楼层": 3})
    answer = client.post("/api/v1/tickets", json=body, headers=auth)
    assert answer.status_code == 201
    ticket = answer.get_json()["ticket"]
    assert answer.headers["Location"] == f"/api/v1/tickets/{ticket['number']}"
    assert re.fullmatch(r"\d{8}-\d{6}", ticket["number"])
    assert ticket["state"] == "registered" and ticket["channel"] == "api" and ticket["registered_by"] == key_name
    assert ticket["grid_code"] == spot["grid_code"] and ticket["citizen_phone"] == "13812345678"
    assert ticket["attributes"] == {"楼层": 3} and "id" not in ticket
    assert OFFSET.search(ticket["registered_at"]) and OFFSET.search(ticket["resolve_due_at"])
    assert datetime.fromisoformat(ticket["registered_at"]) > datetime.now(timezone.utc) - timedelta(minutes=5)

    read = client.get(f"/api/v1/tickets/{ticket['number']}", headers=auth)
    assert read.status_code == 200
    assert read.get_json()["ticket"] == ticket
    events = read.get_json()["events"]
    assert [e["action"] for e in events] == ["register"] and events[0]["to_state"] == "registered"
    assert OFFSET.search(events[0]["at"])


def test_an_address_locates_the_ticket(client, auth, spot):
    ticket = create(client, auth, ticket_body(spot, lat=None, lon=None, address="胜利路12号"))
    assert ticket["grid_code"] == spot["grid_code"] and ticket["address"] == "胜利路12号"


def test_a_grid_code_locates_the_ticket(client, auth, spot):
    ticket = create(client, auth, ticket_body(spot, lat=None, lon=None, grid_code=spot["grid_code"]))
    assert ticket["grid_code"] == spot["grid_code"]


def test_a_refiling_links_to_the_original(client, auth, spot):
    original = create(client, auth, ticket_body(spot))
    again = create(client, auth, ticket_body(spot, channel="hotline", related_number=original["number"]))
    assert again["related_number"] == original["number"] and "escalated_filing" in again["flags"]
    assert "refiled_higher" in client.get(f"/api/v1/tickets/{original['number']}",
                                          headers=auth).get_json()["ticket"]["flags"]


def test_a_nearby_open_ticket_of_the_same_category_is_offered_as_duplicate(client, auth, engine):
    # A random point well inside a random cell (only 5 look-alikes are offered: earlier runs must not crowd it out)
    with engine.connect() as conn:
        lon, lat = conn.execute(text("""
            SELECT ST_X(p), ST_Y(p) FROM (SELECT (ST_Dump(ST_GeneratePoints(ST_Buffer(geom, -0.0006), 1))).geom p
            FROM grids WHERE ST_Area(ST_Buffer(geom, -0.0006)) > 0 ORDER BY random() LIMIT 1) q""")).one()
    here = {"lat": lat, "lon": lon}
    first = create(client, auth, ticket_body(here, category="greening", address="胜利路12号"))
    near = {"lat": here["lat"] + 0.0003, "lon": here["lon"]}      # ~33 m north
    answer = client.post("/api/v1/tickets", json=ticket_body(near, category="greening"), headers=auth)
    duplicates = answer.get_json()["duplicates"]
    assert first["number"] in [d["number"] for d in duplicates]
    assert 25 < next(d["metres"] for d in duplicates if d["number"] == first["number"]) < 40
    assert all("citizen_phone" not in d for d in duplicates)
    offered = next(d for d in duplicates if d["number"] == first["number"])
    assert first["address"] == "胜利路12号" and offered["address"].endswith("网格")   # the place, not the typed one
    anonymous = client.post("/api/v1/tickets", json=ticket_body(near, category="greening", channel="web"))
    assert anonymous.status_code == 201 and anonymous.get_json()["duplicates"] == []
    for number in (first["number"], answer.get_json()["ticket"]["number"],
                   anonymous.get_json()["ticket"]["number"]):                   # leave no open look-alikes behind
        move(client, auth, number, "refuse", reason="测试")


def test_anonymous_callers_may_file_on_the_web_channel(client, spot):
    answer = client.post("/api/v1/tickets", json=ticket_body(spot, channel="web"))
    assert answer.status_code == 201 and answer.get_json()["ticket"]["registered_by"] is None


def test_anonymous_callers_may_not_pose_as_the_hotline_or_set_a_priority(client, spot):
    assert error_of(client.post("/api/v1/tickets", json=ticket_body(spot, channel="hotline")))["field"] == "channel"
    answer = client.post("/api/v1/tickets", json=ticket_body(spot, priority=1))
    assert answer.status_code == 401 and error_of(answer)["field"] == "priority"


# ------------------------------------------------------------------------------------------------ 110, grid workers

def test_a_110_incident_keeps_its_priority_and_incident_number(client, auth, spot):
    ticket = create(client, auth, ticket_body(spot, channel="police_110", category="public_security", priority=1,
                                              source_ref="110-20261126-0042"))
    assert (ticket["channel"], ticket["priority"], ticket["source_ref"]) == ("police_110", 1, "110-20261126-0042")


@pytest.mark.parametrize("missing", ["priority", "source_ref"])
def test_a_110_incident_without_priority_or_number_is_refused(client, auth, spot, missing):
    body = ticket_body(spot, channel="police_110", category="public_security", priority=2, source_ref="110-1")
    del body[missing]
    answer = client.post("/api/v1/tickets", json=body, headers=auth)
    assert answer.status_code == 400 and error_of(answer)["field"] == missing


def test_a_grid_worker_reports_with_a_photo_from_their_own_grid(client, worker_auth, auth, worker_crew, spot):
    body = ticket_body(spot, lat=None, lon=None, category="sanitation", description="楼道堆放杂物",
                       media_url="https://photos.example/wgy/1.jpg")
    ticket = create(client, worker_auth, body)
    assert ticket["channel"] == "grid_worker" and ticket["registered_by"] == worker_crew["code"]
    assert ticket["grid_code"] == worker_crew["grid_code"] and ticket["media_url"].endswith("/1.jpg")
    events = client.get(f"/api/v1/tickets/{ticket['number']}", headers=auth).get_json()["events"]
    assert events[0]["actor"] == worker_crew["code"]


def test_a_grid_worker_report_needs_a_photo(client, worker_auth, spot):
    answer = client.post("/api/v1/tickets", json=ticket_body(spot, channel="grid_worker"), headers=worker_auth)
    assert answer.status_code == 400 and error_of(answer)["field"] == "media_url"
    answer = client.post("/api/v1/tickets", json=ticket_body(spot, media_url="ftp://x/y.jpg"), headers=worker_auth)
    assert answer.status_code == 400 and error_of(answer)["field"] == "media_url"


def test_only_a_grid_workers_key_files_as_grid_worker_and_only_so(client, auth, worker_auth, spot):
    photo = "https://photos.example/2.jpg"
    answer = client.post("/api/v1/tickets", json=ticket_body(spot, channel="grid_worker", media_url=photo),
                         headers=auth)
    assert answer.status_code == 403 and error_of(answer)["field"] == "channel"
    answer = client.post("/api/v1/tickets", json=ticket_body(spot, channel="hotline", media_url=photo),
                         headers=worker_auth)
    assert answer.status_code == 403


# ------------------------------------------------------------------------------------------------ list

def test_the_list_filters_by_phone_category_channel_state_and_time(client, auth, spot):
    phone = new_phone()
    road = create(client, auth, ticket_body(spot, citizen_phone=phone))
    light = create(client, auth, ticket_body(spot, citizen_phone=phone, category="streetlight", channel="hotline"))

    def numbers(query: str) -> list[str]:
        answer = client.get(f"/api/v1/tickets?phone={phone}&{query}", headers=auth)
        assert answer.status_code == 200, answer.get_json()
        return [t["number"] for t in answer.get_json()["tickets"]]

    assert numbers("") == [light["number"], road["number"]]            # newest first
    assert numbers("category=road_damage") == [road["number"]]
    assert numbers("category=road_damage,streetlight") == [light["number"], road["number"]]
    assert numbers("channel=hotline") == [light["number"]]
    assert numbers("state=registered&category=streetlight") == [light["number"]]
    assert numbers("state=closed") == []
    both = [light["number"], road["number"]]
    assert numbers(f"grid={spot['grid_code']}&street={road['street_code']}&community={road['community_code']}"
                   f"&department={road['lead_department_code']}") == both
    assert numbers("department=water") == [] and numbers("grid=00000000000000") == []
    since = road["registered_at"].replace("+", "%2B")
    assert numbers(f"since={since}") == [light["number"], road["number"]]
    assert numbers("since=2999-01-01") == [] and numbers("until=2000-01-01") == []
    page = client.get(f"/api/v1/tickets?phone={phone}&limit=1", headers=auth).get_json()
    assert len(page["tickets"]) == 1 and page["next_offset"] == 1
    rest = client.get(f"/api/v1/tickets?phone={phone}&limit=1&offset=1", headers=auth).get_json()
    assert [t["number"] for t in rest["tickets"]] == [road["number"]]


@pytest.mark.parametrize("query, field", [
    ("state=lost", "state"), ("category=unicorns", "category"), ("channel=pigeon", "channel"),
    ("limit=0", "limit"), ("limit=abc", "limit"), ("offset=-1", "offset"), ("since=yesterday", "since"),
    ("since=2026-02-01&until=2026-01-01", "until"), ("phone=12", "phone"), ("colour=red", "colour"),
])
def test_bad_list_filters_are_refused_naming_the_parameter(client, auth, query, field):
    answer = client.get(f"/api/v1/tickets?{query}", headers=auth)
    assert answer.status_code == 400 and error_of(answer)["field"] == field


# ------------------------------------------------------------------------------------------------ transitions

def sms_token(number: str) -> str:
    """The token of the citizen's SMS link (only the database and the SMS hold it; no API answer does)."""
    from geo.db import get_engine
    with get_engine().connect() as conn:
        return conn.execute(text("SELECT evaluation_token FROM tickets WHERE number = :n"), {"n": number}).scalar()


def test_no_api_answer_carries_the_evaluation_token(client, auth, spot):
    created = create(client, auth, ticket_body(spot))
    number = created["number"]
    move(client, auth, number, "dispatch")
    move(client, auth, number, "accept")
    resolved = move(client, auth, number, "resolve")
    token = sms_token(number)
    assert token and resolved["notice"] and token not in repr(resolved)
    for path in (f"/api/v1/tickets/{number}", f"/api/v1/tickets?state=resolved&limit=500"):
        body = client.get(path, headers=auth).get_data(as_text=True)
        assert number in body and token not in body and "evaluation_token" not in body, path
    assert "evaluation_token" not in repr(created)
    assert "evaluation_token" not in client.get("/api/v1/openapi.json").get_data(as_text=True)
    client.post(f"/api/v1/evaluations/{token}", json={"satisfaction": "satisfied"})


def test_a_ticket_goes_through_its_life_and_the_citizen_evaluates_it(client, auth, spot, key_name):
    number = create(client, auth, ticket_body(spot))["number"]
    assert move(client, auth, number, "dispatch", department="cgj")["ticket"]["state"] == "dispatched"
    assert move(client, auth, number, "accept")["ticket"]["allowed_actions"] == [
        "return", "arrive", "resolve", "escalate", "joint_meeting"]
    resolved = move(client, auth, number, "resolve")
    assert resolved["ticket"]["state"] == "resolved"
    token = sms_token(number)

    answer = client.post(f"/api/v1/evaluations/{token}", json={"satisfaction": "satisfied", "comment": "很快"})
    assert answer.status_code == 200
    assert answer.get_json()["evaluation"]["state"] == "closed"
    assert "citizen_phone" not in answer.get_json()["evaluation"]
    history = client.get(f"/api/v1/tickets/{number}", headers=auth).get_json()["events"]
    assert [e["action"] for e in history] == ["register", "dispatch", "accept", "resolve", "evaluate", "close"]
    assert history[1]["actor"] == key_name and history[1]["data"] == {"department": "cgj"}

    again = client.post(f"/api/v1/evaluations/{token}", json={"satisfaction": "satisfied"})
    assert again.status_code == 409 and "closed" in error_of(again)["message"]


def test_an_unsatisfied_citizen_reopens_the_ticket(client, auth, spot):
    number = create(client, auth, ticket_body(spot))["number"]
    move(client, auth, number, "dispatch")
    move(client, auth, number, "arrive")
    move(client, auth, number, "resolve")
    answer = client.post(f"/api/v1/evaluations/{sms_token(number)}",
                         json={"satisfaction": "unsatisfied", "comment": "没修好"})
    assert answer.get_json()["evaluation"]["state"] == "reopened"


def test_bad_evaluations_are_refused(client):
    assert client.post("/api/v1/evaluations/no-such-token", json={"satisfaction": "satisfied"}).status_code == 404
    answer = client.post("/api/v1/evaluations/whatever", json={"satisfaction": "great"})
    assert answer.status_code == 400 and error_of(answer)["field"] == "satisfaction"


def test_a_forbidden_transition_is_409_and_says_what_is_allowed(client, auth, spot):
    number = create(client, auth, ticket_body(spot))["number"]
    answer = client.post(f"/api/v1/tickets/{number}/transitions", json={"action": "resolve"}, headers=auth)
    assert answer.status_code == 409
    error = error_of(answer)
    assert error["code"] == "transition_refused" and "registered" in error["message"]
    assert "accepted" in error["message"]      # where resolve is allowed from
    state = client.get(f"/api/v1/tickets/{number}", headers=auth).get_json()["ticket"]["state"]
    assert state == "registered"


def test_bad_transition_requests_are_400_naming_the_field(client, auth, spot):
    number = create(client, auth, ticket_body(spot))["number"]
    url = f"/api/v1/tickets/{number}/transitions"
    assert error_of(client.post(url, json={"action": "fly"}, headers=auth))["field"] == "action"
    assert error_of(client.post(url, json={"action": "refuse"}, headers=auth))["field"] == "reason"
    assert error_of(client.post(url, json={"action": "merge", "reason": "重复"}, headers=auth))["field"] == "data.into"
    assert error_of(client.post(url, json={"action": "dispatch", "data": [1]}, headers=auth))["field"] == "data"
    assert error_of(client.post(url, json={"action": "dispatch", "when": 1}, headers=auth))["field"] == "when"
    assert error_of(client.post(url, json={"action": "dispatch", "department": "nasa"}, headers=auth))["field"] \
        == "department"
    assert error_of(client.post(url, json={"action": "dispatch", "crew": "NO-CREW"}, headers=auth))["field"] == "crew"
    move(client, auth, number, "dispatch")
    for data, field in (({"meeting_date": "next week"}, "data.meeting_date"), ({"meeting_date": 20261126},
                        "data.meeting_date"), ({"departments": "cgj"}, "data.departments"),
                        ({"departments": []}, "data.departments"), ({"decision": ["a"]}, "data.decision")):
        answer = client.post(url, json={"action": "joint_meeting", "data": data}, headers=auth)
        assert answer.status_code == 400 and error_of(answer)["field"] == field, data
    meeting = move(client, auth, number, "joint_meeting",
                   data={"departments": ["cgj", "jtj"], "meeting_date": "2026-11-30", "decision": "联合修复"})
    assert meeting["ticket"]["state"] == "joint_meeting"


def test_transitions_of_an_unknown_ticket_are_404(client, auth):
    answer = client.post("/api/v1/tickets/19990101-000001/transitions", json={"action": "accept"}, headers=auth)
    assert answer.status_code == 404 and error_of(answer)["code"] == "not_found"
    assert client.get("/api/v1/tickets/19990101-000001", headers=auth).status_code == 404


def test_a_duplicate_is_merged_into_the_first_ticket(client, auth, spot):
    first = create(client, auth, ticket_body(spot))["number"]
    second = create(client, auth, ticket_body(spot))["number"]
    merged = move(client, auth, second, "merge", reason="同一处路面", data={"into": first})["ticket"]
    assert merged["state"] == "merged" and merged["merged_into_number"] == first
    answer = client.post(f"/api/v1/tickets/{first}/transitions",
                         json={"action": "merge", "reason": "x", "data": {"into": first}}, headers=auth)
    assert answer.status_code == 409


def test_transitions_accept_an_idempotency_key_and_store_nothing(client, auth, spot):
    number = create(client, auth, ticket_body(spot))["number"]
    url = f"/api/v1/tickets/{number}/transitions"
    headers = {**auth, "Idempotency-Key": unique("move")}
    assert client.post(url, json={"action": "dispatch"}, headers=headers).status_code == 200
    assert client.post(url, json={"action": "dispatch"}, headers=headers).status_code == 409


# ------------------------------------------------------------------------------------------------ supervision

def test_an_escalated_ticket_is_supervised_and_actions_are_recorded(client, auth, spot, key_name):
    number = create(client, auth, ticket_body(spot))["number"]
    move(client, auth, number, "escalate", reason="超时未派单")
    listed = client.get("/api/v1/supervisions", headers=auth).get_json()["supervisions"]
    mine = [s for s in listed if s["number"] == number]
    assert len(mine) == 1 and mine[0]["level"] == 1 and mine[0]["actions"] == 0
    answer = client.post(f"/api/v1/supervisions/{mine[0]['id']}/actions", json={"note": "已电话催办"}, headers=auth)
    assert answer.status_code == 201 and answer.get_json()["action"]["actor"] == key_name
    listed = client.get("/api/v1/supervisions?all=true", headers=auth).get_json()["supervisions"]
    assert [s["actions"] for s in listed if s["number"] == number] == [1]
    answer = client.post(f"/api/v1/supervisions/{mine[0]['id']}/actions", json={"note": "  "}, headers=auth)
    assert answer.status_code == 400 and error_of(answer)["field"] == "note"


def test_actions_on_an_unknown_supervision_are_404(client, auth):
    for sid in ("987654321012", "99999999999999999999999999"):
        answer = client.post(f"/api/v1/supervisions/{sid}/actions", json={"note": "催办"}, headers=auth)
        assert answer.status_code == 404 and error_of(answer)["code"] == "not_found"


# ------------------------------------------------------------------------------------------------ open reads

def test_categories_and_place_suggestions_are_open(client):
    categories = client.get("/api/v1/categories").get_json()["categories"]
    heating = next(c for c in categories if c["code"] == "heating_cold")
    assert heating["name"] == "室温不达标" and {v["code"] for v in heating["variants"]} == {"indoor", "outdoor"}
    places = client.get("/api/v1/places?q=胜利路1&limit=3").get_json()["places"]
    assert 1 <= len(places) <= 3 and all("胜利路" in p["name"] for p in places)
    assert error_of(client.get("/api/v1/places?q="))["field"] == "q"


# ------------------------------------------------------------------------------------------------ errors

def test_reads_of_personal_data_need_a_key(client, spot, auth):
    number = create(client, auth, ticket_body(spot))["number"]
    for url in ("/api/v1/tickets", f"/api/v1/tickets/{number}", "/api/v1/supervisions"):
        answer = client.get(url)
        assert answer.status_code == 401 and error_of(answer)["code"] == "missing_api_key"
        answer = client.get(url, headers={"X-API-Key": "td_not-a-key"})
        assert answer.status_code == 401 and error_of(answer)["code"] == "invalid_api_key"
    assert client.get(f"/api/v1/tickets/{number}", headers=auth).status_code == 200


def test_a_revoked_key_is_403(client, spot):
    from services.api_keys import create_api_key, set_active
    from geo.api_keys import delete_api_key
    from geo.db import get_engine
    name = unique("test-revoked")
    key = create_api_key(name)
    try:
        assert client.get("/api/v1/tickets?limit=1", headers={"X-API-Key": key}).status_code == 200
        set_active(name, False)
        answer = client.get("/api/v1/tickets?limit=1", headers={"X-API-Key": key})
        assert answer.status_code == 403 and error_of(answer)["code"] == "api_key_revoked"
        answer = client.post("/api/v1/tickets", json=ticket_body(spot), headers={"X-API-Key": key})
        assert answer.status_code == 403
    finally:
        with get_engine().begin() as conn:
            delete_api_key(conn, name)


@pytest.mark.parametrize("fields, field", [
    ({"lat": 39.9042, "lon": 116.4074}, "location"),             # Beijing: outside the district
    ({"lon": None}, "location"),                                  # lat without lon
    ({"lat": "41.1"}, "lat"),                                     # a string for a number
    ({"lat": True}, "lat"),
    ({"priority": "1"}, "priority"), ({"priority": 9}, "priority"), ({"priority": 1.5}, "priority"),
    ({"description": "坑" * 4001}, "description"),
    ({"description": ""}, "description"), ({"description": 42}, "description"),
    ({"category": "unicorns"}, "category"), ({"category": None}, "category"),
    ({"channel": "elder_phone"}, "channel"), ({"channel": "carrier_pigeon"}, "channel"),
    ({"variant": "outdoor"}, "variant"), ({"attributes": [1, 2]}, "attributes"),
    ({"citizen_phone": "call me"}, "citizen_phone"), ({"related_number": "19990101-000001"}, "related_number"),
    ({"grid_code": "nowhere", "lat": None, "lon": None}, "grid_code"),
    ({"address": "火星路1号", "lat": None, "lon": None}, "address"),
    ({"lat": None, "lon": None}, "location"),
    ({"latitude": 41.1}, "latitude"),
    ({"lat": 10 ** 400}, "lat"),
])
def test_malformed_tickets_are_400_naming_the_field(client, auth, spot, fields, field):
    answer = client.post("/api/v1/tickets", json=ticket_body(spot, **fields), headers=auth)   # None = left out
    assert answer.status_code == 400, answer.get_json()
    assert error_of(answer)["field"] == field


@pytest.mark.parametrize("data, content_type, status", [
    ("category=road_damage", "application/x-www-form-urlencoded", 415),
    ("{}", "text/plain", 415),
    ("{not json", "application/json", 400),
    ('{"lat": NaN}', "application/json", 400),
    ("[1, 2, 3]", "application/json", 400),
    ('"a string"', "application/json", 400),
    ("", "application/json", 400),
    (b"\xff\xfe\x00", "application/json", 400),
    ('{"description": "' + "x" * 300_000 + '"}', "application/json", 413),
])
def test_bodies_that_are_not_a_json_object_are_refused(client, auth, data, content_type, status):
    answer = client.post("/api/v1/tickets", data=data, content_type=content_type, headers=auth)
    assert answer.status_code == status
    error_of(answer)


def test_unknown_paths_and_methods_answer_json(client, auth):
    answer = client.get("/api/v1/nothing-here")
    assert answer.status_code == 404 and error_of(answer)["code"] == "not_found"
    answer = client.delete("/api/v1/tickets", headers=auth)
    assert answer.status_code == 405 and answer.headers["Allow"] == "GET, POST"
    assert error_of(answer)["code"] == "method_not_allowed"
