"""The work-order services against real PostGIS: intake, routing by place, transitions, events and outbox,
escalation and supervision, evaluation, duplicates and merging, idempotency."""
from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from services import tickets as svc
from services.tickets import IdempotencyConflict, IntakeError, NewTicket, NotFound
from workorders.policy import system_principal as sp
from workorders.states import TransitionRefused

DESK = sp("坐席")       # who registers the desk's tickets in these tests (the services' rights are tested apart)


@pytest.fixture(scope="module")
def grid_point(engine):
    """An interior point of a central grid, and its grid/community/street."""
    with engine.connect() as conn:
        return dict(conn.execute(text("""
            SELECT g.code AS grid, c.code AS community, c.street_code AS street,
                   ST_X(ST_PointOnSurface(g.geom)) AS lon, ST_Y(ST_PointOnSurface(g.geom)) AS lat
            FROM grids g JOIN communities c ON c.code = g.community_code ORDER BY g.code LIMIT 1""")).mappings().one())


def new(grid_point, **kw) -> NewTicket:
    base = dict(channel="hotline", category="water_leak", description=f"楼道漏水 {uuid.uuid4().hex[:6]}",
                lon=grid_point["lon"], lat=grid_point["lat"], citizen_name="王伟", citizen_phone="13800001234")
    return NewTicket(**{**base, **kw})


def outbox_types(engine, number: str) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(text("""SELECT event_type FROM outbox WHERE payload->'ticket'->>'number' = :n
                                         ORDER BY id"""), {"n": number}).scalars())


def test_a_ticket_is_placed_routed_numbered_and_timed(engine, grid_point):
    created = svc.create_ticket(new(grid_point), DESK)
    t = created.ticket
    assert created.created and t["state"] == "registered"
    assert (t["grid_code"], t["community_code"], t["street_code"]) == (
        grid_point["grid"], grid_point["community"], grid_point["street"])
    assert t["lead_department_code"] == "water" and t["priority"] == 1
    assert t["arrival_due_at"] - t["registered_at"] == timedelta(minutes=30)
    assert t["resolve_due_at"] - t["registered_at"] == timedelta(days=3)
    assert len(t["number"]) == 15 and t["number"][8] == "-"
    assert outbox_types(engine, t["number"]) == ["ticket.created"]


def test_the_stream_payload_carries_no_personal_data(engine, grid_point):
    number = svc.create_ticket(new(grid_point), DESK).ticket["number"]
    with engine.connect() as conn:
        payload = conn.execute(text("SELECT payload::text FROM outbox WHERE payload->'ticket'->>'number' = :n"),
                               {"n": number}).scalar()
    assert "王伟" not in payload and "13800001234" not in payload and "楼道漏水" not in payload


def test_a_point_outside_the_district_is_refused_and_nothing_is_written(engine):
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM tickets")).scalar()
    with pytest.raises(IntakeError) as refused:
        svc.create_ticket(NewTicket(channel="web", category="noise", description="吵", lon=116.4, lat=39.9), DESK)
    assert refused.value.field == "location" and "不在本辖区" in refused.value.message
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tickets")).scalar() == before


def test_a_boundary_point_lands_in_exactly_one_grid(shared_edge_point):
    a, b, lon, lat = shared_edge_point
    ticket = svc.create_ticket(NewTicket(channel="web", category="streetlight", description="路灯不亮",
                                         lon=lon, lat=lat), DESK).ticket
    assert ticket["grid_code"] == min(a, b)


def test_location_by_address_and_by_grid_code(engine, grid_point):
    by_address = svc.create_ticket(NewTicket(channel="web", category="road_damage", description="坑",
                                             address="胜利路 15号"), DESK).ticket
    assert by_address["address"] == "胜利路 15号" and by_address["grid_code"]
    by_grid = svc.create_ticket(NewTicket(channel="web", category="greening", description="树倒了",
                                          grid_code=grid_point["grid"]), DESK).ticket
    assert by_grid["grid_code"] == grid_point["grid"]
    with pytest.raises(IntakeError, match="找不到地址"):
        svc.create_ticket(NewTicket(channel="web", category="greening", description="x", address="火星大道999号"), DESK)


