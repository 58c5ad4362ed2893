"""/m, the grid worker's phone, through the Flask test client against the real PostGIS and Redis: who may open it,
reporting in one's own grid (and not in another's), GCJ-02 converted at the edge, tasks arrived and resolved with a
photo, the position only while on a task, the long phone session."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import text

from events.bus import get_redis, latest_positions
from geo.crs import wgs84_to_gcj02
from harness.signing_in import csrf_headers, make_user, sign_in
from services.tickets import NewTicket, create_ticket, transition
from tests.fresh import unique
from tests.photos import jpeg_with_gps
from workorders.policy import system_principal

SYSTEM = system_principal("mobile-tests")


@pytest.fixture(scope="module")
def crews(engine) -> list[dict]:
    """Two grid workers' crews of different grids, each with a point well inside its grid."""
    with engine.connect() as conn:
        rows = conn.execute(text("""
            SELECT c.code, c.grid_code, ST_X(ST_PointOnSurface(g.geom)) AS lon, ST_Y(ST_PointOnSurface(g.geom)) AS lat
            FROM crews c JOIN grids g ON g.code = c.grid_code
            WHERE c.kind = '网格员' ORDER BY c.code LIMIT 2 OFFSET 7""")).mappings().all()
    assert len(rows) == 2 and rows[0]["grid_code"] != rows[1]["grid_code"]
    return [dict(r) for r in rows]


def _worker(server, crew: dict):
    client = server.test_client()
    username, password = make_user("grid_worker", crew=crew["code"])
    sign_in(client, username, password)
    return client


@pytest.fixture(scope="module")
def server(engine):
    from app import server
    return server


@pytest.fixture(scope="module")
def worker(server, crews):
    return _worker(server, crews[0])


@pytest.fixture(scope="module")
def other_worker(server, crews):
    return _worker(server, crews[1])


def photo(name: str = "scene.jpg"):
    return (io.BytesIO(jpeg_with_gps()), name, "image/jpeg")


def report(client, crew: dict | None = None, **fields):
    form = {"category": "sanitation", "description": fields.pop("description", unique("楼道堆放杂物")),
            "csrf_token": client.get_cookie("_csrf_token").value}
    if crew is not None:
        form.update(lon=str(crew["lon"]), lat=str(crew["lat"]), datum="wgs84")
    form.update(fields)
    if "media" not in form:
        form["media"] = photo()
    elif form["media"] is None:
        del form["media"]
    return client.post("/m/report", data=form, content_type="multipart/form-data")


def ticket_row(engine, **where) -> list[dict]:
    clause = " AND ".join(f"{k} = :{k}" for k in where)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(
            f"SELECT t.*, ST_X(t.geom) AS x, ST_Y(t.geom) AS y, "
            f"(SELECT count(*) FROM ticket_photos p WHERE p.ticket_id = t.id) AS photos "
            f"FROM tickets t WHERE {clause}"), where).mappings()]


# ------------------------------------------------------------------------------------------------ who

def test_nobody_is_sent_to_sign_in_and_other_roles_are_refused(server, role_clients):
    answer = server.test_client().get("/m")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    for role in ("dispatcher", "operator", "department", "admin"):
        assert role_clients[role].get("/m").status_code == 403, role
        assert role_clients[role].get("/m/tasks").status_code == 403, role
        assert role_clients[role].post("/m/position", json={"lon": 122.9, "lat": 41.1},
                                       headers=csrf_headers(role_clients[role])).status_code == 403, role


def test_a_grid_worker_lands_on_the_phone_page_signed_in_for_days(server, crews):
    client = server.test_client()
    username, password = make_user("grid_worker", crew=crews[0]["code"])
    answer = client.post("/login", data={"username": username, "password": password})
    assert answer.status_code == 303 and answer.headers["Location"] == "/m"
    cookie = [h for h in answer.headers.get_all("Set-Cookie") if h.startswith("td_session=")][0]
    assert "Expires=" in cookie                       # survives closing the phone's browser
    page = client.get("/m")
    assert page.status_code == 200 and "上报问题" in page.get_data(as_text=True)
    assert b"plotly" not in page.data


def test_a_grid_workers_session_outlives_the_desk_idle_timeout(server, crews, monkeypatch):
    import time
    client = server.test_client()
    sign_in(client, *make_user("grid_worker", crew=crews[0]["code"]))
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3 * 3600)   # three hours idle: a desk session ends at 30 min
    assert client.get("/m").status_code == 200
    monkeypatch.setattr(time, "time", lambda: real() + 31 * 86400)  # a month: signed out
    assert client.get("/m").status_code == 302


