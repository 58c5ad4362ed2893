"""The Flask side of the dashboard: health, the map's own style and glyphs, the page itself."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def client(engine):
    """A dispatcher's session (the map page is theirs); the style test asks from a wall PC's host name."""
    from app import server
    from harness.signing_in import signed_in_client
    hosts = server.config["TRUSTED_HOSTS"]
    server.config["TRUSTED_HOSTS"] = [*hosts, "wall.local"]
    yield signed_in_client(server, "dispatcher")
    server.config["TRUSTED_HOSTS"] = hosts


def test_health_answers_200_when_the_workers_have_caught_up(client, engine):
    """What the e2e fixtures wait for: a dashboard whose relay, ingester and sweep have done their work."""
    from events.relay import Relay
    from workers.escalation import sweep
    from workers.positions import ingest_waiting
    Relay(engine=engine).drain()
    ingest_waiting()
    sweep(engine)
    answer = client.get("/healthz")
    body = answer.get_json()
    assert answer.status_code == 200 and body["status"] == "ok", body
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True, "redis": True, "relay_lag": True, "ingester_lag": True, "escalation_sweep_age": True,
        "dead_letters": True, "live_connections": True}


def test_health_answers_503_naming_the_check_past_its_limit(client, monkeypatch):
    from events.bus import get_redis
    from settings import get_settings
    dead = "test:healthz:dead"
    monkeypatch.setattr(get_settings(), "position_dead_letter_stream", dead)
    get_redis().xadd(dead, {"stream": "crews:positions", "id": "1-0", "reason": "lon 'x': a number is required"})
    try:
        answer = client.get("/healthz")
    finally:
        get_redis().delete(dead)
    body = answer.get_json()
    assert answer.status_code == 503 and body["status"] == "failing"
    assert body["checks"]["dead_letters"] == {"ok": False, "value": 1, "limit": 0, "unit": "entries", "stream": dead}


def test_style_points_glyphs_at_the_host_that_asked(client):
    style = client.get("/map-style.json", base_url="http://wall.local:9000").get_json()
    assert style["glyphs"].startswith("http://wall.local:9000/map-glyphs/")
    assert style["sources"] == {}


def test_glyph_ranges_answer_empty(client):
    answer = client.get("/map-glyphs/Open Sans Regular/0-255.pbf")
    assert answer.status_code == 200 and answer.data == b""


def test_the_map_page_is_chinese_and_carries_the_figure(client):
    page = client.get("/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'lang="zh-CN"' in html and "铁东区 96715 指挥中心" in html


def test_base_map_figure_is_built_once_per_host_and_rebuilt_after_the_data_is_forgotten(engine):
    from services.reference_map import base_map_figure, forget_map_data
    wall = base_map_figure("http://wall.local/map-style.json", labels_size=20, cameras=False)
    assert base_map_figure("http://wall.local/map-style.json", labels_size=20, cameras=False) is wall
    other_host = base_map_figure("http://10.0.0.5/map-style.json", labels_size=20, cameras=False)
    assert other_host is not wall and other_host["layout"]["map"]["style"] == "http://10.0.0.5/map-style.json"
    assert [t["name"] for t in wall["data"]] == ["grids", "community_lines", "street_lines", "district_line",
                                                 "street_labels"]
    assert "cameras" in [t["name"] for t in base_map_figure("http://wall.local/map-style.json")["data"]]
    forget_map_data()
    assert base_map_figure("http://wall.local/map-style.json", labels_size=20, cameras=False) is not wall
