"""Petitions and police stations on PostGIS: the seed's figures come out of the queries, a 越级上访 links the work order
it grew from, an import is all or nothing, the petitioner's phone reaches only who holds ``petitions``; the stations'
areas are the unions of their cells and their police units are crews the dispatcher is offered."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from geo import crews as crews_db
from services import dispatch, petitions
from services.tickets import NewTicket, create_ticket, transition
from tests.conftest import ROOT
from tests.fresh import new_phone
from workorders.petitions import PetitionRejected
from workorders.policy import Forbidden, Principal, system_principal

SUPERVISOR = Principal(id=None, name="pt-supervisor", roles=frozenset({"supervisor"}))
LEADER = Principal(id=None, name="pt-leader", roles=frozenset({"leader"}))
DISPATCHER = Principal(id=None, name="pt-dispatcher", roles=frozenset({"dispatcher"}))
STREET = Principal(id=None, name="pt-street", roles=frozenset({"street"}), street_code="210302001")
HEADER = "信访人,联系电话,问题类别,反映问题,信访层级,越级上访,网格编码,登记日期,关联工单,代理律师,办理结果,办结日期"


@pytest.fixture
def cleanup(engine):
    yield
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM petitions WHERE source <> 'seed'"))


@pytest.fixture
def work_order(engine, spot):
    actor = system_principal("petition-tests")
    ticket = create_ticket(NewTicket(channel="hotline", category="heating_cold", description="家里暖气不热，多次反映未解决",
                                     lon=spot["lon"], lat=spot["lat"], citizen_name="周八", citizen_phone=new_phone()),
                           actor, engine=engine).ticket
    yield ticket
    transition(ticket["number"], "refuse", actor, reason="测试工单")


def test_the_seed_holds_the_centers_figures(engine):
    seeded = petitions.summary(SUPERVISOR, {"source": "seed"})
    assert (seeded.cases, seeded.open) == (1150, 60)
    assert seeded.lawyer == seeded.lawyer_kinds > 0                  # every 涉法涉诉 and relocation case has a lawyer
    assert 0 < seeded.skipped < seeded.cases - seeded.by_level["区级"] + 1
    with engine.connect() as conn:
        wrong = conn.execute(text("""SELECT count(*) FROM petitions WHERE skipped_level AND NOT EXISTS (
            SELECT 1 FROM petition_tickets pt WHERE pt.petition_id = petitions.id) AND NOT EXISTS (
            SELECT 1 FROM petition_disputes pd WHERE pd.petition_id = petitions.id)""")).scalar()
    assert wrong == 0                                                # each 越级 names what it grew from
    streets = petitions.counts_by_street(LEADER)
    everything = petitions.summary(LEADER)
    assert sum(s["cases"] for s in streets) == everything.cases
    assert sum(s["skipped"] for s in streets) == everything.skipped


def test_twelve_stations_whose_areas_are_the_unions_of_their_cells(engine):
    stations = petitions.stations(LEADER)
    assert len(stations) == 12 and sum(s["grids"] for s in stations) == 932
    assert sum(s["units"] for s in stations) == 110 and sum(s["auxiliary"] for s in stations) == 90
    with engine.connect() as conn:
        ratios = conn.execute(text("""
            SELECT ST_Area(s.geom::geography) / sum(ST_Area(g.geom::geography)), ST_NumGeometries(s.geom)
            FROM police_stations s JOIN grids g ON g.code = ANY(s.grid_codes) GROUP BY s.code""")).all()
        homeless = conn.execute(text("SELECT count(*) FROM crews WHERE department_code = 'gaj' "
                                     "AND station_code IS NULL")).scalar()
    assert all(abs(ratio - 1) < 1e-4 and parts == 1 for ratio, parts in ratios)
    assert homeless == 0


def test_the_dispatcher_is_offered_police_units_with_their_station(engine, spot):
    with engine.connect() as conn:
        offered = crews_db.nearest_crews(conn, spot["lon"], spot["lat"], ["gaj"], None, limit=20)
    units = [c for c in offered if c["kind"] == "派出所民警"]
    assert units and all(c["station"].endswith("派出所") for c in units)


@pytest.mark.parametrize("kind", ["派出所民警", "社区辅警"])
def test_the_dispatcher_sends_a_police_unit_or_an_auxiliary_to_a_public_security_ticket(engine, kind):
    """At the home of one of the station's crews, a 治安 ticket's panel offers it with its station, and one click
    sends it."""
    with engine.connect() as conn:
        crew = conn.execute(text("""SELECT w.code, ST_X(w.geom) AS lon, ST_Y(w.geom) AS lat, s.name AS station
            FROM crews w JOIN police_stations s ON s.code = w.station_code
            WHERE w.kind = :k AND w.status = 'available' ORDER BY w.code LIMIT 1"""), {"k": kind}).mappings().one()
    actor = system_principal("petition-tests")
    ticket = create_ticket(NewTicket(channel="hotline", category="public_security", description="夜间有人聚集滋事",
                                     lon=crew["lon"], lat=crew["lat"]), actor, engine=engine).ticket
    try:
        panel = dispatch.cell_panel(ticket["grid_code"], selected=ticket["number"])
        offered = {c["code"]: c for c in panel["crews"]}
        assert crew["code"] in offered and offered[crew["code"]]["station"] == crew["station"]
        dispatch.assign(ticket["number"], crew["code"], DISPATCHER)
        with engine.connect() as conn:
            state, status = conn.execute(text("""SELECT t.state, w.status FROM tickets t JOIN crews w
                ON w.code = t.crew_code WHERE t.number = :n"""), {"n": ticket["number"]}).one()
        assert (state, status) == ("dispatched", "en_route")
    finally:
        transition(ticket["number"], "refuse", actor, reason="测试工单")
        with engine.begin() as conn:
            conn.execute(text("UPDATE crews SET status = 'available' WHERE code = :c"), {"c": crew["code"]})


def test_a_skipped_level_petition_links_the_work_order_it_grew_from(work_order, cleanup):
    row = {"信访人": "周八", "联系电话": "13900001111", "问题类别": "城建管理", "反映问题": "供暖问题到市里上访",
           "信访层级": "市级", "越级上访": "是", "网格编码": work_order["grid_code"], "登记日期": "2026-11-20"}
    with pytest.raises(PetitionRejected) as rejected:
        petitions.add_petition(SUPERVISOR, row)
    assert rejected.value.problems == ["关联工单：越级上访须关联其由来的工单"]
    with pytest.raises(PetitionRejected) as rejected:
        petitions.add_petition(SUPERVISOR, {**row, "信访层级": "区级", "关联工单": work_order["number"]})
    assert rejected.value.problems[0].startswith("越级上访：区级信访不是越级")
    number = petitions.add_petition(SUPERVISOR, {**row, "关联工单": work_order["number"]})
    shown = petitions.list_petitions(SUPERVISOR, {"number": number})[0]
    assert shown["ticket_numbers"] == [work_order["number"]] and shown["skipped_level"] and shown["phone"]
    petitions.close_petition(SUPERVISOR, number, "已化解")
    with pytest.raises(PetitionRejected):
        petitions.close_petition(SUPERVISOR, number, "已化解")       # closed already


def test_the_open_petitions_on_the_map_are_the_open_cases_at_their_cells(engine):
    everything = petitions.summary(LEADER)
    points = petitions.open_on_map(LEADER)
    assert len(points) == everything.open > 0
    assert sum(p["skipped_level"] for p in points) == petitions.summary(LEADER, {"open": True, "skipped": True}).cases
    with engine.connect() as conn:
        outside = conn.execute(text("""SELECT count(*) FROM unnest(CAST(:codes AS text[]), CAST(:lons AS float8[]),
                                                                   CAST(:lats AS float8[])) AS p(code, lon, lat)
            JOIN grids g ON g.code = p.code WHERE NOT ST_Contains(g.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))"""),
            {"codes": [p["grid_code"] for p in points], "lons": [p["lon"] for p in points],
             "lats": [p["lat"] for p in points]}).scalar()
    assert outside == 0
    street = points[0]["street"]
    code = next(s["code"] for s in petitions.counts_by_street(LEADER) if s["name"] == street)
    mine = petitions.open_on_map(SUPERVISOR, {"street": code})
    assert mine and len(mine) == petitions.summary(SUPERVISOR, {"street": code, "open": True}).cases
    assert all(p["street"] == street for p in mine) and not any("petitioner" in p or "phone" in p for p in mine)
    with pytest.raises(Forbidden):
        petitions.open_on_map(STREET)                                  # no right, no map


def test_the_petitioners_phone_is_hidden_from_roles_without_the_right(engine):
    full = petitions.list_petitions(SUPERVISOR)
    masked = petitions.list_petitions(LEADER)
    assert [r["number"] for r in full] == [r["number"] for r in masked]
    assert all(r["phone"] and "*" not in r["phone"] for r in full)
    assert all("*" in r["phone"] and "*" in r["petitioner"] for r in masked)
    assert not any(r["phone"] in {m["phone"] for m in masked} for r in full)
    with pytest.raises(Forbidden):
        petitions.list_petitions(STREET)                             # no right, no figures
    with pytest.raises(Forbidden):
        petitions.export_csv(LEADER)
    with pytest.raises(Forbidden):
        petitions.add_petition(LEADER, {})


def count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM petitions")).scalar()


def test_an_import_with_one_bad_row_writes_nothing_and_names_the_row(engine, tmp_path, work_order, cleanup):
    grid = work_order["grid_code"]
    good = f"吴九,13900002222,征地拆迁,拆迁补偿标准争议,区级,否,{grid},2026-11-01,,辽宁千山律师事务所 王律师,已化解,2026-11-10"
    bad = f"郑十,12,涉法涉诉,不服判决,省级,是,{grid},2026-11-02,,,,"
    path = tmp_path / "petitions.csv"
    path.write_text(f"{HEADER}\n{good}\n{bad}\n", encoding="utf-8-sig")
    before = count(engine)
    answer = subprocess.run([sys.executable, "-m", "etl", "petitions", str(path)], cwd=ROOT, capture_output=True,
                            text=True)
    assert answer.returncode == 1 and "nothing imported" in answer.stderr
    for field in ("联系电话", "关联工单", "代理律师"):
        assert f"error: 第 3 行 {field}" in answer.stderr
    assert count(engine) == before
    skipped = f"=HYPERLINK(1),13900003333,城建管理,供暖,市级,是,{grid},2026-11-03,{work_order['number']},,,"
    path.write_text(f"{HEADER}\n{good}\n{skipped}\n", encoding="utf-8-sig")
    assert petitions.import_file(SUPERVISOR, path) == 2 and count(engine) == before + 2
    exported = petitions.export_csv(SUPERVISOR, {"source": "import"})
    assert "'=HYPERLINK(1)" in exported and work_order["number"] in exported


def test_an_import_with_unknown_headers_is_refused():
    with pytest.raises(petitions.ImportRejected) as rejected:
        petitions.import_petitions(SUPERVISOR, "x.csv", "姓名,内容\n甲,乙\n".encode())
    assert any("缺少" in p for p in rejected.value.problems) and any("不认识的列" in p for p in rejected.value.problems)


SEEDED_ON = datetime(2026, 3, 1, tzinfo=timezone.utc)
PETITION_LINKS = """SELECT p.number, t.number FROM petition_tickets pt JOIN petitions p ON p.id = pt.petition_id
                    JOIN tickets t ON t.id = pt.ticket_id WHERE p.source = 'seed' ORDER BY 1, 2"""


def test_the_seeded_skipped_level_petitions_link_the_work_orders_they_grew_from(scratch_engine):
    """`etl reference` seeds the petitions before any ticket exists; `etl history` then links each seeded 越级上访 to
    1–3 work orders of its grid cell or community, of a matching category, registered before it (all but those of a
    small community without one); running either again adds nothing, and `etl reference` over tickets links an
    unlinked one right away, the same ones."""
    from etl.history import generate_history
    from etl.petitions import link_seeded_tickets, seed_if_empty
    from etl.reference import load_reference_and_catalogue
    from workorders.petitions import origin_categories
    engine = scratch_engine
    load_reference_and_catalogue(engine=engine, quiet=True)
    with engine.begin() as conn:              # the seed's year and the history's end on one fixed day: the same run
        conn.execute(text("DELETE FROM petitions WHERE source = 'seed'"))
    assert seed_if_empty(engine, now=SEEDED_ON) == 1150
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM petition_tickets")).scalar() == 0     # no tickets yet
    report = generate_history(tickets=16_000, months=18, seed=5, end=SEEDED_ON, engine=engine, quiet=True)
    assert not report.skipped and report.outcome.refused == []
    with engine.connect() as conn:
        skipped = conn.execute(text("""
            SELECT p.id, p.kind, p.issue, p.grid_code, g.community_code, p.received_at,
                   ARRAY(SELECT pt.ticket_id FROM petition_tickets pt WHERE pt.petition_id = p.id) AS tickets
            FROM petitions p JOIN grids g ON g.code = p.grid_code
            WHERE p.source = 'seed' AND p.skipped_level""")).mappings().all()
        tickets = {r.id: r for r in conn.execute(text("""
            SELECT t.id, t.grid_code, t.community_code, t.category_code, t.registered_at, t.state FROM tickets t
            WHERE t.id IN (SELECT ticket_id FROM petition_tickets)"""))}
        links = conn.execute(text(PETITION_LINKS)).all()
    linked = [p for p in skipped if p["tickets"]]
    assert len(skipped) > 50 and report.petitions.petitions == len(linked) >= 0.97 * len(skipped)
    for petition in skipped:
        allowed = {c for tier in origin_categories(petition["kind"], petition["issue"]) for c in tier}
        if not petition["tickets"]:           # a small community with no work order of its kind before it: none
            with engine.connect() as conn:
                assert conn.execute(text("""SELECT count(*) FROM tickets WHERE community_code = :c
                    AND category_code = ANY(:k) AND registered_at < :at AND state NOT IN ('merged', 'refused')"""),
                    {"c": petition["community_code"], "k": list(allowed), "at": petition["received_at"]}).scalar() == 0
            continue
        origins = [tickets[t] for t in petition["tickets"]]
        assert 1 <= len(origins) <= 3, petition
        assert all(t.community_code == petition["community_code"] and t.registered_at < petition["received_at"]
                   and t.category_code in allowed and t.state not in ("merged", "refused") for t in origins)
    assert sum(all(tickets[t].grid_code == p["grid_code"] for t in p["tickets"]) for p in linked) > len(linked) / 2

    # Again: the reference (its seed runs again over the tickets) and the step itself write nothing.
    load_reference_and_catalogue(engine=engine, quiet=True)
    assert link_seeded_tickets(engine).tickets == 0
    with engine.connect() as conn:
        assert conn.execute(text(PETITION_LINKS)).all() == links

    # A seeded 越级 without its work orders (say, unlinked by hand): `etl reference` links the same ones right away.
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM petition_tickets WHERE petition_id = ANY(:ids)"),
                     {"ids": [p["id"] for p in linked[:10]]})
    load_reference_and_catalogue(engine=engine, quiet=True)
    with engine.connect() as conn:
        assert conn.execute(text(PETITION_LINKS)).all() == links
