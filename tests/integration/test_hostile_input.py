"""Hostile input at the public doors that write tickets (issue 12, "Hostile input"): every entry of the corpus gets
a clear 4xx and leaves every table it could touch exactly as it was (rows counted before and after).

The doors: POST /api/v1/tickets (JSON) and Open311 POST requests.json / requests.xml (form-encoded). The corpus is
the issue's list: lat/lon swapped, NaN, ±inf, out of range, outside the district, 4,001-character descriptions,
NUL bytes, broken UTF-8, wrong content types, XML with entity expansion, a 10 MB body. Markup and SQL in text are
not refused (a resident may write "<" or "DROP"): they are stored verbatim, checked at the end.
"""
from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.integration.api_helpers import ticket_body

# Every table an accepted ticket writes to: a refused one must leave all of them unchanged.
WRITTEN_TABLES = ("tickets", "ticket_events", "outbox", "ticket_photos", "idempotency_keys", "supervisions")

OUTSIDE = {"lat": 39.9042, "lon": 116.4074}          # Beijing
XML_BOMB = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;'
            '&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
            '<service_request><description>&lol3;</description></service_request>')
TEN_MB = 10 * 1024 * 1024


def row_counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()   # noqa: S608 (constants)
                for table in WRITTEN_TABLES}


@pytest.fixture
def unchanged(engine):
    """Asserts after the test that no written table gained or lost a row."""
    before = row_counts(engine)
    yield
    assert row_counts(engine) == before


def swapped(spot: dict) -> dict:
    return {"lat": spot["lon"], "lon": spot["lat"]}


# ---------------------------------------------------------------------------------------------- /api/v1 (JSON)

API_FIELDS = [
    pytest.param(lambda s: swapped(s), id="lat-lon-swapped"),
    pytest.param(lambda s: {"lat": 91.0}, id="lat-out-of-range"),
    pytest.param(lambda s: {"lon": -181.0}, id="lon-out-of-range"),
    pytest.param(lambda s: OUTSIDE, id="outside-district"),
    pytest.param(lambda s: {"lat": "NaN"}, id="nan-as-string"),
    pytest.param(lambda s: {"lat": 1e309}, id="inf-overflowing"),
    pytest.param(lambda s: {"description": "坑" * 4001}, id="description-4001"),
    pytest.param(lambda s: {"description": "井盖\x00丢失"}, id="nul-in-description"),
    pytest.param(lambda s: {"citizen_name": "王\x00建国"}, id="nul-in-name"),
    pytest.param(lambda s: {"address": "胜利路\x0012号"}, id="nul-in-address"),
    pytest.param(lambda s: {"category": "road_damage'; DROP TABLE tickets; --"}, id="sql-in-category"),
    pytest.param(lambda s: {"channel": "<script>alert(1)</script>"}, id="html-in-channel"),
    pytest.param(lambda s: {"unknown_field": 1}, id="unknown-field"),
]


@pytest.mark.parametrize("fields", API_FIELDS)
def test_api_refuses_hostile_fields_and_writes_nothing(client, auth, spot, unchanged, fields):
    answer = client.post("/api/v1/tickets", json=ticket_body(spot, **fields(spot)), headers=auth)
    assert answer.status_code == 400, (answer.status_code, answer.data[:300])
    assert answer.get_json()["error"]["message"]


API_BODIES = [
    pytest.param('{"lat": NaN, "lon": 123.0}', "application/json", 400, id="bare-nan"),
    pytest.param('{"lat": Infinity, "lon": 123.0}', "application/json", 400, id="bare-infinity"),
    pytest.param('{"lat": -Infinity, "lon": 123.0}', "application/json", 400, id="bare-minus-infinity"),
    pytest.param(b'{"description": "\xff\xfe broken"}', "application/json", 400, id="broken-utf8"),
    pytest.param(XML_BOMB, "application/xml", 415, id="xml-entity-expansion"),
    pytest.param("category=road_damage", "multipart/form-data; boundary=x", 415, id="wrong-content-type"),
    pytest.param('{"description": "' + "x" * TEN_MB + '"}', "application/json", 413, id="ten-mb-body"),
]


@pytest.mark.parametrize("data, content_type, status", API_BODIES)
def test_api_refuses_hostile_bodies_and_writes_nothing(client, auth, unchanged, data, content_type, status):
    answer = client.post("/api/v1/tickets", data=data, content_type=content_type, headers=auth)
    assert answer.status_code == status, (answer.status_code, answer.data[:300])
    assert answer.get_json()["error"]["message"]


# ------------------------------------------------------------------------------------------- Open311 (form)

