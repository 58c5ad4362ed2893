"""The ticket list against real PostGIS: filters, Chinese substring search (2 characters too), paging and counts,
who sees which tickets and which fields, exports with neutralised cells, bulk 派单/转办, the dispatcher's queue."""
from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from services import ticket_list
from services import tickets as svc
from services.tickets import NewTicket
from workorders.clock import local_date
from workorders.errors import FieldError
from workorders.policy import Forbidden, Principal, system_principal

DESK = system_principal("坐席")


def person(*roles: str, **scopes) -> Principal:
    return Principal(id=None, name=f"t-{'-'.join(roles)}", roles=frozenset(roles), **scopes)


@pytest.fixture(scope="module")
def marker() -> str:
    """A word no other test's ticket holds: each search here finds only this module's tickets."""
    return "测" + uuid.uuid4().hex[:6]


@pytest.fixture(scope="module")
def made(engine, marker):
    """Three tickets: a leak in a stairwell, a formula-like description, and one of another street."""
    with engine.connect() as conn:
        grids = conn.execute(text("""
            SELECT DISTINCT ON (c.street_code) g.code, c.street_code,
                   ST_X(ST_PointOnSurface(g.geom)) AS lon, ST_Y(ST_PointOnSurface(g.geom)) AS lat
            FROM grids g JOIN communities c ON c.code = g.community_code ORDER BY c.street_code, g.code
            LIMIT 2""")).mappings().all()
    a, b = grids

    def new(grid, description, category="water_leak", phone="13800001234"):
        return svc.create_ticket(NewTicket(channel="hotline", category=category, description=description,
                                           lon=grid["lon"], lat=grid["lat"], citizen_name="王伟",
                                           citizen_phone=phone), DESK).ticket
    leak = new(a, f"{marker} 楼道漏水严重，三楼以上没水")
    formula = new(a, f"=HYPERLINK(\"http://x\") {marker} 路灯不亮", category="streetlight")
    other = new(b, f"{marker} 小区门口垃圾没人清", category="sanitation", phone="13900009999")
    return {"leak": leak, "formula": formula, "other": other, "street_a": a["street_code"],
            "street_b": b["street_code"]}


def numbers(page) -> set[str]:
    return {r["number"] for r in page.rows}


def q(**values):
    return ticket_list.parse_query(values)


def test_two_character_chinese_substring_matches(made, marker):
    page = ticket_list.list_page(person("operator"), q(q=f"{marker}"), size=100)
    assert numbers(page) == {made["leak"]["number"], made["formula"]["number"], made["other"]["number"]}
    # 漏水 is inside 楼道漏水严重: no word boundary, 2 characters (no trigram of its own)
    leak = ticket_list.list_page(person("operator"), q(q="漏水"), size=100)
    assert made["leak"]["number"] in numbers(leak) and made["other"]["number"] not in numbers(leak)
    longer = ticket_list.list_page(person("operator"), q(q="三楼以上没水"), size=100)
    assert made["leak"]["number"] in numbers(longer)


def test_like_characters_are_taken_literally(made, marker):
    assert not ticket_list.list_page(person("operator"), q(q=f"{marker}%")).rows
    assert not ticket_list.list_page(person("operator"), q(q="_" * 5 + marker)).rows


def test_filters_combine_and_counts_follow(made, marker):
    operator = person("operator")
    by_street = ticket_list.list_page(operator, q(q=marker, street=made["street_b"]))
    assert numbers(by_street) == {made["other"]["number"]}
    by_category = ticket_list.list_page(operator, q(q=marker, category=["water_leak", "streetlight"]))
    assert numbers(by_category) == {made["leak"]["number"], made["formula"]["number"]}
    assert by_category.total == 2 and sum(by_category.counts.values()) == 2
    by_state = ticket_list.list_page(operator, q(q=marker, state=["dispatched", "registered"]))
    assert by_state.total == 3
    assert ticket_list.list_page(operator, q(q=marker, escalated=True)).total == 0


