"""The Flask side of the dashboard: health, the map's own style and glyphs, the page itself."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def client(engine):
    """A dispatcher's session (the map page is theirs); the style test asks from a wall PC's host name."""
    from app import server
    from tests.signing_in import signed_in_client
    hosts = server.config["TRUSTED_HOSTS"]
    server.config["TRUSTED_HOSTS"] = [*hosts, "wall.local"]
    yield signed_in_client(server, "dispatcher")
    server.config["TRUSTED_HOSTS"] = hosts


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
