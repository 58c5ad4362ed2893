"""The Flask side of the dashboard: health, the map's own style and glyphs, the page itself."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def client(engine):
    from app import server
    return server.test_client()


def test_health_reports_the_grids(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.get_json() == {"status": "ok", "grids": 932}


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
