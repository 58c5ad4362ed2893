"""Photo storage through its doors, against the real app, PostGIS and a real MEDIA_DIR (a temporary folder):
Open311 multipart POSTs, GET /media/<id>.<ext> and who it serves, POST /api/v1/tickets/<n>/photos, the sweep.

Images are real (made with Pillow, tests/photos.py), with GPS EXIF: the stored copies are opened again and must
carry none. Tickets made here are refused at the end (a final state), as in the other Open311 tests.
"""
from __future__ import annotations

import errno
import io
import os
import uuid
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import text

from harness.signing_in import signed_in_client
from services import media
from settings import get_settings
from tests.integration.api_helpers import add_api_key
from tests.photos import has_gps, jpeg_with_gps, metadata_of

V2 = "/open311/v2"


# ------------------------------------------------------------------------------------------------ fixtures

@pytest.fixture(scope="module")
def server(engine):
    from app import server as flask_server
    return flask_server


@pytest.fixture(scope="module")
def client(server):
    return server.test_client()


@pytest.fixture(autouse=True)
def media_dir(tmp_path, monkeypatch):
    """Each test stores its photos in a folder of its own."""
    monkeypatch.setattr(get_settings(), "media_dir", tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture(scope="module")
def api_key(engine):
    run = uuid.uuid4().hex[:8]
    key, name = f"media-{run}-live", f"media-test-{run}"
    add_api_key(engine, name, key)
    with engine.begin() as conn:     # adding photos to a ticket is moving it along: the transitions scope
        conn.execute(text("UPDATE api_keys SET scopes = '{intake,read,transitions}' WHERE name = :n"), {"n": name})
    yield {"key": key, "name": name}
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM api_keys WHERE name = :n"), {"n": name})


@pytest.fixture(scope="module")
def point(engine):
    with engine.connect() as conn:
        lon, lat = conn.execute(text("""SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))
                                        FROM grids ORDER BY code LIMIT 1""")).one()
    return lon, lat


@pytest.fixture
def post(client, api_key, created, point):
    """POST a multipart Open311 request; ``files`` are (part name, filename, bytes, content type)."""
    def send(fmt: str = "json", files=(), **fields):
        form = {"api_key": api_key["key"], "service_code": "noise", "lat": str(point[1]), "long": str(point[0]),
                **fields}
        data = {k: v for k, v in form.items() if v is not None}
        parts = [(name, (io.BytesIO(content), filename, content_type)) for name, filename, content, content_type
                 in files]
        body = list(data.items()) + parts
        from werkzeug.datastructures import MultiDict
        answer = client.post(f"{V2}/requests.{fmt}", data=MultiDict(body), content_type="multipart/form-data")
        if answer.status_code == 200:
            created.append(answer.get_json()[0]["service_request_id"] if fmt == "json" else
                           ET.fromstring(answer.data).findtext("request/service_request_id"))
        return answer
    return send


def photo_rows(engine, number: str) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text("""
            SELECT p.* FROM ticket_photos p JOIN tickets t ON t.id = p.ticket_id WHERE t.number = :n ORDER BY p.id"""),
            {"n": number}).mappings()]


