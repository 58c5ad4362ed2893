"""/mediation's uploads, the mediator of a new case and the reader's area, on PostGIS: an upload is the service's
own import (all rows or none, each bad row and field named, only within the uploader's area); a mediator must be
one of the chosen organisation's; a street's staff read their street's cases, figures, rounds, map, organisations
and exports only, a community's staff their community's, the district's roles everything."""
from __future__ import annotations

import csv
import io
import uuid

import pytest
from sqlalchemy import text

from services import mediation
from workorders.mediation import CaseRejected
from workorders.policy import Forbidden, Principal

SUPERVISOR = Principal(id=None, name="scope-supervisor", roles=frozenset({"supervisor"}))
LEADER = Principal(id=None, name="scope-leader", roles=frozenset({"leader"}))
OPERATOR = Principal(id=None, name="scope-operator", roles=frozenset({"operator"}))
CASE_HEADER = "纠纷类型,纠纷概要,当事人,网格编码,调解组织编码,受理日期,调解结果,结案日期,协议内容\n"
ROUND_HEADER = "社区编码,排查日期,排查发现纠纷,化解纠纷,发现隐患,排除隐患,备注\n"


@pytest.fixture(scope="module")
def places(engine) -> dict:
    """Two streets, each with a grid, its community, the community's committee and two of its mediators."""
    with engine.connect() as conn:
        rows = conn.execute(text("""
            SELECT DISTINCT ON (c.street_code) c.street_code, s.name AS street_name, c.code AS community,
                   g.code AS grid, o.code AS org, o.name AS org_name,
                   (SELECT array_agg(m.id ORDER BY m.id) FROM mediators m WHERE m.org_code = o.code) AS mediators
            FROM grids g JOIN communities c ON c.code = g.community_code JOIN streets s ON s.code = c.street_code
            JOIN mediation_orgs o ON o.community_code = c.code
            ORDER BY c.street_code, c.code, g.code LIMIT 2""")).mappings().all()
    here, there = (dict(r) for r in rows)
    return {"here": here, "there": there}


def staff(street: str, name: str = "scope-street") -> Principal:
    return Principal(id=None, name=name, roles=frozenset({"street"}), street_code=street)


@pytest.fixture
def tag(engine):
    """A word marking this test's cases and the recorder's name; its cases and rounds are removed afterwards."""
    word = f"scope{uuid.uuid4().hex[:8]}"
    yield word
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM disputes WHERE created_by = :w OR summary LIKE :p"),
                     {"w": word, "p": f"%{word}%"})
        conn.execute(text("DELETE FROM mediation_screenings WHERE created_by = :w"), {"w": word})


def count(engine, sql: str, **params) -> int:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


# ------------------------------------------------------------------------------------------------ uploads

def test_street_staff_upload_a_case_list_and_screening_rounds_of_their_street(engine, places, tag):
    here = places["here"]
    uploader = staff(here["street_code"], name=tag)
    cases = (CASE_HEADER + f"邻里纠纷,{tag} 漏水,张三、李四,{here['grid']},{here['org']},2026-11-01,调解成功,2026-11-03,赔偿\n"
             f"物业纠纷,{tag} 物业费,王五,{here['grid']},{here['org']},2026-11-02,,,\n")
    assert mediation.import_cases(uploader, "cases.csv", cases.encode("utf-8-sig")) == 2
    listed = mediation.list_cases(uploader, {"source": "import"})
    mine = [r for r in listed if tag in r["summary"]]
    assert sorted(r["kind"] for r in mine) == ["物业纠纷", "邻里纠纷"]
    assert {r["street_code"] for r in mine} == {here["street_code"]} and "张三、李四" in {r["parties"] for r in mine}
    rounds = ROUND_HEADER + f"{here['community']},2020-05-01,4,3,1,1,{tag}\n{here['community']},2020-05-02,2,2,0,0,\n"
    assert mediation.import_screenings(uploader, "rounds.csv", rounds.encode("utf-8")) == 2
    assert count(engine, "SELECT count(*) FROM mediation_screenings WHERE created_by = :w", w=tag) == 2
    shown = mediation.list_screenings(uploader, latest=500)
    assert {r["community_code"] for r in shown} <= {here["community"]} | _communities_of(engine, here["street_code"])


def _communities_of(engine, street: str) -> set[str]:
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(text("SELECT code FROM communities WHERE street_code = :s"), {"s": street})}


