"""Formula cells in the downloads (issue 12, "Hostile input"): tickets whose description, address and citizen name
begin with = + - @ (and a tab) are downloaded through GET /tickets/export.csv and .xlsx as a supervisor (who gets
the personal columns), and a sign-in attempt with such a username through /audit/export.csv: no cell of any file
begins with a character that starts a formula, and no XLSX cell is a formula (workorders/cells.py's one rule)."""
from __future__ import annotations

import csv
import io
import uuid

import pytest
from openpyxl import load_workbook

from harness.signing_in import signed_in_client
from services.tickets import NewTicket, create_ticket
from tests.fresh import new_phone
from workorders.cells import FORMULA_STARTS
from workorders.policy import system_principal as sp

FORMULAS = ['=HYPERLINK("http://x")', "+1+1", "@SUM(1)", "-2+3", "\t=1+1"]


@pytest.fixture(scope="module")
def server(engine):
    from app import app as dash_app
    dash_app.server.test_client().get("/healthz")     # Dash registers its page router at the first request
    return dash_app.server


@pytest.fixture(scope="module")
def marker() -> str:
    return "式" + uuid.uuid4().hex[:6]


@pytest.fixture(scope="module")
def hostile(engine, spot, marker, created) -> list[str]:
    """One ticket per payload, in every typed field: the description (after the marker, which the search needs,
    comes a line starting with the payload: a CSV cell is one cell however many lines it holds), address, name."""
    numbers = []
    for formula in FORMULAS:
        number = create_ticket(NewTicket(
            channel="hotline", category="water_leak", lon=spot["lon"], lat=spot["lat"],
            description=f"{formula} {marker}", address=f"{formula}号", citizen_name=formula,
            citizen_phone=new_phone()), sp("坐席")).ticket["number"]
        numbers.append(number)
    created.extend(numbers)
    return numbers


def formula_cells(rows: list[list]) -> list:
    return [cell for row in rows for cell in row if isinstance(cell, str) and cell[:1] in FORMULA_STARTS]


def test_the_ticket_csv_has_no_formula_cell(server, hostile, marker):
    answer = signed_in_client(server, "supervisor").get(f"/tickets/export.csv?q={marker}")
    assert answer.status_code == 200, answer.data[:300]
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
    assert {r[0] for r in rows[2:]} == set(hostile)
    assert formula_cells(rows) == []
    columns = rows[1]
    for row in rows[2:]:      # every typed field began with a payload: each is there, quoted, as text
        typed = [row[columns.index(c)] for c in ("诉求内容", "地址", "群众姓名")]
        assert all(cell[:1] == "'" and cell[1:2] in FORMULA_STARTS for cell in typed), typed


def test_the_ticket_xlsx_has_no_formula_cell(server, hostile, marker):
    answer = signed_in_client(server, "supervisor").get(f"/tickets/export.xlsx?q={marker}")
    assert answer.status_code == 200, answer.data[:300]
    sheet = load_workbook(io.BytesIO(answer.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert {r[0] for r in rows[2:]} == set(hostile)
    assert formula_cells(rows) == []
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert "'" + FORMULAS[0] in {c for row in rows for c in row}


@pytest.mark.parametrize("formula", FORMULAS)
def test_the_audit_csv_has_no_formula_cell(server, formula):
    """A username is whatever somebody typed at /login: it reaches the audit log as the failed attempt's actor."""
    typed = f"{formula}{uuid.uuid4().hex[:6]}"
    server.test_client().post("/login", data={"username": typed, "password": "whatever-it-is"})
    answer = signed_in_client(server, "supervisor").get("/audit/export.csv?action=sign_in_failed")
    assert answer.status_code == 200, answer.data[:300]
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
    assert formula_cells(rows) == []
    assert any("'" + typed.strip() in row for row in rows)      # the form drops a leading tab

