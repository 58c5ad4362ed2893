"""Supervision (督办) against real PostGIS: repeat links at intake, the arrival-deadline breach of the sweep,
督办单 with answer and outcome, 问责, 联席会 and their rights (only a supervisor; bad input writes nothing)."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from services import supervision as sup
from services import tickets as svc
from services.tickets import NewTicket, utcnow
from tests.fresh import new_phone
from workorders.clock import local_date
from workorders.errors import FieldError
from workorders.policy import Forbidden, Principal, SignInRequired
from workorders.policy import system_principal as sp

DESK = sp("坐席")
SUPERVISOR = Principal(id=None, name="sup-test", roles=frozenset({"supervisor"}), display_name="督查员甲")
DISPATCHER = Principal(id=None, name="disp-test", roles=frozenset({"dispatcher"}))
DEPARTMENT = Principal(id=None, name="dep-test", roles=frozenset({"department"}), department_code="water")


@pytest.fixture(scope="module")
def grid_point(engine):
    with engine.connect() as conn:
        return dict(conn.execute(text("""
            SELECT g.code AS grid, ST_X(ST_PointOnSurface(g.geom)) AS lon, ST_Y(ST_PointOnSurface(g.geom)) AS lat
            FROM grids g ORDER BY g.code OFFSET 40 LIMIT 1""")).mappings().one())


def new(point, **kw) -> NewTicket:
    base = dict(channel="hotline", category="water_leak", description=f"漏水 {uuid.uuid4().hex[:6]}",
                lon=point["lon"], lat=point["lat"], citizen_name="李娜", citizen_phone=new_phone())
    return NewTicket(**{**base, **kw})


def closed_ticket(point, **kw) -> dict:
    number = svc.create_ticket(new(point, **kw), DESK).ticket["number"]
    for action in ("dispatch", "accept"):
        svc.transition(number, action, sp("x"))
    token = svc.transition(number, "resolve", sp("x")).ticket["evaluation_token"]
    return svc.evaluate(token, "satisfied")


def links(engine, number: str) -> dict[str, list[str]]:
    with engine.connect() as conn:
        return {r.earlier: list(r.reasons) for r in conn.execute(text("""
            SELECT e.number AS earlier, l.reasons FROM ticket_links l JOIN tickets t ON t.id = l.ticket_id
            JOIN tickets e ON e.id = l.earlier_id WHERE t.number = :n"""), {"n": number})}


def far_point(point) -> dict:
    return {**point, "lon": point["lon"] + 0.01}        # ~840 m east: not the same place


def test_the_same_caller_again_after_closure_is_linked_at_intake(engine, grid_point):
    phone = new_phone()
    earlier = closed_ticket(grid_point, citizen_phone=phone)
    assert earlier["state"] == "closed"
    again = svc.create_ticket(new(far_point(grid_point), citizen_phone=phone), DESK).ticket
    assert links(engine, again["number"]).get(earlier["number"]) == ["same_caller"]
    assert "repeat" in again["flags"] and again["related_number"] is None    # nobody typed the earlier number


def test_the_same_place_and_category_is_linked_another_category_is_not(engine, grid_point):
    earlier = closed_ticket(grid_point)
    near = svc.create_ticket(new({**grid_point, "lon": grid_point["lon"] + 0.0003}), DESK).ticket   # ~25 m
    assert links(engine, near["number"]).get(earlier["number"]) == ["same_place"]
    other = svc.create_ticket(new(grid_point, category="streetlight", description="路灯不亮"), DESK).ticket
    assert earlier["number"] not in links(engine, other["number"])


def test_a_closure_longer_ago_than_the_window_is_not_a_repeat(engine, grid_point):
    phone = new_phone()
    earlier = closed_ticket(grid_point, citizen_phone=phone)
    later = earlier["closed_at"] + timedelta(days=31)
    again = svc.create_ticket(new(far_point(grid_point), citizen_phone=phone, registered_at=later), DESK).ticket
    assert earlier["number"] not in links(engine, again["number"]) and "repeat" not in again["flags"]


def test_the_board_lists_linked_repeats_refilings_and_escalations_by_level(grid_point):
    """What intake linked on its own (a repeat of a closed ticket), a 越级 refiling and a ticket escalated twice are
    in /supervision's lists, each with what links it; narrowed to this test's address, past other tests' rows."""
    street = f"复诉路{uuid.uuid4().hex[:6]}号"
    phone = new_phone()
    earlier = closed_ticket(grid_point, citizen_phone=phone, address=f"铁东区{street}")
    repeat = svc.create_ticket(new(far_point(grid_point), citizen_phone=phone, address=f"铁东区{street}甲"),
                               DESK).ticket
    refiled = svc.create_ticket(new(grid_point, channel="letter", related_number=repeat["number"],
                                    address=f"铁东区{street}乙"), DESK).ticket
    for _ in range(2):
        svc.transition(repeat["number"], "escalate", sp("x"), reason="逾期未办结")
    found = sup.board(SUPERVISOR, find=street)
    repeats = {r["number"]: r for r in found.repeats}
    assert [(e["number"], e["reasons"]) for e in repeats[repeat["number"]]["earlier"]] == [
        (earlier["number"], [sup.REPEAT_REASONS["same_caller"]])]
    assert [(r["number"], r["related_number"]) for r in found.refiled] == [(refiled["number"], repeat["number"])]
    assert [(r["number"], r["escalation_level"]) for r in found.escalated] == [(repeat["number"], 2)]
    assert sup.board(SUPERVISOR).escalated_counts.get(2, 0) >= 1


