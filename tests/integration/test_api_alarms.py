"""一键通: the elder device registry (CSV import, the generated 4,000) and POST /api/v1/alarms."""
from __future__ import annotations

import hashlib
import json

import pytest

from etl.__main__ import main as etl_main
from geo import devices as device_db
from geo.db import get_engine
from tests.fresh import unique
from tests.integration.api_helpers import error_of


def registry(device_ids: list[str]) -> dict[str, dict]:
    with get_engine().connect() as conn:
        return device_db.devices_by_ids(conn, device_ids)


def forget(device_ids: list[str]) -> None:
    with get_engine().begin() as conn:
        device_db.delete_devices(conn, device_ids)


@pytest.fixture
def device(spot):
    """A registered elder living at a numbered building (imported through the CSV importer)."""
    from etl.devices import DeviceRow, import_rows
    device_id = unique("YJT-test")
    import_rows([DeviceRow(2, {"device_id": device_id, "elder_name": "刘淑珍", "phone": "0412-5551234",
                               "address": "胜利路12号3单元502室", "lon": str(spot["lon"]), "lat": str(spot["lat"])})])
    yield registry([device_id])[device_id]
    forget([device_id])


# ------------------------------------------------------------------------------------------------ alarms

def test_a_press_raises_a_priority_one_ticket_at_the_elders_home(client, auth, device, key_name):
    answer = client.post("/api/v1/alarms", json={"device_id": device["device_id"]}, headers=auth)
    assert answer.status_code == 201
    ticket = answer.get_json()["ticket"]
    assert (ticket["channel"], ticket["priority"], ticket["category_code"]) == ("elder_phone", 1, "other")
    assert ticket["grid_code"] == device["grid_code"]
    assert ticket["description"] == "一键通呼叫：刘淑珍，胜利路12号3单元502室"
    assert ticket["source_ref"] == device["device_id"] and ticket["citizen_phone"] == "04125551234"
    assert ticket["registered_by"] == key_name


def test_repeated_presses_answer_the_open_ticket_until_it_is_done(client, auth, device):
    press = {"device_id": device["device_id"]}
    first = client.post("/api/v1/alarms", json=press, headers=auth)
    again = client.post("/api/v1/alarms", json=press, headers=auth)
    assert (first.status_code, again.status_code) == (201, 200)
    number = first.get_json()["ticket"]["number"]
    assert again.get_json()["ticket"]["number"] == number
    events = client.get(f"/api/v1/tickets/{number}", headers=auth).get_json()["events"]
    assert [e["action"] for e in events] == ["register", "repeat_alarm"]

    refused = client.post(f"/api/v1/tickets/{number}/transitions", json={"action": "refuse", "reason": "误按"},
                          headers=auth)
    assert refused.status_code == 200
    later = client.post("/api/v1/alarms", json=press, headers=auth)
    assert later.status_code == 201 and later.get_json()["ticket"]["number"] != number


def test_a_press_may_name_the_category(client, auth, device):
    answer = client.post("/api/v1/alarms", json={"device_id": device["device_id"], "category": "heating_cold"},
                         headers=auth)
    assert answer.status_code == 201 and answer.get_json()["ticket"]["category_code"] == "heating_cold"
    assert answer.get_json()["ticket"]["priority"] == 1


def test_an_alarm_replayed_with_its_idempotency_key_is_the_same_ticket(client, auth, device):
    headers = {**auth, "Idempotency-Key": unique("press")}
    first = client.post("/api/v1/alarms", json={"device_id": device["device_id"]}, headers=headers)
    again = client.post("/api/v1/alarms", json={"device_id": device["device_id"]}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200) and again.get_json() == first.get_json()


def test_bad_alarms_are_refused(client, auth, device):
    answer = client.post("/api/v1/alarms", json={"device_id": "no-such-device"}, headers=auth)
    assert answer.status_code == 404 and "no-such-device" in error_of(answer)["message"]
    answer = client.post("/api/v1/alarms", json={"device_id": device["device_id"]})
    assert answer.status_code == 401
    for body, field in (({}, "device_id"), ({"device_id": 12}, "device_id"), ({"device_id": "x" * 65}, "device_id"),
                        ({"device_id": device["device_id"], "category": "unicorns"}, "category"),
                        ({"device_id": device["device_id"], "volume": 11}, "volume")):
        answer = client.post("/api/v1/alarms", json=body, headers=auth)
        assert answer.status_code == 400 and error_of(answer)["field"] == field, body


# ------------------------------------------------------------------------------------------------ CSV import