@pytest.fixture(scope="module")
def open311_key(engine):
    from tests.fresh import unique
    from tests.integration.api_helpers import add_api_key
    name = unique("hostile-open311")
    add_api_key(engine, name, f"{name}-key")
    yield f"{name}-key"
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM api_keys WHERE name = :name"), {"name": name})


def open311_form(key: str, spot: dict, **fields) -> dict:
    form = {"api_key": key, "service_code": "road_damage", "lat": str(spot["lat"]), "long": str(spot["lon"]),
            "description": "胜利路人行道地砖松动", "first_name": "建国", "last_name": "王", "phone": "13800000000"}
    form.update(fields)
    return {k: v for k, v in form.items() if v is not None}


OPEN311_FIELDS = [
    pytest.param(lambda s: {"lat": str(s["lon"]), "long": str(s["lat"])}, id="lat-long-swapped"),
    pytest.param(lambda s: {"lat": "NaN"}, id="nan"),
    pytest.param(lambda s: {"lat": "inf"}, id="inf"),
    pytest.param(lambda s: {"long": "-inf"}, id="minus-inf"),
    pytest.param(lambda s: {"lat": "91"}, id="lat-out-of-range"),
    pytest.param(lambda s: {"lat": str(OUTSIDE["lat"]), "long": str(OUTSIDE["lon"])}, id="outside-district"),
    pytest.param(lambda s: {"description": "坑" * 4001}, id="description-4001"),
    pytest.param(lambda s: {"service_code": "road_damage' OR '1'='1"}, id="sql-in-service-code"),
    pytest.param(lambda s: {"attribute[<img src=x onerror=alert(1)>]": "1"}, id="html-attribute-code"),
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("fields", OPEN311_FIELDS)
def test_open311_refuses_hostile_fields_and_writes_nothing(client, open311_key, spot, unchanged, fields, fmt):
    answer = client.post(f"/open311/v2/requests.{fmt}", data=open311_form(open311_key, spot, **fields(spot)))
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.data[:300])
    assert "description" in answer.get_data(as_text=True)        # the spec's {code, description} error list


OPEN311_BODIES = [
    pytest.param(XML_BOMB, "application/xml", id="xml-entity-expansion"),
    pytest.param('{"service_code": "road_damage"}', "application/json", id="json-instead-of-form"),
    pytest.param(b"api_key=x&description=\xff\xfe", "application/x-www-form-urlencoded", id="broken-utf8"),
    pytest.param("description=" + "x" * TEN_MB, "application/x-www-form-urlencoded", id="ten-mb-body"),
]


@pytest.mark.parametrize("data, content_type", OPEN311_BODIES)
def test_open311_refuses_hostile_bodies_and_writes_nothing(client, unchanged, data, content_type):
    answer = client.post("/open311/v2/requests.json", data=data, content_type=content_type)
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.data[:300])


def test_open311_drops_control_characters_before_anything_is_stored(client, open311_key, spot, engine, created):
    """Open311 clients send whatever their form held: control characters (NUL, which PostgreSQL refuses in text)
    are dropped from every value on the way in (open311/params.py), never a 500."""
    form = open311_form(open311_key, spot, description="井盖\x00丢\x07失", first_name="建\x00国",
                        address_string="胜利路\x0012号")
    answer = client.post("/open311/v2/requests.json", data=form)
    assert answer.status_code == 200, answer.data[:300]
    number = answer.get_json()[0]["service_request_id"]
    created.append(number)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT description, address FROM tickets WHERE number = :n"), {"n": number}).one()
    assert tuple(row) == ("井盖丢失", "胜利路12号")


# ------------------------------------------------------------------------------ markup and SQL kept as text

MARKUP = "<script>alert(1)</script><img src=x onerror=alert(2)>'; DROP TABLE tickets; -- =1+1"


def test_markup_and_sql_in_text_are_stored_verbatim(client, auth, spot, engine, created):
    body = ticket_body(spot, description=MARKUP, citizen_name="<b>王</b>", address="胜利路12号<br>")
    answer = client.post("/api/v1/tickets", json=body, headers=auth)
    assert answer.status_code == 201, answer.get_json()
    number = answer.get_json()["ticket"]["number"]
    created.append(number)
    with engine.connect() as conn:
        description = conn.execute(text("SELECT description FROM tickets WHERE number = :n"),
                                   {"n": number}).scalar_one()
    assert description == MARKUP


def test_the_login_page_gives_a_typed_username_back_as_text(client):
    """/login fills the field with what was typed after a failed attempt: escaped (Jinja's autoescape), so a
    quote cannot close the attribute and a tag cannot open."""
    typed = '"><img src=x onerror="window.__pwned=1">'
    page = client.post("/login", data={"username": typed, "password": "whatever-it-is"})
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "<img src=x" not in body
    assert "&#34;&gt;&lt;img src=x onerror=&#34;window.__pwned=1&#34;&gt;" in body