@pytest.mark.parametrize("field,kw", [("channel", {"channel": "pigeon"}), ("category", {"category": "ufo"}),
                                      ("description", {"description": "  "}), ("priority", {"priority": 9}),
                                      ("location", {"lon": None}), ("variant", {"variant": "attic"}),
                                      ("citizen_phone", {"citizen_phone": "12"})])
def test_bad_input_names_its_field(grid_point, field, kw):
    with pytest.raises(IntakeError) as refused:
        svc.create_ticket(new(grid_point, **kw), DESK)
    assert refused.value.field == field


def test_simple_community_matters_go_to_the_community(grid_point):
    t = svc.create_ticket(new(grid_point, category="neighbour_dispute", description="楼上漏水吵架"), DESK).ticket
    assert t["handled_by_community"] and t["complexity"] == "simple"


def test_the_whole_life_is_recorded_event_by_event(engine, grid_point):
    number = svc.create_ticket(new(grid_point), DESK).ticket["number"]
    svc.transition(number, "dispatch", sp("调度员"), crew="WATER-01")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM crews WHERE code = 'WATER-01'")).scalar() == "en_route"
    svc.transition(number, "accept", sp("供水"))
    svc.transition(number, "arrive", sp("供水"))
    resolved = svc.transition(number, "resolve", sp("供水"), reason="已修复")
    assert resolved.sms and f"/evaluate/{resolved.ticket['evaluation_token']}" in resolved.sms
    assert resolved.ticket["evaluation_token"] not in resolved.notice        # the resolver is told, not given it
    closed = svc.evaluate(resolved.ticket["evaluation_token"], "satisfied", "很快")
    assert closed["state"] == "closed" and closed["satisfaction"] == "satisfied"
    ticket, events = svc.history(number)
    assert [e["action"] for e in events] == ["register", "dispatch", "accept", "arrive", "resolve", "evaluate", "close"]
    assert all(e["at"] and e["actor"] for e in events)
    assert ticket["dispatched_at"] <= ticket["on_site_at"] <= ticket["resolved_at"] <= ticket["closed_at"]
    assert outbox_types(engine, number)[-1] == "ticket.close"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM crews WHERE code = 'WATER-01'")).scalar() == "available"


def test_forbidden_transitions_change_nothing(engine, grid_point):
    number = svc.create_ticket(new(grid_point), DESK).ticket["number"]
    with pytest.raises(TransitionRefused):
        svc.transition(number, "resolve", sp("x"))
    ticket, events = svc.history(number)
    assert ticket["state"] == "registered" and len(events) == 1
    with pytest.raises(NotFound):
        svc.transition("19990101-000001", "dispatch", sp("x"))


def test_a_wrong_department_sends_it_back_and_it_is_rerouted(grid_point):
    number = svc.create_ticket(new(grid_point, category="road_damage", description="路面塌陷"), DESK).ticket["number"]
    svc.transition(number, "dispatch", sp("调度员"))
    returned = svc.transition(number, "return", sp("城管"), reason="属交通部门").ticket
    assert returned["state"] == "returned" and returned["returned_count"] == 1
    assert returned["lead_department_code"] == "jtj"
    _, events = svc.history(number)
    assert events[-1]["data"]["returned_by"] == "cgj" and events[-1]["reason"] == "属交通部门"


def test_unsatisfied_citizen_reopens(grid_point):
    number = svc.create_ticket(new(grid_point), DESK).ticket["number"]
    for action in ("dispatch", "accept"):
        svc.transition(number, action, sp("x"))
    token = svc.transition(number, "resolve", sp("x")).ticket["evaluation_token"]
    reopened = svc.evaluate(token, "unsatisfied", "还在漏")
    assert reopened["state"] == "reopened" and reopened["reopened_count"] == 1
    with pytest.raises(TransitionRefused):
        svc.evaluate(token, "satisfied")


