"""Pure parts of the API: reading bodies and query strings, channel rules, rendering times, device CSV rows."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from flask import Flask

from api.errors import ApiError
from api.inputs import idempotency_key, json_body, parsed, query_list, query_time
from api.intake import new_ticket_from
from api.render import iso
from services.api_keys import Caller, hash_key, new_key
from workorders.contract import TicketBody
from etl.devices import DevicesRejected, check_duplicates, check_fields, read_rows

app = Flask(__name__)
WORKER = Caller("wgy-phone", "WGY-21030200100101", "网格员", "21030200100101")
UTILITY = Caller("water-company")
TICKET = {"category": "water_leak", "description": "楼道漏水", "lat": 41.1, "lon": 122.99}


def refusal(call) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call()
    return caught.value


# ------------------------------------------------------------------------------------------------ bodies

@pytest.mark.parametrize("data, content_type, status", [
    (b'{"a": 1}', "text/plain", 415), (b"a=1", "application/x-www-form-urlencoded", 415), (b"{}", None, 415),
    (b"{", "application/json", 400), (b"[]", "application/json", 400), (b'{"x": Infinity}', "application/json", 400),
    (b"\xc3\x28", "application/json", 400), (b" " * (256 * 1024 + 1), "application/json", 413),
])
def test_json_body_refuses_what_is_not_a_json_object(data, content_type, status):
    with app.test_request_context("/", method="POST", data=data, content_type=content_type):
        assert refusal(json_body).status == status


def test_json_body_takes_an_object_and_vendor_json_types():
    with app.test_request_context("/", method="POST", data='{"a": "漏水"}', content_type="application/json"):
        assert json_body() == {"a": "漏水"}
    with app.test_request_context("/", method="POST", data="{}", content_type="application/merge-patch+json"):
        assert json_body() == {}


def test_text_and_number_fields_check_their_types():
    body = lambda **fields: parsed(TicketBody, {**TICKET, **fields})  # noqa: E731
    assert body(address=" x ").address == " x " and body(address="  ").address is None
    assert body().address is None
    assert refusal(lambda: body(address=1)).field == "address"
    assert refusal(lambda: body(description=" ")).message == "description 不能为空"
    assert refusal(lambda: body(address="x" * 301)).field == "address"
    assert body(lat=3, lon=123).lat == 3.0 and body(lat=None, lon=None, grid_code="g").lat is None
    for bad in (True, "3", [3], 10 ** 400):
        assert refusal(lambda: body(lat=bad)).field == "lat"


def test_idempotency_keys_are_trimmed_and_capped():
    with app.test_request_context("/", headers={"Idempotency-Key": " abc "}):
        assert idempotency_key() == "abc"
    with app.test_request_context("/"):
        assert idempotency_key() is None
    with app.test_request_context("/", headers={"Idempotency-Key": "k" * 201}):
        assert refusal(idempotency_key).field == "Idempotency-Key"


# ------------------------------------------------------------------------------------------------ query strings

def test_list_parameters_take_commas_and_repeats_and_check_values():
    with app.test_request_context("/?state=registered,dispatched&state=closed"):
        assert query_list("state", {"registered", "dispatched", "closed"}) == ["registered", "dispatched", "closed"]
    with app.test_request_context("/?state=lost"):
        assert refusal(lambda: query_list("state", {"registered"})).field == "state"


def test_times_without_offset_are_district_time():
    with app.test_request_context("/?since=2026-11-26"):
        assert query_time("since").isoformat() == "2026-11-26T00:00:00+08:00"
    with app.test_request_context("/?since=2026-11-26T08:00:00Z"):
        assert query_time("since") == datetime(2026, 11, 26, 8, tzinfo=timezone.utc)
    with app.test_request_context("/?since=2026-11-26T08:00:00"):
        assert query_time("since").utcoffset().total_seconds() == 8 * 3600
    with app.test_request_context("/?since=tomorrow"):
        assert refusal(lambda: query_time("since")).field == "since"


def test_times_are_rendered_with_the_district_offset():
    assert iso(datetime(2026, 11, 26, 1, 30, tzinfo=timezone.utc)) == "2026-11-26T09:30:00+08:00"
    with pytest.raises(ValueError):
        iso(datetime(2026, 11, 26, 1, 30))


# ------------------------------------------------------------------------------------------------ channel rules

def test_the_default_channel_is_api_and_the_key_name_registers():
    ticket = new_ticket_from(dict(TICKET), UTILITY)
    assert ticket.channel == "api" and ticket.registered_by == "water-company" and ticket.priority is None


def test_a_grid_workers_phone_files_as_grid_worker_from_its_grid():
    ticket = new_ticket_from({"category": "sanitation", "description": "垃圾", "media_url": "https://p/1.jpg"},
                             WORKER)
    assert ticket.channel == "grid_worker" and ticket.registered_by == "WGY-21030200100101"
    assert ticket.grid_code == "21030200100101"


@pytest.mark.parametrize("body, caller, status, field", [
    ({"channel": "hotline"}, None, 401, "channel"),
    ({"priority": 1}, None, 401, "priority"),
    ({"channel": "grid_worker", "media_url": "https://p/1.jpg"}, UTILITY, 403, "channel"),
    ({"channel": "hotline", "media_url": "https://p/1.jpg"}, WORKER, 403, "channel"),
    ({}, WORKER, 400, "media_url"),
    ({"channel": "police_110", "source_ref": "110-1"}, UTILITY, 400, "priority"),
    ({"channel": "police_110", "priority": 1}, UTILITY, 400, "source_ref"),
    ({"channel": "elder_phone"}, UTILITY, 400, "channel"),
    ({"channel": "open311"}, UTILITY, 400, "channel"),
    ({"wheelchair": True}, UTILITY, 400, "wheelchair"),
])
def test_channel_rules(body, caller, status, field):
    error = refusal(lambda: new_ticket_from({**TICKET, **body}, caller))
    assert (error.status, error.field) == (status, field)


def test_keys_are_random_and_only_their_hash_is_kept():
    first, second = new_key(), new_key()
    assert first != second and first.startswith("td_")
    assert len(hash_key(first)) == 64 and hash_key(first) == hash_key(first) != hash_key(second)


# ------------------------------------------------------------------------------------------------ device CSV rows

def test_device_rows_accept_chinese_headers_and_skip_blank_lines():
    rows = read_rows("设备编号,姓名,电话,地址,经度,纬度\nYJT1,刘淑珍,0412-5551234,胜利路12号,123.0,41.1\n,,,,,\n")
    assert len(rows) == 1 and rows[0].line == 2
    assert rows[0].values == {"device_id": "YJT1", "elder_name": "刘淑珍", "phone": "0412-5551234",
                              "address": "胜利路12号", "lon": "123.0", "lat": "41.1"}


def test_device_files_take_the_loaders_names_for_longitude_and_latitude():
    rows = read_rows("device_id,elder_name,Longitude,Latitude\nYJT1,刘淑珍,123.0,41.1\n")
    assert rows[0].values == {"device_id": "YJT1", "elder_name": "刘淑珍", "lon": "123.0", "lat": "41.1"}


def test_device_rows_missing_columns_are_refused():
    with pytest.raises(DevicesRejected) as caught:
        read_rows("device_id,name\nYJT1,x\n")
    assert "missing column(s) elder_name, lon, lat" in caught.value.problems[0]


@pytest.mark.parametrize("values, field", [
    ({"elder_name": ""}, "elder_name"), ({"device_id": ""}, "device_id"), ({"lon": "east"}, "lon"),
    ({"lat": "91"}, "lat"), ({"lat": "nan"}, "lat"), ({"phone": "12"}, "phone"), ({"phone": "138abc12345"}, "phone"),
    ({"device_id": "x" * 65}, "device_id"),
])
def test_device_fields_are_checked(values, field):
    row = read_rows("device_id,elder_name,phone,address,lon,lat\nYJT1,刘淑珍,,,123.0,41.1\n")[0]
    row.values.update(values)
    check_fields(row, "wgs84")
    assert len(row.problems) == 1 and f": {field}: " in row.problems[0] and row.problems[0].startswith("line 2")


def test_gcj02_points_are_moved_to_wgs84():
    row = read_rows("device_id,elder_name,lon,lat\nYJT1,刘淑珍,123.0,41.1\n")[0]
    check_fields(row, "gcj02")
    assert row.problems == [] and 122.99 < row.values["lon"] < 123.0 and 41.09 < row.values["lat"] < 41.1


def test_a_device_id_twice_is_refused_on_its_second_line():
    rows = read_rows("device_id,elder_name,lon,lat\nYJT1,甲,123,41\nYJT2,乙,123,41\nYJT1,丙,123,41\n")
    check_duplicates(rows)
    assert [r.problems for r in rows] == [[], [], ["line 4 (YJT1): device_id: also on line 2"]]
