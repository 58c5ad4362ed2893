"""Democratic consultation on PostGIS: the seed's year with its figures from the queries, a session taken through the
five steps with each step's rules enforced, the public view without personal data, rights and scope, and an import
that is all or nothing."""
from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import date, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import text

from services import consultation
from tests.conftest import ROOT
from tests.fresh import new_phone
from workorders.consultation import STEPS, TOPICS, SessionRejected, StepRefused
from workorders.policy import Forbidden, Principal

LEADER = Principal(id=None, name="kt-leader", roles=frozenset({"leader"}))
SUPERVISOR = Principal(id=None, name="kt-supervisor", roles=frozenset({"supervisor"}))
OPERATOR = Principal(id=None, name="kt-operator", roles=frozenset({"operator"}))
HEADER = "议题名称,议题类别,网格编码,议题内容,发布预告日期,通报议题日期,辩论发言日期,研究决定日期,情况反馈日期,参与人员,决定事项\n"


def street_staff(street: str) -> Principal:
    return Principal(id=None, name="kt-street", roles=frozenset({"street"}), street_code=street)


def community_staff(community: str) -> Principal:
    return Principal(id=None, name="kt-community", roles=frozenset({"community"}), community_code=community)


@pytest.fixture
def tag(engine):
    """A unique word for the titles of the sessions a test writes; they are deleted afterwards."""
    word = f"测试{uuid.uuid4().hex[:8]}"
    yield word
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM consultation_sessions WHERE title LIKE :w"), {"w": f"%{word}%"})


@pytest.fixture(scope="module")
def place(engine) -> dict:
    with engine.connect() as conn:
        row = conn.execute(text("""SELECT g.code AS grid, c.code AS community, c.street_code AS street FROM grids g
            JOIN communities c ON c.code = g.community_code ORDER BY g.code LIMIT 1""")).mappings().one()
        other = conn.execute(text("""SELECT g.code FROM grids g JOIN communities c ON c.code = g.community_code
            WHERE c.street_code <> :s ORDER BY g.code LIMIT 1"""), {"s": row["street"]}).scalar_one()
    return {**row, "other_grid": other}


def form(tag: str, grid: str, first: int = 0, **changes) -> dict:
    """A staff form's row whose five steps start ``first``, +3, +7, +9, +20 days from today."""
    today = date.today()
    days = [first, first + 3, first + 7, first + 9, first + 20]
    row = {"议题名称": f"{tag}老旧小区加装电梯", "议题类别": "城市建设", "网格编码": grid, "议题内容": "是否加装电梯",
           **{h: (today + timedelta(days=d)).isoformat() for h, d in
              zip(("发布预告日期", "通报议题日期", "辩论发言日期", "研究决定日期", "情况反馈日期"), days)}}
    return {**row, **changes}


def test_the_seed_holds_a_year_of_sessions_in_every_step_with_figures_from_the_queries(engine):
    sessions = consultation.list_sessions(LEADER, {"source": "seed"})
    assert len(sessions) == 42
    assert {s["step_name"] for s in sessions} == set(STEPS)
    assert len({s["street_code"] for s in sessions}) == 14
    figures = consultation.figures(LEADER)
    assert sum(figures.by_step.values()) == figures.sessions == sum(figures.by_topic.values()) >= 40
    assert set(figures.by_topic) == set(TOPICS)
    assert figures.follow_ups["done"] > 0 and figures.follow_ups["open"] > 0 and figures.participants > 1000
    reported = [s for s in sessions if s["step_name"] == "情况反馈"]
    assert any(s["feedback"] for s in reported) and all(s["decision"] for s in reported)
    assert all(s["decision"] is None for s in sessions if s["step_name"] in STEPS[:3])
    assert consultation.figures(SUPERVISOR).sessions == figures.sessions          # the leader view's readers