def test_late_tickets_escalate_level_by_level_onto_the_supervision_list(engine, grid_point):
    t = svc.create_ticket(new(grid_point, category="streetlight", description="路灯"), DESK).ticket
    due = t["resolve_due_at"]
    assert t["number"] not in svc.escalate_overdue(now=due - timedelta(minutes=1))
    assert t["number"] in svc.escalate_overdue(now=due + timedelta(minutes=1))
    assert t["number"] not in svc.escalate_overdue(now=due + timedelta(minutes=2))     # once per level
    assert t["number"] in svc.escalate_overdue(now=due + timedelta(hours=25))          # street's grace is over
    ticket, _ = svc.history(t["number"])
    assert ticket["state"] == "escalated" and ticket["escalation_level"] == 2 and ticket["supervised"]
    with engine.connect() as conn:
        rows = conn.execute(text("""SELECT s.id, s.level, s.unit FROM supervisions s JOIN tickets t ON t.id = s.ticket_id
                                    WHERE t.number = :n ORDER BY s.level"""), {"n": t["number"]}).all()
    assert [(r.level, r.unit) for r in rows] == [(1, "区城市管理综合行政执法局"), (2, "区指挥中心")]
    svc.supervise(rows[0].id, sp("督查科"), "电话督促承办单位")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM supervision_actions WHERE supervision_id = :s"),
                            {"s": rows[0].id}).scalar() == 1


def test_joint_meeting_records_departments_and_decision(engine, grid_point):
    number = svc.create_ticket(new(grid_point, category="gas_leak", description="燃气味"), DESK).ticket["number"]
    svc.transition(number, "dispatch", sp("x"))
    svc.transition(number, "joint_meeting", sp("x"), data={"meeting_date": "2026-12-01", "departments": ["gas", "xf"],
                                                       "decision": "更换管段", "follow_up": "燃气公司三日内完成"})
    with engine.connect() as conn:
        row = conn.execute(text("""SELECT j.department_codes, j.decision FROM joint_meetings j JOIN tickets t
                                   ON t.id = j.ticket_id WHERE t.number = :n"""), {"n": number}).one()
    assert row.department_codes == ["gas", "xf"] and row.decision == "更换管段"


def test_refiling_at_a_higher_level_links_and_flags_the_original(grid_point):
    original = svc.create_ticket(new(grid_point), DESK).ticket["number"]
    higher = svc.create_ticket(new(grid_point, channel="letter", related_number=original), DESK).ticket
    assert higher["related_number"] == original and "escalated_filing" in higher["flags"]
    assert "refiled_higher" in svc.history(original)[0]["flags"]


def test_a_nearby_open_ticket_is_offered_as_duplicate_and_merged_callers_hear_at_closure(grid_point):
    first = svc.create_ticket(new(grid_point, category="heating_cold", description="暖气不热"), DESK).ticket["number"]
    second = svc.create_ticket(new(grid_point, category="heating_cold", description="家里冷",
                                   lon=grid_point["lon"] + 0.0003), DESK)
    assert first in [d["number"] for d in second.duplicates]
    svc.merge(second.ticket["number"], first, sp("坐席"))
    for action in ("dispatch", "accept", "resolve", "close"):
        svc.transition(first, action, sp("x"))
    merged, events = svc.history(second.ticket["number"])
    assert merged["state"] == "merged" and merged["merged_into_number"] == first and merged["closed_at"]
    assert events[-1]["action"] == "notify_closed"


def test_same_idempotency_key_same_body_gives_one_ticket_other_body_is_refused(engine, grid_point):
    key = ("test", uuid.uuid4().hex)
    request = new(grid_point)
    first = svc.create_ticket(request, DESK, idempotency=key)
    again = svc.create_ticket(request, DESK, idempotency=key)
    assert first.created and not again.created and again.ticket["number"] == first.ticket["number"]
    with pytest.raises(IdempotencyConflict):
        svc.create_ticket(new(grid_point, description="另一件事"), DESK, idempotency=key)


def test_concurrent_requests_with_one_key_make_one_ticket(engine, grid_point):
    key = ("test", uuid.uuid4().hex)
    request = new(grid_point)
    numbers, errors = [], []

    def submit():
        try:
            numbers.append(svc.create_ticket(request, DESK, idempotency=key).ticket["number"])
        except Exception as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)
    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(numbers)) == 1 and len(numbers) == 4


def test_refusing_a_ticket_frees_the_crew_on_its_way(engine, grid_point):
    number = svc.create_ticket(new(grid_point), DESK).ticket["number"]
    svc.transition(number, "dispatch", sp("调度员"), crew="WATER-03")
    svc.transition(number, "refuse", sp("调度员"), reason="重复报修，已由物业处理")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM crews WHERE code = 'WATER-03'")).scalar() == "available"
