"""申请延期, 挂起 and 协办 against real PostGIS (services/handling.py) and through /api/v1: the deadline moves only on
approval, a hold shifts the deadlines by the time held, a held ticket is never escalated, and the rights hold
(a unit acts on its own tickets only; only the district decides)."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from services import handling
from services import tickets as svc
from services.tickets import NewTicket, NotFound, utcnow
from tests.fresh import new_phone, unique
from workorders.errors import FieldError
from workorders.handling import HandlingConflict
from workorders.policy import Forbidden, Principal, SignInRequired
from workorders.policy import system_principal as sp
from workorders.states import TransitionRefused

DESK = sp("坐席")
MOVER = sp("handling-tests")
SUPERVISOR = Principal(id=None, name="sup-h", roles=frozenset({"supervisor"}), display_name="督查员乙")
ADMIN = Principal(id=None, name="admin-h", roles=frozenset({"admin"}))
WATER = Principal(id=None, name="water-h", roles=frozenset({"department"}), department_code="water",
                  display_name="供水值班")
GAS = Principal(id=None, name="gas-h", roles=frozenset({"department"}), department_code="gas")
HOUSE = Principal(id=None, name="house-h", roles=frozenset({"department"}), department_code="house")
ZJJ = Principal(id=None, name="zjj-h", roles=frozenset({"department"}), department_code="zjj", display_name="住建局")


@pytest.fixture(scope="module")
def point(engine):
    with engine.connect() as conn:
        return dict(conn.execute(text("""
            SELECT ST_X(ST_PointOnSurface(g.geom)) AS lon, ST_Y(ST_PointOnSurface(g.geom)) AS lat
            FROM grids g ORDER BY g.code OFFSET 77 LIMIT 1""")).mappings().one())


def accepted(point, category: str = "water_leak", arrive: bool = False) -> dict:
    """A ticket its lead unit has accepted (and reached, with ``arrive``)."""
    ticket = svc.create_ticket(NewTicket(channel="hotline", category=category, lon=point["lon"], lat=point["lat"],
                                         description=f"测试 {uuid.uuid4().hex[:6]}", citizen_phone=new_phone()),
                               DESK).ticket
    for action in ("dispatch", "accept", *(["arrive"] if arrive else [])):
        svc.transition(ticket["number"], action, MOVER)
    return svc.history(ticket["number"])[0]


def events(number: str) -> list[dict]:
    return svc.history(number)[1]


# ------------------------------------------------------------------------------------------------ extension

def test_an_approved_extension_moves_the_deadline_and_the_history_shows_both(engine, point):
    ticket = accepted(point)
    new_due = ticket["resolve_due_at"] + timedelta(days=2)
    asked = handling.request_extension(WATER, ticket["number"], "需更换整段主管", new_due)
    assert (asked["status"], asked["requested_by"], asked["requested_due_at"]) == ("pending", "供水值班", new_due)
    assert svc.history(ticket["number"])[0]["resolve_due_at"] == ticket["resolve_due_at"]      # not before approval
    assert asked["id"] in [e["id"] for e in handling.pending_extensions(SUPERVISOR)]
    decided = handling.decide_extension(SUPERVISOR, asked["id"], True, None)
    assert (decided["status"], decided["decided_by"]) == ("approved", "督查员乙")
    assert svc.history(ticket["number"])[0]["resolve_due_at"] == new_due
    assert asked["id"] not in [e["id"] for e in handling.pending_extensions(SUPERVISOR)]
    shown = [e for e in events(ticket["number"]) if e["action"].startswith("extension_")]
    assert [(e["action"], e["actor"]) for e in shown] == [("extension_request", "供水值班"),
                                                           ("extension_approve", "督查员乙")]
    assert shown[0]["reason"] == "需更换整段主管"
    with engine.connect() as conn:
        audited = conn.execute(text("SELECT action FROM audit_log WHERE target = :t ORDER BY id"),
                               {"t": f"extension:{asked['id']}"}).scalars().all()
    assert audited == ["extension_request", "extension_approve"]


def test_a_refused_extension_keeps_the_deadline_and_needs_a_note(point):
    ticket = accepted(point)
    asked = handling.request_extension(WATER, ticket["number"], "等待配件", ticket["resolve_due_at"] + timedelta(days=1))
    with pytest.raises(FieldError) as refused:
        handling.decide_extension(SUPERVISOR, asked["id"], False, "  ")
    assert refused.value.field == "note"
    decided = handling.decide_extension(ADMIN, asked["id"], False, "配件可当日调拨")      # the district
    assert (decided["status"], decided["decision_note"]) == ("refused", "配件可当日调拨")
    assert svc.history(ticket["number"])[0]["resolve_due_at"] == ticket["resolve_due_at"]
    assert events(ticket["number"])[-1]["action"] == "extension_refuse"
    with pytest.raises(HandlingConflict):              # decided once
        handling.decide_extension(SUPERVISOR, asked["id"], True, None)


def test_one_pending_request_per_ticket_then_another_after_the_decision(point):
    ticket = accepted(point)
    due = ticket["resolve_due_at"]
    first = handling.request_extension(WATER, ticket["number"], "理由一", due + timedelta(days=1))
    with pytest.raises(HandlingConflict) as refused:
        handling.request_extension(WATER, ticket["number"], "理由二", due + timedelta(days=2))
    assert refused.value.field == "extension"
    handling.decide_extension(SUPERVISOR, first["id"], False, "不同意")
    assert handling.request_extension(WATER, ticket["number"], "理由二", due + timedelta(days=2))["status"] == "pending"


@pytest.mark.parametrize("shift", [timedelta(hours=-1), timedelta(), timedelta(days=8)],
                         ids=["earlier", "the-same", "beyond-ten-days"])
def test_a_bad_new_deadline_is_refused_and_writes_nothing(point, shift):
    ticket = accepted(point)                 # water_leak: 3 days, so +8 days is past 10 after registration
    with pytest.raises(FieldError) as refused:
        handling.request_extension(WATER, ticket["number"], "理由", ticket["resolve_due_at"] + shift)
    assert refused.value.field == "new_due"
    assert not [e for e in events(ticket["number"]) if e["action"] == "extension_request"]


def test_rights_a_unit_asks_for_its_own_tickets_only_and_only_the_district_decides(point):
    ticket = accepted(point)
    due = ticket["resolve_due_at"] + timedelta(days=1)
    for who in (GAS, SUPERVISOR):            # another unit; a supervisor decides, it does not ask
        with pytest.raises(Forbidden):
            handling.request_extension(who, ticket["number"], "理由", due)
    with pytest.raises(SignInRequired):
        handling.request_extension(None, ticket["number"], "理由", due)
    asked = handling.request_extension(WATER, ticket["number"], "理由", due)
    for who in (WATER, GAS):
        with pytest.raises(Forbidden):
            handling.decide_extension(who, asked["id"], True, None)
    assert [e["id"] for e in handling.pending_extensions(WATER)].count(asked["id"]) == 1
    assert asked["id"] not in [e["id"] for e in handling.pending_extensions(GAS)]
    with pytest.raises(NotFound):
        handling.decide_extension(SUPERVISOR, 999_999_999, True, None)


def test_a_co_handling_unit_does_not_ask_for_the_tickets_time(point):
    ticket = accepted(point, "housing_repair")           # house leads, zjj co-handles
    with pytest.raises(Forbidden):
        handling.request_extension(ZJJ, ticket["number"], "理由", ticket["resolve_due_at"] + timedelta(days=1))
    with pytest.raises(Forbidden):
        handling.hold(ZJJ, ticket["number"], "理由")


# ------------------------------------------------------------------------------------------------ hold

def test_hold_then_resume_shifts_both_deadlines_by_the_time_held(point):
    ticket = accepted(point)                  # nobody on site yet: the arrival deadline moves too
    start = utcnow()
    held = handling.hold(WATER, ticket["number"], "业主不在家，约定明日入户", now=start)
    assert held["ends_at"] == start + timedelta(hours=72)
    assert "held" in svc.history(ticket["number"])[0]["flags"]
    resumed = handling.resume(WATER, ticket["number"], now=start + timedelta(hours=5))
    assert resumed["counted_seconds"] == 5 * 3600
    after = svc.history(ticket["number"])[0]
    assert after["resolve_due_at"] == ticket["resolve_due_at"] + timedelta(hours=5)
    assert after["arrival_due_at"] == ticket["arrival_due_at"] + timedelta(hours=5)
    assert "held" not in after["flags"]
    assert [e["action"] for e in events(ticket["number"])][-2:] == ["hold", "resume"]


def test_after_arrival_only_the_resolution_deadline_moves(point):
    ticket = accepted(point, arrive=True)
    start = utcnow()
    handling.hold(WATER, ticket["number"], "等待停水审批", now=start)
    handling.resume(WATER, ticket["number"], now=start + timedelta(hours=2))
    after = svc.history(ticket["number"])[0]
    assert after["resolve_due_at"] == ticket["resolve_due_at"] + timedelta(hours=2)
    assert after["arrival_due_at"] == ticket["arrival_due_at"]


def test_a_held_ticket_is_not_escalated_nor_moved_until_it_resumes(point):
    ticket = accepted(point)
    start = utcnow()
    handling.hold(WATER, ticket["number"], "等待燃气公司配合", now=start)
    late = ticket["resolve_due_at"] + timedelta(hours=1)
    assert ticket["number"] not in svc.raise_arrival_breaches(now=ticket["arrival_due_at"] + timedelta(minutes=5))
    assert ticket["number"] not in svc.escalate_overdue(now=late)
    with pytest.raises(TransitionRefused, match="已挂起"):
        svc.transition(ticket["number"], "resolve", MOVER)
    assert svc.history(ticket["number"])[0]["state"] == "accepted"
    handling.resume(SUPERVISOR, ticket["number"], now=start + timedelta(hours=3))       # the district lifts it
    assert ticket["number"] not in svc.escalate_overdue(now=late)         # its deadline moved by 3 hours
    assert ticket["number"] in svc.escalate_overdue(now=late + timedelta(hours=3))


def test_a_hold_needs_a_reason_and_a_ticket_is_held_at_most_twice(point):
    ticket = accepted(point)
    with pytest.raises(FieldError) as refused:
        handling.hold(WATER, ticket["number"], " ")
    assert refused.value.field == "reason"
    start = utcnow()
    for hours in (0, 2):
        handling.hold(WATER, ticket["number"], "等待", now=start + timedelta(hours=hours))
        with pytest.raises(HandlingConflict):
            handling.hold(WATER, ticket["number"], "再次", now=start + timedelta(hours=hours))
        handling.resume(WATER, ticket["number"], now=start + timedelta(hours=hours + 1))
    with pytest.raises(HandlingConflict, match="最多挂起 2 次"):
        handling.hold(WATER, ticket["number"], "第三次", now=start + timedelta(hours=5))
    with pytest.raises(HandlingConflict):
        handling.resume(WATER, ticket["number"])
    with pytest.raises(Forbidden):
        handling.resume(GAS, ticket["number"])


def test_a_hold_past_its_maximum_is_resumed_by_the_sweep_and_counts_only_the_maximum(point):
    ticket = accepted(point)
    start = utcnow()
    handling.hold(WATER, ticket["number"], "等待", now=start)
    assert ticket["number"] not in handling.resume_expired_holds(now=start + timedelta(hours=71))
    assert ticket["number"] in handling.resume_expired_holds(now=start + timedelta(hours=80))
    after = svc.history(ticket["number"])[0]
    assert after["resolve_due_at"] == ticket["resolve_due_at"] + timedelta(hours=72)
    assert "held" not in after["flags"] and events(ticket["number"])[-1]["actor"] == "system"


def test_time_held_widens_the_extension_limit(point):
    ticket = accepted(point)
    start = utcnow()
    handling.hold(WATER, ticket["number"], "等待", now=start)
    handling.resume(WATER, ticket["number"], now=start + timedelta(hours=30))
    beyond_ten_days = ticket["registered_at"] + timedelta(days=10, hours=20)
    asked = handling.request_extension(WATER, ticket["number"], "理由", beyond_ten_days, now=start + timedelta(hours=31))
    assert asked["requested_due_at"] == beyond_ten_days


# ------------------------------------------------------------------------------------------------ 协办

def test_a_co_handling_unit_answers_its_part_and_the_lead_sees_it(point):
    ticket = accepted(point, "housing_repair")
    assert [(a["department_code"], a["answer"]) for a in handling.assists_of(ticket["number"])] == [("zjj", None)]
    answer = handling.answer_assist(ZJJ, ticket["number"], "zjj", "已核查房屋结构，无安全隐患")
    assert (answer["department_code"], answer["answered_by"]) == ("zjj", "住建局")
    rows = handling.assists_of(ticket["number"])
    assert [(a["department_code"], a["answer"]) for a in rows] == [("zjj", "已核查房屋结构，无安全隐患")]
    assert events(ticket["number"])[-1]["action"] == "assist_answer"
    with pytest.raises(Forbidden):                     # the lead does not answer for its co-handler
        handling.answer_assist(HOUSE, ticket["number"], "zjj", "代答")
    with pytest.raises(FieldError) as refused:         # a unit that does not co-handle this ticket
        handling.answer_assist(sp("x"), ticket["number"], "gas", "答复")
    assert refused.value.field == "department"


# ------------------------------------------------------------------------------------------------ API

@pytest.fixture(scope="module")
def water_key(engine):
    from services.api_keys import create_api_key
    from geo.api_keys import delete_api_key
    name = unique("test-handling-water")
    key = create_api_key(name, None, scopes=("transitions", "read"), department_code="water")
    yield {"X-API-Key": key}
    with engine.begin() as conn:
        delete_api_key(conn, name)


def test_api_request_then_decide_with_a_bound_and_an_unbound_key(client, auth, water_key, point):
    ticket = accepted(point)
    new_due = (ticket["resolve_due_at"] + timedelta(days=1)).isoformat()
    answer = client.post(f"/api/v1/tickets/{ticket['number']}/extensions", json={"reason": "需更换阀门",
                                                                               "new_due": new_due}, headers=water_key)
    assert answer.status_code == 201, answer.json
    extension_id = answer.json["extension"]["id"]
    again = client.post(f"/api/v1/tickets/{ticket['number']}/extensions", json={"reason": "再申请",
                                                                              "new_due": new_due}, headers=water_key)
    assert (again.status_code, again.json["error"]["field"]) == (409, "extension")
    own = client.post(f"/api/v1/extensions/{extension_id}/decision", json={"approve": True}, headers=water_key)
    assert own.status_code == 403                       # a unit's key never approves its own time
    decided = client.post(f"/api/v1/extensions/{extension_id}/decision", json={"approve": True}, headers=auth)
    assert decided.status_code == 200 and decided.json["extension"]["status"] == "approved"
    assert svc.history(ticket["number"])[0]["resolve_due_at"] == ticket["resolve_due_at"] + timedelta(days=1)


@pytest.mark.parametrize("new_due, status", [("2020-01-01T08:00:00+08:00", 400), ("明天", 400),
                                             ("2026-12-01T08:00:00", 400), (None, 400)],
                         ids=["past", "not-a-time", "no-offset", "missing"])
def test_api_bad_dates_are_4xx_with_the_field(client, water_key, point, new_due, status):
    ticket = accepted(point)
    body = {"reason": "理由", **({"new_due": new_due} if new_due else {})}
    answer = client.post(f"/api/v1/tickets/{ticket['number']}/extensions", json=body, headers=water_key)
    assert (answer.status_code, answer.json["error"]["field"]) == (status, "new_due"), answer.json
    assert answer.json["error"]["message"]


def test_api_beyond_the_limit_names_the_limit(client, water_key, point):
    ticket = accepted(point)
    body = {"reason": "理由", "new_due": (ticket["registered_at"] + timedelta(days=11)).isoformat()}
    answer = client.post(f"/api/v1/tickets/{ticket['number']}/extensions", json=body, headers=water_key)
    assert answer.status_code == 400 and "不能晚于" in answer.json["error"]["message"]


def test_api_another_units_ticket_is_403_and_an_unknown_one_404(client, water_key, point):
    gas = accepted(point, "gas_leak")
    body = {"reason": "理由", "new_due": (gas["resolve_due_at"] + timedelta(hours=1)).isoformat()}
    assert client.post(f"/api/v1/tickets/{gas['number']}/extensions", json=body,
                       headers=water_key).status_code == 403
    assert client.post(f"/api/v1/tickets/{gas['number']}/hold", json={"reason": "x"},
                       headers=water_key).status_code == 403
    assert client.post("/api/v1/tickets/20990101-000001/hold", json={"reason": "x"},
                       headers=water_key).status_code == 404
    assert client.post("/api/v1/extensions/999999999/decision", json={"approve": True},
                       headers=water_key).status_code in (403, 404)


def test_api_hold_resume_and_assist(client, auth, water_key, point):
    ticket = accepted(point)
    held = client.post(f"/api/v1/tickets/{ticket['number']}/hold", json={"reason": "等待审批"}, headers=water_key)
    assert held.status_code == 201 and held.json["hold"]["reason"] == "等待审批"
    assert client.post(f"/api/v1/tickets/{ticket['number']}/hold", json={"reason": "再次"},
                       headers=water_key).status_code == 409
    resumed = client.post(f"/api/v1/tickets/{ticket['number']}/resume", headers=water_key)
    assert resumed.status_code == 200 and resumed.json["hold"]["resumed_at"]
    assert client.post(f"/api/v1/tickets/{ticket['number']}/resume", headers=water_key).status_code == 409
    house = accepted(point, "housing_repair")
    answered = client.post(f"/api/v1/tickets/{house['number']}/assists", json={"department": "zjj",
                                                                             "text": "已出具鉴定意见"}, headers=auth)
    assert answered.status_code == 201 and answered.json["assist"]["department_name"]
    wrong = client.post(f"/api/v1/tickets/{house['number']}/assists", json={"department": "water",
                                                                          "text": "答复"}, headers=water_key)
    assert (wrong.status_code, wrong.json["error"]["field"]) == (400, "department")


# ------------------------------------------------------------------------------------------------ pages

def test_the_staff_history_shows_the_records_the_public_timeline_does_not(point):
    from services import ticket_desk, ticket_views
    ticket = accepted(point)
    start = utcnow()
    handling.hold(WATER, ticket["number"], "等待业主", now=start)
    assert ticket_desk.actions_for(SUPERVISOR, svc.history(ticket["number"])[0]) == []     # held: nothing to do
    handling.resume(WATER, ticket["number"], now=start + timedelta(hours=5))
    asked = handling.request_extension(WATER, ticket["number"], "需停水施工", ticket["resolve_due_at"] + timedelta(days=1))
    handling.decide_extension(SUPERVISOR, asked["id"], True, "同意")
    detail = ticket_views.operator_detail(SUPERVISOR, ticket["number"])
    shown = {e["label"]: e for e in detail["events"]}
    assert {"挂起", "恢复办理", "申请延期", "批准延期"} <= set(shown)
    assert shown["恢复办理"]["note"] == "挂起 5 小时，时限顺延"
    assert "→" in shown["批准延期"]["note"] and shown["批准延期"]["reason"] == "同意"
    public = ticket_views.public_progress(ticket["number"])
    assert not {"挂起", "恢复办理", "申请延期", "批准延期"} & {e["label"] for e in public["events"]}
    records = handling.ticket_records(SUPERVISOR, ticket["number"])
    assert [e["status"] for e in records["extensions"]] == ["approved"]
    assert [h["counted_seconds"] for h in records["holds"]] == [5 * 3600]
    assert handling.ticket_records(GAS, ticket["number"]) is None


def test_api_a_number_no_ticket_can_have_is_404(client, water_key):
    answer = client.post("/api/v1/tickets/2026%00x/hold", json={"reason": "x"}, headers=water_key)
    assert answer.status_code == 404 and answer.json["error"]["code"] == "not_found"
