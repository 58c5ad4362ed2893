"""Open311 GeoReport v2 against the real test database: shapes in XML and JSON, filters, POST, errors.

Requests go to the real app (app.server): the dashboard's page router catches every GET path, so the tests also
prove that unknown paths under /open311/v2 get the spec's errors and not the Dash page. Tickets created here are
refused at the end (a final state), so no test leaves an open ticket for escalation or duplicate checks elsewhere;
the bulk rows for the 1,000-row cap are deleted.
"""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest
from sqlalchemy import text

from geo import tickets as geo_tickets
from services.tickets import categories, transition
from tests.integration.api_helpers import add_api_key
from workorders.policy import system_principal as sp
from workorders.states import TransitionRefused

V2 = "/open311/v2"
SERVICE_FIELDS = ("service_code", "service_name", "description", "metadata", "type", "keywords", "group")
REQUEST_FIELDS = ("service_request_id", "status", "status_notes", "service_name", "service_code",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "lat", "long", "media_url")
ATTRIBUTE_FIELDS = ("variable", "code", "datatype", "required", "datatype_description", "order", "description",
                    "values")


# ------------------------------------------------------------------------------------------------ fixtures

@pytest.fixture(scope="module")
def client(engine):
    from app import server
    return server.test_client()


@pytest.fixture(scope="module")
def api_key(engine):
    """A live key and a disabled one, under names unique to this run; removed afterwards."""
    run = uuid.uuid4().hex[:8]
    key, name = f"o311-{run}-live", f"open311-test-{run}"
    add_api_key(engine, name, key)
    add_api_key(engine, f"{name}-off", f"o311-{run}-off", active=False)
    yield {"key": key, "name": name, "disabled": f"o311-{run}-off"}
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM api_keys WHERE name IN (:a, :b)"), {"a": name, "b": f"{name}-off"})


@pytest.fixture(scope="module")
def place(engine):
    """A gazetteer building and a point inside the district."""
    with engine.connect() as conn:
        name, lon, lat, grid = conn.execute(text("""
            SELECT name, ST_X(geom), ST_Y(geom), grid_code FROM places WHERE kind = 'building'
            ORDER BY name LIMIT 1""")).one()
        grid_lon, grid_lat = geo_tickets.grid_point(conn, grid)
    return {"name": name, "lon": lon, "lat": lat, "grid": grid, "grid_lon": grid_lon, "grid_lat": grid_lat}


@pytest.fixture
def post(client, api_key, created, place):
    """POST a request (form-encoded, lat/long of the test place unless told otherwise); records what it made."""
    def send(fmt: str = "json", headers: dict | None = None, **fields):
        form = {"api_key": api_key["key"], "lat": str(place["grid_lat"]), "long": str(place["grid_lon"]), **fields}
        form = {k: v for k, v in form.items() if v is not None}
        answer = client.post(f"{V2}/requests.{fmt}", data=form, headers=headers or {})
        if answer.status_code == 200:
            number = (answer.get_json()[0]["service_request_id"] if fmt == "json" else
                      ET.fromstring(answer.data).findtext("request/service_request_id"))
            created.append(number)
        return answer
    return send


def ticket(engine, number: str) -> dict:
    with engine.connect() as conn:
        return geo_tickets.ticket_by_number(conn, number)


def xml_errors(answer) -> list[tuple[str, str]]:
    root = ET.fromstring(answer.data)
    assert answer.data.startswith(b'<?xml version="1.0" encoding="utf-8"?>') and root.tag == "errors"
    return [(e.findtext("code"), e.findtext("description")) for e in root.findall("error")]


def json_errors(answer) -> list[dict]:
    body = answer.get_json()
    assert isinstance(body, list) and all(set(e) == {"code", "description"} for e in body)
    return body


# ------------------------------------------------------------------------------------------------ services