def test_a_bad_upload_names_each_bad_row_and_field_and_writes_nothing(engine, places, tag):
    here, there = places["here"], places["there"]
    uploader = staff(here["street_code"], name=tag)
    cases = (CASE_HEADER
             + f"邻里纠纷,{tag} 好行,甲,{here['grid']},{here['org']},2026-11-01,,,\n"
             + f"吵架,{tag} 坏类型,乙,{here['grid']},{here['org']},2026-11-01,,,\n"
             + f"邻里纠纷,{tag} 别的街道,丙,{there['grid']},{here['org']},2026-11-01,,,\n"
             + f"邻里纠纷,{tag} 别的组织,丁,{here['grid']},{there['org']},2026-11-01,,,\n"
             + f"邻里纠纷,{tag} 没有日期,戊,{here['grid']},{here['org']},,,,\n")
    before = count(engine, "SELECT count(*) FROM disputes")
    with pytest.raises(mediation.ImportRejected) as rejected:
        mediation.import_cases(uploader, "cases.csv", cases.encode("utf-8-sig"))
    assert rejected.value.problems == [
        "第 3 行 纠纷类型：应为 邻里纠纷、婚姻家庭、物业纠纷、劳动争议、土地房屋、消费纠纷、交通事故、医疗纠纷、其他 之一，收到 '吵架'",
        f"第 4 行 网格编码：网格 {there['grid']} 不在本辖区，只能登记本辖区的纠纷",
        f"第 5 行 调解组织编码：调解组织 {there['org']} 不在本辖区",
        "第 6 行 受理日期：必填"]
    assert count(engine, "SELECT count(*) FROM disputes") == before                   # not even the good row
    rounds = ROUND_HEADER + f"{here['community']},2020-06-01,1,1,0,0,\n{there['community']},2020-06-01,1,1,0,0,\n"
    with pytest.raises(mediation.ImportRejected) as rejected:
        mediation.import_screenings(uploader, "rounds.csv", rounds.encode("utf-8"))
    assert rejected.value.problems == ["第 3 行 社区编码：只能登记本辖区的排查"]
    assert count(engine, "SELECT count(*) FROM mediation_screenings WHERE created_by = :w", w=tag) == 0
    with pytest.raises(mediation.ImportRejected, match="不是 UTF-8"):
        mediation.import_cases(uploader, "cases.csv", "纠纷类型\n邻里".encode("gbk"))
    good = (CASE_HEADER + f"邻里纠纷,{tag} 好行,甲,{here['grid']},{here['org']},2026-11-01,,,\n").encode("utf-8")
    for nobody in (LEADER, OPERATOR, None):                          # the right is checked here, not by the page
        with pytest.raises(Forbidden):
            mediation.import_cases(nobody, "cases.csv", good)
        with pytest.raises(Forbidden):
            mediation.import_screenings(nobody, "rounds.csv", rounds.encode("utf-8"))
    assert count(engine, "SELECT count(*) FROM disputes") == before


# ------------------------------------------------------------------------------------------------ mediator

def test_a_new_cases_mediator_must_be_one_of_its_organisations(engine, places, tag):
    here, there = places["here"], places["there"]
    recorder = staff(here["street_code"], name=tag)
    assert {m["id"] for m in mediation.mediators(recorder, here["org"])} == set(here["mediators"])
    assert mediation.mediators(recorder, there["org"]) == []                   # another street's organisation
    row = {"纠纷类型": "邻里纠纷", "纠纷概要": f"{tag} 噪音", "当事人": "甲、乙", "网格编码": here["grid"],
           "调解组织编码": here["org"], "受理日期": "2026-10-01"}
    with pytest.raises(CaseRejected) as rejected:
        mediation.add_case(recorder, {**row, "调解员": str(there["mediators"][0])})
    assert len(rejected.value.problems) == 1
    assert rejected.value.problems[0].startswith("调解员：") and "不属于所选调解组织" in rejected.value.problems[0]
    with pytest.raises(CaseRejected, match="调解员：没有这名调解员"):
        mediation.add_case(recorder, {**row, "调解员": "999999999"})
    with pytest.raises(CaseRejected, match="调解员：没有这名调解员"):
        mediation.add_case(recorder, {**row, "调解员": "张三"})
    assert count(engine, "SELECT count(*) FROM disputes WHERE created_by = :w", w=tag) == 0
    chosen = here["mediators"][1]
    name = next(m["name"] for m in mediation.mediators(recorder, here["org"]) if m["id"] == chosen)
    number = mediation.add_case(recorder, {**row, "调解员": str(chosen)})
    case = mediation.list_cases(recorder, {"number": number})[0]
    assert (case["mediator_id"], case["mediator"], case["summary"]) == (chosen, name, f"{tag} 噪音")
    exported = list(csv.DictReader(io.StringIO(mediation.export_csv(recorder).lstrip("\ufeff"))))
    assert next(r for r in exported if r["编号"] == number)["调解员"] == name
    assert mediation.list_cases(recorder, {"number": mediation.add_case(recorder, row)})[0]["mediator"] is None


