"""Social forces on PostGIS: the seed's own figures come out of the queries, counts by street add up, coverage gaps
are the cells without a patrol post or a volunteer team, an import is all or nothing (编号 edits), rights and the
elders' personal data hold."""
from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import text

from services import resources
from tests.conftest import ROOT
from workorders.policy import Forbidden, Principal
from workorders.resources import KINDS, POST_GROUP, POSTS, ResourceRejected

SUPERVISOR = Principal(id=None, name="res-supervisor", roles=frozenset({"supervisor"}))
LEADER = Principal(id=None, name="res-leader", roles=frozenset({"leader"}))
OPERATOR = Principal(id=None, name="res-operator", roles=frozenset({"operator"}))
HEADER = "类型,名称,覆盖网格,人数,负责人,联系电话,备注"


def street_staff(street: str) -> Principal:
    return Principal(id=None, name="res-street", roles=frozenset({"street"}), street_code=street)


@pytest.fixture
def cleanup(engine):
    yield
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM social_resources WHERE source <> 'seed'"))


def test_the_seed_holds_the_districts_reported_figures(engine):
    with engine.connect() as conn:
        seeded = dict(conn.execute(text("SELECT kind, count(*) FROM social_resources WHERE source = 'seed' "
                                        "GROUP BY kind")).all())
        volunteers = conn.execute(text("SELECT sum(members) FROM social_resources WHERE source = 'seed' "
                                       "AND kind = '志愿服务队'")).scalar()
        generated = conn.execute(text("SELECT count(*), count(contact_name) FROM elder_devices "
                                      "WHERE device_id ~ '^YJT[0-9]{5}$'")).one()
    assert seeded == {"社会组织": 574, "志愿服务队": 338, "治安巡逻岗": 195, "4050社区保安": 527, "环卫岗": 1200,
                      "交通协管岗": 200, "保洁绿化保安岗": 2320}
    assert volunteers == 11_000
    assert tuple(generated) == (4000, 4000)                  # the one registry, filled to 4,000, each with a contact
    summary = resources.summary(SUPERVISOR)
    assert summary.by_group[POST_GROUP]["count"] >= 4442 and summary.elders >= 4000


def test_counts_by_street_add_up_to_the_district(engine):
    streets = resources.counts_by_street(LEADER)
    summary = resources.summary(SUPERVISOR)
    assert len(streets) == 14
    for kind in KINDS:
        assert sum(s[kind] for s in streets) == summary.by_kind[kind]["count"]
    assert sum(s["posts"] for s in streets) == sum(summary.by_kind[k]["count"] for k in POSTS)
    assert sum(s["elders"] for s in streets) == summary.elders
    assert sum(s["grids"] for s in streets) == 932
    assert sum(s["gap_grids"] for s in streets) == summary.gaps
    one = streets[0]
    assert one["gap_grids"] == len(resources.coverage_gaps(LEADER, street=one["code"]))


def test_coverage_gaps_are_the_cells_without_patrol_or_volunteers(engine, cleanup):
    gaps = resources.coverage_gaps(LEADER)
    assert 0 < len(gaps) < 932
    with engine.connect() as conn:
        covered = {kind: {r[0] for r in conn.execute(text(
            """SELECT DISTINCT rg.grid_code FROM social_resource_grids rg JOIN social_resources r
               ON r.id = rg.resource_id WHERE r.kind = :k"""), {"k": kind})} for kind in ("治安巡逻岗", "志愿服务队")}
        all_grids = {r[0] for r in conn.execute(text("SELECT code FROM grids"))}
    expected = {g for g in all_grids if g not in covered["治安巡逻岗"] or g not in covered["志愿服务队"]}
    assert {g["code"] for g in gaps} == expected
    assert all(g["gap"] and g["outline"]["type"] in ("Polygon", "MultiPolygon") for g in gaps)
    # A patrol post walking a cell that lacked only patrol closes that gap.
    target = next(g for g in gaps if not g["has_patrol"] and g["has_volunteers"])
    code = resources.save_resource(SUPERVISOR, {"类型": "治安巡逻岗", "名称": "测试巡逻岗", "覆盖网格": target["code"],
                                                "负责人": "测试员", "联系电话": "13800001111"})
    assert code.startswith("GY")
    assert target["code"] not in {g["code"] for g in resources.coverage_gaps(LEADER)}