def test_services_list_every_category_in_both_formats(client, engine):
    with engine.connect() as conn:
        catalogue = categories(conn)
    as_json = client.get(f"{V2}/services.json")
    as_xml = client.get(f"{V2}/services.xml")
    assert as_json.content_type == "application/json; charset=utf-8"
    assert as_xml.content_type == "text/xml; charset=utf-8"
    root = ET.fromstring(as_xml.data)
    assert root.tag == "services" and {c.tag for c in root} == {"service"}
    assert [s["service_code"] for s in as_json.get_json()] == [s.findtext("service_code") for s in root]
    assert {s.findtext("service_code") for s in root} == set(catalogue)
    for item in root:
        assert [c.tag for c in item] == list(SERVICE_FIELDS)
        assert item.findtext("type") == "realtime" and item.findtext("metadata") in ("true", "false")
        assert item.findtext("service_name") == catalogue[item.findtext("service_code")].name
    heating = next(s for s in as_json.get_json() if s["service_code"] == "heating_cold")
    assert heating["metadata"] is True and heating["group"] == "公用事业" and heating["service_name"] == "室温不达标"
    assert next(s for s in as_json.get_json() if s["service_code"] == "noise")["metadata"] is False


def _service(client, code: str) -> dict:
    return next(s for s in client.get(f"{V2}/services.json").get_json() if s["service_code"] == code)


def test_a_category_renamed_in_the_database_is_listed_at_once(client, engine):
    """The service list is kept in memory while the catalogue's stamp holds; raw SQL changes the stamp too."""
    _service(client, "noise")                              # the list is kept now
    with engine.begin() as conn:
        old = conn.execute(text("SELECT name FROM categories WHERE code = 'noise'")).scalar_one()
        conn.execute(text("UPDATE categories SET name = '噪声扰民（改）' WHERE code = 'noise'"))
    try:
        assert _service(client, "noise")["service_name"] == "噪声扰民（改）"
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE categories SET name = :n WHERE code = 'noise'"), {"n": old})
    assert _service(client, "noise")["service_name"] == old


def test_a_renamed_unit_is_listed_once_the_kept_list_is_old(client, engine, monkeypatch):
    """A unit's name is not under the catalogue's stamp: the kept list is read again after its maximum age."""
    from services import catalogue_memo
    with engine.connect() as conn:
        lead = categories(conn)["noise"].lead
    _service(client, "noise")
    with engine.begin() as conn:
        old = conn.execute(text("SELECT name FROM departments WHERE code = :c"), {"c": lead}).scalar_one()
        conn.execute(text("UPDATE departments SET name = '改名的单位' WHERE code = :c"), {"c": lead})
    try:
        assert "改名的单位" not in _service(client, "noise")["description"]     # kept, within its age
        monkeypatch.setattr(catalogue_memo, "LEAD_NAMES_MAX_AGE_S", 0.0)
        assert "承办单位：改名的单位。" in _service(client, "noise")["description"]
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE departments SET name = :n WHERE code = :c"), {"n": old, "c": lead})


def test_heating_definition_offers_the_catalogue_variants(client, engine):
    with engine.connect() as conn:
        variants = categories(conn)["heating_cold"].variants
    root = ET.fromstring(client.get(f"{V2}/services/heating_cold.xml").data)
    assert root.tag == "service_definition" and root.findtext("service_code") == "heating_cold"
    attributes = root.findall("attributes/attribute")
    for attribute in attributes:
        assert [c.tag for c in attribute] == list(ATTRIBUTE_FIELDS)
    variant = next(a for a in attributes if a.findtext("code") == "variant")
    assert variant.findtext("datatype") == "singlevaluelist" and variant.findtext("required") == "true"
    assert {v.findtext("key"): v.findtext("name") for v in variant.findall("values/value")} == {
        code: v.name for code, v in variants.items()}
    as_json = client.get(f"{V2}/services/heating_cold.json").get_json()
    assert [a["code"] for a in as_json["attributes"]] == [a.findtext("code") for a in attributes]
    assert [a["order"] for a in as_json["attributes"]] == list(range(1, len(attributes) + 1))


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_jurisdiction_and_format_are_404(client, fmt):
    for path in (f"services/ufo.{fmt}", f"services.{fmt}?jurisdiction_id=shenyang.heping",
                 f"requests.{fmt}?jurisdiction_id=shenyang.heping"):
        answer = client.get(f"{V2}/{path}")
        errors = json_errors(answer) if fmt == "json" else xml_errors(answer)
        assert answer.status_code == 404, path
        assert len(errors) == 1 and str(errors[0]["code"] if fmt == "json" else errors[0][0]) == "404"
    assert client.get(f"{V2}/services.{fmt}?jurisdiction_id=tiedong.anshan").status_code == 200