def test_every_other_filter_narrows_the_list(made):
    """Channel, community, department (lead), registration days, 已超时, 已升级督办 and satisfaction (rated or 未评价),
    on three tickets of their own: one late and escalated, one rated 满意, one resolved and not rated."""
    word = "滤" + uuid.uuid4().hex[:6]
    grid = {"lon": made["leak"]["lon"], "lat": made["leak"]["lat"]}

    def new(category, registered_at=None):
        return svc.create_ticket(NewTicket(channel="hotline", category=category, description=f"{word} 测试",
                                           registered_at=registered_at, citizen_phone="13800005678", **grid),
                                 DESK).ticket
    late = new("water_leak", registered_at=svc.utcnow() - timedelta(days=5))
    svc.transition(late["number"], "escalate", DESK, reason="逾期")
    rated, unrated = new("water_leak"), new("streetlight")
    tokens = {}
    for ticket in (rated, unrated):
        for action in ("dispatch", "accept"):
            svc.transition(ticket["number"], action, DESK)
        tokens[ticket["number"]] = svc.transition(ticket["number"], "resolve", DESK).ticket["evaluation_token"]
    svc.evaluate(tokens[rated["number"]], "satisfied")
    operator = person("operator")

    def found(**values) -> set[str]:
        return numbers(ticket_list.list_page(operator, q(q=word, **values)))
    everyone = {late["number"], rated["number"], unrated["number"]}
    assert found() == everyone
    assert found(channel=["hotline"]) == everyone and found(channel=["letter"]) == set()
    assert found(community=late["community_code"]) == everyone
    assert found(department=unrated["lead_department_code"]) == {unrated["number"]}
    old_day = local_date(late["registered_at"])
    assert found(since=old_day.isoformat(), until=old_day.isoformat()) == {late["number"]}
    assert found(since=local_date(svc.utcnow()).isoformat()) == {rated["number"], unrated["number"]}
    assert found(overdue="1") == {late["number"]} == found(escalated="1")
    assert found(satisfaction="satisfied") == {rated["number"]}
    assert found(satisfaction="unrated") == {unrated["number"]}


def test_paging_never_repeats_or_skips(made, marker):
    operator = person("operator")
    seen = []
    for page in (1, 2):
        got = ticket_list.list_page(operator, q(q=marker, sort="registered_asc"), page=page, size=2)
        assert (got.page, got.pages, got.total) == (page, 2, 3)
        seen += [r["number"] for r in got.rows]
    assert seen == [made["leak"]["number"], made["formula"]["number"], made["other"]["number"]]
    beyond = ticket_list.list_page(operator, q(q=marker, sort="registered_asc"), page=9, size=2)
    assert beyond.page == 2 and [r["number"] for r in beyond.rows] == seen[2:]


@pytest.mark.parametrize("values, field", [
    ({"since": "2026-13-01"}, "since"), ({"since": "2026-05-02", "until": "2026-05-01"}, "until"),
    ({"state": ["nonsense"]}, "state"), ({"street": "nowhere"}, "street"), ({"sort": "drop table"}, "sort"),
    ({"q": "长" * 51}, "q"), ({"phone": "138-abc"}, "phone"), ({"satisfaction": "meh"}, "satisfaction"),
])
def test_bad_filters_name_their_field(values, field):
    with pytest.raises(FieldError) as bad:
        ticket_list.parse_query(values)
    assert bad.value.field == field and bad.value.message


def test_a_leader_sees_every_ticket_but_no_personal_data(made, marker):
    page = ticket_list.list_page(person("leader"), q(q=marker))
    assert page.total == 3 and not page.personal
    assert all("citizen_phone" not in r and "description" not in r for r in page.rows)
    with pytest.raises(Forbidden):
        ticket_list.list_page(person("leader"), q(phone="13800001234"))


def test_roles_without_the_list_are_refused(made):
    for role in ("department", "wall", "admin", "grid_worker"):
        with pytest.raises(Forbidden):
            ticket_list.list_page(person(role, department_code="water"), q())
    with pytest.raises(Forbidden):
        ticket_list.list_page(None, q())


def test_the_operator_searches_by_phone(made, marker):
    page = ticket_list.list_page(person("operator"), q(q=marker, phone="13900009999"))
    assert numbers(page) == {made["other"]["number"]} and page.rows[0]["citizen_phone"] == "13900009999"