def test_an_import_with_one_bad_row_writes_nothing_and_names_the_row(engine, tmp_path, cleanup):
    with engine.connect() as conn:
        grid, other = conn.execute(text("SELECT code FROM grids ORDER BY code LIMIT 2")).scalars().all()
    good = f"志愿服务队,测试志愿服务队,{grid}、{other},30,张三,13800002222,"
    path = tmp_path / "resources.csv"
    path.write_text(f"{HEADER}\n{good}\n环卫岗,测试环卫岗,NOPE,3,李四,12,\n", encoding="utf-8-sig")
    before = count(engine)
    answer = subprocess.run([sys.executable, "-m", "etl", "resources", str(path)], cwd=ROOT, capture_output=True,
                            text=True)
    assert answer.returncode == 1 and "nothing imported" in answer.stderr
    lines = [line for line in answer.stderr.splitlines() if line.startswith("error: 第")]
    assert any("第 3 行 人数" in line for line in lines) and any("第 3 行 联系电话" in line for line in lines)
    assert count(engine) == before
    path.write_text(f"{HEADER}\n{good}\n{good.replace('张三', '=HYPERLINK(1)')}\n", encoding="utf-8-sig")
    assert resources.import_file(SUPERVISOR, path) == 2
    assert count(engine) == before + 2
    exported = resources.export_csv(SUPERVISOR, {"source": "import"})
    assert "'=HYPERLINK(1)" in exported and f"{grid}、{other}" in exported
    # The export imports back: a row with its 编号 edits that resource instead of adding one.
    code = exported.splitlines()[1].split(",")[0]
    path.write_text(f"编号,{HEADER}\n{code},志愿服务队,改名志愿服务队,{grid},45,张三,13800002222,\n",
                    encoding="utf-8-sig")
    assert resources.import_file(SUPERVISOR, path) == 1 and count(engine) == before + 2
    edited = resources.resource(SUPERVISOR, code)
    assert (edited["name"], edited["members"], edited["grid_codes"]) == ("改名志愿服务队", 45, [grid])


def test_an_import_with_unknown_headers_or_codes_is_refused(tmp_path):
    with pytest.raises(resources.ImportRejected) as rejected:
        resources.import_resources(SUPERVISOR, "x.csv", "类别,内容\n环卫岗,x\n".encode())
    assert any("缺少" in p for p in rejected.value.problems) and any("不认识的列" in p for p in rejected.value.problems)
    with pytest.raises(resources.ImportRejected) as rejected:
        resources.import_resources(SUPERVISOR, "x.csv", f"编号,{HEADER}\nZY99999,志愿服务队,x,G1,,,\n".encode())
    assert any(p.startswith("编号：没有社会力量") for p in rejected.value.problems)


def count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM social_resources")).scalar()


def test_street_staff_keep_their_own_street_and_other_roles_are_refused(engine, cleanup):
    with engine.connect() as conn:
        mine, theirs = conn.execute(text("""SELECT DISTINCT ON (c.street_code) g.code, c.street_code FROM grids g
            JOIN communities c ON c.code = g.community_code ORDER BY c.street_code, g.code LIMIT 2""")).all()
    staff = street_staff(mine.street_code)
    with pytest.raises(ResourceRejected) as rejected:
        resources.save_resource(staff, {"类型": "环卫岗", "名称": "越界", "覆盖网格": theirs.code})
    assert "不在本辖区" in rejected.value.problems[0]
    code = resources.save_resource(staff, {"类型": "环卫岗", "名称": "本街道环卫岗", "覆盖网格": mine.code})
    assert all(r["street_code"] == mine.street_code for r in resources.list_resources(staff, {"kind": "环卫岗"}))
    with pytest.raises(resources.NotFound):
        resources.resource(street_staff(theirs.street_code), code)
    with pytest.raises(Forbidden):
        resources.list_resources(OPERATOR)
    with pytest.raises(Forbidden):
        resources.save_resource(LEADER, {"类型": "环卫岗", "名称": "x", "覆盖网格": mine.code})
    shown = resources.list_resources(LEADER, {"kind": "志愿服务队"})
    assert shown and all("*" in (r["phone"] or "*") for r in shown)          # leaders: figures, no contacts


def test_elders_names_phones_and_contacts_reach_only_who_may_read_their_home(engine):
    total, masked = resources.elders(LEADER)
    assert total >= 4000 and masked
    assert all(r["address"] == resources.HIDDEN and "*" in r["elder_name"] and "*" in (r["contact_phone"] or "*")
               for r in masked)
    _, full = resources.elders(SUPERVISOR)
    assert all("*" not in r["elder_name"] for r in full) and any(r["contact_name"] for r in full)
    street = full[0]["street_code"]
    staff_total, own = resources.elders(street_staff(street))
    assert staff_total < total and all(r["street_code"] == street and "*" not in r["elder_name"] for r in own)
    with engine.connect() as conn:
        read = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'elder_registry_read' "
                                 "AND actor = 'res-supervisor'")).scalar()
    assert read >= 1
    with pytest.raises(Forbidden):
        resources.elders(OPERATOR)