def test_a_missed_arrival_deadline_raises_the_ticket_at_once_and_once(engine, grid_point, monkeypatch):
    # The board lists the most urgent 200; tickets other tests left late would push a 6-minute breach past them.
    monkeypatch.setattr(sup, "LIST_LIMIT", 100_000)
    ticket = svc.create_ticket(new(grid_point), DESK).ticket
    svc.transition(ticket["number"], "dispatch", sp("x"))
    due = ticket["arrival_due_at"]
    assert due is not None
    assert ticket["number"] not in svc.raise_arrival_breaches(now=due - timedelta(minutes=1))
    assert ticket["number"] in svc.raise_arrival_breaches(now=due + timedelta(minutes=1))
    assert ticket["number"] not in svc.raise_arrival_breaches(now=due + timedelta(minutes=5))
    raised, events = svc.history(ticket["number"])
    assert raised["state"] == "escalated" and raised["supervised"] and "arrival_breached" in raised["flags"]
    assert raised["escalation_level"] == 0            # the resolution deadline still moves it up a level
    assert "到场时限" in [e for e in events if e["action"] == "escalate"][-1]["reason"]
    board = sup.board(SUPERVISOR, now=due + timedelta(minutes=6))
    assert ticket["number"] in [r["number"] for r in board.overdue if r["arrival_breached"]]


def test_a_ticket_on_site_in_time_is_not_raised(grid_point):
    ticket = svc.create_ticket(new(grid_point), DESK).ticket
    for action in ("dispatch", "arrive"):
        svc.transition(ticket["number"], action, sp("x"))
    assert ticket["number"] not in svc.raise_arrival_breaches(now=ticket["arrival_due_at"] + timedelta(minutes=1))


def order_form(number: str, **kw) -> dict:
    return {"number": number, "person": "张科长", "due_on": (local_date(utcnow()) + timedelta(days=3)).isoformat(),
            "demand": "三日内修复并回复群众", **kw}


def test_an_order_is_issued_answered_and_closed_with_its_history_and_audit(engine, grid_point):
    number = svc.create_ticket(new(grid_point), DESK).ticket["number"]
    order = sup.issue_order(SUPERVISOR, order_form(number))
    assert (order["department_code"], order["responsible_person"], order["issued_by"]) == ("water", "张科长", "督查员甲")
    with pytest.raises(FieldError, match="先登记单位答复"):
        sup.record_outcome(SUPERVISOR, order["id"], {"outcome": "resolved"})
    sup.record_answer(SUPERVISOR, order["id"], {"answer": "已更换阀门"})
    closed = sup.record_outcome(SUPERVISOR, order["id"], {"outcome": "resolved", "note": "群众认可"})
    assert closed["outcome"] == "resolved" and closed["closed_at"] is not None and closed["answer"] == "已更换阀门"
    with pytest.raises(FieldError, match="已办结"):
        sup.record_answer(SUPERVISOR, order["id"], {"answer": "再答复"})
    _, events = svc.history(number)
    assert [e["action"] for e in events][-3:] == ["supervision_order", "supervision_answer", "supervision_outcome"]
    with engine.connect() as conn:
        audited = conn.execute(text("""SELECT action FROM audit_log WHERE target = :t AND detail->>'ticket' = :n
                                       ORDER BY id"""),
                               {"t": f"supervision_order:{order['id']}", "n": number}).scalars().all()
    assert audited == ["supervision_order", "supervision_answer", "supervision_outcome"]
    assert order["id"] in [o["id"] for o in sup.ticket_records(SUPERVISOR, number)["orders"]]


