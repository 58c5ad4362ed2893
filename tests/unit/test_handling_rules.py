"""The rules of 申请延期, 挂起 and 协办 (workorders/handling.py), without a database."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from workorders import handling as rules
from workorders.errors import FieldError

REGISTERED = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
DUE = REGISTERED + timedelta(days=3)
NOW = REGISTERED + timedelta(days=1)


def extension(**kw):
    base = dict(reason="需采购专用管材", new_due=DUE + timedelta(days=2), current_due=DUE, registered_at=REGISTERED,
                now=NOW, state="accepted", pending=False)
    return rules.check_extension(**{**base, **kw})


def refused_field(call) -> str:
    with pytest.raises(FieldError) as refused:
        call()
    return refused.value.field


def test_an_extension_within_the_limit_is_accepted_with_its_reason_trimmed():
    request = extension(reason="  需采购专用管材 ")
    assert request == rules.ExtensionRequest("需采购专用管材", DUE + timedelta(days=2))


@pytest.mark.parametrize("change, field", [
    ({"reason": " "}, "reason"), ({"reason": None}, "reason"), ({"reason": "长" * 2001}, "reason"),
    ({"new_due": None}, "new_due"), ({"new_due": DUE}, "new_due"), ({"new_due": DUE - timedelta(hours=1)}, "new_due"),
    ({"new_due": REGISTERED + timedelta(days=10, seconds=1)}, "new_due"),
    ({"new_due": datetime(2026, 11, 25, 8, 0)}, "new_due"),           # no time zone
    ({"pending": True}, "extension"), ({"state": "registered"}, "state"), ({"state": "resolved"}, "state"),
])
def test_a_bad_extension_names_its_field(change, field):
    assert refused_field(lambda: extension(**change)) == field


def test_the_limit_is_ten_days_after_registration_and_later_by_the_time_held():
    assert extension(new_due=REGISTERED + timedelta(days=10)).new_due == REGISTERED + timedelta(days=10)
    held = timedelta(hours=30)
    assert rules.extension_limit(REGISTERED, held) == REGISTERED + timedelta(days=10, hours=30)
    assert extension(new_due=REGISTERED + timedelta(days=11), held=held).new_due == REGISTERED + timedelta(days=11)


def test_a_new_due_in_the_past_is_refused_even_when_later_than_an_expired_deadline():
    late_now = DUE + timedelta(days=1)
    message = None
    try:
        extension(new_due=DUE + timedelta(hours=2), now=late_now)
    except FieldError as error:
        message = error.message
    assert message == "延期后的办结时限须晚于现在"


def test_a_decision_on_a_pending_request():
    assert rules.check_decision(status="pending", approve=True, note=None, requested_due=DUE + timedelta(days=1),
                                current_due=DUE) is None
    assert rules.check_decision(status="pending", approve=False, note=" 理由不充分 ",
                                requested_due=DUE + timedelta(days=1), current_due=DUE) == "理由不充分"


@pytest.mark.parametrize("kw, field", [
    ({"status": "approved"}, "extension"), ({"status": "refused"}, "extension"),
    ({"approve": False, "note": ""}, "note"), ({"approve": "yes"}, "approve"),
    ({"requested_due": DUE}, "extension"),        # a hold moved the deadline past what was asked
])
def test_a_bad_decision_names_its_field(kw, field):
    base = dict(status="pending", approve=True, note=None, requested_due=DUE + timedelta(days=1), current_due=DUE)
    assert refused_field(lambda: rules.check_decision(**{**base, **kw})) == field


def test_a_hold_needs_a_reason_a_handling_state_and_room_under_the_limit():
    assert rules.check_hold(reason=" 等待业主回家 ", state="on_site", flags=[], holds_so_far=1, limit=2) == "等待业主回家"
    for kw, field in (({"reason": ""}, "reason"), ({"holds_so_far": 2}, "hold"), ({"flags": ["held"]}, "hold"),
                      ({"state": "registered"}, "state"), ({"state": "closed"}, "state")):
        base = dict(reason="等待业主回家", state="accepted", flags=[], holds_so_far=0, limit=2)
        assert refused_field(lambda: rules.check_hold(**{**base, **kw})) == field


def test_time_held_counts_up_to_the_maximum():
    start = NOW
    assert rules.held_time(start, start + timedelta(hours=5), 72) == timedelta(hours=5)
    assert rules.held_time(start, start + timedelta(hours=100), 72) == timedelta(hours=72)
    assert rules.held_time(start, start - timedelta(seconds=1), 72) == timedelta()
    assert rules.hold_ends_at(start, 72) == start + timedelta(hours=72)


def test_a_hold_moves_the_resolution_and_the_arrival_deadline_only_before_arrival():
    ticket = {"resolve_due_at": DUE, "arrival_due_at": REGISTERED + timedelta(minutes=30), "on_site_at": None}
    held = timedelta(hours=4)
    assert rules.shifted_deadlines(ticket, held) == {"resolve_due_at": DUE + held,
                                                     "arrival_due_at": REGISTERED + timedelta(minutes=30) + held}
    arrived = {**ticket, "on_site_at": REGISTERED + timedelta(minutes=20)}
    assert rules.shifted_deadlines(arrived, held) == {"resolve_due_at": DUE + held}
    assert rules.shifted_deadlines({**ticket, "arrival_due_at": None}, held) == {"resolve_due_at": DUE + held}


def test_the_hold_flag_comes_and_goes_without_touching_the_others():
    assert rules.with_hold_flag(["repeat"]) == ["repeat", "held"]
    assert rules.with_hold_flag(["held"]) == ["held"]
    assert rules.without_hold_flag(["repeat", "held"]) == ["repeat"]
    rules.check_resume(["held"])
    assert refused_field(lambda: rules.check_resume(["repeat"])) == "hold"


def test_only_a_co_handling_unit_answers_while_the_ticket_is_open():
    base = dict(department_code="zjj", co_departments=["zjj"], state="accepted", text=" 已核查房屋结构 ")
    assert rules.check_assist(**base) == "已核查房屋结构"
    for kw, field in (({"department_code": "house"}, "department"), ({"department_code": None}, "department"),
                      ({"text": ""}, "text"), ({"state": "closed"}, "state"), ({"state": "resolved"}, "state")):
        assert refused_field(lambda: rules.check_assist(**{**base, **kw})) == field
    assert rules.check_assist(**{**base, "state": "registered"}) == "已核查房屋结构"


def test_a_deadline_typed_on_a_screen_is_read_in_the_districts_zone():
    from zoneinfo import ZoneInfo
    zone = ZoneInfo("Asia/Shanghai")
    for typed in ("2026-12-05 18:00", " 2026-12-05T18:00 ", "2026/12/05 18:00", "2026-12-05  18:00:00"):
        assert rules.parse_local_due(typed, zone) == datetime(2026, 12, 5, 10, 0, tzinfo=timezone.utc)
    for typed, words in ((None, "请填写"), ("  ", "请填写"), ("明天下午", "无法识别"), ("2026-13-05 18:00", "无法识别")):
        with pytest.raises(FieldError) as bad:
            rules.parse_local_due(typed, zone)
        assert bad.value.field == "new_due" and words in bad.value.message
