"""Mediation's rules: a case row checked field by field in Chinese, and the success rate over closed cases."""
from __future__ import annotations

from datetime import date

import pytest

from workorders.mediation import CaseRejected, check_case, success_rate

TODAY = date(2026, 12, 2)
GOOD = {"纠纷类型": "邻里纠纷", "纠纷概要": "楼上漏水", "当事人": "张三、李四", "网格编码": "21030200100101",
        "调解组织编码": "MC210302001001", "受理日期": "2026-11-20"}


def problems(**changes) -> list[str]:
    with pytest.raises(CaseRejected) as rejected:
        check_case({**GOOD, **changes}, TODAY)
    return rejected.value.problems


def test_a_good_row_becomes_an_open_case():
    case = check_case(GOOD, TODAY)
    assert (case.kind, case.opened_on, case.outcome, case.closed_on) == ("邻里纠纷", date(2026, 11, 20), None, None)


def test_a_closed_case_needs_both_outcome_and_date_in_order():
    assert check_case({**GOOD, "调解结果": "调解成功", "结案日期": "2026/11/25"}, TODAY).closed_on == date(2026, 11, 25)
    assert problems(调解结果="调解成功") == ["结案日期：有调解结果时必填"]
    assert problems(结案日期="2026-11-25") == ["调解结果：有结案日期时必填"]
    assert problems(调解结果="调解成功", 结案日期="2026-11-01") == ["结案日期：不能早于受理日期"]


@pytest.mark.parametrize("field, value, words", [
    ("纠纷类型", "打架", "纠纷类型：应为"), ("受理日期", "昨天", "日期格式"), ("受理日期", "2027-01-01", "不能晚于今天"),
    ("调解结果", "和解", "调解结果：应为"), ("调解次数", "-1", "调解次数"), ("当事人", "", "当事人：必填"),
    ("纠纷概要", "x" * 2001, "最多 2000 字"), ("纠纷概要", "a\x00b", "控制字符"),
])
def test_each_bad_field_is_named(field, value, words):
    assert any(words in p for p in problems(**{field: value}))


def test_every_problem_of_a_row_is_reported_at_once():
    assert len(problems(纠纷类型="", 当事人="", 受理日期="")) == 3


def test_success_rate_counts_closed_cases_only():
    assert success_rate({"调解成功": 989, "转诉讼": 11, None: 40}) == pytest.approx(0.989)
    assert success_rate({None: 3}) is None