@pytest.mark.parametrize("change, field", [
    ({"person": " "}, "person"), ({"due_on": "2020-01-01"}, "due_on"), ({"due_on": "明天"}, "due_on"),
    ({"department": "no-such-unit"}, "departments"), ({"number": "20990101-000001"}, "number"),
    ({"demand": ""}, "demand"),
])
def test_a_bad_order_is_refused_with_its_field_and_writes_nothing(engine, grid_point, change, field):
    number = svc.create_ticket(new(grid_point), DESK).ticket["number"]
    with pytest.raises(FieldError) as refused:
        sup.issue_order(SUPERVISOR, {**order_form(number), **change})
    assert refused.value.field == field
    assert sup.ticket_records(SUPERVISOR, number)["orders"] == []


LEADER = Principal(id=None, name="leader-test", roles=frozenset({"leader"}))


@pytest.mark.parametrize("who", [DISPATCHER, DEPARTMENT, LEADER, None], ids=["dispatcher", "department", "leader",
                                                                              "nobody"])
def test_only_supervision_issues_orders_records_accountability_and_convenes(grid_point, who):
    number = svc.create_ticket(new(grid_point), DESK).ticket["number"]
    expected = SignInRequired if who is None else Forbidden
    with pytest.raises(expected):
        sup.issue_order(who, order_form(number))
    with pytest.raises(expected):
        sup.record_accountability(who, {"number": number, "person": "某", "measure": "talk",
                                        "decided_on": local_date(utcnow()).isoformat()})
    with pytest.raises(expected):
        sup.convene_meeting(who, {"number": number, "departments": ["water", "cgj"],
                                  "meeting_date": local_date(utcnow()).isoformat()})
    with pytest.raises(expected):
        sup.board(who)
    records = sup.ticket_records(SUPERVISOR, number)
    assert (records["orders"], records["meetings"], records["accountabilities"]) == ([], [], [])


def test_accountability_is_recorded_and_bad_input_refused(grid_point):
    number = svc.create_ticket(new(grid_point), DESK).ticket["number"]
    today = local_date(utcnow()).isoformat()
    row = sup.record_accountability(SUPERVISOR, {"number": number, "person": "王主任", "measure": "talk",
                                                 "decided_on": today, "note": "逾期未到场"})
    assert (row["person"], row["measure"], row["recorded_by"]) == ("王主任", "talk", "督查员甲")
    for bad, field in (({"measure": "fine"}, "measure"), ({"decided_on": "2999-01-01"}, "decided_on"),
                       ({"order": "999999999"}, "order")):
        with pytest.raises(FieldError) as refused:
            sup.record_accountability(SUPERVISOR, {"number": number, "person": "王主任", "measure": "talk",
                                                   "decided_on": today, **bad})
        assert refused.value.field == field
    assert [a["person"] for a in sup.ticket_records(SUPERVISOR, number)["accountabilities"]] == ["王主任"]


def test_a_joint_meeting_is_convened_then_decided_and_shown_with_the_ticket(grid_point):
    number = svc.create_ticket(new(grid_point), DESK).ticket["number"]
    with pytest.raises(FieldError, match="至少需要两个单位"):
        sup.convene_meeting(SUPERVISOR, {"number": number, "departments": ["water"],
                                         "meeting_date": local_date(utcnow()).isoformat()})
    meeting = sup.convene_meeting(SUPERVISOR, {"number": number, "departments": ["water", "cgj"],
                                               "meeting_date": local_date(utcnow()).isoformat()})
    assert meeting["department_codes"] == ["water", "cgj"] and meeting["decision"] is None
    assert meeting["convened_by"] == "督查员甲" and len(meeting["department_names"]) == 2
    with pytest.raises(FieldError):
        sup.record_meeting_decision(SUPERVISOR, meeting["id"], {"decision": " "})
    decided = sup.record_meeting_decision(SUPERVISOR, meeting["id"], {"decision": "供水公司牵头更换管段",
                                                                      "follow_up": "城管局配合占道审批"})
    assert decided["decision"] == "供水公司牵头更换管段" and decided["decided_at"] is not None
    shown = sup.ticket_records(SUPERVISOR, number)["meetings"]
    assert [(m["id"], m["follow_up"]) for m in shown] == [(meeting["id"], "城管局配合占道审批")]
    assert svc.history(number)[0]["state"] == "registered"     # recording a meeting moves nothing


