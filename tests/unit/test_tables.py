"""A spreadsheet cell reads as what the person typed: a date cell as YYYY-MM-DD, a whole number without '.0'."""
from datetime import date, datetime

import pytest

from workorders.tables import cell_text


@pytest.mark.parametrize("value, text", [
    (None, ""), (datetime(2026, 11, 1), "2026-11-01"), (date(2026, 11, 1), "2026-11-01"),
    (datetime(2026, 11, 1, 9, 30), "2026-11-01 09:30"), (3.0, "3"), (3, "3"), (2.5, "2.5"), ("邻里纠纷", "邻里纠纷"),
])
def test_a_cell_reads_as_typed(value, text):
    assert cell_text(value) == text
