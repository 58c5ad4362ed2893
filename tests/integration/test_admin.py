"""/admin's other tabs against real PostGIS (services/admin.py): users with roles and scopes, API keys, new units
and their crews, standard answers — each action needs its right whoever calls, is audited under the administrator,
and a bad field is refused naming it with nothing written."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from geo.api_keys import delete_api_key
from services import admin, admin_rules, api_keys, identity, ticket_desk
from tests.fresh import unique
from workorders.errors import FieldError
from workorders.policy import Forbidden, Principal

ADMIN = Principal(id=None, name="t-admin", roles=frozenset({"admin"}), display_name="测试管理员")
DISPATCHER = Principal(id=None, name="t-dispatcher", roles=frozenset({"dispatcher"}))


def last_audit(engine, action: str, target: str):
    with engine.connect() as conn:
        return conn.execute(text("SELECT actor, detail FROM audit_log WHERE action = :a AND target = :t "
                                 "ORDER BY id DESC LIMIT 1"), {"a": action, "t": target}).first()


def test_an_admin_creates_and_disables_a_user(engine):
    name = unique("adm-user")
    created, password = admin.create_user(ADMIN, name, ["department"], display_name="水务 坐席",
                                          scopes={"department": "water"})
    assert created == name and len(password) >= 10
    assert identity.authenticate(name, password, "10.0.0.9")[0].department_code == "water"
    assert last_audit(engine, "user_created", f"user:{name}").actor == "t-admin"
    # Found by name, as the list's search box does: the list shows its first USER_LIMIT users, active first by
    # name, and users other tests left may fill them.
    [row] = admin.users(ADMIN, find=name)
    assert row["username"] == name and row["role_names"] == ["承办单位"] and row["active"]
    admin.disable_user(ADMIN, name)
    assert [(u["username"], u["active"]) for u in admin.users(ADMIN, find=name)] == [(name, False)]
    assert last_audit(engine, "user_disabled", f"user:{name}").actor == "t-admin"


def test_the_user_search_reaches_a_user_beyond_the_shown_ones(monkeypatch):
    name = unique("zz-find")
    admin.create_user(ADMIN, name, ["operator"], display_name="查找 测试")
    monkeypatch.setattr(admin, "USER_LIMIT", 1)
    assert len(admin.users(ADMIN)) == 1
    assert [u["username"] for u in admin.users(ADMIN, find=f"  {name.upper()} ")] == [name]
    with pytest.raises(FieldError) as long:
        admin.users(ADMIN, find="x" * 51)
    assert long.value.field == "find"


def test_a_scoped_role_without_its_scope_is_refused_naming_the_field():
    with pytest.raises(FieldError) as missing:
        admin.create_user(ADMIN, unique("adm-user"), ["street"])
    assert missing.value.field == "street" and "街道" in missing.value.message
    with pytest.raises(FieldError) as yourself:
        admin.disable_user(ADMIN, "t-admin")
    assert yourself.value.field == "username"


def test_an_admin_issues_and_revokes_a_key(engine):
    name = unique("adm-key")
    try:
        key = admin.create_key(ADMIN, name, ["read"], department="water")
        caller = api_keys.identify(key)
        assert caller.scopes == frozenset({"read"}) and caller.department_code == "water"
        assert last_audit(engine, "api_key_created", f"api_key:{name}").actor == "t-admin"
        assert any(k["name"] == name and k["active"] for k in admin.keys(ADMIN))
        with pytest.raises(FieldError) as taken:
            admin.create_key(ADMIN, name)
        assert taken.value.field == "name"
        admin.revoke_key(ADMIN, name)
        with pytest.raises(api_keys.RevokedKey):
            api_keys.identify(key)
        assert last_audit(engine, "api_key_revoked", f"api_key:{name}").actor == "t-admin"
    finally:
        with engine.begin() as conn:
            delete_api_key(conn, name)


def test_a_bad_key_binding_writes_nothing():
    name = unique("adm-key")
    with pytest.raises(FieldError) as unknown:
        admin.create_key(ADMIN, name, department="no-such-unit")
    assert unknown.value.field == "department"
    assert all(k["name"] != name for k in admin.keys(ADMIN))


def test_an_admin_adds_a_unit_that_the_editor_offers_and_that_takes_crews(engine):
    with engine.connect() as conn:
        grid = conn.execute(text("SELECT code FROM grids ORDER BY code LIMIT 1")).scalar()
    code, name = unique("t-unit")[:32], unique("测试物业公司")[:60]
    crew = unique("T-UNIT")[:32]
    try:
        assert admin.add_department(ADMIN, {"code": code, "name": name, "kind": "utility", "phone": "0412-5551234",
                                            "resident_in_center": True}) == code
        listed = next(d for d in admin.departments(ADMIN) if d["code"] == code)
        assert (listed["name"], listed["kind"], listed["resident_in_center"], listed["crews"]) == (
            name, "utility", True, 0)
        assert code in [c for c, _ in admin_rules.options(ADMIN)["departments"]]     # a lead or co-handling unit
        assert last_audit(engine, "department_created", f"department:{code}").actor == "t-admin"
        admin.add_crew(ADMIN, {"code": crew, "name": "维修一队", "department_code": code, "kind": "维修",
                               "home_grid": grid})
        assert [c["code"] for c in admin.crews(ADMIN, code)] == [crew]
        for again, field in (({"code": code, "name": "另一个名称"}, "code"), ({"code": code + "2", "name": name}, "name")):
            with pytest.raises(FieldError) as taken:
                admin.add_department(ADMIN, {**again, "kind": "other"})
            assert taken.value.field == field
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM crews WHERE code = :c"), {"c": crew})
            conn.execute(text("DELETE FROM departments WHERE code = ANY(:c)"), {"c": [code, code + "2"]})


@pytest.mark.parametrize("values,field", [
    ({"code": "x", "name": "n", "kind": "other"}, "code"),
    ({"code": "t-ok", "name": " ", "kind": "other"}, "name"),
    ({"code": "t-ok", "name": "n", "kind": "company"}, "kind"),
    ({"code": "t-ok", "name": "n", "kind": "other", "phone": "call me"}, "phone"),
])
def test_a_bad_unit_is_refused_naming_the_field_and_writes_nothing(engine, values, field):
    with pytest.raises(FieldError) as refused:
        admin.add_department(ADMIN, values)
    assert refused.value.field == field
    with engine.connect() as conn:
        assert not conn.scalar(text("SELECT count(*) FROM departments WHERE code = 't-ok'"))


def test_an_admin_adds_a_crew_to_a_unit(engine):
    with engine.connect() as conn:
        grid = conn.execute(text("SELECT code FROM grids ORDER BY code LIMIT 1")).scalar()
    code = unique("T-WATER")[:32]
    try:
        assert admin.add_crew(ADMIN, {"code": code, "name": "供水抢修测试队", "department_code": "water",
                                      "kind": "供水抢修", "members": "3", "home_grid": grid}) == code
        crew = next(c for c in admin.crews(ADMIN, "water") if c["code"] == code)
        assert crew["status"] == "available" and crew["members"] == 3
        assert last_audit(engine, "crew_created", f"crew:{code}").actor == "t-admin"
        with pytest.raises(FieldError) as again:
            admin.add_crew(ADMIN, {"code": code, "name": "重复", "department_code": "water", "kind": "供水抢修",
                                   "home_grid": grid})
        assert again.value.field == "code"
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM crews WHERE code = :c"), {"c": code})


@pytest.mark.parametrize("values,field", [
    ({"code": "x", "name": "n", "kind": "k", "home_grid": "g"}, "code"),
    ({"code": "T-OK", "name": "", "kind": "k", "home_grid": "g"}, "name"),
    ({"code": "T-OK", "name": "n", "kind": "网格员", "home_grid": "g"}, "kind"),
    ({"code": "T-OK", "name": "n", "kind": "k", "members": "0", "home_grid": "g"}, "members"),
    ({"code": "T-OK", "name": "n", "kind": "k", "home_grid": "no-such-grid"}, "home_grid"),
])
def test_a_bad_crew_is_refused_naming_the_field(values, field):
    with pytest.raises(FieldError) as refused:
        admin.add_crew(ADMIN, {"department_code": "water", **values})
    assert refused.value.field == field


def test_an_edited_standard_answer_reaches_the_hotline(engine):
    title = unique("答复")[:60]
    answer_id = admin.save_answer(ADMIN, None, {"title": title, "body": "您反映的问题已转交承办单位。",
                                                "sort_order": "5", "active": True})
    try:
        operator = Principal(id=None, name="t-op", roles=frozenset({"operator"}))
        assert any(a["title"] == title for a in ticket_desk.standard_answers(operator))
        admin.save_answer(ADMIN, answer_id, {"title": title, "body": "已停用", "active": False})
        assert all(a["title"] != title for a in ticket_desk.standard_answers(operator))
        assert any(a["id"] == answer_id and not a["active"] for a in admin.answers(ADMIN))
        assert last_audit(engine, "standard_answer_saved", f"standard_answer:{answer_id}").actor == "t-admin"
        with pytest.raises(FieldError) as empty:
            admin.save_answer(ADMIN, answer_id, {"title": title, "body": " "})
        assert empty.value.field == "body"
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM standard_answers WHERE id = :i"), {"i": answer_id})


@pytest.mark.parametrize("call", [
    lambda who: admin.users(who), lambda who: admin.create_user(who, unique("x"), ["operator"]),
    lambda who: admin.disable_user(who, "demo-operator"), lambda who: admin.keys(who),
    lambda who: admin.create_key(who, unique("x")), lambda who: admin.revoke_key(who, "x"),
    lambda who: admin.departments(who), lambda who: admin.add_crew(who, {}), lambda who: admin.add_department(who, {}),
    lambda who: admin.answers(who), lambda who: admin.save_answer(who, None, {}),
])
def test_nobody_but_an_admin_may(call):
    with pytest.raises(Forbidden):
        call(DISPATCHER)
    with pytest.raises(Forbidden):
        call(None)