# ------------------------------------------------------------------------------------------------ the reader's area

def _exported_streets(csv_text: str) -> list[str]:
    return [r["街道"] for r in csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff")))]


def test_a_street_user_reads_only_their_street_and_a_district_user_everything(engine, places):
    here = places["here"]
    street = here["street_code"]
    reader = staff(street)
    with engine.connect() as conn:
        mine = conn.execute(text("""SELECT count(*), count(*) FILTER (WHERE outcome IS NULL) FROM disputes
                                    WHERE street_code = :s"""), {"s": street}).one()
        everyone = conn.execute(text("SELECT count(*), count(*) FILTER (WHERE outcome IS NULL) FROM disputes")).one()
        rounds = conn.execute(text("""SELECT count(*), sum(disputes_resolved) FROM mediation_screenings
                                      WHERE street_code = :s"""), {"s": street}).one()
        orgs = conn.execute(text("SELECT count(*) FROM mediation_orgs WHERE street_code = :s"), {"s": street}).scalar()
    assert 0 < mine[0] < everyone[0] and 0 < mine[1] < everyone[1]

    tiles = mediation.summary(reader)                                            # the tiles
    assert (tiles.cases, tiles.open) == tuple(mine)
    assert [r["code"] for r in tiles.by_street] == [street] and tiles.by_street[0]["cases"] == mine[0]
    assert all(r["street_code"] == street for r in mediation.list_cases(reader))  # the case list
    assert all(r["street_code"] == street for r in mediation.list_cases(reader, {"street": places["there"]
                                                                                ["street_code"]}))
    assert len(mediation.open_cases_on_map(reader)) == mine[1]                   # the map layer
    organisations = mediation.organisations(reader)                              # the organisations (tiles)
    assert len(organisations) == orgs and {o["street_code"] for o in organisations} == {street}
    totals = mediation.screening(reader)                                         # the 排查 tiles and list
    assert (totals.rounds, totals.disputes_resolved) == (rounds[0], rounds[1])
    assert _communities_of(engine, street) >= {r["community_code"] for r in mediation.list_screenings(reader,
                                                                                                     latest=5000)}
    exported = _exported_streets(mediation.export_csv(reader))                  # the exports
    assert len(exported) == mine[0] and set(exported) == {here["street_name"]}
    screenings = mediation.export_screenings_csv(reader).lstrip("\ufeff").splitlines()[1:]
    assert len(screenings) == rounds[0]

    district = mediation.summary(SUPERVISOR)
    assert (district.cases, district.open) == tuple(everyone) and len(district.by_street) > 1
    assert len(mediation.open_cases_on_map(SUPERVISOR)) == everyone[1]
    assert len(mediation.organisations(SUPERVISOR)) == count(engine, "SELECT count(*) FROM mediation_orgs")
    assert len(_exported_streets(mediation.export_csv(SUPERVISOR))) == everyone[0]
    assert mediation.summary(LEADER).cases == everyone[0]
    assert len(mediation.open_cases_on_map(LEADER)) == everyone[1]


def test_a_community_user_reads_only_their_community_and_an_unbound_account_nothing(engine, places):
    here = places["here"]
    reader = Principal(id=None, name="scope-community", roles=frozenset({"community"}),
                       community_code=here["community"])
    with engine.connect() as conn:
        mine = conn.execute(text("""SELECT count(*), count(*) FILTER (WHERE outcome IS NULL) FROM disputes
                                    WHERE community_code = :c"""), {"c": here["community"]}).one()
    tiles = mediation.summary(reader)
    assert (tiles.cases, tiles.open) == tuple(mine)
    assert [(r["code"], r["cases"]) for r in tiles.by_street] == [(here["street_code"], mine[0])]
    assert len(mediation.open_cases_on_map(reader)) == mine[1]
    organisations = mediation.organisations(reader)
    assert here["org"] in {o["code"] for o in organisations}
    assert all(o["community_code"] in (None, here["community"]) and o["street_code"] == here["street_code"]
               for o in organisations)
    assert {r["community_code"] for r in mediation.list_screenings(reader, latest=5000)} == {here["community"]}
    assert len(_exported_streets(mediation.export_csv(reader))) == mine[0]
    with pytest.raises(Forbidden, match="未绑定"):
        mediation.summary(Principal(id=None, name="scope-unbound", roles=frozenset({"street"})))
