"""Democratic consultation's step machine and rows: exactly one active step from the dates, the organiser's move,
what each step allows, follow-up progress, and an imported row checked field by field in Chinese."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from workorders.consultation import (ACTIONS, BRIEFING, DEBATE, DECISION, FEEDBACK, ANNOUNCE, STEPS, SessionRejected,
                                     StepRefused, active_step, allowed, check_person, check_session,
                                     follow_up_state, move_on, parse_tallies, progress, require_step, steps_view)

TODAY = date(2026, 12, 3)


def starts(*offsets: int) -> tuple[date, ...]:
    return tuple(TODAY + timedelta(days=o) for o in offsets)


@pytest.mark.parametrize("offsets, step", [
    ((1, 5, 10, 12, 20), ANNOUNCE),        # before the first date: announced all the same
    ((0, 5, 10, 12, 20), ANNOUNCE), ((-6, -1, 10, 12, 20), BRIEFING), ((-9, -5, 0, 12, 20), DEBATE),
    ((-20, -15, -10, -1, 20), DECISION), ((-30, -20, -15, -10, -2), FEEDBACK),
    ((-3, 0, 0, 0, 9), DECISION),         # several steps starting the same day: the last of them
])
def test_exactly_one_step_is_active_by_date(offsets, step):
    assert active_step(starts(*offsets), TODAY) == step
    assert [s["state"] for s in steps_view(starts(*offsets), TODAY)].count("active") == 1


def test_dates_that_go_backwards_are_no_schedule():
    with pytest.raises(ValueError):
        active_step(starts(0, -1, 2, 3, 4), TODAY)


def test_the_organiser_moves_on_one_step_and_the_next_starts_today():
    schedule = starts(-6, -1, 10, 12, 20)
    moved = move_on(schedule, TODAY, decided=False)
    assert active_step(moved, TODAY) == DEBATE and moved[DEBATE] == TODAY
    assert moved[DECISION:] == schedule[DECISION:]               # later dates kept
    assert active_step(move_on(moved, TODAY, decided=False), TODAY) == DECISION


def test_a_move_ahead_of_the_schedule_keeps_the_later_dates():
    moved = move_on(starts(-20, -10, -5, 3, 4), TODAY, decided=True)
    assert moved == (*starts(-20, -10, -5), TODAY, TODAY + timedelta(days=4))


def test_feedback_needs_a_decision_and_the_last_step_has_no_next():
    in_decision = starts(-20, -15, -10, -1, 20)
    with pytest.raises(StepRefused, match="尚未记录决定事项"):
        move_on(in_decision, TODAY, decided=False)
    assert active_step(move_on(in_decision, TODAY, decided=True), TODAY) == FEEDBACK
    with pytest.raises(StepRefused, match="最后阶段"):
        move_on(starts(-30, -20, -15, -10, -2), TODAY, decided=True)


@pytest.mark.parametrize("action, steps", [
    ("sign_up", {ANNOUNCE, BRIEFING}), ("opinion", {BRIEFING, DEBATE}), ("speak", {DEBATE}),
    ("see_decision", {DECISION, FEEDBACK}), ("see_feedback", {FEEDBACK}), ("feedback", {FEEDBACK}),
])
def test_what_each_step_allows(action, steps):
    assert {s for s in range(len(STEPS)) if allowed(s, action)} == steps


def test_a_refusal_names_the_active_step_and_where_the_action_is_open():
    with pytest.raises(StepRefused) as refused:
        require_step(DECISION, "sign_up")
    assert str(refused.value) == "当前处于「研究决定」阶段，报名参加只在「发布预告」、「通报议题」阶段进行"
    for action in ACTIONS:
        require_step(min(ACTIONS[action][1]), action)               # open somewhere


def test_follow_up_progress_and_state():
    open_, done = {"due_on": TODAY, "done_at": None}, {"due_on": TODAY, "done_at": "x"}
    late = {"due_on": TODAY - timedelta(days=1), "done_at": None}
    assert progress([open_, done]) == (1, 2) and progress([]) == (0, 0)
    assert [follow_up_state(m, TODAY) for m in ([], [done], [open_, done], [late, done])] == \
        ["无", "已完成", "推进中", "逾期"]


GOOD = {"议题名称": "老旧小区加装电梯", "议题类别": "城市建设", "网格编码": "21030200100101", "议题内容": "是否加装",
        "发布预告日期": "2026-11-01", "通报议题日期": "2026-11-05", "辩论发言日期": "2026-11-12",
        "研究决定日期": "2026-11-15", "情况反馈日期": "2026-11-30"}


def problems(**changes) -> list[str]:
    with pytest.raises(SessionRejected) as rejected:
        check_session({**GOOD, **changes}, TODAY)
    return rejected.value.problems


def test_a_good_row_with_its_tallies_decision_and_feedback():
    session = check_session({**GOOD, "参与人员": "居民 30、党员：8；人大代表2人", "决定事项": "加装", "反馈情况": "已开工"},
                            TODAY)
    assert session.tallies == (("居民", 30), ("党员", 8), ("人大代表", 2))
    assert session.starts[DEBATE] == date(2026, 11, 12) and session.feedback == "已开工"


@pytest.mark.parametrize("changes, words", [
    ({"议题类别": "治安"}, "议题类别：应为"), ({"辩论发言日期": "下周"}, "辩论发言日期：日期格式"),
    ({"通报议题日期": "2026-10-01"}, "通报议题日期：不能早于发布预告日期"), ({"议题名称": ""}, "议题名称：必填"),
    ({"参与人员": "群众 5"}, "参与人员：'群众 5'"), ({"参与人员": "律师 0"}, "律师 人数应为"),
    ({"议题内容": "x" * 2001}, "最多 2000 字"),
    ({"反馈情况": "已开工"}, "反馈情况：须先有决定事项"),
])
def test_each_bad_field_is_named(changes, words):
    assert any(words in p for p in problems(**changes)), problems(**changes)


def test_no_decision_before_its_step_and_no_feedback_before_its_own():
    upcoming = {"研究决定日期": "2026-12-20", "情况反馈日期": "2026-12-30"}
    assert problems(**upcoming, 决定事项="加装") == ["决定事项：「研究决定」阶段（2026-12-20）开始前不能有决定"]
    assert problems(情况反馈日期="2026-12-30", 决定事项="加装", 反馈情况="已开工") == [
        "反馈情况：「情况反馈」阶段（2026-12-30）开始前不能发布反馈"]


def test_every_problem_of_a_row_at_once():
    assert len(problems(议题名称="", 议题类别="", 网格编码="")) == 3


def test_a_person_needs_a_name_and_a_phone_of_digits():
    assert check_person(" 王丽 ", "138-1234-5678") == ("王丽", "13812345678")
    with pytest.raises(SessionRejected) as rejected:
        check_person("", "abc")
    assert rejected.value.problems[0] == "姓名：必填" and rejected.value.problems[1].startswith("联系电话：")


def test_tallies_skip_blanks():
    assert parse_tallies("、居民 3，") == ([("居民", 3)], [])