def test_unknown_formats_and_paths_are_404_in_xml(client):
    for path in ("requests.csv", "services.html", "services", "requests/20260101-000001.yaml", "nothing.json"):
        answer = client.get(f"{V2}/{path}")
        assert answer.status_code == 404, path
        if path != "nothing.json":
            assert xml_errors(answer)[0][0] == "404"
    assert json_errors(client.get(f"{V2}/nothing.json"))[0]["code"] == 404


def test_a_method_a_route_does_not_take_is_405_in_the_spec_shape(client):
    answer = client.delete(f"{V2}/requests.json")
    assert answer.status_code == 405 and json_errors(answer)[0]["code"] == 405
    assert answer.headers["Allow"] == "GET, POST"
    answer = client.post(f"{V2}/services.xml")
    assert answer.status_code == 405 and xml_errors(answer)[0][0] == "405" and answer.headers["Allow"] == "GET"
    assert client.post(f"{V2}/nothing.json").status_code == 404
    assert client.delete(f"{V2}/nothing.json").status_code == 404


# ------------------------------------------------------------------------------------------------ POST

def test_post_with_lat_long_answers_the_ticket_number_in_xml(post, engine, api_key, place):
    answer = post("xml", service_code="noise", description="楼上装修噪声", account_id="acct-42")
    assert answer.status_code == 200 and answer.content_type == "text/xml; charset=utf-8"
    root = ET.fromstring(answer.data)
    assert root.tag == "service_requests" and [c.tag for c in root] == ["request"]
    item = root.find("request")
    assert [c.tag for c in item] == ["service_request_id", "service_notice", "account_id"]
    assert item.findtext("account_id") == "acct-42" and "前办结" in item.findtext("service_notice")
    saved = ticket(engine, item.findtext("service_request_id"))
    assert (saved["channel"], saved["registered_by"], saved["category_code"]) == ("open311", api_key["name"], "noise")
    assert saved["grid_code"] == place["grid"] and saved["description"] == "楼上装修噪声"
    assert (round(saved["lat"], 9), round(saved["lon"], 9)) == (round(place["grid_lat"], 9),
                                                                round(place["grid_lon"], 9))


def test_post_with_an_address_string_is_placed_by_the_gazetteer(post, engine, place):
    answer = post(service_code="streetlight", lat=None, long=None, address_string=place["name"])
    assert answer.status_code == 200, answer.data
    saved = ticket(engine, answer.get_json()[0]["service_request_id"])
    assert saved["address"] == place["name"]
    assert (round(saved["lon"], 9), round(saved["lat"], 9)) == (round(place["lon"], 9), round(place["lat"], 9))


def test_post_with_an_address_id_takes_it_as_a_grid_code(post, engine, place):
    answer = post(service_code="greening", lat=None, long=None, address_id=place["grid"])
    assert answer.status_code == 200, answer.data
    assert ticket(engine, answer.get_json()[0]["service_request_id"])["grid_code"] == place["grid"]


def test_attributes_set_the_variant_the_deadline_and_the_details(post, engine, client):
    answer = post(service_code="heating_cold", description="暖气不热",
                  **{"attribute[variant]": "outdoor", "attribute[floor]": "6"})
    assert answer.status_code == 200, answer.data
    number = answer.get_json()[0]["service_request_id"]
    saved = ticket(engine, number)
    assert saved["variant"] == "outdoor" and saved["attributes"]["floor"] == 6
    assert saved["resolve_due_at"] - saved["registered_at"] == timedelta(hours=48)     # outdoor: 48 h
    shown = client.get(f"{V2}/requests/{number}.json").get_json()[0]
    due = datetime.fromisoformat(shown["expected_datetime"]) - datetime.fromisoformat(shown["requested_datetime"])
    assert due == timedelta(hours=48) and shown["expected_datetime"].endswith("+08:00")

    leak = post(service_code="water_leak",
                **{"attribute[leak_location]": ["kitchen", "stairwell"], "attribute[floor]": "-1"})
    assert leak.status_code == 200, leak.data
    assert ticket(engine, leak.get_json()[0]["service_request_id"])["attributes"]["leak_location"] == [
        "kitchen", "stairwell"]