def test_export_csv_and_xlsx_neutralise_formulas(made, marker):
    csv_file = ticket_list.export(person("supervisor"), q(q=marker, sort="registered_asc"), "csv")
    rows = list(csv.reader(io.StringIO(csv_file.body.decode("utf-8-sig"))))
    assert "导出人" in rows[0][0] and rows[1][0] == "工单号" and len(rows) == 5
    descriptions = [r[rows[1].index("诉求内容")] for r in rows[2:]]
    assert descriptions[1].startswith("'=HYPERLINK")
    xlsx = ticket_list.export(person("supervisor"), q(q=marker, sort="registered_asc"), "xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.body)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    cell = values[3][values[1].index("诉求内容")]
    assert cell.startswith("'=") and sheet.cell(row=4, column=values[1].index("诉求内容") + 1).data_type == "s"
    leader = ticket_list.export(person("leader"), q(q=marker), "csv").body.decode("utf-8-sig")
    assert "13800001234" not in leader and "联系电话" not in leader and marker not in leader


def test_bulk_transfer_and_dispatch(engine, marker):
    with engine.connect() as conn:
        grid = conn.execute(text("""SELECT ST_X(ST_PointOnSurface(geom)) AS lon, ST_Y(ST_PointOnSurface(geom)) AS lat
                                    FROM grids ORDER BY code LIMIT 1""")).mappings().one()
        other_unit = conn.scalar(text("SELECT code FROM departments WHERE code <> 'water' ORDER BY code LIMIT 1"))
    fresh = [svc.create_ticket(NewTicket(channel="hotline", category="noise", description=f"{marker} 噪音 {i}",
                                         lon=grid["lon"], lat=grid["lat"]), DESK).ticket for i in range(2)]
    waiting = [t["number"] for t in fresh]
    assert {t["state"] for t in fresh} == {"registered"}
    dispatcher = person("dispatcher")
    result = ticket_list.bulk_dispatch(dispatcher, waiting, department=other_unit)
    assert result.done == waiting and not result.refused
    after = ticket_list.list_page(dispatcher, q(q=f"{marker} 噪音"))
    assert {(r["state"], r["department"]) for r in after.rows} == {("dispatched", after.rows[0]["department"])}
    assert len(after.rows) == 2
    again = ticket_list.bulk_dispatch(dispatcher, [fresh[0]["number"], "20990101-000001"])
    assert [n for n, _ in again.refused] == [fresh[0]["number"], "20990101-000001"]
    with pytest.raises(Forbidden):
        ticket_list.bulk_dispatch(person("operator"), [fresh[0]["number"]])
    with pytest.raises(FieldError):
        ticket_list.bulk_dispatch(dispatcher, [])


def test_the_page_signature_changes_only_with_what_the_page_shows(engine, made):
    word = "签" + uuid.uuid4().hex[:6]
    operator, query = person("operator"), q(q=word, sort="registered_asc")

    def new(words: str) -> dict:
        return svc.create_ticket(NewTicket(channel="hotline", category="water_leak", description=words,
                                           lon=made["leak"]["lon"], lat=made["leak"]["lat"],
                                           citizen_phone="13800005678"), DESK).ticket
    first, _second = new(f"{word} 一"), new(f"{word} 二")
    shown = ticket_list.list_page(operator, query, size=1)
    assert [r["number"] for r in shown.rows] == [first["number"]]
    with engine.connect() as conn:
        audited = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'ticket_list_read'")).scalar()
    assert ticket_list.page_signature(operator, query, size=1) == shown.signature
    with engine.connect() as conn:          # the signature reads no personal data: nothing audited
        assert conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'ticket_list_read'")).scalar() \
            == audited
    new("与本列表无关的工单")
    assert ticket_list.page_signature(operator, query, size=1) == shown.signature      # not on the list
    third = new(f"{word} 三")
    moved = ticket_list.page_signature(operator, query, size=1)     # one more: the counts, not the first page's row
    assert moved["counts"] != shown.signature["counts"] and moved["rows"] == shown.signature["rows"]
    page3 = ticket_list.page_signature(operator, query, page=3, size=1)
    assert page3 == ticket_list.list_page(operator, query, page=3, size=1).signature
    svc.transition(third["number"], "refuse", DESK, reason="重复")                   # the row of page 3 changes
    assert ticket_list.page_signature(operator, query, page=3, size=1)["rows"] != page3["rows"]
    assert ticket_list.page_signature(operator, query, size=1)["rows"] == shown.signature["rows"]
    svc.transition(first["number"], "refuse", DESK, reason="重复")                   # page 1's own row
    assert ticket_list.page_signature(operator, query, size=1)["rows"] != shown.signature["rows"]
