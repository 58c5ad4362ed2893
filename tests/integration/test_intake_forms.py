"""The intake forms' helpers against the real PostGIS: submit, double submit, caller lookup, suggestions, points,
merge, the public progress view and evaluation."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from geo.tickets import grid_point, place_of_point
from services import intake_forms, ticket_views
from services.intake_forms import FormInvalid, IntakeError
from services.tickets import IdempotencyConflict, transition
from tests.fresh import new_phone
from workorders.policy import Principal
from workorders.policy import system_principal as sp

# The signed-in operator at the desk (the form's own "operator" value is a name typed by anyone: ignored).
OPERATOR = Principal(id=None, name="test-operator", roles=frozenset({"operator"}), display_name="坐席甲")


@pytest.fixture
def spot(engine):
    """A point inside a random grid (few other tests' tickets are near it) and that grid's code."""
    with engine.connect() as conn:
        code = conn.execute(text("SELECT code FROM grids ORDER BY random() LIMIT 1")).scalar()
        lon, lat = grid_point(conn, code)
        assert place_of_point(conn, lon, lat)["grid_code"] == code
    return {"lon": lon, "lat": lat, "label": "测试点", "source": "map", "grid_code": code}


def form(spot: dict, **changes) -> dict:
    return {"phone": new_phone(), "name": "王建国", "category": "streetlight", "variant": None, "address": "",
            "location": spot, "description": f"路灯不亮 {uuid.uuid4().hex[:6]}", "window": None, "operator": "冒名顶替",
            **changes}


def stored(engine, number: str) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(text("""SELECT channel, grid_code, citizen_phone, citizen_name, registered_by,
                                                address, attributes, state FROM tickets WHERE number = :n"""),
                                 {"n": number}).mappings().one())


def test_submit_registers_the_ticket_in_the_grid_of_the_point(engine, spot):
    values = form(spot, phone="139-0000 " + new_phone()[-4:])
    summary = intake_forms.submit("hotline", values, uuid.uuid4().hex, OPERATOR)
    row = stored(engine, summary["number"])
    assert row["channel"] == "hotline" and row["grid_code"] == spot["grid_code"]
    assert row["citizen_phone"] == intake_forms.digits(values["phone"])
    assert row["registered_by"] == "坐席甲" and row["address"] == "测试点"
    assert summary["created"] is True
    assert summary["department"] == "区城市管理综合行政执法局"
    assert summary["resolve_due_at"] and summary["arrival_due_at"] is None     # streetlight: no arrival limit


def test_the_same_form_key_twice_gives_one_ticket_and_a_changed_body_is_refused(engine, spot):
    key, values = uuid.uuid4().hex, form(spot)
    first = intake_forms.submit("hotline", values, key, OPERATOR)
    again = intake_forms.submit("hotline", values, key, OPERATOR)
    assert again["number"] == first["number"] and again["created"] is False
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tickets WHERE citizen_phone = :p"),
                            {"p": values["phone"]}).scalar() == 1
    with pytest.raises(IdempotencyConflict):
        intake_forms.submit("hotline", {**values, "description": "另一件事"}, key, OPERATOR)


def test_a_repeat_submit_still_lists_the_duplicates(engine, spot):
    first = intake_forms.submit("hotline", form(spot), uuid.uuid4().hex, OPERATOR)
    key, values = uuid.uuid4().hex, form(spot)
    second = intake_forms.submit("hotline", values, key, OPERATOR)
    assert first["number"] in [d["number"] for d in second["duplicates"]]
    repeat = intake_forms.submit("hotline", values, key, OPERATOR)
    assert repeat["created"] is False
    assert [d["number"] for d in repeat["duplicates"]] == [d["number"] for d in second["duplicates"]]


def test_merging_the_new_ticket_into_its_duplicate(engine, spot):
    first = intake_forms.submit("hotline", form(spot), uuid.uuid4().hex, OPERATOR)
    second = intake_forms.submit("letter", form(spot), uuid.uuid4().hex, OPERATOR)
    assert intake_forms.merge_into(second["number"], first["number"], OPERATOR) == "已合并"
    assert stored(engine, second["number"])["state"] == "merged"
    assert ticket_views.public_progress(second["number"])["merged_into"] == first["number"]


def test_a_walk_in_keeps_the_receiving_window_and_refuses_an_unknown_one(engine, spot):
    windows = {w["code"] for w in intake_forms.reception_windows()}
    assert len(windows) == 12 and "gaj" in windows
    summary = intake_forms.submit("walk_in", form(spot, window="gaj"), uuid.uuid4().hex, OPERATOR)
    row = stored(engine, summary["number"])
    assert row["channel"] == "walk_in" and row["attributes"] == {"window_department": "gaj"}
    with pytest.raises(FormInvalid) as refused:
        intake_forms.submit("walk_in", form(spot, window="water"), uuid.uuid4().hex, OPERATOR)   # a utility: no window
    assert "window_department" in refused.value.errors


def test_an_unknown_address_and_a_point_outside_are_refused_and_nothing_is_written(engine, spot):
    values = form(spot, location=None, address="火星路999号")
    with pytest.raises(IntakeError) as refused:
        intake_forms.submit("hotline", values, uuid.uuid4().hex, OPERATOR)
    assert refused.value.field == "address" and "找不到地址" in refused.value.message
    outside = form(spot, location={"lon": 116.39, "lat": 39.9})
    with pytest.raises(IntakeError) as refused:
        intake_forms.submit("hotline", outside, uuid.uuid4().hex, OPERATOR)
    assert refused.value.field == "location"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM tickets WHERE citizen_phone IN (:a, :b)"),
                            {"a": values["phone"], "b": outside["phone"]}).scalar() == 0


def test_a_typed_address_is_looked_up_when_no_suggestion_was_picked(engine, spot):
    summary = intake_forms.submit("hotline", form(spot, location=None, address="胜利路12号"), uuid.uuid4().hex,
                                  OPERATOR)
    with engine.connect() as conn:
        grid = conn.execute(text("SELECT grid_code FROM places WHERE name = '胜利路12号'")).scalar()
    assert stored(engine, summary["number"])["grid_code"] == grid


def test_caller_history_finds_earlier_tickets_by_number_in_full(engine, spot):
    phone = new_phone()
    numbers = [intake_forms.submit("hotline", form(spot, phone=phone), uuid.uuid4().hex, OPERATOR)["number"]
               for _ in range(2)]
    history = intake_forms.caller_history(OPERATOR, f"{phone[:3]} {phone[3:]}")
    assert history["total"] == 2 and [t["number"] for t in history["tickets"]] == numbers[::-1]
    assert history["tickets"][0]["phone"] == phone and history["tickets"][0]["name"] == "王建国"
    assert history["tickets"][0]["state"] == "已登记" and history["tickets"][0]["category_name"] == "路灯"
    assert intake_forms.caller_history(OPERATOR, phone[:6]) is None                 # still being typed
    stranger = "13000000000" if phone != "13000000000" else "13000000001"
    assert intake_forms.caller_history(OPERATOR, stranger)["total"] == 0


def test_address_suggestions_say_where_each_place_is(engine):
    suggestions = intake_forms.address_suggestions("胜利路12号")
    assert suggestions[0]["label"] == "胜利路12号" and suggestions[0]["kind"] == "门牌"
    assert suggestions[0]["street_name"].endswith("街道") and suggestions[0]["grid_name"]
    assert intake_forms.address_suggestions("火星路999号") == []
    assert intake_forms.address_suggestions("   ") == []


def test_locate_names_the_grid_and_refuses_outside(engine, spot):
    where = intake_forms.locate(spot["lon"], spot["lat"])
    assert where["source"] == "map" and where["grid_name"] and where["community_name"]
    with pytest.raises(IntakeError) as refused:
        intake_forms.locate(116.39, 39.9)
    assert refused.value.field == "location"


def test_public_progress_shows_the_path_without_personal_data(engine, spot):
    values = form(spot, name="赵小红", phone=new_phone(), address="和平路3号2单元", description="路灯不亮，我家门口")
    number = intake_forms.submit("web", values, uuid.uuid4().hex, None)["number"]
    transition(number, "dispatch", sp("调度员"), department="cgj")
    progress = ticket_views.public_progress(number)
    assert progress["state_label"] == "已派单"
    assert [e["label"] for e in progress["events"]] == ["登记受理", "派单"]
    assert progress["events"][1]["note"] == "派往 区城市管理综合行政执法局"
    flat = repr(progress)
    for private in (values["name"], values["phone"], "和平路3号2单元", "我家门口", "调度员"):
        assert private not in flat
    assert ticket_views.public_progress("20990101-999999") is None
    assert ticket_views.public_progress("not a number") is None


def test_evaluation_unsatisfied_reopens_and_a_second_rating_is_refused(engine, spot):
    number = intake_forms.submit("web", form(spot), uuid.uuid4().hex, None)["number"]
    transition(number, "dispatch", sp("调度员"), department="cgj")
    transition(number, "accept", sp("区城市管理综合行政执法局"))
    token = transition(number, "resolve", sp("区城市管理综合行政执法局")).ticket["evaluation_token"]
    target = ticket_views.evaluation_target(token)
    assert target["status"] == "open" and target["number"] == number and target["citizen"] == "王**"
    with pytest.raises(IntakeError) as refused:
        ticket_views.submit_evaluation(token, None, "")
    assert refused.value.field == "satisfaction"
    result = ticket_views.submit_evaluation(token, "unsatisfied", "灯还是不亮")
    assert result["reopened"] is True and result["state_label"] == "已重启"
    assert stored(engine, number)["state"] == "reopened"
    assert ticket_views.evaluation_target(token)["status"] == "done"
    with pytest.raises(IntakeError) as refused:
        ticket_views.submit_evaluation(token, "satisfied", None)
    assert refused.value.field == "token"
    assert ticket_views.evaluation_target("no-such-token")["status"] == "invalid"


def test_operator_detail_shows_everything(engine, spot):
    values = form(spot, window="sfj")
    number = intake_forms.submit("walk_in", values, uuid.uuid4().hex, OPERATOR)["number"]
    detail = ticket_views.operator_detail(OPERATOR, number)
    assert detail["citizen_phone"] == values["phone"] and detail["citizen_name"] == "王建国"
    assert detail["window"] == "区司法局" and detail["registered_by"] == "坐席甲"
    assert detail["events"][0]["label"] == "登记受理" and detail["events"][0]["note"] == "渠道：当面"
    assert ticket_views.operator_detail(OPERATOR, "20990101-999999") is None