def test_low_satisfaction_units_are_those_rated_enough_and_below_the_rate():
    rows = [{"department_code": "a", "department_name": "甲", "rated": 10, "content": 6, "unsatisfied": 4},
            {"department_code": "b", "department_name": "乙", "rated": 2, "content": 0, "unsatisfied": 2},
            {"department_code": "c", "department_name": "丙", "rated": 5, "content": 5, "unsatisfied": 0},
            {"department_code": "d", "department_name": "丁", "rated": 4, "content": 1, "unsatisfied": 3}]
    assert [r["department_code"] for r in sup.low_satisfaction(rows, threshold=0.8)] == ["d", "a"]


def test_the_page_opens_for_a_supervisor_only(role_clients):
    page = role_clients["supervisor"].get("/supervision")
    assert page.status_code == 200
    for role in ("dispatcher", "department", "leader", "operator"):
        assert role_clients[role].get("/supervision").status_code == 403, role
    assert role_clients["nobody"].get("/supervision").status_code == 302


def _values_of(component) -> dict:
    """{id: value} of every input under a Dash component tree."""
    found = {}
    stack = [component]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
            continue
        if getattr(node, "id", None) is not None and hasattr(node, "value"):
            found[node.id] = node.value
        children = getattr(node, "children", None)
        if children is not None:
            stack.append(children)
    return found


def test_a_ticket_page_leads_a_supervisor_to_the_forms_filled_with_its_number(grid_point, dash_app):
    from screens import supervision as page, tickets as ticket_page     # page modules: after the app exists
    number = svc.create_ticket(new(grid_point), DESK).ticket["number"]
    assert f"/supervision?ticket={number}" in str(ticket_page.layout(number, principal=SUPERVISOR))
    assert "/supervision?ticket=" not in str(ticket_page.layout(number, principal=DISPATCHER))
    values = _values_of(page.layout(SUPERVISOR, ticket=number))
    assert [values[i] for i in (page.ids.ORDER_NUMBER, page.ids.ACC_NUMBER, page.ids.MEET_NUMBER,
                                page.ids.FIND)] == [number] * 4      # and the lists narrowed to it
    for junk in ("<script>", "1" * 30, ""):
        assert _values_of(page.layout(SUPERVISOR, ticket=junk))[page.ids.MEET_NUMBER] is None
    assert _values_of(page.layout(SUPERVISOR, find=" 督办路 "))[page.ids.FIND] == "督办路"     # a narrowed page's link
    for junk in ("路" * 51, ["a", "b"]):
        assert _values_of(page.layout(SUPERVISOR, find=junk))[page.ids.FIND] is None


def test_the_overdue_count_is_of_every_late_ticket_not_the_listed_ones(grid_point, monkeypatch):
    late = []
    for _ in range(2):
        ticket = svc.create_ticket(new(grid_point), DESK).ticket
        late.append(ticket)
    when = max(t["resolve_due_at"] for t in late) + timedelta(hours=1)
    whole = sup.board(SUPERVISOR, now=when)
    monkeypatch.setattr(sup, "LIST_LIMIT", 1)
    cut = sup.board(SUPERVISOR, now=when)
    assert len(cut.overdue) == 1 and cut.overdue_count == whole.overdue_count >= 2
    if len(whole.overdue) < 200:
        assert whole.overdue_count == len(whole.overdue)


def test_the_lists_narrowed_to_a_number_or_address_reach_a_ticket_beyond_the_first_rows(grid_point, monkeypatch):
    older = svc.create_ticket(new(grid_point, registered_at=utcnow() - timedelta(days=4)), DESK).ticket
    street = f"督办路{uuid.uuid4().hex[:6]}号"
    ticket = svc.create_ticket(new(grid_point, registered_at=utcnow() - timedelta(days=3), address=f"铁东区{street}"),
                               DESK).ticket
    order = sup.issue_order(SUPERVISOR, order_form(ticket["number"]))
    monkeypatch.setattr(sup, "LIST_LIMIT", 1)          # the first row of the overdue list is another late ticket
    whole = sup.board(SUPERVISOR)
    assert len(whole.overdue) == 1 and ticket["number"] not in [r["number"] for r in whole.overdue]
    assert whole.overdue_count >= 2 and older["resolve_due_at"] < ticket["resolve_due_at"]
    for find in (ticket["number"], street):
        found = sup.board(SUPERVISOR, find=find)
        assert [r["number"] for r in found.overdue] == [ticket["number"]] and found.find == find
        assert [o["id"] for o in found.orders] == [order["id"]] and found.overdue_count == whole.overdue_count
    assert ticket["number"] not in [r["number"] for r in sup.board(SUPERVISOR, find="%_").overdue]   # literal
    with pytest.raises(FieldError) as long:
        sup.board(SUPERVISOR, find="1" * 51)
    assert long.value.field == "find"
