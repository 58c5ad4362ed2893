"""Category versions against real PostGIS (/admin → 分类与派单规则): a change is a new version with who, when and
what; a ticket registered before it keeps the old deadlines and unit, one registered after gets the new; the file
loader adds versions only for what changed; a bad form writes nothing and names the field; only ``rules`` may."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from services import admin_rules
from services import tickets as svc
from services.tickets import NewTicket
from workorders.policy import Forbidden, Principal, SignInRequired, system_principal

CODE = "streetlight"          # 路灯: normal (3 days), lead cgj, no arrival deadline
DESK = system_principal("坐席")


def person(*roles: str) -> Principal:
    return Principal(id=None, name=f"t-{'-'.join(roles)}", roles=frozenset(roles), display_name="测试管理员")


ADMIN = person("admin")


@pytest.fixture(scope="module")
def point(engine) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(text("""SELECT ST_X(ST_PointOnSurface(geom)) AS lon,
                                                ST_Y(ST_PointOnSurface(geom)) AS lat
                                         FROM grids ORDER BY code LIMIT 1""")).mappings().one())


@pytest.fixture
def original(engine):
    """The category's form as it was; saved back after the test (a new version, the old rules again)."""
    form = admin_rules.category_form(ADMIN, CODE)
    yield form
    admin_rules.save_category(ADMIN, CODE, {k: v for k, v in form.items() if k != "version"})


def ticket(point, category=CODE) -> dict:
    return svc.create_ticket(NewTicket(channel="hotline", category=category, lon=point["lon"], lat=point["lat"],
                                       description=f"路灯不亮 {uuid.uuid4().hex[:6]}"), DESK).ticket


def test_a_change_is_a_version_and_applies_to_tickets_registered_after_it(point, original):
    before = ticket(point)
    assert before["lead_department_code"] == "cgj" and before["arrival_due_at"] is None
    assert before["resolve_due_at"] - before["registered_at"] == timedelta(days=3)

    edited = {**original, "lead": "zjj", "co_handlers": ["cgj"], "arrival_minutes": "45", "resolve_hours": "24"}
    saved = admin_rules.save_category(ADMIN, CODE, edited, base_version=original["version"])
    assert saved.version == original["version"] + 1
    assert {c["field"] for c in saved.changes} == {"lead", "co_handlers", "arrival_minutes", "resolve_hours"}

    after = ticket(point)
    assert after["lead_department_code"] == "zjj" and after["co_department_codes"] == ["cgj"]
    assert after["arrival_due_at"] - after["registered_at"] == timedelta(minutes=45)
    assert after["resolve_due_at"] - after["registered_at"] == timedelta(hours=24)
    assert after["category_version"] == saved.version

    kept = svc.history(before["number"])[0]          # the earlier ticket: its deadlines and unit as registered
    assert (kept["lead_department_code"], kept["resolve_due_at"], kept["arrival_due_at"]) == (
        "cgj", before["resolve_due_at"], None)
    assert kept["category_version"] == original["version"]

    history = admin_rules.versions(ADMIN, CODE)
    newest = history[0]
    assert newest["version"] == saved.version and newest["changed_by"] == "测试管理员"
    assert newest["source"] == "系统管理" and newest["tickets"] == 1
    assert any(line.startswith("办结时限（小时）：— → 24") for line in newest["changes"])
    assert any("主办单位" in line and "→" in line for line in newest["changes"])
    with svc.get_engine().connect() as conn:
        entry = conn.execute(text("""SELECT actor, detail FROM audit_log WHERE action = 'category_changed'
                                     AND target = :t ORDER BY id DESC LIMIT 1"""), {"t": f"category:{CODE}"}).one()
    assert entry.detail["version"] == saved.version and "lead" in entry.detail["fields"]


def test_a_return_reroutes_by_the_version_the_ticket_was_registered_under(point, original):
    road = ticket(point)                               # lead cgj, nobody else to send it to in this version
    admin_rules.save_category(ADMIN, CODE, {**original, "co_handlers": ["zjj"]})
    svc.transition(road["number"], "dispatch", DESK)
    returned = svc.transition(road["number"], "return", DESK, reason="wrong_department").ticket
    assert returned["lead_department_code"] == "cgj"   # its own version had no co-handler: nobody else to route to


def test_a_registration_in_the_past_gets_the_version_in_force_then(point, original):
    moment = svc.utcnow() - timedelta(days=2)
    admin_rules.save_category(ADMIN, CODE, {**original, "resolve_hours": "12"})
    past = svc.create_ticket(NewTicket(channel="hotline", category=CODE, lon=point["lon"], lat=point["lat"],
                                       description="历史工单 路灯"), DESK, now=moment).ticket
    assert past["resolve_due_at"] - past["registered_at"] == timedelta(days=3)


def test_saving_the_same_values_adds_no_version(original):
    same = admin_rules.save_category(ADMIN, CODE, {k: v for k, v in original.items() if k != "version"})
    assert same.version == original["version"] and same.changes == []