def write_csv(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_a_good_file_is_imported_and_importing_it_again_changes_nothing(tmp_path, spot, capsys):
    ids = [unique("YJT-csv"), unique("YJT-csv")]
    source = write_csv(tmp_path / "devices.csv", "device_id,elder_name,phone,address,lon,lat\n"
                       f"{ids[0]},赵桂兰,13904121234,胜利路12号1单元101室,{spot['lon']},{spot['lat']}\n"
                       f"{ids[1]},钱德福,,,{spot['lon'] + 0.0002},{spot['lat']}\n")
    try:
        assert etl_main(["devices", str(source)]) == 0
        assert "2 devices imported (2 new, 0 updated)" in capsys.readouterr().out
        stored = registry(ids)
        assert stored[ids[0]]["elder_name"] == "赵桂兰" and stored[ids[0]]["grid_code"] == spot["grid_code"]
        assert stored[ids[1]]["phone"] is None and stored[ids[1]]["address"] is None
        assert etl_main(["devices", str(source)]) == 0
        assert "(0 new, 2 updated)" in capsys.readouterr().out
        assert registry(ids) == stored
    finally:
        forget(ids)


def test_chinese_headers_in_gbk_are_accepted(tmp_path, spot, capsys):
    device_id = unique("YJT-gbk")
    source = write_csv(tmp_path / "一键通.csv", "设备编号,姓名,电话,地址,经度,纬度\n"
                       f"{device_id},孙凤芝,0412-2223333,胜利路12号2单元302室,{spot['lon']},{spot['lat']}\n", "gbk")
    try:
        assert etl_main(["devices", str(source)]) == 0
        assert registry([device_id])[device_id]["elder_name"] == "孙凤芝"
    finally:
        forget([device_id])


def test_bad_rows_are_reported_by_line_and_field_and_nothing_is_written(tmp_path, spot, capsys):
    good, bad = unique("YJT-good"), unique("YJT-bad")
    source = write_csv(tmp_path / "devices.csv", "device_id,elder_name,phone,address,lon,lat\n"
                       f"{good},周玉珍,13800000000,胜利路12号,{spot['lon']},{spot['lat']}\n"     # line 2: good
                       f"{bad},,13800000000,,{spot['lon']},{spot['lat']}\n"                  # 3: no name
                       f"{bad}-2,吴振山,138,,abc,{spot['lat']}\n"                            # 4: phone, lon
                       f"{bad}-3,郑长林,,,116.4074,39.9042\n"                                # 5: Beijing
                       f"{good},冯国祥,,,{spot['lon']},{spot['lat']}\n")                     # 6: id again
    assert etl_main(["devices", str(source)]) == 1
    errors = capsys.readouterr().err.splitlines()
    assert f"error: line 3 ({bad}): elder_name: missing" in errors
    assert any(e.startswith(f"error: line 4 ({bad}-2): phone:") for e in errors)
    assert any(e.startswith(f"error: line 4 ({bad}-2): lon: not a number") for e in errors)
    assert any(e.startswith(f"error: line 5 ({bad}-3): lon/lat: outside the district") for e in errors)
    assert f"error: line 6 ({good}): device_id: also on line 2" in errors
    assert errors[-1].endswith("nothing imported (5 problem(s))")
    assert registry([good, bad, f"{bad}-2", f"{bad}-3"]) == {}


def test_a_file_without_the_columns_is_refused(tmp_path, capsys):
    source = write_csv(tmp_path / "devices.csv", "id,name\n1,x\n")
    assert etl_main(["devices", str(source)]) == 1
    assert "missing column(s) device_id, elder_name, lon, lat" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------ generated

def test_the_generated_registry_has_4000_elders_in_the_district_and_is_idempotent(capsys):
    from etl.devices import generate_elder_devices
    rows = generate_elder_devices(seed=96715)
    assert len(rows) == 4000 and len({r["device_id"] for r in rows}) == 4000
    assert generate_elder_devices(seed=96715) == rows
    assert generate_elder_devices(seed=1)[0] != rows[0]
    assert all(r["elder_name"] and r["address"] for r in rows)

    assert etl_main(["devices", "--generate", "--seed", "96715"]) == 0
    capsys.readouterr()
    ids = [r["device_id"] for r in rows]
    first = registry(ids)
    assert len(first) == 4000
    assert etl_main(["devices", "--generate", "--seed", "96715"]) == 0
    assert "(0 new, 4000 updated)" in capsys.readouterr().out
    fingerprint = lambda reg: hashlib.sha256(json.dumps(reg, sort_keys=True, default=str).encode()).hexdigest()  # noqa
    assert fingerprint(registry(ids)) == fingerprint(first)
