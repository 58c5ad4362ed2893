"""承办工作台 (/work) against real PostGIS: a unit's queues hold its own tickets only and move with the ticket
(待签收 → 办理中 → 已办结; 即将超时, 已超时 by the deadlines), 退回 needs a reason, 转派 only to the unit's own
crews, and 办结回复 reaches the citizen's /track with its photos (a bad photo stores nothing)."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from services import media, work
from workorders import work as rules
from services import tickets as svc
from services.ticket_views import public_progress
from services.tickets import NewTicket, utcnow
from tests.photos import png
from workorders.errors import FieldError
from workorders.policy import Forbidden, Principal, system_principal

DESK = system_principal("坐席")
CENTER = system_principal("tests")


def person(*roles: str, **scopes) -> Principal:
    return Principal(id=None, name=f"t-{'-'.join(roles)}", roles=frozenset(roles), display_name="承办员", **scopes)


WATER = person("department", department_code="water")
GAS = person("department", department_code="gas")


@pytest.fixture(scope="module")
def point(engine) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(text("""SELECT ST_X(ST_PointOnSurface(g.geom)) AS lon,
                                                ST_Y(ST_PointOnSurface(g.geom)) AS lat, c.street_code,
                                                g.community_code
                                         FROM grids g JOIN communities c ON c.code = g.community_code
                                         ORDER BY g.code LIMIT 1""")).mappings().one())


def dispatched(point, category="water_leak", registered_at=None) -> dict:
    """A ticket the center dispatched to the unit routing chose."""
    ticket = svc.create_ticket(NewTicket(channel="hotline", category=category, lon=point["lon"], lat=point["lat"],
                                         description=f"测试 {uuid.uuid4().hex[:6]} 楼道漏水",
                                         registered_at=registered_at), DESK).ticket
    if ticket["state"] == "registered":
        svc.transition(ticket["number"], "dispatch", CENTER, now=registered_at)
    return svc.history(ticket["number"])[0]


def numbers(principal, queue, find=None) -> list[str]:
    return [r["number"] for r in work.board(principal, queue, find=find).rows]


def holds(principal, queue, number: str) -> bool:
    """Whether ``queue`` holds the ticket, looked up by its number as the page's search box does: a queue shows its
    first QUEUE_LIMIT rows by deadline, and tickets other tests left may fill them."""
    return number in numbers(principal, queue, find=number)


def anywhere(principal, number: str) -> bool:
    return any(holds(principal, q, number) for q in ("incoming", "working", "due_soon", "overdue", "done"))


def test_a_ticket_dispatched_to_a_unit_waits_in_its_queue_only(point):
    ticket = dispatched(point)
    assert ticket["lead_department_code"] == "water" and ticket["state"] == "dispatched"
    board = work.board(WATER, "incoming", find=ticket["number"])
    assert [r["number"] for r in board.rows] == [ticket["number"]]
    assert board.counts["incoming"] >= 1 and set(board.counts) == {"incoming", "working", "due_soon", "overdue",
                                                                  "done"}
    assert not anywhere(GAS, ticket["number"])
    # Its arrival deadline (30 minutes) is within two hours: it is also about to be late, and not late yet.
    assert holds(WATER, "due_soon", ticket["number"])
    assert not holds(WATER, "overdue", ticket["number"])
    row = next(r for r in board.rows if r["number"] == ticket["number"])
    assert row["state_label"] == "已派单" and row["category_name"] == "漏水"
    assert row["deadline"].label == "到场" and row["deadline"].due == ticket["arrival_due_at"] and not row["late"]


def test_the_street_of_the_ticket_sees_it_another_street_does_not(engine, point):
    ticket = dispatched(point)
    street = person("street", street_code=point["street_code"])
    with engine.connect() as conn:
        other = conn.execute(text("SELECT code FROM streets WHERE code <> :s ORDER BY code LIMIT 1"),
                             {"s": point["street_code"]}).scalar()
    assert holds(street, "incoming", ticket["number"])
    assert not holds(person("street", street_code=other), "incoming", ticket["number"])


def test_accepting_moves_the_ticket_to_working(point):
    ticket = dispatched(point)
    offered = [a for a, _, _ in work.detail(WATER, ticket["number"])["actions"]]
    assert "accept" in offered and "return" in offered
    with pytest.raises(Forbidden):
        work.act(GAS, ticket["number"], "accept")
    done = work.act(WATER, ticket["number"], "accept")
    assert done.ticket["state"] == "accepted"
    assert holds(WATER, "working", ticket["number"])
    assert not holds(WATER, "incoming", ticket["number"])


def test_a_ticket_past_its_deadline_is_overdue_not_due_soon(point):
    ticket = dispatched(point, registered_at=utcnow() - timedelta(days=5))
    assert ticket["resolve_due_at"] < utcnow()
    assert holds(WATER, "overdue", ticket["number"])
    assert not holds(WATER, "due_soon", ticket["number"])
    [row] = work.board(WATER, "overdue", find=ticket["number"]).rows
    assert row["late"]


def test_the_search_box_finds_a_ticket_beyond_the_first_rows_by_number_or_address(point, monkeypatch):
    street = f"查找路{uuid.uuid4().hex[:6]}号"
    number = svc.create_ticket(NewTicket(channel="hotline", category="water_leak", lon=point["lon"], lat=point["lat"],
                                         description="楼道漏水", address=f"铁东区{street}3单元"), DESK).ticket["number"]
    svc.transition(number, "dispatch", CENTER)
    dispatched(point)                                  # due at the same time or later: after it in the queue
    monkeypatch.setattr(rules, "QUEUE_LIMIT", 1)       # the page's first rows hold another ticket now
    first = work.board(WATER, "incoming")
    assert len(first.rows) <= 1 and first.counts["incoming"] >= 2
    assert numbers(WATER, "incoming", find=street) == [number]
    assert numbers(WATER, "incoming", find=number) == [number]
    assert numbers(WATER, "incoming", find="%_") == []          # LIKE's own characters are taken literally
    assert work.board(WATER, "incoming", find="  ").find is None
    with pytest.raises(FieldError) as long:
        work.board(WATER, "incoming", find="路" * 51)
    assert long.value.field == "find" and "50" in long.value.message


def test_the_queues_are_sorted_by_deadline(point):
    dispatched(point)
    dues = [r["deadline"].due for r in work.board(WATER, "incoming").rows]
    assert dues == sorted(dues)


def test_returning_needs_a_reason_and_reroutes(point):
    ticket = dispatched(point, category="gas_leak")
    assert ticket["lead_department_code"] == "gas"
    with pytest.raises(FieldError) as missing:
        work.act(GAS, ticket["number"], "return", "  ")
    assert missing.value.field == "reason" and "原因" in missing.value.message
    done = work.act(GAS, ticket["number"], "return", "不属于本单位职责")
    assert done.ticket["state"] == "returned" and done.ticket["lead_department_code"] != "gas"
    assert not holds(GAS, "incoming", ticket["number"])


def test_a_crew_is_sent_only_among_the_units_own(engine, point):
    ticket = dispatched(point)
    pane = work.detail(WATER, ticket["number"])
    assert pane["may_assign"] and pane["crews"] and {c["department_code"] for c in pane["crews"]} == {"water"}
    with pytest.raises(FieldError) as foreign:
        work.assign_crew(WATER, ticket["number"], "GAS-01")
    assert foreign.value.field == "crew" and "不是本单位" in foreign.value.message
    with pytest.raises(Forbidden):
        work.assign_crew(GAS, ticket["number"], "GAS-01")
    with pytest.raises(Forbidden):
        work.assign_crew(person("operator"), ticket["number"], "WATER-01")
    first, second = pane["crews"][0]["code"], pane["crews"][1]["code"]
    assert work.assign_crew(WATER, ticket["number"], first)["crew_code"] == first
    moved = work.assign_crew(WATER, ticket["number"], second)
    assert moved["crew_code"] == second and moved["state"] == "dispatched"
    with engine.connect() as conn:
        status = dict(conn.execute(text("SELECT code, status FROM crews WHERE code = ANY(:c)"),
                                   {"c": [first, second]}).all())
        conn.execute(text("UPDATE crews SET status = 'available' WHERE code = ANY(:c)"), {"c": [first, second]})
        conn.commit()
    assert status == {first: "available", second: "en_route"}
    events = svc.history(ticket["number"])[1]
    assert [e["data"].get("crew") for e in events if e["action"] == "assign_crew"] == [first, second]


def test_a_street_sends_its_grid_workers(point):
    street = person("street", street_code=point["street_code"])
    ticket = dispatched(point)
    crews = work.detail(street, ticket["number"])["crews"]
    assert crews and {c["kind"] for c in crews} <= {"网格员", "社区辅警"}


def test_the_reply_reaches_track_with_its_photo(point, dash_app):
    from screens.track import progress_card     # a page module: after the app exists
    ticket = dispatched(point)
    work.act(WATER, ticket["number"], "accept")
    with pytest.raises(FieldError) as empty:
        work.resolve_with_reply(WATER, ticket["number"], "   ")
    assert empty.value.field == "reply"
    done = work.resolve_with_reply(WATER, ticket["number"], "已更换楼道水管阀门，漏水已止住。",
                                   [media.Upload("after.png", "image/png", png(), "photo")])
    assert done.ticket["state"] == "resolved"
    progress = public_progress(ticket["number"])
    assert progress["reply"] == "已更换楼道水管阀门，漏水已止住。"
    assert len(progress["photos"]) == 1 and progress["photos"][0].startswith("/media/")
    assert any("已更换楼道水管阀门" in (e["note"] or "") for e in progress["events"])
    assert "已更换楼道水管阀门" in str(progress_card(progress, ticket["number"]))
    assert holds(WATER, "done", ticket["number"])
    assert not holds(WATER, "working", ticket["number"])


def test_track_shows_the_replys_photos_only_never_one_the_unit_kept_inside(point):
    """A photo added while handling (a staff photo, not marked public: a worker's view inside a home) is in the
    ticket's history but not on the public /track; the photos of the reply are."""
    ticket = dispatched(point)
    work.act(WATER, ticket["number"], "accept")
    (inside,) = media.add_photos(ticket["number"], [media.Upload("inside.png", "image/png", png(), "photo")], WATER,
                                 source="work")
    work.resolve_with_reply(WATER, ticket["number"], "已更换阀门。",
                            [media.Upload("after.png", "image/png", png(), "photo")])
    stored = media.photos_of(svc.history(ticket["number"])[0])
    assert sorted(p["public"] for p in stored) == [False, True]
    shown = public_progress(ticket["number"])["photos"]
    assert shown == [p["path"] for p in stored if p["public"]]
    assert not any(inside["id"] in path for path in shown)


def test_a_bad_photo_stores_nothing_and_says_why(engine, point):
    ticket = dispatched(point)
    work.act(WATER, ticket["number"], "accept")
    with pytest.raises(media.MediaError) as bad:
        work.resolve_with_reply(WATER, ticket["number"], "已处理",
                                [media.Upload("a.png", "image/png", png(), "photo"),
                                 media.Upload("notes.txt", "text/plain", b"not an image", "photo")])
    assert "notes.txt" in bad.value.message
    too_many = [media.Upload(f"p{i}.png", "image/png", png(), "photo") for i in range(6)]
    with pytest.raises(media.TooManyPhotos):
        work.resolve_with_reply(WATER, ticket["number"], "已处理", too_many)
    after, events = svc.history(ticket["number"])
    assert after["state"] == "accepted" and not media.photos_of(after)
    assert not [e for e in events if e["action"] in ("resolve", "add_photos")]


def test_a_plain_resolve_reason_stays_off_the_public_page(point):
    ticket = dispatched(point)
    svc.transition(ticket["number"], "accept", CENTER)
    svc.transition(ticket["number"], "resolve", CENTER, reason="内部备注：联系了物业张经理")
    assert public_progress(ticket["number"])["reply"] is None


def test_roles_without_handling_get_no_board():
    for role in ("leader", "dispatcher", "wall"):
        with pytest.raises(Forbidden):
            work.board(person(role))


# ------------------------------------------------------------------------------------------------ the HTTP door

def post_reply(client, number: str, **form):
    return client.post(f"/work/tickets/{number}/reply", content_type="multipart/form-data",
                       data={"csrf_token": client.get_cookie("_csrf_token").value, **form})


def test_the_reply_route_answers_in_words_and_takes_photos(dash_app, point):
    import io

    from harness.signing_in import make_user, sign_in
    client = dash_app.server.test_client()
    sign_in(client, *make_user("department", department="water"))
    ticket = dispatched(point)
    svc.transition(ticket["number"], "accept", CENTER)
    empty = post_reply(client, ticket["number"], reply=" ")
    assert empty.status_code == 400 and empty.get_json()["error"]["field"] == "reply"
    bad = post_reply(client, ticket["number"], reply="已处理", photo=(io.BytesIO(b"no image"), "x.png", "image/png"))
    assert bad.status_code == 400 and bad.get_json()["message"].startswith("照片（x.png）")
    assert svc.history(ticket["number"])[0]["state"] == "accepted"
    done = post_reply(client, ticket["number"], reply="已修复", photo=(io.BytesIO(png()), "ok.png", "image/png"))
    assert done.status_code == 200 and done.get_json()["state"] == "resolved"
    again = post_reply(client, ticket["number"], reply="再次办结")
    assert again.status_code == 409
    other = dispatched(point, category="gas_leak")
    svc.transition(other["number"], "accept", CENTER)
    assert post_reply(client, other["number"], reply="不是我的").status_code == 403
    assert post_reply(client, "20000101-999999", reply="x").status_code == 404


# ------------------------------------------------------------------------------------------------ 延期 / 挂起 / 协办

HOUSE = person("department", department_code="house")
ZJJ = person("department", department_code="zjj")
SUPERVISOR = person("supervisor")


def local(moment) -> str:
    from workorders.clock import local_minute
    return local_minute(moment)


def test_the_lead_unit_asks_for_an_extension_and_reads_the_outcome_in_its_pane(point):
    from services import handling
    from workorders.handling import HandlingConflict
    ticket = dispatched(point)
    work.act(WATER, ticket["number"], "accept")
    offer = work.detail(WATER, ticket["number"])["handling"]
    assert offer["may_extend"] and offer["pending"] is None and not offer["extensions"]
    assert offer["suggested_due"] == local(ticket["resolve_due_at"] + timedelta(days=1))
    new_due = local(ticket["resolve_due_at"] + timedelta(days=2))
    for reason, due, field, words in (("需更换主管", "后天", "new_due", "无法识别"),
                                      ("需更换主管", "", "new_due", "请填写"),
                                      ("  ", new_due, "reason", "延期理由"),
                                      ("需更换主管", local(ticket["resolve_due_at"]), "new_due", "须晚于当前时限")):
        with pytest.raises(FieldError) as bad:
            work.request_extension(WATER, ticket["number"], reason, due)
        assert bad.value.field == field and words in bad.value.message
    with pytest.raises(Forbidden):
        work.request_extension(GAS, ticket["number"], "需更换主管", new_due)
    asked = work.request_extension(WATER, ticket["number"], "需更换整段主管", new_due)
    assert local(asked["requested_due_at"]) == new_due
    pending = work.detail(WATER, ticket["number"])["handling"]["pending"]
    assert pending["id"] == asked["id"] and pending["reason"] == "需更换整段主管"
    with pytest.raises(HandlingConflict) as twice:
        work.request_extension(WATER, ticket["number"], "再申请", new_due)
    assert "待审批" in twice.value.message
    handling.decide_extension(SUPERVISOR, asked["id"], True, None)
    pane = work.detail(WATER, ticket["number"])
    assert pane["handling"]["pending"] is None and pane["handling"]["extensions"][0]["status"] == "approved"
    assert pane["resolve_due_at"] == new_due


def test_a_hold_stops_the_pane_and_resuming_moves_the_deadline(point):
    ticket = dispatched(point)
    work.act(WATER, ticket["number"], "accept")
    with pytest.raises(FieldError) as bare:
        work.hold(WATER, ticket["number"], " ")
    assert bare.value.field == "reason" and "挂起原因" in bare.value.message
    with pytest.raises(Forbidden):
        work.hold(GAS, ticket["number"], "等待业主")
    work.hold(WATER, ticket["number"], "等待业主回家开门")
    pane = work.detail(WATER, ticket["number"])
    offer = pane["handling"]
    assert offer["held"] and offer["may_resume"] and not offer["may_hold"]
    assert offer["open_hold"]["reason"] == "等待业主回家开门" and pane["actions"] == [] and not pane["may_reply"]
    with pytest.raises(FieldError) as again:
        work.hold(WATER, ticket["number"], "再挂起")
    assert "已挂起" in again.value.message
    resumed = work.resume(WATER, ticket["number"])
    assert resumed["resolve_due_at"] >= ticket["resolve_due_at"]
    offer = work.detail(WATER, ticket["number"])["handling"]
    assert not offer["held"] and offer["may_hold"] and offer["open_hold"] is None
    with pytest.raises(FieldError) as not_held:
        work.resume(WATER, ticket["number"])
    assert "未挂起" in not_held.value.message


def test_a_co_handling_unit_answers_in_its_pane_and_the_lead_reads_it(point):
    ticket = dispatched(point, category="housing_repair")
    assert ticket["lead_department_code"] == "house" and ticket["co_department_codes"] == ["zjj"]
    work.act(HOUSE, ticket["number"], "accept")
    # Co-handled tickets are in the co-handling unit's queues already (geo.tickets.SCOPE_CLAUSES).
    assert holds(ZJJ, "working", ticket["number"])
    helper = work.detail(ZJJ, ticket["number"])["handling"]
    assert helper["assist_unit"] == "zjj" and not helper["may_extend"] and not helper["may_hold"]
    lead = work.detail(HOUSE, ticket["number"])["handling"]
    assert lead["assist_unit"] is None and [(a["department_code"], a["answer"]) for a in lead["assists"]] == [
        ("zjj", None)]
    with pytest.raises(Forbidden):                      # the co-handler asks for no time of its own
        work.request_extension(ZJJ, ticket["number"], "需要时间", local(ticket["resolve_due_at"] + timedelta(days=1)))
    with pytest.raises(FieldError) as empty:
        work.answer_assist(ZJJ, ticket["number"], "  ")
    assert empty.value.field == "text" and "协办答复" in empty.value.message
    with pytest.raises(FieldError) as lead_answers:     # the lead answers as itself, not a co-handler
        work.answer_assist(HOUSE, ticket["number"], "代答")
    assert lead_answers.value.field == "department" and "不是该工单的协办单位" in lead_answers.value.message
    work.answer_assist(ZJJ, ticket["number"], "已核查房屋结构，无安全隐患")
    answers = work.detail(HOUSE, ticket["number"])["handling"]["assists"]
    assert [(a["department_code"], a["answer"]) for a in answers] == [("zjj", "已核查房屋结构，无安全隐患")]
    # A ticket without co-handling units shows no 协办 at all.
    plain = dispatched(point)
    assert work.detail(WATER, plain["number"])["handling"]["assists"] == []


def test_the_pane_renders_the_handling_controls(point, dash_app):
    from screens.work import pane
    ticket = dispatched(point, category="housing_repair")
    work.act(HOUSE, ticket["number"], "accept")
    shown = str(pane(work.detail(HOUSE, ticket["number"])))
    assert "work-ext-send" in shown and "work-hold" in shown and "待答复" in shown
    work.request_extension(HOUSE, ticket["number"], "需住建局鉴定", local(ticket["resolve_due_at"] + timedelta(days=1)))
    assert "待督查审批" in str(pane(work.detail(HOUSE, ticket["number"])))