def test_a_bad_form_writes_nothing_and_names_each_field(original):
    bad = {**original, "lead": "nope", "arrival_minutes": "-5", "resolve_hours": "x"}
    with pytest.raises(admin_rules.RulesRejected) as rejected:
        admin_rules.save_category(ADMIN, CODE, bad)
    fields = {p.field for p in rejected.value.problems}
    assert {"arrival_minutes", "resolve_hours"} <= fields
    assert admin_rules.category_form(ADMIN, CODE)["version"] == original["version"]

    with pytest.raises(admin_rules.RulesRejected) as unknown:
        admin_rules.save_category(ADMIN, CODE, {**original, "lead": "nope"})
    assert [p.field for p in unknown.value.problems] == ["departments"]
    assert "nope" in unknown.value.problems[0].message

    with pytest.raises(admin_rules.RulesRejected) as above:
        admin_rules.save_category(ADMIN, CODE, {**original, "arrival_minutes": "600", "resolve_hours": "8"})
    assert above.value.problems[0].field == "arrival_minutes" and "超过" in above.value.problems[0].message


def test_a_form_filled_from_an_older_version_is_refused(original):
    admin_rules.save_category(ADMIN, CODE, {**original, "priority": "2"}, base_version=original["version"])
    with pytest.raises(admin_rules.RulesRejected) as stale:
        admin_rules.save_category(ADMIN, CODE, {**original, "priority": "4"}, base_version=original["version"])
    assert stale.value.problems[0].field == "version"


def test_the_file_loader_adds_versions_only_for_what_changed(tmp_path, original, engine):
    from etl.catalogue import load_changed
    from workorders.catalogue import CATALOGUE_FILE
    load_changed()                                   # the shipped file, whatever earlier tests left
    assert load_changed()[1] == []                   # again: nothing changed, nothing written
    changed = CATALOGUE_FILE.read_text(encoding="utf-8").replace(
        "  - code: streetlight\n    name: 路灯\n    complexity: normal\n",
        "  - code: streetlight\n    name: 路灯\n    complexity: normal\n    resolve_hours: 36\n")
    assert changed != CATALOGUE_FILE.read_text(encoding="utf-8")
    path = tmp_path / "categories.yaml"
    path.write_text(changed, encoding="utf-8")
    _, saved = load_changed(path)
    assert [(s.code, [c["field"] for c in s.changes]) for s in saved] == [(CODE, ["resolve_hours"])]
    assert admin_rules.versions(ADMIN, CODE)[0]["source"] == "文件导入"
    load_changed()                                    # the shipped rules again (the fixture saves its form after)


def test_only_who_holds_rules_may_read_or_change_them(original):
    for who in (person("dispatcher"), person("supervisor"), person("operator")):
        with pytest.raises(Forbidden):
            admin_rules.save_category(who, CODE, original)
        with pytest.raises(Forbidden):
            admin_rules.versions(who, CODE)
    with pytest.raises(SignInRequired):
        admin_rules.category_list(None)
    assert admin_rules.category_form(ADMIN, CODE)["version"] == original["version"]


def test_the_preview_places_and_times_a_sample_by_the_unsaved_form(point, original):
    shown = admin_rules.preview(ADMIN, CODE, lon=point["lon"], lat=point["lat"])
    assert shown["lead"] and shown["street"] and shown["community"] and shown["arrival_due_at"] is None
    draft = admin_rules.preview(ADMIN, CODE, values={**original, "lead": "zjj", "arrival_minutes": "25"},
                                lon=point["lon"], lat=point["lat"])
    assert draft["lead"] != shown["lead"]
    assert draft["arrival_due_at"] - draft["registered_at"] == timedelta(minutes=25)
    by_address = admin_rules.preview(ADMIN, "water_leak", address="胜利路12号")
    assert by_address["where"] and by_address["arrival_due_at"]
    with pytest.raises(admin_rules.RulesRejected) as nowhere:
        admin_rules.preview(ADMIN, CODE, address="不存在的地方XYZ")
    assert nowhere.value.problems[0].field == "address"
    assert admin_rules.category_form(ADMIN, CODE)["version"] == original["version"]   # a preview saves nothing


def test_a_category_written_around_the_versions_is_still_read(engine):
    from geo.catalogue import catalogue_history
    from workorders.catalogue import rows_in_force
    with engine.connect() as conn:
        with conn.begin() as outer:
            conn.execute(text("""INSERT INTO categories (code, name, complexity, priority, lead_department_code, rules)
                                 VALUES ('t_raw', '测试', 'normal', 3, 'cgj', '{"departments": ["cgj"]}')"""))
            rows = rows_in_force(catalogue_history(conn)[1], svc.utcnow())
            assert rows["t_raw"]["version"] is None and rows[CODE]["version"] >= 1
            outer.rollback()