def test_a_session_through_the_five_steps_with_each_steps_rules(engine, place, tag):
    staff = street_staff(place["street"])
    number = consultation.create_session(staff, form(tag, place["grid"], 0))
    phone = new_phone()
    assert consultation.public_session(number)["step_name"] == "发布预告"
    assert consultation.sign_up(number, "张秀兰", phone) is True
    assert consultation.sign_up(number, "张秀兰", phone) is False                  # a second click: once
    with pytest.raises(StepRefused, match="提交书面意见只在「通报议题」、「辩论发言」阶段进行"):
        consultation.send_opinion(number, "张秀兰", phone, "建议加装")
    with pytest.raises(StepRefused):
        consultation.record_decision(staff, number, "加装")

    assert consultation.move_step(staff, number) == "通报议题"
    consultation.send_opinion(number, "李建国", new_phone(), "希望低层住户少分摊")
    consultation.add_participants(staff, number, "党员", 6)
    with pytest.raises(StepRefused):
        consultation.add_speech(staff, number, "律师", "依法签订协议")

    assert consultation.move_step(staff, number) == "辩论发言"
    with pytest.raises(StepRefused, match="报名参加"):
        consultation.sign_up(number, "王芳", new_phone())
    consultation.add_speech(staff, number, "人大代表", "建议按楼层分摊费用", speaker="赵代表")
    consultation.add_participants(staff, number, "人大代表", 2)

    assert consultation.move_step(staff, number) == "研究决定"
    with pytest.raises(StepRefused, match="尚未记录决定事项"):
        consultation.move_step(staff, number)
    with pytest.raises(StepRefused):
        consultation.send_opinion(number, "王芳", new_phone(), "晚了")
    with pytest.raises(StepRefused):
        consultation.publish_feedback(staff, number, "已开工")
    with pytest.raises(SessionRejected, match="须先记录决定事项"):
        consultation.add_milestone(staff, number, "设计方案审批", date.today().isoformat())
    consultation.record_decision(staff, number, "按单元自愿加装，费用按楼层分摊")
    assert consultation.add_milestone(staff, number, "设计方案审批", date.today().isoformat()) == 1
    assert consultation.add_milestone(staff, number, "电梯安装", (date.today() + timedelta(days=60)).isoformat()) == 2
    public = consultation.public_session(number)
    assert public["decision"] == "按单元自愿加装，费用按楼层分摊" and public["feedback"] is None
    assert [m["done"] for m in public["milestones"]] == [False, False]

    assert consultation.move_step(staff, number) == "情况反馈"
    consultation.publish_feedback(staff, number, "首批两部电梯已开工")
    consultation.complete_milestone(staff, number, 1, "方案已批复")
    with pytest.raises(SessionRejected):
        consultation.complete_milestone(staff, number, 1)                          # done already
    with pytest.raises(StepRefused, match="最后阶段"):
        consultation.move_step(staff, number)
    public = consultation.public_session(number)
    assert (public["step_name"], public["feedback"], public["follow_up"]) == ("情况反馈", "首批两部电梯已开工", "推进中")
    assert public["counts"] == {"居民": 1, "党员": 6, "人大代表": 2, "政协委员": 0, "律师": 0, "法官": 0}
    assert (public["opinions"], public["speeches"]) == (1, 1)
    detail = consultation.session_detail(staff, number)
    assert [s["phone"] for s in detail["sign_ups"]] == [phone]                     # the organisers see who


def test_the_public_view_has_no_name_and_no_phone(engine, place, tag):
    staff = street_staff(place["street"])
    number = consultation.create_session(staff, form(tag, place["grid"], -3))      # 通报议题 today
    phone = new_phone()
    consultation.sign_up(number, "欧阳秀英", phone)
    consultation.send_opinion(number, "司马建华", new_phone(), "建议晚上也开放")
    shown = json.dumps(consultation.public_session(number), ensure_ascii=False, default=str)
    assert phone not in shown and "欧阳秀英" not in shown and "司马建华" not in shown
    assert "建议晚上也开放" not in shown                                           # opinions counted, not shown
    assert consultation.public_session("K1999-99999") is None


def test_rights_and_scope(engine, place, tag):
    staff = street_staff(place["street"])
    with pytest.raises(SessionRejected, match="只能发起本辖区的民主恳谈"):
        consultation.create_session(staff, form(tag, place["other_grid"]))
    number = consultation.create_session(staff, form(tag, place["grid"]))
    with pytest.raises(Forbidden):
        consultation.move_step(street_staff("000000000"), number)
    with pytest.raises(Forbidden):
        consultation.move_step(community_staff("000000000"), number)
    assert consultation.move_step(community_staff(place["community"]), number) == "通报议题"
    with pytest.raises(Forbidden):
        consultation.create_session(SUPERVISOR, form(tag, place["grid"]))          # reads the figures only
    with pytest.raises(Forbidden):
        consultation.list_sessions(OPERATOR)
    assert all(s["street_code"] == place["street"] for s in consultation.list_sessions(staff))
    assert any(s["number"] == number for s in consultation.list_sessions(LEADER))


def count(engine, tag: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM consultation_sessions WHERE title LIKE :w"),
                            {"w": f"%{tag}%"}).scalar()