def test_a_desk_session_still_ends_after_its_idle_minutes(server, monkeypatch):
    import time
    client = server.test_client()
    sign_in(client, *make_user("dispatcher"))
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3 * 3600)
    assert client.get("/wall").status_code == 302


# ------------------------------------------------------------------------------------------------ report

def test_a_report_in_ones_own_grid_becomes_a_ticket_with_its_photo(worker, crews, engine):
    description = unique("井盖缺失")
    answer = report(worker, crews[0], description=description)
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/m?reported=")
    number = answer.headers["Location"].split("=")[1]
    (ticket,) = ticket_row(engine, number=number)
    assert ticket["channel"] == "grid_worker" and ticket["grid_code"] == crews[0]["grid_code"]
    assert ticket["description"] == description and ticket["photos"] == 1
    assert ticket["registered_by"] == "网格员 演示"
    page = worker.get(answer.headers["Location"]).get_data(as_text=True)
    assert number in page and "已上报" in page


def test_a_report_in_another_grid_is_refused_and_writes_nothing(other_worker, crews, engine):
    description = unique("越界上报")
    answer = report(other_worker, crews[0], description=description)      # a point in the first worker's grid
    assert answer.status_code == 403
    assert "不在您负责的网格内" in answer.get_data(as_text=True)
    assert ticket_row(engine, description=description) == []


def test_a_report_while_the_photo_store_is_unwritable_is_a_503_and_writes_nothing(worker, crews, engine, tmp_path,
                                                                                monkeypatch):
    from settings import get_settings
    in_its_place = tmp_path / "media-is-a-file"          # MEDIA_DIR unusable for real: a file where it should be
    in_its_place.write_text("not a folder")
    monkeypatch.setattr(get_settings(), "media_dir", in_its_place)
    description = unique("存储不可写")
    answer = report(worker, crews[0], description=description)
    assert answer.status_code == 503
    assert "照片暂时无法保存，请稍后重试" in answer.get_data(as_text=True)
    assert description in answer.get_data(as_text=True)   # the form comes back filled in, to send again
    assert ticket_row(engine, description=description) == []


def test_a_report_without_location_is_filed_at_the_workers_grid(worker, crews, engine):
    description = unique("路灯不亮")
    answer = report(worker, None, description=description, category="streetlight")
    assert answer.status_code == 303
    (ticket,) = ticket_row(engine, description=description)
    assert ticket["grid_code"] == crews[0]["grid_code"]


def test_a_gcj02_point_is_converted_to_wgs84_at_the_edge(worker, crews, engine):
    lon, lat = (float(v) for v in wgs84_to_gcj02(crews[0]["lon"], crews[0]["lat"]))
    description = unique("占道经营")
    answer = report(worker, None, description=description, lon=str(lon), lat=str(lat), datum="gcj02")
    assert answer.status_code == 303
    (ticket,) = ticket_row(engine, description=description)
    assert abs(ticket["x"] - crews[0]["lon"]) < 1e-5 and abs(ticket["y"] - crews[0]["lat"]) < 1e-5


@pytest.mark.parametrize("fields, message", [
    ({"media": None}, "请拍摄现场照片"),
    ({"category": ""}, "请选择问题类别"),
    ({"category": "no-such"}, "没有类别"),
    ({"description": "  "}, "请简要描述问题"),
    ({"lon": "abc", "lat": "41"}, "定位数据无效"),
    ({"lon": "122.9", "lat": "41.1", "datum": "bd09"}, "未知的坐标系"),
    ({"media": (io.BytesIO(b"not an image"), "x.jpg", "image/jpeg")}, "x.jpg"),
])
def test_a_bad_report_is_answered_with_the_form_and_the_reason_and_writes_nothing(worker, engine, fields, message):
    description = fields.pop("description", unique("坏表单"))
    answer = report(worker, None, description=description, **fields)
    assert answer.status_code == 400
    body = answer.get_data(as_text=True)
    assert message in body and 'id="m-report"' in body
    if description.strip():          # a blank one has no text to look for; the other cases check the writing
        assert ticket_row(engine, description=description) == []


def test_a_double_submit_files_one_ticket(worker, crews, engine):
    description = unique("重复提交")
    first = report(worker, crews[0], description=description, form_key="k-" + description)
    again = report(worker, crews[0], description=description, form_key="k-" + description)
    assert first.headers["Location"] == again.headers["Location"]
    assert len(ticket_row(engine, description=description)) == 1


