"""Stability risk assessment on PostGIS: the seed's 28 projects of a year with the 山南小学 east plot and its six
factors, the grids of a project's area with their open work orders and disputes counted by PostGIS, the form's
rights, and an import that is all or nothing."""
from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import date, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import text

from services import risk_assessment
from services.tickets import NewTicket, create_ticket, transition
from tests.conftest import ROOT
from workorders.policy import Forbidden, Principal, system_principal
from workorders.risk_assessment import ProjectRejected

SUPERVISOR = Principal(id=None, name="rk-supervisor", roles=frozenset({"supervisor"}))
LEADER = Principal(id=None, name="rk-leader", roles=frozenset({"leader"}))
OPERATOR = Principal(id=None, name="rk-operator", roles=frozenset({"operator"}))
HEADER = "项目名称,项目类型,网格编码,评估方法,风险等级,评估结论,评估日期,风险因素\n"


def street_staff(street: str) -> Principal:
    return Principal(id=None, name="rk-street", roles=frozenset({"street"}), street_code=street)


@pytest.fixture
def tag(engine):
    """A unique word for the names of the projects a test writes; they are deleted afterwards."""
    word = f"测试{uuid.uuid4().hex[:8]}"
    yield word
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM risk_projects WHERE name LIKE :w"), {"w": f"%{word}%"})


def shannan(engine) -> dict:
    with engine.connect() as conn:
        number = conn.execute(text("SELECT number FROM risk_projects WHERE name LIKE '山南小学东侧地块%'")).scalar_one()
    return risk_assessment.project_area(SUPERVISOR, number)


def two_grids(engine, street_name: str = "山南街道") -> tuple[str, list[str]]:
    with engine.connect() as conn:
        rows = conn.execute(text("""SELECT s.code AS street, g.code FROM grids g JOIN communities c
            ON c.code = g.community_code JOIN streets s ON s.code = c.street_code WHERE s.name = :n
            ORDER BY g.code LIMIT 2"""), {"n": street_name}).all()
    return rows[0].street, [r.code for r in rows]


def test_the_seed_holds_a_years_28_projects_and_the_shannan_plot_with_six_factors(engine):
    year_ago = date.today() - timedelta(days=366)
    seeded = [p for p in risk_assessment.list_projects(SUPERVISOR, {"source": "seed"}) if p["assessed_on"] > year_ago]
    assert len(seeded) == 28
    summary = risk_assessment.summary(SUPERVISOR, {"source": "seed"})
    assert summary.projects == 28 and sum(summary.by_level.values()) == 28
    assert summary.factors == sum(p["factors"] for p in seeded)
    plot = shannan(engine)
    assert plot["street"] == "山南街道" and len(plot["factor_rows"]) == 6
    assert all(f["analysis"] and f["measures"] for f in plot["factor_rows"])
    assert set(plot["methods"]) == {"听证会", "问卷调查", "公示", "专家论证", "民意评议"}
    assert plot["area"]["type"] == "MultiPolygon"
    # The grids of the area are the cells it was drawn from, not the neighbours along its edge.
    assert sorted(g["code"] for g in plot["grids"]) == sorted(plot["grid_codes"])


def test_an_open_work_order_and_an_open_dispute_inside_the_area_are_counted(engine):
    plot = shannan(engine)
    grid = plot["grids"][0]
    with engine.connect() as conn:
        lon, lat = conn.execute(text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM grids "
                                     "WHERE code = :g) q"), {"g": grid["code"]}).one()
        org = conn.execute(text("""SELECT o.code FROM grids g JOIN mediation_orgs o ON o.community_code =
                                   g.community_code WHERE g.code = :g"""), {"g": grid["code"]}).scalar_one()
    actor = system_principal("risk-tests")
    ticket = create_ticket(NewTicket(channel="hotline", category="streetlight", description="地块旁路灯不亮",
                                     lon=lon, lat=lat), actor, engine=engine).ticket
    with engine.begin() as conn:
        conn.execute(text("""INSERT INTO disputes (number, kind, summary, parties, grid_code, street_code,
            community_code, org_code, source, opened_at, created_by)
            SELECT 'MRISKTEST-' || :g, '土地房屋', '拆迁补偿', '甲、乙', g.code, c.street_code, c.code, :o, 'test',
                   now(), 'risk-tests' FROM grids g JOIN communities c ON c.code = g.community_code WHERE g.code = :g"""),
                     {"g": grid["code"], "o": org})
    try:
        after = {g["code"]: g for g in shannan(engine)["grids"]}[grid["code"]]
        assert (after["open_tickets"], after["open_disputes"]) == (grid["open_tickets"] + 1, grid["open_disputes"] + 1)
    finally:
        transition(ticket["number"], "refuse", actor, reason="测试工单")
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM disputes WHERE source = 'test' AND number LIKE 'MRISKTEST-%'"))
    assert {g["code"]: g for g in shannan(engine)["grids"]}[grid["code"]]["open_tickets"] == grid["open_tickets"]