def test_an_import_with_bad_rows_writes_nothing_and_names_row_and_field(engine, place, tmp_path, tag):
    good = (f"{tag}背街小巷路面修缮,城市建设,{place['grid']},路面破损,2026-03-01,2026-03-05,2026-03-12,2026-03-15,"
            f"2026-03-30,居民 30、党员 8,分两期修缮")
    path = tmp_path / "sessions.csv"
    path.write_text(HEADER + f"{good}\n{tag}坏行,治安,NOPE,内容,2026-03-01,2026-02-01,2026-03-12,2026-03-15,"
                    f"2026-03-30,群众 5,\n{good}\n", encoding="utf-8-sig")
    answer = subprocess.run([sys.executable, "-m", "etl", "consultation", str(path)], cwd=ROOT, capture_output=True,
                            text=True)
    assert answer.returncode == 1 and "nothing imported" in answer.stderr
    for words in ("第 3 行 议题类别", "第 3 行 通报议题日期：不能早于发布预告日期", "第 3 行 参与人员"):
        assert words in answer.stderr
    assert "第 2 行" not in answer.stderr and "第 4 行" not in answer.stderr
    assert count(engine, tag) == 0
    path.write_text(HEADER + f"{good}\n{good.replace(f'{tag}背街', f'=HYPERLINK(1){tag}背街')}\n",
                    encoding="utf-8-sig")
    answer = subprocess.run([sys.executable, "-m", "etl", "consultation", str(path)], cwd=ROOT, capture_output=True,
                            text=True)
    assert answer.returncode == 0 and "imported 2 session(s)" in answer.stdout and count(engine, tag) == 2
    imported = [s for s in consultation.list_sessions(LEADER, {"source": "import"}) if tag in s["title"]]
    assert {(s["step_name"], s["participants"], s["decision"]) for s in imported} == {("情况反馈", 38, "分两期修缮")}
    exported = consultation.export_csv(LEADER, {"source": "import"})
    assert f"{tag}背街小巷路面修缮" in exported and "居民 30、党员 8" in exported
    assert f"'=HYPERLINK(1){tag}" in exported                       # a formula shows as text in a spreadsheet


def test_an_xlsx_import_and_its_header_check(engine, place, tmp_path, tag):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append([f"{tag}助餐点设置", "卫生健康", place["grid"], "老人吃饭难", date(2026, 5, 1), "2026-05-04",
                  "2026-05-10", "2026-05-12", "2026-05-30", None, None])
    book.save(tmp_path / "sessions.xlsx")
    assert consultation.import_file(LEADER, tmp_path / "sessions.xlsx") == 1 and count(engine, tag) == 1
    (tmp_path / "bad.csv").write_text("名称,内容\n甲,乙\n", encoding="utf-8")
    with pytest.raises(consultation.ImportRejected) as rejected:
        consultation.import_file(LEADER, tmp_path / "bad.csv")
    assert any("缺少" in p for p in rejected.value.problems) and any("不认识的列" in p for p in rejected.value.problems)
    with pytest.raises(consultation.ImportRejected):
        consultation.import_sessions(LEADER, "x.xlsx", b"not a workbook")


def test_the_public_page_and_its_sign_up_through_the_app_as_nobody(engine, dash_app, place, tag):
    """The page as Dash's router serves it and the sign-up as the renderer posts it, signed in as nobody: the
    resident's name and phone go in, neither comes out."""
    from harness.signing_in import csrf_headers
    from screens.consultation_parts import public_ids
    from tests.integration.dash_requests import router_body
    number = consultation.create_session(street_staff(place["street"]), form(tag, place["grid"], 0))
    client = dash_app.server.test_client()
    phone = new_phone()
    output = f"..{public_ids.SIGN_UP_MESSAGE}.children...{public_ids.COUNTS}.children.."
    body = {"output": output, "outputs": [{"id": public_ids.SIGN_UP_MESSAGE, "property": "children"},
                                          {"id": public_ids.COUNTS, "property": "children"}],
            "inputs": [{"id": public_ids.SIGN_UP, "property": "n_clicks", "value": 1}],
            "state": [{"id": public_ids.NUMBER, "property": "data", "value": number},
                      {"id": public_ids.SIGN_UP_NAME, "property": "value", "value": "诸葛秀梅"},
                      {"id": public_ids.SIGN_UP_PHONE, "property": "value", "value": phone}],
            "changedPropIds": [f"{public_ids.SIGN_UP}.n_clicks"]}
    answer = client.post("/_dash-update-component", json=body, headers=csrf_headers(client))
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    shown = json.dumps(answer.get_json(), ensure_ascii=False)
    assert "报名成功" in shown
    page = json.dumps(client.post("/_dash-update-component", json=router_body(f"/consultation/{number}"),
                                  headers=csrf_headers(client)).get_json(), ensure_ascii=False)
    assert "报名参加" in page and "进程 · 当前阶段：发布预告" in page
    for text_ in (shown, page):
        assert phone not in text_ and "诸葛秀梅" not in text_
    bad = {**body, "state": [body["state"][0], {**body["state"][1], "value": ""}, {**body["state"][2], "value": "x"}]}
    refused = json.dumps(client.post("/_dash-update-component", json=bad, headers=csrf_headers(client)).get_json(),
                         ensure_ascii=False)
    assert "姓名：必填" in refused and "联系电话：" in refused
