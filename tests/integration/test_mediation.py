"""Dispute mediation on PostGIS: the seed's own figures come out of the queries, a neighbour-dispute work order
becomes a case in one action, an import is all or nothing, rights and personal data hold."""
from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import text

from services import mediation
from services.tickets import NewTicket, create_ticket, transition
from tests.conftest import ROOT
from tests.fresh import new_phone
from workorders.mediation import CaseRejected
from workorders.policy import Forbidden, Principal, system_principal

SUPERVISOR = Principal(id=None, name="md-supervisor", roles=frozenset({"supervisor"}))
LEADER = Principal(id=None, name="md-leader", roles=frozenset({"leader"}))
OPERATOR = Principal(id=None, name="md-operator", roles=frozenset({"operator"}))


def street_staff(street: str) -> Principal:
    return Principal(id=None, name="md-street", roles=frozenset({"street"}), street_code=street)


def test_the_seed_holds_the_districts_reported_figures(engine):
    seeded = mediation.summary(SUPERVISOR, {"source": "seed"})
    assert (seeded.cases, seeded.closed, seeded.success) == (3450, 3410, 3373)
    assert round(seeded.rate * 100, 1) == 98.9
    organisations = mediation.organisations(SUPERVISOR)
    assert (sum(o["level"] == "street" for o in organisations), sum(o["level"] == "sector" for o in organisations)) \
        == (90, 67)
    assert sum(o["mediators"] for o in organisations) == 2000


@pytest.fixture
def dispute_ticket(engine, spot):
    actor = system_principal("mediation-tests")
    ticket = create_ticket(NewTicket(channel="hotline", category="neighbour_dispute", description="楼上装修噪音扰民",
                                     lon=spot["lon"], lat=spot["lat"], citizen_name="王五", citizen_phone=new_phone()),
                           actor, engine=engine).ticket
    yield ticket
    transition(ticket["number"], "refuse", actor, reason="测试工单")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM disputes WHERE ticket_id = :t"), {"t": ticket["id"]})


def test_a_neighbour_dispute_ticket_becomes_one_case_of_its_communitys_committee(dispute_ticket):
    staff = street_staff(dispute_ticket["street_code"])
    number = mediation.case_from_ticket(staff, dispute_ticket["number"])
    assert mediation.case_from_ticket(staff, dispute_ticket["number"]) == number          # once per ticket
    case = mediation.list_cases(staff, {"number": number})[0]
    assert (case["ticket_number"], case["grid_code"], case["outcome"]) == (
        dispute_ticket["number"], dispute_ticket["grid_code"], None)
    assert "王五" in case["parties"] and case["org"].endswith("人民调解委员会")
    mediation.close_case(staff, number, "调解成功", "双方签订协议")
    with pytest.raises(CaseRejected):
        mediation.close_case(staff, number, "调解成功")                                     # closed already


def test_another_streets_staff_and_other_roles_are_refused(dispute_ticket):
    with pytest.raises(Forbidden):
        mediation.case_from_ticket(street_staff("000000000"), dispute_ticket["number"])
    with pytest.raises(Forbidden):
        mediation.list_cases(OPERATOR)
    assert all(r["parties"] == "（仅调解人员可见）" for r in mediation.list_cases(LEADER))   # figures, no names


def test_only_a_neighbour_dispute_can_become_a_case(engine, spot):
    actor = system_principal("mediation-tests")
    ticket = create_ticket(NewTicket(channel="hotline", category="streetlight", description="路灯不亮",
                                     lon=spot["lon"], lat=spot["lat"]), actor, engine=engine).ticket
    try:
        with pytest.raises(CaseRejected):
            mediation.case_from_ticket(SUPERVISOR, ticket["number"])
    finally:
        transition(ticket["number"], "refuse", actor, reason="测试工单")


def cases(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM disputes")).scalar()


def test_an_import_with_one_bad_row_writes_nothing_and_names_the_row(engine, tmp_path):
    with engine.connect() as conn:
        grid, org = conn.execute(text("""SELECT g.code, o.code FROM grids g JOIN mediation_orgs o
                                         ON o.community_code = g.community_code LIMIT 1""")).one()
    good = f"邻里纠纷,漏水,张三、李四,{grid},{org},2026-11-01,调解成功,2026-11-03,赔偿维修费"
    path = tmp_path / "cases.csv"
    path.write_text("纠纷类型,纠纷概要,当事人,网格编码,调解组织编码,受理日期,调解结果,结案日期,协议内容\n"
                    f"{good}\n物业纠纷,物业费,赵六,NOPE,{org},2026-11-02,,,\n", encoding="utf-8-sig")
    before = cases(engine)
    answer = subprocess.run([sys.executable, "-m", "etl", "mediation", str(path)], cwd=ROOT, capture_output=True,
                            text=True)
    assert answer.returncode == 1 and "第 3 行 网格编码" in answer.stderr and "nothing imported" in answer.stderr
    assert cases(engine) == before
    path.write_text("纠纷类型,纠纷概要,当事人,网格编码,调解组织编码,受理日期,调解结果,结案日期,协议内容\n"
                    f"{good}\n{good.replace('张三', '=HYPERLINK(1)')}\n", encoding="utf-8-sig")
    try:
        assert mediation.import_cases(path) == 2
        assert cases(engine) == before + 2
        exported = mediation.export_csv(SUPERVISOR, {"source": "import"})
        assert "'=HYPERLINK(1)" in exported                       # a formula shows as text in a spreadsheet
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM disputes WHERE source = 'import'"))


def test_an_import_with_unknown_headers_is_refused(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("类型,内容\n邻里纠纷,漏水\n", encoding="utf-8")
    with pytest.raises(mediation.ImportRejected) as rejected:
        mediation.import_cases(path)
    assert any("缺少" in p for p in rejected.value.problems) and any("不认识的列" in p for p in rejected.value.problems)
