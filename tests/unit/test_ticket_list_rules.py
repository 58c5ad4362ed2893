"""Pure rules of the ticket list: LIKE patterns take % and _ literally, LIKE vs ILIKE, cells that no spreadsheet
runs, the queue's kinds and deadlines."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from geo.ticket_search import like_operator, like_pattern
from services.dispatch_queue import _item, deadline_of, kind_of
from services.ticket_list import neutralised


def test_like_pattern_escapes_its_own_characters():
    assert like_pattern("漏水") == "%漏水%"
    assert like_pattern("100%_a\\b") == "%100\\%\\_a\\\\b%"


@pytest.mark.parametrize("text, operator", [("漏水", "LIKE"), ("12号楼", "LIKE"), ("ABC小区", "ILIKE"),
                                            ("wifi", "ILIKE")])
def test_only_text_with_cased_letters_needs_ilike(text, operator):
    assert like_operator(text) == operator


@pytest.mark.parametrize("value, cell", [("=1+1", "'=1+1"), ("+86 138", "'+86 138"), ("-5", "'-5"),
                                         ("@SUM(A1)", "'@SUM(A1)"), ("\t=x", "'\t=x"), ("楼道漏水", "楼道漏水"),
                                         (None, ""), (True, "是"), (False, ""), (3, "3")])
def test_cells_never_become_formulas(value, cell):
    assert neutralised(value) == cell


def test_queue_kinds_and_the_deadline_that_matters():
    now = datetime(2026, 12, 2, 12, tzinfo=timezone.utc)
    row = {"state": "dispatched", "arrival_due_at": now + timedelta(minutes=5), "on_site_at": None,
           "resolve_due_at": now + timedelta(days=1)}
    assert kind_of(row) == "arrival" and deadline_of(row) == row["arrival_due_at"]
    assert deadline_of({**row, "on_site_at": now}) == row["resolve_due_at"]
    assert [kind_of({**row, "state": s}) for s in ("registered", "reopened", "returned", "escalated")] == [
        "dispatch", "dispatch", "returned", "escalated"]


def test_a_held_ticket_is_held_not_at_risk_and_shows_no_countdown():
    now = datetime(2026, 12, 2, 12, tzinfo=timezone.utc)
    row = {"number": "20261202-000001", "state": "accepted", "arrival_due_at": now - timedelta(minutes=30),
           "on_site_at": None, "resolve_due_at": now + timedelta(days=1), "category_name": "供水", "street_name": "",
           "community_name": "", "priority": 2, "lon": 123.0, "lat": 41.1, "escalation_level": 0}
    assert kind_of(row) == "arrival" and _item(row, now)["minutes_left"] == -30
    held = _item({**row, "held": True}, now)
    assert (held["kind"], held["kind_label"], held["held"], held["minutes_left"], held["due"]) == (
        "held", "挂起", True, None, None)
    escalated = _item({**row, "state": "escalated", "held": True, "escalation_level": 1}, now)
    assert (escalated["kind"], escalated["held"], escalated["minutes_left"]) == ("escalated", True, None)