def test_repeated_attribute_keys_reach_the_ticket_through_http(client, api_key, created, place, engine):
    form = [("api_key", api_key["key"]), ("service_code", "water_leak"), ("lat", str(place["grid_lat"])),
            ("long", str(place["grid_lon"])), ("attribute[leak_location]", "kitchen"),
            ("attribute[leak_location]", "basement")]
    body = urlencode(form)                 # the wire form: attribute%5Bleak_location%5D=kitchen&…=basement
    assert body.count("attribute%5Bleak_location%5D=") == 2
    answer = client.post(f"{V2}/requests.json", data=body, content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 200, answer.data
    created.append(answer.get_json()[0]["service_request_id"])
    assert ticket(engine, created[-1])["attributes"]["leak_location"] == ["kitchen", "basement"]


def test_urgent_raises_the_priority(post, engine):
    answer = post(service_code="road_damage", **{"attribute[urgent]": "yes"})
    assert answer.status_code == 200, answer.data
    assert ticket(engine, answer.get_json()[0]["service_request_id"])["priority"] == 2    # road_damage is 3


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("fields,needle", [
    ({"service_code": None}, "service_code"),
    ({"service_code": "noise", "lat": None, "long": None}, "缺少位置"),
    ({"service_code": "noise", "long": None}, "lat/long"),
    ({"service_code": "heating_cold"}, "attribute[variant]"),
    ({"service_code": "heating_cold", "attribute[variant]": "kitchen"}, "attribute[variant]"),
    ({"service_code": "noise", "attribute[floor]": "3"}, "没有属性 floor"),
    ({"service_code": "noise", "description": "长" * 4001}, "description"),
    ({"service_code": "noise", "lat": "10", "long": "10"}, "不在本辖区内"),
    ({"service_code": "noise", "lat": None, "long": None, "address_string": "火星路999号"}, "找不到地址"),
    ({"service_code": "noise", "lat": None, "long": None, "address_id": "no-such-grid"}, "没有网格"),
    ({"service_code": "noise", "phone": "call me"}, "phone"),
])
def test_missing_or_bad_fields_are_400_in_both_formats(post, fmt, fields, needle):
    answer = post(fmt, **fields)
    assert answer.status_code == 400, answer.data
    descriptions = ([e["description"] for e in json_errors(answer)] if fmt == "json" else
                    [d for code, d in xml_errors(answer) if code == "400"])
    assert any(needle in d for d in descriptions), descriptions


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_bad_missing_or_disabled_key_is_403(post, api_key, fmt):
    for key in ("not-a-key", "", api_key["disabled"], None):
        answer = post(fmt, api_key=key, service_code="noise")
        assert answer.status_code == 403
        assert (json_errors(answer)[0]["code"] if fmt == "json" else int(xml_errors(answer)[0][0])) == 403


def test_unknown_service_or_jurisdiction_on_post_is_404(post):
    assert post(service_code="ufo").status_code == 404
    answer = post("xml", service_code="noise", jurisdiction_id="shenyang.heping")
    assert answer.status_code == 404 and "jurisdiction_id" in xml_errors(answer)[0][1]
    assert post(service_code="noise", jurisdiction_id="tiedong.anshan").status_code == 200


def test_idempotency_key_replays_and_refuses_another_body(post, engine):
    key = {"Idempotency-Key": f"o311-{uuid.uuid4().hex}"}
    first = post(headers=key, service_code="sanitation", description="垃圾满溢")
    again = post(headers=key, service_code="sanitation", description="垃圾满溢")
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json()
    other = post("xml", headers=key, service_code="sanitation", description="另一件事")
    assert other.status_code == 422 and xml_errors(other)[0][0] == "422"
    with engine.connect() as conn:
        same = conn.execute(text("SELECT count(*) FROM tickets WHERE description = '垃圾满溢' AND registered_by = "
                                 "(SELECT registered_by FROM tickets WHERE number = :n)"),
                            {"n": first.get_json()[0]["service_request_id"]}).scalar()
    assert same == 1


def test_citizen_data_never_comes_back_on_get(post, client):
    private = {"first_name": "小明", "last_name": "欧阳", "phone": "13912345678", "email": "oy@example.cn",
               "account_id": "acct-secret-7", "device_id": "device-secret-7", "description": "我是欧阳小明，住3楼"}
    number = post(service_code="housing_repair", **private).get_json()[0]["service_request_id"]
    for path in (f"requests/{number}.json", f"requests/{number}.xml", f"requests.json?service_request_id={number}",
                 f"requests.xml?service_code=housing_repair"):
        body = client.get(f"{V2}/{path}").get_data(as_text=True)
        assert number in body, path
        for value in private.values():
            assert value not in body, (path, value)


# ------------------------------------------------------------------------------------------------ GET

def test_one_request_in_both_formats(post, client):
    number = post(service_code="noise", media_url="https://img.example/noise.jpg").get_json()[0]["service_request_id"]
    item = client.get(f"{V2}/requests/{number}.json").get_json()
    assert len(item) == 1 and list(item[0]) == list(REQUEST_FIELDS)
    assert item[0]["status"] == "open" and item[0]["status_notes"] == "已登记：等待派单"
    assert item[0]["media_url"] == "https://img.example/noise.jpg" and item[0]["service_name"] == "噪声扰民"
    root = ET.fromstring(client.get(f"{V2}/requests/{number}.xml").data)
    assert root.tag == "service_requests" and [c.tag for c in root.find("request")] == list(REQUEST_FIELDS)
    assert root.findtext("request/service_request_id") == number
    assert root.findtext("request/agency_responsible") == item[0]["agency_responsible"]


def test_get_shows_the_place_not_the_typed_address_nor_the_exact_point(post, client, engine, place):
    number = post(service_code="streetlight", lat=None, long=None,
                  address_string=place["name"]).get_json()[0]["service_request_id"]
    saved = ticket(engine, number)
    for path in (f"requests/{number}.json", f"requests.json?service_request_id={number}"):
        item = client.get(f"{V2}/{path}").get_json()[0]
        assert item["address"] == f"{saved['street_name']}{saved['grid_name']}" != saved["address"]
        assert (item["long"], item["lat"]) == (round(saved["lon"], 3), round(saved["lat"], 3))
        assert item["address_id"] == saved["grid_code"]
    body = client.get(f"{V2}/requests/{number}.xml").get_data(as_text=True)
    assert place["name"] not in body and f"{saved['lat']:.5f}" not in body
    assert f"<lat>{round(saved['lat'], 3)}</lat>" in body


def test_an_elders_alarm_is_published_at_its_community_never_at_the_home(client, engine, place, created):
    from services.tickets import NewTicket, create_ticket
    home = create_ticket(NewTicket(channel="elder_phone", category="other", description="一键通呼叫：刘淑珍",
                                   lon=place["lon"], lat=place["lat"], address="胜利路12号3单元502室",
                                   citizen_name="刘淑珍", citizen_phone="04125551234", priority=1), sp("tests")).ticket
    created.append(home["number"])
    with engine.connect() as conn:
        community_lon, community_lat = conn.execute(text("""
            SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM communities
            WHERE code = :c"""), {"c": home["community_code"]}).one()
    for path in (f"requests/{home['number']}.json", f"requests.json?service_request_id={home['number']}"):
        item = client.get(f"{V2}/{path}").get_json()[0]
        assert item["address"] == f"{home['street_name']}{home['community_name']}"
        assert item["address_id"] == home["community_code"]
        assert (item["long"], item["lat"]) == (round(community_lon, 3), round(community_lat, 3))
        assert home["grid_name"] not in repr(item) and home["grid_code"] not in repr(item)
        assert (item["long"], item["lat"]) != (round(home["lon"], 3), round(home["lat"], 3))


def test_unknown_request_and_token_are_404(client):
    for path in ("requests/19990101-000001.json", "tokens/19990101-000001.json"):
        assert client.get(f"{V2}/{path}").status_code == 404
    assert xml_errors(client.get(f"{V2}/tokens/19990101-000001.xml"))[0][0] == "404"


def test_a_token_is_the_ticket_number_and_resolves_at_once(post, client):
    number = post(service_code="noise").get_json()[0]["service_request_id"]
    assert client.get(f"{V2}/tokens/{number}.json").get_json() == [{"service_request_id": number, "token": number}]
    root = ET.fromstring(client.get(f"{V2}/tokens/{number}.xml").data)
    assert root.findtext("request/service_request_id") == number and root.findtext("request/token") == number


def test_status_filter_open_and_closed(post, client):
    still_open = post(service_code="greening").get_json()[0]["service_request_id"]
    refused = post(service_code="greening").get_json()[0]["service_request_id"]
    done = post(service_code="greening").get_json()[0]["service_request_id"]
    transition(refused, "refuse", sp("open311-tests"), reason="测试")
    for action in ("dispatch", "accept", "resolve"):
        transition(done, action, sp("open311-tests"))
    since = (datetime.now(timezone.utc) - timedelta(minutes=10)).isoformat()

    def numbers(status: str) -> dict[str, dict]:
        query = {"service_code": "greening", "status": status, "start_date": since}
        return {r["service_request_id"]: r for r in client.get(f"{V2}/requests.json", query_string=query).get_json()}
    closed, opened = numbers("closed"), numbers("open")
    assert refused in closed and done in closed and still_open not in closed
    assert still_open in opened and refused not in opened and done not in opened
    assert closed[done]["status_notes"] == "已办结：等待群众评价" and closed[refused]["status_notes"] == "不予受理"
    assert set(numbers("open,closed")) >= {still_open, refused, done}


def test_service_code_and_id_filters(post, client):
    a = post(service_code="streetlight").get_json()[0]["service_request_id"]
    b = post(service_code="noise").get_json()[0]["service_request_id"]
    both = client.get(f"{V2}/requests.json?service_request_id={a},{b},19990101-000404").get_json()
    assert sorted(r["service_request_id"] for r in both) == sorted([a, b])
    lights = client.get(f"{V2}/requests.xml?service_code=streetlight").data
    codes = {r.findtext("service_code") for r in ET.fromstring(lights).findall("request")}
    assert codes == {"streetlight"}
    assert client.get(f"{V2}/requests.json?service_code=streetlight,noise&status=open").status_code == 200


def test_bad_filters_are_400_in_both_formats(client):
    answer = client.get(f"{V2}/requests.xml?status=pending&start_date=tomorrow")
    assert answer.status_code == 400 and len(xml_errors(answer)) == 2
    answer = client.get(f"{V2}/requests.json?start_date=2026-01-01&end_date=2026-12-31")
    assert answer.status_code == 400 and "90" in json_errors(answer)[0]["description"]


# ------------------------------------------------------------------------------------------------ defaults

def clone_tickets(engine, template: str, prefix: str, count: int, first_at: datetime) -> None:
    """Closed copies of a ticket, one minute apart from ``first_at`` (fast: one INSERT … SELECT)."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM tickets WHERE number LIKE :p"), {"p": prefix + "%"})
        conn.execute(text("""
            INSERT INTO tickets (number, channel, category_code, variant, description, geom, grid_code,
                                 community_code, street_code, priority, complexity, lead_department_code, state,
                                 registered_at, updated_at, resolve_due_at, closed_at, attributes)
            SELECT :p || lpad(i::text, 6, '0'), t.channel, t.category_code, t.variant, t.description, t.geom,
                   t.grid_code, t.community_code, t.street_code, t.priority, t.complexity, t.lead_department_code,
                   'closed', :at + i * interval '1 minute', :at + i * interval '1 minute',
                   :at + i * interval '1 minute' + interval '3 days', :at + i * interval '1 minute', t.attributes
            FROM tickets t, generate_series(1, :n) i WHERE t.number = :template"""),
            {"p": prefix, "at": first_at, "n": count, "template": template})


def drop_clones(engine, *prefixes: str) -> None:
    with engine.begin() as conn:
        for prefix in prefixes:
            conn.execute(text("DELETE FROM tickets WHERE number LIKE :p"), {"p": prefix + "%"})


def test_at_most_1000_rows(post, client, engine):
    template = post(service_code="other").get_json()[0]["service_request_id"]
    start = datetime(2001, 1, 15, tzinfo=timezone.utc)
    clone_tickets(engine, template, "O311CAP-", 1005, start)
    try:
        rows = client.get(f"{V2}/requests.json?start_date=2001-01-01T00:00:00Z&end_date=2001-03-01T00:00:00Z")
        assert rows.status_code == 200
        rows = rows.get_json()
        assert len(rows) == 1000 and all(r["service_request_id"].startswith("O311CAP-") for r in rows)
        assert rows[0]["service_request_id"] == "O311CAP-001005"     # newest first
        xml_rows = ET.fromstring(client.get(
            f"{V2}/requests.xml?start_date=2001-01-01T00:00:00Z&end_date=2001-03-01T00:00:00Z").data)
        assert len(xml_rows.findall("request")) == 1000
    finally:
        drop_clones(engine, "O311CAP-")


def test_the_default_window_is_the_last_90_days(post, client, engine):
    template = post(service_code="other").get_json()[0]["service_request_id"]
    now = datetime.now(timezone.utc)
    clone_tickets(engine, template, "O311D100-", 1, now - timedelta(days=100))
    clone_tickets(engine, template, "O311D080-", 1, now - timedelta(days=80))
    try:
        shown = {r["service_request_id"] for r in client.get(
            f"{V2}/requests.json?service_code=other&status=closed").get_json()}
        assert "O311D080-000001" in shown and "O311D100-000001" not in shown
        earlier = (now - timedelta(days=101)).isoformat()
        old = {r["service_request_id"] for r in client.get(
            f"{V2}/requests.json", query_string={"service_code": "other", "start_date": earlier}).get_json()}
        assert "O311D100-000001" in old
    finally:
        drop_clones(engine, "O311D100-", "O311D080-")


# ------------------------------------------------------------------------------------------------ robustness

@pytest.mark.parametrize("path", [
    "requests.json?start_date=2026-13-45", "requests.json?end_date=%00", "requests.json?service_request_id=%ff%fe",
    "requests.xml?status=" + "x" * 5000, "requests/%3Cscript%3E.xml", "tokens/..%2F..%2Fetc.json",
    "services/%E4%B8%AD.json", "requests.json?jurisdiction_id=" + "j" * 3000, "requests/%00.json",
    "tokens/a%00b.xml", "requests.json?service_request_id=%00", "requests.json?service_code=%00noise",
])
def test_bad_input_never_answers_500(client, path):
    answer = client.get(f"{V2}/{path}")
    assert answer.status_code < 500 and answer.data.strip()


@pytest.mark.parametrize("fields", [
    {"service_code": "noise", "lat": "1e999", "long": "-1e999"},
    {"service_code": "noise", "attribute[": "x", "attribute[]": "y"},
    {"service_code": "noise", "media_url": "http://" + "a" * 3000},
    {"service_code": "heating_cold", "attribute[variant]": ["indoor", "outdoor"]},
    {"service_code": "noise", "address_id": "x" * 100, "lat": None, "long": None},
])
def test_bad_posts_never_answer_500(post, fields):
    assert 400 <= post(**fields).status_code < 500


def test_control_characters_are_dropped_not_stored(post, engine):
    answer = post(service_code="noise", description="楼下\x00酒吧\x07噪声", **{"address_string": "\x00"})
    assert answer.status_code == 200, answer.data
    assert ticket(engine, answer.get_json()[0]["service_request_id"])["description"] == "楼下酒吧噪声"


def test_too_long_idempotency_key_is_400(post):
    assert post(headers={"Idempotency-Key": "k" * 201}, service_code="noise").status_code == 400


def test_an_unexpected_failure_is_a_500_in_the_spec_shape_not_an_html_page(client, monkeypatch):
    import open311.backend

    def broken():
        raise RuntimeError("database went away")
    monkeypatch.setattr(open311.backend, "all_services", broken)
    answer = client.get(f"{V2}/services.xml")
    assert answer.status_code == 500 and xml_errors(answer) == [("500", "服务器内部错误，请稍后重试")]
    assert b"database went away" not in answer.data
