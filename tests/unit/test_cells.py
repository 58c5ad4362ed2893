"""The exports' one rule for cells (workorders/cells.py): a cell that would start a formula gets an apostrophe."""
from __future__ import annotations

import pytest

from workorders.cells import no_formula

PAYLOADS = ['=HYPERLINK("http://x")', "+1+1", "@SUM(1)", "-2+3", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_formula_start_becomes_text(payload):
    assert no_formula(payload) == "'" + payload


@pytest.mark.parametrize("plain", ["胜利路12号", "1+1", "王=李", "", "'=already quoted"])
def test_other_text_is_left_alone(plain):
    assert no_formula(plain) == plain