def test_street_staff_record_their_streets_projects_only_and_leaders_only_read(engine, tag):
    street, grids = two_grids(engine)
    row = {"项目名称": f"{tag}道路改造", "项目类型": "重大工程", "网格编码": grids, "评估方法": ["公示", "问卷调查"],
           "风险等级": "低", "评估结论": "准予实施", "评估日期": date.today().isoformat(),
           "风险因素": "施工扰民：噪音：限时施工\n交通影响"}
    number = risk_assessment.add_project(street_staff(street), row)
    project = risk_assessment.project_area(street_staff(street), number)
    assert [f["factor"] for f in project["factor_rows"]] == ["施工扰民", "交通影响"]
    assert sorted(g["code"] for g in project["grids"]) == sorted(grids)
    with pytest.raises(ProjectRejected) as rejected:
        risk_assessment.add_project(street_staff("210302001" if street != "210302001" else "210302002"), row)
    assert rejected.value.problems == ["网格编码：只能登记本街道的项目"]
    with pytest.raises(Forbidden):
        risk_assessment.add_project(LEADER, row)
    with pytest.raises(Forbidden):
        risk_assessment.list_projects(OPERATOR)
    assert any(p["number"] == number for p in risk_assessment.list_projects(LEADER))       # leaders read
    with pytest.raises(ProjectRejected):
        risk_assessment.add_project(SUPERVISOR, {**row, "网格编码": ["NO-SUCH-GRID"]})


def test_the_outcome_of_a_carried_out_project_is_recorded_later_by_its_streets_staff_only(engine, tag):
    street, grids = two_grids(engine)
    row = {"项目名称": f"{tag}老旧小区改造", "项目类型": "重大工程", "网格编码": grids, "评估方法": ["公示"],
           "风险等级": "低", "评估结论": "准予实施", "评估日期": date.today().isoformat()}
    staff = street_staff(street)
    number = risk_assessment.add_project(staff, row)
    assert risk_assessment.project_area(staff, number)["outcome"] is None
    other = street_staff("210302001" if street != "210302001" else "210302002")
    with pytest.raises(risk_assessment.NotFound):
        risk_assessment.record_outcome(other, number, "已完工")                    # not their street's project
    with pytest.raises(Forbidden):
        risk_assessment.record_outcome(LEADER, number, "已完工")                   # leaders read
    with pytest.raises(ProjectRejected) as rejected:
        risk_assessment.record_outcome(staff, number, "  ")
    assert rejected.value.problems == ["实施结果：必填"]
    with pytest.raises(risk_assessment.NotFound):
        risk_assessment.record_outcome(staff, "R0000-00000", "已完工")
    assert risk_assessment.project_area(staff, number)["outcome"] is None          # nothing written so far
    risk_assessment.record_outcome(staff, number, "已完工，居民满意")
    risk_assessment.record_outcome(SUPERVISOR, number, "已完工，居民满意，无信访")         # corrected later
    assert risk_assessment.project_area(staff, number)["outcome"] == "已完工，居民满意，无信访"
    exported = risk_assessment.export_csv(SUPERVISOR, {"source": "form"})
    assert f"{tag}老旧小区改造" in exported and "已完工，居民满意，无信访" in exported


def count(engine, tag: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM risk_projects WHERE name LIKE :w"), {"w": f"%{tag}%"}).scalar()


def test_an_import_with_one_bad_row_writes_nothing_and_names_the_row(engine, tmp_path, tag):
    _street, grids = two_grids(engine)
    good = f"{tag}学区调整,教育医疗,{grids[0]}、{grids[1]},公示、听证会,中,调整后实施,2026-10-01,学位紧张：分析：措施"
    path = tmp_path / "projects.csv"
    path.write_text(HEADER + f"{good}\n{tag}坏行,征地拆迁,NOPE,座谈会,中,调整后实施,2026-10-01,\n{good}\n",
                    encoding="utf-8-sig")
    answer = subprocess.run([sys.executable, "-m", "etl", "risk", str(path)], cwd=ROOT, capture_output=True,
                            text=True)
    assert answer.returncode == 1 and "nothing imported" in answer.stderr
    assert "第 3 行 评估方法" in answer.stderr and "第 2 行" not in answer.stderr and "第 4 行" not in answer.stderr
    assert count(engine, tag) == 0
    path.write_text(HEADER + f"{good}\n{good.replace(f'{tag}学区调整', f'=HYPERLINK(1){tag}')}\n", encoding="utf-8-sig")
    assert risk_assessment.import_file(SUPERVISOR, path) == 2 and count(engine, tag) == 2
    exported = risk_assessment.export_csv(SUPERVISOR, {"source": "import"})
    assert f"{tag}学区调整" in exported and "学位紧张：分析：措施" in exported
    assert f"'=HYPERLINK(1){tag}" in exported                       # a formula shows as text in a spreadsheet


def test_an_xlsx_import_and_its_header_check(engine, tmp_path, tag):
    _street, grids = two_grids(engine)
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append([f"{tag}污水处理厂扩建", "环境影响", grids[0], "专家论证", "高", "暂缓实施", "2026-09-01", None])
    book.save(tmp_path / "projects.xlsx")
    assert risk_assessment.import_file(SUPERVISOR, tmp_path / "projects.xlsx") == 1 and count(engine, tag) == 1
    (tmp_path / "bad.csv").write_text("名称,内容\n甲,乙\n", encoding="utf-8")
    with pytest.raises(risk_assessment.ImportRejected) as rejected:
        risk_assessment.import_file(SUPERVISOR, tmp_path / "bad.csv")
    assert any("缺少" in p for p in rejected.value.problems) and any("不认识的列" in p for p in rejected.value.problems)
    with pytest.raises(risk_assessment.ImportRejected):
        risk_assessment.import_projects(SUPERVISOR, "x.xlsx", b"not a workbook")
