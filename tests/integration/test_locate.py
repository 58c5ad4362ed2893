"""services.locate.locate_and_route against intake itself: the same points, the same place and route."""
from __future__ import annotations

import random

import pytest
from sqlalchemy import text

from geo.history import report_locations
from services.locate import locate_and_route
from services.tickets import categories, create_ticket
from workorders.contract import IntakeError, NewTicket
from workorders.policy import system_principal


@pytest.fixture(scope="module")
def sample(engine) -> list[tuple[float, float, str]]:
    """40 report places of every street, each with a category (every category at least once)."""
    with engine.connect() as conn:
        places, codes = report_locations(conn), sorted(categories(conn))
    rnd = random.Random(12)
    chosen = rnd.sample(places, 40)
    return [(p["lon"], p["lat"], codes[i % len(codes)]) for i, p in enumerate(chosen)]


def test_batch_gives_what_intake_gives_each_ticket(engine, sample, shared_edge_point):
    _, _, edge_lon, edge_lat = shared_edge_point
    points = [*sample, (edge_lon, edge_lat, sample[0][2])]
    with engine.connect() as conn:
        batch = locate_and_route(conn, points)
        for (lon, lat, code), got in zip(points, batch):
            ticket = create_ticket(NewTicket(channel="hotline", category=code, description="批量定位对照", lon=lon,
                                             lat=lat), system_principal("测试"), conn=conn).ticket
            assert (got.grid_code, got.community_code, got.street_code) == (
                ticket["grid_code"], ticket["community_code"], ticket["street_code"])
            assert got.route.lead_department == ticket["lead_department_code"]
            assert list(got.route.co_departments) == list(ticket["co_department_codes"])
            assert got.route.handled_by_community == ticket["handled_by_community"]
        conn.rollback()      # nothing of the comparison stays
    assert len({b.street_code for b in batch}) > 5 and len({b.route.lead_department for b in batch}) > 5


def test_outside_points_are_none_and_order_is_kept(engine, sample):
    lon, lat, code = sample[0]
    with engine.connect() as conn:
        result = locate_and_route(conn, [(0.0, 0.0, code), (lon, lat, code), (float("nan"), 41.0, code)])
    assert result[0] is None and result[2] is None and result[1].lon == lon


def test_an_unknown_category_refuses_the_whole_batch(engine, sample):
    lon, lat, code = sample[0]
    with engine.connect() as conn, pytest.raises(IntakeError, match="未知事项类别"):
        locate_and_route(conn, [(lon, lat, code), (lon, lat, "no_such_category")])


def test_the_batch_statement_leaves_the_callers_jit_setting_alone(engine, sample):
    with engine.connect() as conn:
        conn.execute(text("SET jit = on"))
        locate_and_route(conn, sample)
        assert conn.execute(text("SHOW jit")).scalar() == "on"
        conn.rollback()