def tickets_described(engine, description: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM tickets WHERE description = :d"), {"d": description}).scalar()


def files_under(folder) -> list:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


# ------------------------------------------------------------------------------------------------ Open311

def test_an_open311_multipart_post_keeps_the_photo_without_its_gps_and_answers_media_url(post, client, engine,
                                                                                        media_dir):
    original = jpeg_with_gps(320, 240)
    assert has_gps(original)
    answer = post("xml", files=[("media", "IMG_0042.jpg", original, "image/jpeg")], description="楼下夜间施工")
    assert answer.status_code == 200, answer.data
    item = ET.fromstring(answer.data).find("request")
    assert [c.tag for c in item] == ["service_request_id", "service_notice", "account_id", "media_url"]
    number, url = item.findtext("service_request_id"), item.findtext("media_url")
    rows = photo_rows(engine, number)
    assert len(rows) == 1 and url == f"http://localhost/media/{rows[0]['public_id']}.jpg"
    assert (rows[0]["content_type"], rows[0]["source"], rows[0]["original_name"]) == ("image/jpeg", "open311",
                                                                                     "IMG_0042.jpg")
    stored = files_under(media_dir)
    assert [p.relative_to(media_dir).parts[0] for p in stored] == ["photos"]
    assert not has_gps(stored[0].read_bytes()) and metadata_of(stored[0].read_bytes())["exif"] == {}
    with engine.connect() as conn:
        events = conn.execute(text("""SELECT e.action, e.data FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
                                      WHERE t.number = :n ORDER BY e.id"""), {"n": number}).all()
    assert [e.action for e in events] == ["register", "add_photos"]
    assert events[1].data["photos"] == [rows[0]["public_id"]]
    from services.ticket_views import operator_detail
    from workorders.policy import system_principal
    shown = operator_detail(system_principal("测试"), number)["events"][-1]
    assert (shown["label"], shown["note"]) == ("上传照片", "照片 1 张")
    # Open311 GET of the request, in both formats, shows the same media_url.
    assert client.get(f"{V2}/requests/{number}.json").get_json()[0]["media_url"] == url
    listed = ET.fromstring(client.get(f"{V2}/requests.xml?service_request_id={number}").data)
    assert listed.findtext("request/media_url") == url


def test_any_file_part_name_counts_and_several_photos_are_kept(post, engine):
    answer = post(files=[("photo1", "a.jpg", jpeg_with_gps(), "image/jpeg"),
                         ("photo2", "b.jpg", jpeg_with_gps(40, 40), "image/jpeg")])
    assert answer.status_code == 200
    rows = photo_rows(engine, answer.get_json()[0]["service_request_id"])
    assert [(r["width"], r["height"]) for r in rows] == [(64, 32), (40, 40)]
    assert answer.get_json()[0]["media_url"].endswith(f"/media/{rows[0]['public_id']}.jpg")


def test_a_text_part_is_a_400_in_the_spec_shape_and_nothing_is_written(post, engine, media_dir):
    description = f"文字冒充图片 {uuid.uuid4().hex[:6]}"
    answer = post("xml", files=[("media", "photo.jpg", "这不是图片".encode(), "image/jpeg")],
                  description=description)
    assert answer.status_code == 400
    root = ET.fromstring(answer.data)
    assert root.tag == "errors" and root.findtext("error/code") == "400"
    assert "media（photo.jpg）：不是可接受的图片" in root.findtext("error/description")
    assert tickets_described(engine, description) == 0 and files_under(media_dir) == []


@pytest.mark.parametrize("kind", ["too_large", "broken"])
def test_a_photo_too_large_or_broken_is_a_400_and_nothing_is_written(post, engine, media_dir, monkeypatch, kind):
    photo = jpeg_with_gps(400, 300)
    if kind == "too_large":
        monkeypatch.setattr(get_settings(), "media_max_bytes", len(photo) - 1)
    else:
        photo = photo[: len(photo) // 2]
    description = f"坏图 {kind} {uuid.uuid4().hex[:6]}"
    answer = post(files=[("media", "x.jpg", photo, "image/jpeg")], description=description)
    assert answer.status_code == 400
    assert ("不能超过" if kind == "too_large" else "损坏") in answer.get_json()[0]["description"]
    assert tickets_described(engine, description) == 0 and files_under(media_dir) == []


def test_a_ticket_the_services_refuse_keeps_no_photo(post, media_dir):
    answer = post(files=[("media", "x.jpg", jpeg_with_gps(), "image/jpeg")], lat="39.9", long="116.4")
    assert answer.status_code == 400 and "辖区" in answer.get_json()[0]["description"]
    assert files_under(media_dir) == []          # staged before the transaction, discarded with it


def test_a_full_disk_is_a_503_and_nothing_is_written(post, engine, media_dir, monkeypatch):
    def disk_full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(media, "_write_durably", disk_full)
    description = f"磁盘已满 {uuid.uuid4().hex[:6]}"
    answer = post(files=[("media", "x.jpg", jpeg_with_gps(), "image/jpeg")], description=description)
    assert answer.status_code == 503 and "空间已满" in answer.get_json()[0]["description"]
    assert tickets_described(engine, description) == 0 and files_under(media_dir) == []


@pytest.fixture(params=["a_file_in_its_place", "read_only"])
def unwritable_media_dir(request, tmp_path, monkeypatch):
    """MEDIA_DIR the process cannot write to, for real (no mock): a plain file where the folder should be (what
    a wrong mount or path leaves), or a folder without write permission (which root ignores: skipped as root)."""
    if request.param == "a_file_in_its_place":
        where = tmp_path / "media-is-a-file"
        where.write_text("not a folder")
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes into a read-only folder anyway")
        where = tmp_path / "read-only-media"
        where.mkdir()
        where.chmod(0o500)
        request.addfinalizer(lambda: where.chmod(0o700))
    monkeypatch.setattr(get_settings(), "media_dir", where)
    return where


def test_an_unwritable_media_dir_is_a_503_with_retry_after_and_no_ticket(post, engine, unwritable_media_dir):
    description = f"存储不可写 {uuid.uuid4().hex[:6]}"
    answer = post(files=[("media", "x.jpg", jpeg_with_gps(), "image/jpeg")], description=description)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "60"
    [item] = answer.get_json()
    assert item["code"] == 503 and "照片存储暂时不可用" in item["description"]
    assert tickets_described(engine, description) == 0          # the ticket went down with its photo
    assert files_under(unwritable_media_dir) == []


def test_an_unwritable_media_dir_adds_no_photo_to_a_ticket_through_the_api(post, client, api_key, engine,
                                                                          media_dir, monkeypatch):
    number = post().get_json()[0]["service_request_id"]          # filed while the store was writable
    where = media_dir.parent / "media-is-a-file"
    where.write_text("not a folder")
    monkeypatch.setattr(get_settings(), "media_dir", where)
    answer = client.post(f"/api/v1/tickets/{number}/photos", content_type="multipart/form-data",
                         data={"media": (io.BytesIO(jpeg_with_gps()), "reply.jpg", "image/jpeg")},
                         headers={"X-API-Key": api_key["key"]})
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "60"
    error = answer.get_json()["error"]
    assert error["code"] == "storage_unavailable" and "照片存储暂时不可用" in error["message"]
    assert photo_rows(engine, number) == []
    with engine.connect() as conn:
        actions = conn.execute(text("""SELECT e.action FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
                                       WHERE t.number = :n"""), {"n": number}).scalars().all()
    assert "add_photos" not in actions                          # no history entry for photos that are not there


def test_a_retried_post_with_its_idempotency_key_stores_the_photo_once(client, api_key, created, point, engine,
                                                                      media_dir):
    key = f"photo-retry-{uuid.uuid4().hex}"

    def send():
        return client.post(f"{V2}/requests.json", content_type="multipart/form-data",
                           headers={"Idempotency-Key": key},
                           data={"api_key": api_key["key"], "service_code": "noise", "lat": str(point[1]),
                                 "long": str(point[0]), "media": (io.BytesIO(jpeg_with_gps()), "a.jpg", "image/jpeg")})
    first, again = send().get_json()[0], send().get_json()[0]
    created.append(first["service_request_id"])
    assert again == first and "/media/" in first["media_url"]
    assert len(photo_rows(engine, first["service_request_id"])) == 1 and len(files_under(media_dir)) == 1


def test_a_media_url_sent_as_a_url_is_kept_beside_an_uploaded_photo(post, engine):
    answer = post(files=[("media", "x.jpg", jpeg_with_gps(), "image/jpeg")],
                  media_url="https://img.example/own-copy.jpg")
    number = answer.get_json()[0]["service_request_id"]
    with engine.connect() as conn:
        kept = conn.execute(text("SELECT media_url FROM tickets WHERE number = :n"), {"n": number}).scalar()
    assert kept == "https://img.example/own-copy.jpg"
    assert "/media/" in answer.get_json()[0]["media_url"] and len(photo_rows(engine, number)) == 1
    only_url = post(media_url="https://img.example/only.jpg").get_json()[0]
    assert only_url["media_url"] == "https://img.example/only.jpg"


def test_a_multipart_post_may_pass_the_general_body_limit_but_not_the_upload_limit(post, monkeypatch, client):
    photo = jpeg_with_gps(400, 300)
    monkeypatch.setattr(get_settings(), "max_request_bytes", 1000)
    assert len(photo) > 1000
    assert post(files=[("media", "x.jpg", photo, "image/jpeg")]).status_code == 200
    monkeypatch.setattr(get_settings(), "max_upload_request_bytes", 2000)
    assert post(files=[("media", "x.jpg", photo, "image/jpeg")]).status_code == 413
    assert client.post("/login", data={"username": "x", "password": "y" * 2000}).status_code == 413


# ------------------------------------------------------------------------------------------------ /media

@pytest.fixture
def stored(post, engine):
    answer = post(files=[("media", "x.jpg", jpeg_with_gps(), "image/jpeg")])
    number = answer.get_json()[0]["service_request_id"]
    with engine.connect() as conn:
        lead, co = conn.execute(text("SELECT lead_department_code, co_department_codes FROM tickets WHERE number = :n"),
                                {"n": number}).one()
        other = conn.execute(text("SELECT code FROM departments WHERE code <> ALL(:units) ORDER BY code LIMIT 1"),
                             {"units": [lead, *co]}).scalar()
    return {"number": number, "path": path_of(answer.get_json()[0]["media_url"]), "lead": lead, "other": other}


def test_media_serves_the_photo_to_staff_and_key_holders_and_asks_nobody_to_sign_in(stored, server, client,
                                                                                  api_key):
    nobody = client.get(stored["path"])
    assert nobody.status_code == 401 and nobody.get_json()["error"]["code"] == "sign_in_required"
    answer = signed_in_client(server, "operator").get(stored["path"])
    assert answer.status_code == 200 and answer.content_type == "image/jpeg"
    assert not has_gps(answer.data) and answer.data[:3] == b"\xff\xd8\xff"
    assert "private" in answer.headers["Cache-Control"] and answer.headers["ETag"]
    again = signed_in_client(server, "operator").get(stored["path"],
                                                     headers={"If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304
    by_key = client.get(stored["path"], headers={"X-API-Key": api_key["key"]})
    assert by_key.status_code == 200 and by_key.data == answer.data
    assert client.get(stored["path"], headers={"X-API-Key": "td_nobody"}).status_code == 401


def test_media_refuses_a_unit_whose_ticket_it_is_not_and_serves_the_lead_unit(stored, server):
    from harness.signing_in import make_user, sign_in
    outsider = server.test_client()
    sign_in(outsider, *make_user("department", department=stored["other"]))
    assert outsider.get(stored["path"]).status_code == 403
    lead = server.test_client()
    sign_in(lead, *make_user("department", department=stored["lead"]))
    assert lead.get(stored["path"]).status_code == 200
    wall = signed_in_client(server, "wall")                 # no ticket_read: the wall masks personal data
    assert wall.get(stored["path"]).status_code == 403


def test_unknown_and_mistyped_photos_are_404_for_staff_and_401_for_nobody(stored, server, client):
    staff = signed_in_client(server, "operator")
    assert staff.get(stored["path"].replace(".jpg", ".png")).status_code == 404
    assert staff.get("/media/" + "0" * 32 + ".jpg").status_code == 404
    assert staff.get("/media/not-an-id.jpg").status_code == 404
    assert client.get("/media/" + "0" * 32 + ".jpg").status_code == 401


def test_open311_photos_are_public_where_the_setting_says_so(stored, client, monkeypatch):
    monkeypatch.setattr(get_settings(), "open311_photos_public", True)
    answer = client.get(stored["path"])
    assert answer.status_code == 200 and answer.content_type == "image/jpeg"
    assert "public" in answer.headers["Cache-Control"] and "max-age=86400" in answer.headers["Cache-Control"]


def test_a_photo_committed_but_not_yet_published_is_served_and_the_sweep_publishes_the_rest(post, server, engine,
                                                                                          media_dir, monkeypatch):
    """A crash between the commit and the rename, twice: one photo is asked for, one waits for the sweep."""
    def crash(self, public_id, ext):
        raise OSError(errno.EIO, "crashed before the rename")
    original_publish = media.PhotoStore.publish
    monkeypatch.setattr(media.PhotoStore, "publish", crash)
    first = post(files=[("media", "a.jpg", jpeg_with_gps(), "image/jpeg")]).get_json()[0]
    second = post(files=[("media", "b.jpg", jpeg_with_gps(), "image/jpeg")]).get_json()[0]
    assert [p.parent.name for p in files_under(media_dir)] == ["tmp", "tmp"]
    monkeypatch.setattr(media.PhotoStore, "publish", original_publish)
    assert signed_in_client(server, "operator").get(path_of(first["media_url"])).status_code == 200
    orphan = media.photo_store().stage(media.prepare(media.Upload("o.jpg", "image/jpeg", jpeg_with_gps())))
    assert media.sweep_temporary_files(older_than_seconds=0) == 2     # the second published, the orphan deleted
    assert [p.parent.parent.name for p in files_under(media_dir)] == ["photos", "photos"]
    assert not orphan.path.exists()
    assert signed_in_client(server, "operator").get(path_of(second["media_url"])).status_code == 200


def test_the_sweep_leaves_fresh_staged_files_alone(media_dir):
    staged = media.photo_store().stage(media.prepare(media.Upload("o.jpg", "image/jpeg", jpeg_with_gps())))
    assert media.sweep_temporary_files() == 0 and staged.path.exists()


# ------------------------------------------------------------------------------------------------ /api/v1

def test_the_api_adds_photos_to_a_ticket_and_lists_them(post, client, api_key, engine, media_dir):
    number = post().get_json()[0]["service_request_id"]
    url = f"/api/v1/tickets/{number}/photos"
    files = {"media": (io.BytesIO(jpeg_with_gps()), "reply.jpg", "image/jpeg")}
    assert client.post(url, data=files, content_type="multipart/form-data").status_code == 401
    answer = client.post(url, data={"media": (io.BytesIO(jpeg_with_gps()), "reply.jpg", "image/jpeg")},
                         content_type="multipart/form-data", headers={"X-API-Key": api_key["key"]})
    assert answer.status_code == 201, answer.get_json()
    photo = answer.get_json()["photos"][0]
    assert photo["content_type"] == "image/jpeg" and photo["url"].endswith(f"/media/{photo['id']}.jpg")
    assert photo["source"] == "api" and photo["uploaded_by"] == api_key["name"]
    read = client.get(f"/api/v1/tickets/{number}", headers={"X-API-Key": api_key["key"]}).get_json()
    assert [p["id"] for p in read["photos"]] == [photo["id"]]
    assert read["events"][-1]["action"] == "add_photos"
    assert client.get(path_of(photo["url"]), headers={"X-API-Key": api_key["key"]}).status_code == 200


def test_the_api_refuses_what_is_no_photo_and_writes_nothing(post, client, api_key, engine, media_dir):
    number = post().get_json()[0]["service_request_id"]
    url, key = f"/api/v1/tickets/{number}/photos", {"X-API-Key": api_key["key"]}
    text_part = client.post(url, data={"media": (io.BytesIO(b"plain text"), "a.jpg", "text/plain")},
                            content_type="multipart/form-data", headers=key)
    assert text_part.status_code == 400 and text_part.get_json()["error"]["code"] == "not_an_image"
    assert text_part.get_json()["error"]["field"] == "media"
    empty = client.post(url, data={"note": "x"}, content_type="multipart/form-data", headers=key)
    assert empty.status_code == 400 and empty.get_json()["error"]["code"] == "no_photos"
    as_json = client.post(url, json={"media": "x"}, headers=key)
    assert as_json.status_code == 415
    unknown = client.post("/api/v1/tickets/20000101-999999/photos", headers=key, content_type="multipart/form-data",
                          data={"media": (io.BytesIO(jpeg_with_gps()), "a.jpg", "image/jpeg")})
    assert unknown.status_code == 404
    assert photo_rows(engine, number) == [] and files_under(media_dir) == []


def test_the_api_photos_endpoint_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "multipart/form-data" in paths["/tickets/{number}/photos"]["post"]["requestBody"]["content"]


def test_the_escalation_worker_sweeps_staged_files_on_its_way(media_dir):
    import os
    import time
    from workers.escalation import sweep_loop
    orphan = media.photo_store().stage(media.prepare(media.Upload("o.jpg", "image/jpeg", jpeg_with_gps())))
    old = time.time() - get_settings().media_staged_grace_seconds - 60
    os.utime(orphan.path, (old, old))
    sweep_loop(every=60).step()
    assert not orphan.path.exists()
