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
from workorders.mediation import KINDS, CaseRejected
from workorders.risk_assessment import DECISIONS
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
        assert mediation.import_cases_file(SUPERVISOR, path) == 2
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
        mediation.import_cases_file(SUPERVISOR, path)
    assert any("缺少" in p for p in rejected.value.problems) and any("不认识的列" in p for p in rejected.value.problems)


# ------------------------------------------------------------------------------------------------ screening rounds

def test_the_seeds_screening_rounds_sum_to_the_districts_reported_figures():
    seeded = mediation.screening(SUPERVISOR, {"source": "seed"})
    assert (seeded.disputes_resolved, seeded.hazards_removed) == (2546, 196)
    assert seeded.rounds == 90 * 12                          # each community, each month of the year
    assert seeded.disputes_found >= seeded.disputes_resolved and seeded.hazards_found >= seeded.hazards_removed
    by_street = mediation.summary(LEADER).by_street
    assert sum(r["resolved_ahead"] for r in by_street) >= 2546 and sum(r["hazards_removed"] for r in by_street) >= 196


@pytest.fixture
def community(engine):
    """A community with its street; the rounds the test records there are removed afterwards."""
    with engine.connect() as conn:
        code, street = conn.execute(text("SELECT code, street_code FROM communities ORDER BY code DESC LIMIT 1")).one()
    yield code, street
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM mediation_screenings WHERE community_code = :c AND source <> 'seed'"),
                     {"c": code})


def test_street_staff_record_a_round_of_their_own_street_once_and_the_figures_grow(community):
    code, street = community
    staff = street_staff(street)
    before = mediation.screening(staff)
    row = {"社区编码": code, "排查日期": "2020-01-15", "排查发现纠纷": "5", "化解纠纷": "4", "发现隐患": "2",
           "排除隐患": "2"}
    mediation.record_screening(staff, row)
    after = mediation.screening(staff)
    assert (after.rounds, after.disputes_resolved, after.hazards_removed) == (
        before.rounds + 1, before.disputes_resolved + 4, before.hazards_removed + 2)
    with pytest.raises(CaseRejected, match="已登记过排查"):
        mediation.record_screening(staff, row)                                   # one round per community and day
    with pytest.raises(CaseRejected, match="只能登记本辖区"):
        mediation.record_screening(street_staff("000000000"), {**row, "排查日期": "2020-01-16"})
    with pytest.raises(CaseRejected) as rejected:
        mediation.record_screening(staff, {**row, "化解纠纷": "9", "排除隐患": "x", "排查日期": "2999-01-01"})
    assert any(p.startswith("化解纠纷：不能多于") for p in rejected.value.problems)
    assert any(p.startswith("排除隐患：应为") for p in rejected.value.problems)
    assert any(p.startswith("排查日期：不能晚于今天") for p in rejected.value.problems)
    with pytest.raises(Forbidden):
        mediation.record_screening(LEADER, {**row, "排查日期": "2020-01-17"})    # leaders read the figures only


def screening_rounds(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM mediation_screenings")).scalar()


def test_a_screening_import_with_one_bad_row_writes_nothing_then_imports_and_exports(engine, community, tmp_path):
    code, _street = community
    header = "社区编码,排查日期,排查发现纠纷,化解纠纷,发现隐患,排除隐患,备注\n"
    good = f"{code},2020-02-01,3,3,1,1,入户走访\n"
    path = tmp_path / "rounds.csv"
    path.write_text(header + good + f"NOPE,2020-02-02,3,3,1,1,\n{code},2020-02-01,1,1,0,0,\n", encoding="utf-8-sig")
    before = screening_rounds(engine)
    answer = subprocess.run([sys.executable, "-m", "etl", "mediation", "--screenings", str(path)], cwd=ROOT,
                            capture_output=True, text=True)
    assert answer.returncode == 1 and "nothing imported" in answer.stderr
    assert "第 3 行 社区编码：没有社区" in answer.stderr and "第 4 行 排查日期：与第 2 行是同一社区同一天" in answer.stderr
    assert "第 2 行" not in answer.stderr.replace("与第 2 行", "")
    assert screening_rounds(engine) == before
    path.write_text(header + good + f"{code},2020-02-03,2,1,0,0,=HYPERLINK(1)\n", encoding="utf-8-sig")
    assert mediation.import_screenings_file(SUPERVISOR, path) == 2
    assert screening_rounds(engine) == before + 2
    exported = mediation.export_screenings_csv(SUPERVISOR, {"source": "import"})
    assert exported.splitlines()[0].lstrip("\ufeff") == header.strip()
    assert f"{code},2020-02-01,3,3,1,1,入户走访" in exported and "'=HYPERLINK(1)" in exported
    with pytest.raises(mediation.ImportRejected, match="已登记过排查"):                 # the export imports again
        (tmp_path / "again.csv").write_text(exported, encoding="utf-8")
        mediation.import_screenings_file(SUPERVISOR, tmp_path / "again.csv")


def test_the_leader_views_blocks_read_the_rows(engine):
    """The figures /analytics shows for mediation and risk assessment, computed by the queries."""
    from services import risk_assessment
    summary = mediation.summary(LEADER)
    assert sum(summary.by_kind.values()) == summary.cases and set(summary.by_kind) <= set(KINDS)
    assert sum(r["cases"] for r in summary.by_street) == summary.cases
    risk = risk_assessment.summary(LEADER)
    assert sum(risk.by_decision.values()) == risk.projects == sum(risk.by_level.values())
    assert list(risk.by_decision) == list(DECISIONS)


def test_an_xlsx_with_typed_dates_and_counts_imports_and_a_damaged_one_is_named(engine, community, tmp_path):
    """Excel keeps a typed date as a date and a count as a number: both read as typed (cases and rounds)."""
    from datetime import datetime

    from openpyxl import Workbook
    code, _street = community
    with engine.connect() as conn:
        grid, org = conn.execute(text("""SELECT g.code, o.code FROM grids g JOIN mediation_orgs o
                                         ON o.community_code = g.community_code WHERE g.community_code = :c LIMIT 1"""),
                                 {"c": code}).one()
    cases_book, rounds_book = Workbook(), Workbook()
    cases_book.active.append(["纠纷类型", "纠纷概要", "当事人", "网格编码", "调解组织编码", "受理日期", "调解结果", "结案日期",
                              "调解次数"])
    cases_book.active.append(["邻里纠纷", "xlsx 导入测试", "甲、乙", grid, org, datetime(2020, 4, 1), "调解成功",
                              datetime(2020, 4, 3), 2.0])
    rounds_book.active.append(["社区编码", "排查日期", "排查发现纠纷", "化解纠纷", "发现隐患", "排除隐患"])
    rounds_book.active.append([code, datetime(2020, 4, 1), 4, 4.0, 0, 0])
    cases_book.save(tmp_path / "cases.xlsx")
    rounds_book.save(tmp_path / "rounds.xlsx")
    try:
        assert mediation.import_cases_file(SUPERVISOR, tmp_path / "cases.xlsx") == 1
        assert mediation.import_screenings_file(SUPERVISOR, tmp_path / "rounds.xlsx") == 1
        case = mediation.list_cases(SUPERVISOR, {"source": "import"})[0]
        assert (case["summary"], case["sessions"], f"{case['opened_at']:%Y-%m-%d}") == ("xlsx 导入测试", 2, "2020-04-01")
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM disputes WHERE source = 'import'"))
    (tmp_path / "damaged.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(mediation.ImportRejected, match="不是有效的 XLSX 文件"):
        mediation.import_cases_file(SUPERVISOR, tmp_path / "damaged.xlsx")
