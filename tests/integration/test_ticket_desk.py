"""The ticket page's services and the map's queue against real PostGIS: which actions each role is offered and
may take, 回访 (a rating on the phone evaluates the ticket; bad input writes nothing), standard answers, the
dispatcher's queue and its search (a phone only for who may read callers), 转办 from the queue."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from services import dispatch_queue, handling, ticket_desk
from services import tickets as svc
from services.tickets import NewTicket
from workorders.errors import FieldError
from workorders.policy import Forbidden, Principal, system_principal

DESK = system_principal("坐席")
SYSTEM = system_principal("tests")


def person(*roles: str, **scopes) -> Principal:
    return Principal(id=None, name=f"t-{'-'.join(roles)}", roles=frozenset(roles), display_name="测试员", **scopes)


@pytest.fixture(scope="module")
def point(engine) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(text("""SELECT ST_X(ST_PointOnSurface(geom)) AS lon,
                                                ST_Y(ST_PointOnSurface(geom)) AS lat
                                         FROM grids ORDER BY code LIMIT 1""")).mappings().one())


def new_ticket(point, category="water_leak", phone=None) -> dict:
    return svc.create_ticket(NewTicket(channel="hotline", category=category, lon=point["lon"], lat=point["lat"],
                                       description=f"测试 {uuid.uuid4().hex[:6]} 楼道漏水",
                                       citizen_phone=phone or "139" + uuid.uuid4().hex[:8].translate(
                                           str.maketrans("abcdef", "123456"))), DESK).ticket


def resolved(point) -> dict:
    ticket = new_ticket(point)
    number = ticket["number"]
    if ticket["state"] == "registered":
        svc.transition(number, "dispatch", SYSTEM)
    svc.transition(number, "accept", SYSTEM)
    return svc.transition(number, "resolve", SYSTEM).ticket


def test_each_role_is_offered_only_what_it_may_do(point):
    ticket = new_ticket(point)
    dispatcher = [a for a, _, _ in ticket_desk.actions_for(person("dispatcher"), ticket)]
    assert ticket["state"] == "registered" and "dispatch" in dispatcher
    assert "refuse" in dispatcher and "resolve" not in dispatcher
    assert ticket_desk.actions_for(person("leader"), ticket) == []
    assert [a for a, _, _ in ticket_desk.actions_for(person("supervisor"), ticket)] == ["escalate"]
    with pytest.raises(FieldError) as bad:
        ticket_desk.take_action(person("supervisor"), ticket["number"], "escalate", reason="  ")
    assert bad.value.field == "reason"
    with pytest.raises(Forbidden):
        ticket_desk.take_action(person("operator"), ticket["number"], "refuse", reason="重复")
    done = ticket_desk.take_action(person("supervisor"), ticket["number"], "escalate", reason="群众多次来电")
    assert done.ticket["state"] == "escalated" and done.ticket["escalation_level"] == 1


def test_follow_up_with_a_rating_evaluates_and_closes(engine, point):
    ticket = resolved(point)
    operator = person("operator")
    assert ticket_desk.may_follow_up(operator, ticket)
    assert not ticket_desk.may_follow_up(person("dispatcher"), ticket)
    after = ticket_desk.record_follow_up(operator, ticket["number"], True, "basically", "基本解决")
    assert after["state"] == "closed" and after["satisfaction"] == "basically"
    calls = ticket_desk.follow_up_calls(ticket["id"])
    assert [(c["reached"], c["satisfaction"], c["operator"]) for c in calls] == [(True, "basically", "测试员")]
    with pytest.raises(FieldError):       # rated already: no second call
        ticket_desk.record_follow_up(operator, ticket["number"], False)


def test_follow_up_unreached_keeps_the_ticket_and_unsatisfied_reopens(point):
    operator = person("operator")
    ticket = resolved(point)
    assert ticket_desk.record_follow_up(operator, ticket["number"], False, note="无人接听")["state"] == "resolved"
    after = ticket_desk.record_follow_up(operator, ticket["number"], True, "unsatisfied", "水还在漏")
    assert after["state"] == "reopened"
    assert len(ticket_desk.follow_up_calls(ticket["id"])) == 2


@pytest.mark.parametrize("reached, rating, field", [(False, "satisfied", "satisfaction"),
                                                    (True, None, "satisfaction"), (True, "great", "satisfaction")])
def test_bad_follow_ups_write_nothing(point, reached, rating, field):
    ticket = resolved(point)
    with pytest.raises(FieldError) as bad:
        ticket_desk.record_follow_up(person("operator"), ticket["number"], reached, rating)
    assert bad.value.field == field
    assert ticket_desk.follow_up_calls(ticket["id"]) == []
    with pytest.raises(Forbidden):
        ticket_desk.record_follow_up(person("leader"), ticket["number"], True, "satisfied")


def test_standard_answers_are_read_by_who_takes_calls():
    answers = ticket_desk.standard_answers(person("operator"))
    assert answers and all(a["body"] and a["active"] for a in answers)
    assert [a["sort_order"] for a in answers] == sorted(a["sort_order"] for a in answers)
    with pytest.raises(Forbidden):
        ticket_desk.standard_answers(person("wall"))


def test_the_queue_holds_what_waits_most_urgent_first(point):
    waiting = new_ticket(point, category="noise")
    found = dispatch_queue.queue(person("dispatcher"), categories=["noise"])
    numbers = [i["number"] for i in found["items"]]
    assert waiting["state"] == "registered" and waiting["number"] in numbers
    assert found["items"][numbers.index(waiting["number"])]["kind"] == "dispatch"
    minutes = [i["minutes_left"] for i in found["items"] if not i.get("held")]
    assert minutes == sorted(minutes)
    assert sum(found["counts"].values()) == len(found["items"])
    assert all("citizen_phone" not in i and "address" not in i for i in found["items"])
    with pytest.raises(Forbidden):
        dispatch_queue.queue(person("operator"))


def accepted(point) -> dict:
    ticket = new_ticket(point)
    for action in ("dispatch", "accept"):
        svc.transition(ticket["number"], action, SYSTEM)
    return svc.history(ticket["number"])[0]


def test_a_held_ticket_is_in_the_queue_as_held_never_at_risk_nor_late(point):
    waiting, held = accepted(point), accepted(point)
    water = Principal(id=None, name="t-unit", roles=frozenset({"department"}),
                      department_code=held["lead_department_code"])
    dispatcher = person("dispatcher")
    late = max(waiting["arrival_due_at"], held["arrival_due_at"]) + timedelta(minutes=5)   # nobody arrived in time
    before = dispatch_queue.queue(dispatcher, categories=["water_leak"], now=late)["counts"]
    handling.hold(water, held["number"], "业主不在家，约定明日入户")
    found = dispatch_queue.queue(dispatcher, categories=["water_leak"], now=late)
    by_number = {i["number"]: i for i in found["items"]}
    assert (by_number[waiting["number"]]["kind"], by_number[waiting["number"]]["held"]) == ("arrival", False)
    assert by_number[waiting["number"]]["minutes_left"] < 0
    item = by_number[held["number"]]
    assert (item["kind"], item["kind_label"], item["held"], item["minutes_left"]) == ("held", "挂起", True, None)
    counts = found["counts"]
    assert (counts["arrival"], counts["held"]) == (before["arrival"] - 1, before["held"] + 1)
    kinds = [i["held"] for i in found["items"]]
    assert kinds == sorted(kinds)                         # the held (no clock) after every ticket that has one
    handling.resume(water, held["number"])
    resumed = dispatch_queue.queue(dispatcher, categories=["water_leak"], now=late)["counts"]
    assert resumed["held"] == before["held"]


def test_queue_search_by_number_phone_and_address(point):
    phone = "13612345" + uuid.uuid4().hex[:3].translate(str.maketrans("abcdef", "123456"))
    ticket = new_ticket(point, phone=phone)
    dispatcher = person("dispatcher")
    assert [i["number"] for i in dispatch_queue.find(dispatcher, ticket["number"])] == [ticket["number"]]
    assert ticket["number"] in [i["number"] for i in dispatch_queue.find(dispatcher, phone)]
    with pytest.raises(Forbidden):
        dispatch_queue.find(person("leader"), phone)
    assert dispatch_queue.find(person("leader"), ticket["number"])[0]["number"] == ticket["number"]


def test_transfer_from_the_queue(engine, point):
    ticket = new_ticket(point, category="noise")
    with engine.connect() as conn:
        unit = conn.scalar(text("SELECT code FROM departments WHERE code <> :c ORDER BY code LIMIT 1"),
                           {"c": ticket["lead_department_code"]})
    with pytest.raises(FieldError):
        dispatch_queue.transfer(person("dispatcher"), ticket["number"], None)
    with pytest.raises(Forbidden):
        dispatch_queue.transfer(person("supervisor"), ticket["number"], unit)
    message = dispatch_queue.transfer(person("dispatcher"), ticket["number"], unit)
    assert message == f"已转办 {ticket['number']}"
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT lead_department_code FROM tickets WHERE number = :n"),
                           {"n": ticket["number"]}) == unit


def test_queue_counts_are_of_the_whole_queue_not_the_shown_part(point, monkeypatch):
    """The list shows at most QUEUE_LIMIT tickets; the counts beside it still count every waiting one."""
    for _ in range(2):
        new_ticket(point, category="noise")
    whole = dispatch_queue.queue(person("dispatcher"), categories=["noise"])
    monkeypatch.setattr(dispatch_queue, "QUEUE_LIMIT", 1)
    cut = dispatch_queue.queue(person("dispatcher"), categories=["noise"])
    assert len(cut["items"]) == 1 and sum(cut["counts"].values()) >= 2
    assert cut["counts"] == whole["counts"]
    if len(whole["items"]) < dispatch_queue.QUEUE_LIMIT:      # all shown: the SQL's kinds are the rule's (kind_of)
        shown = {kind: 0 for kind in dispatch_queue.KINDS}
        for item in whole["items"]:
            shown[item["kind"]] += 1
        assert shown == whole["counts"]


def test_queue_search_by_a_part_of_the_address(point):
    street = f"测试路{uuid.uuid4().hex[:4]}号"
    ticket = svc.create_ticket(NewTicket(channel="hotline", category="noise", lon=point["lon"], lat=point["lat"],
                                         description="夜间施工噪音", address=f"铁东区{street}楼下",
                                         citizen_phone="13900000000"), DESK).ticket
    assert ticket["number"] in [i["number"] for i in dispatch_queue.find(person("dispatcher"), street)]
