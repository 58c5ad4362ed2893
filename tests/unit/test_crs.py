"""GCJ-02 ↔ WGS-84 and the database URL rule."""
from __future__ import annotations

import math

import numpy as np
import pytest

from geo.crs import gcj02_to_wgs84, metres_per_degree, wgs84_to_gcj02
from geo.db import sqlalchemy_url


def offset_metres(lon1, lat1, lon2, lat2) -> float:
    mx, my = metres_per_degree(lat1)
    return math.hypot((lon2 - lon1) * mx, (lat2 - lat1) * my)


def test_gcj02_offset_in_anshan_is_a_few_hundred_metres():
    lon, lat = 122.99, 41.10
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert 250 < offset_metres(lon, lat, float(glon), float(glat)) < 700


def test_inverse_recovers_wgs84_to_millimetres():
    lons = np.linspace(122.9, 123.3, 9)
    lats = np.linspace(40.95, 41.15, 9)
    glon, glat = wgs84_to_gcj02(lons, lats)
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    worst = max(offset_metres(a, b, c, d) for a, b, c, d in zip(lons, lats, wlon, wlat))
    assert worst < 0.005


@pytest.mark.parametrize("url,expected", [
    ("postgresql://u@h:5432/db", "postgresql+psycopg2://u@h:5432/db"),
    ("postgres://u:p@h/db", "postgresql+psycopg2://u:p@h/db"),
    ("postgresql+psycopg2://u@h/db", "postgresql+psycopg2://u@h/db"),
])
def test_plain_postgres_urls_use_psycopg2(url, expected):
    assert sqlalchemy_url(url) == expected


def test_a_non_postgres_url_is_refused_clearly():
    with pytest.raises(ValueError, match="PostgreSQL"):
        sqlalchemy_url("mysql://u@h/db")