# ------------------------------------------------------------------------------------------------ tasks

@pytest.fixture
def task(crews):
    """A ticket in the first worker's grid, dispatched to their crew."""
    created = create_ticket(NewTicket(channel="hotline", category="sanitation", lon=crews[0]["lon"],
                                      lat=crews[0]["lat"], description=unique("垃圾满溢"),
                                      citizen_phone="13800000000"), SYSTEM)
    number = created.ticket["number"]
    transition(number, "dispatch", SYSTEM, crew=crews[0]["code"])
    yield number
    try:
        transition(number, "refuse", SYSTEM, reason="测试工单")
    except Exception:
        pass


def post(client, path: str, **form):
    return client.post(path, data={"csrf_token": client.get_cookie("_csrf_token").value, **form},
                       content_type="multipart/form-data")


def test_a_task_is_arrived_and_resolved_with_a_photo(worker, task, engine, crews):
    page = worker.get("/m/tasks").get_data(as_text=True)
    assert task in page and f"arrive-{task}" in page
    assert post(worker, f"/m/tasks/{task}/arrive").headers["Location"] == f"/m/tasks?done=arrive&n={task}"
    assert ticket_row(engine, number=task)[0]["state"] == "on_site"
    refused = post(worker, f"/m/tasks/{task}/resolve", reply="已清运")
    assert refused.status_code == 400 and "请拍摄办结现场照片" in refused.get_data(as_text=True)
    assert ticket_row(engine, number=task)[0]["state"] == "on_site"
    done = post(worker, f"/m/tasks/{task}/resolve", reply="已清运", media=photo("done.jpg"))
    assert done.status_code == 303
    (ticket,) = ticket_row(engine, number=task)
    assert ticket["state"] == "resolved" and ticket["photos"] == 1
    assert task not in worker.get("/m/tasks").get_data(as_text=True)


def test_another_grids_worker_neither_sees_nor_moves_the_task(other_worker, task, engine):
    assert task not in other_worker.get("/m/tasks").get_data(as_text=True)
    answer = post(other_worker, f"/m/tasks/{task}/arrive")
    assert answer.status_code == 403 and "未派给您" in answer.get_data(as_text=True)
    answer = post(other_worker, f"/m/tasks/{task}/resolve", media=photo())
    assert answer.status_code == 403
    assert ticket_row(engine, number=task)[0]["state"] == "dispatched"


def test_arriving_twice_is_a_409_with_the_reason(worker, task):
    assert post(worker, f"/m/tasks/{task}/arrive").status_code == 303
    again = post(worker, f"/m/tasks/{task}/arrive")
    assert again.status_code == 409 and "不能到场" in again.get_data(as_text=True)


def test_an_unknown_task_is_404(worker):
    assert post(worker, "/m/tasks/20990101-999999/arrive").status_code == 404


# ------------------------------------------------------------------------------------------------ position

def test_the_position_goes_to_the_live_path_only_while_on_a_task(worker, other_worker, task, crews):
    at = {"lon": crews[0]["lon"] + 0.0001, "lat": crews[0]["lat"]}
    answer = worker.post("/m/position", json=at, headers=csrf_headers(worker))
    assert answer.status_code == 202
    latest = latest_positions(get_redis())[crews[0]["code"]]
    assert abs(latest["lon"] - at["lon"]) < 1e-6 and abs(latest["lat"] - at["lat"]) < 1e-6
    idle = other_worker.post("/m/position", json=at, headers=csrf_headers(other_worker))
    assert idle.status_code == 409 and idle.get_json()["error"]["code"] == "not_on_task"
    bad = worker.post("/m/position", json={"lon": "x", "lat": 1}, headers=csrf_headers(worker))
    assert bad.status_code == 400


def test_the_tasks_fingerprint_changes_when_a_task_comes(worker, crews):
    before = worker.get("/m/tasks/version").get_json()
    created = create_ticket(NewTicket(channel="hotline", category="sanitation", lon=crews[0]["lon"],
                                      lat=crews[0]["lat"], description=unique("新任务"),
                                      citizen_phone="13800000001"), SYSTEM)
    transition(created.ticket["number"], "dispatch", SYSTEM, crew=crews[0]["code"])
    try:
        after = worker.get("/m/tasks/version").get_json()
        assert after["version"] != before["version"] and after["count"] == before["count"] + 1
    finally:
        transition(created.ticket["number"], "refuse", SYSTEM, reason="测试工单")
