"""Rights decided in the services (issue 10, phase 2), against real PostGIS and Redis: whoever calls — a Dash
callback, /api/v1, the CLI — the service asks workorders/policy.py, the history names the principal, reads of
personal data are audited, and API keys act within their scopes and bindings.

Each "outsider" item of the issue that is ours is one test here: a made-up operator name on a hotline ticket, a
grid worker's key listing callers' phones, a key in the URL, a position without a key, a department's key moving
another department's ticket.
"""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import text

from services import intake_forms, ticket_views
from services import tickets as svc
from services.dispatch import assign
from tests.conftest import ROOT
from tests.fresh import new_phone as unique_phone, unique
from tests.integration.api_helpers import error_of, ticket_body
from workorders.contract import NewTicket
from workorders.policy import Forbidden, Principal, SignInRequired, system_principal

DESK = system_principal("测试坐席")


def user(*roles: str, **scopes) -> Principal:
    return Principal(id=None, name=f"t-{uuid.uuid4().hex[:6]}", roles=frozenset(roles),
                     display_name=f"{roles[0]}-{uuid.uuid4().hex[:4]}", **scopes)


@pytest.fixture(scope="module")
def server(engine):
    from app import server
    return server


@pytest.fixture(scope="module")
def client(server):
    return server.test_client()


@pytest.fixture(scope="module")
def spot(engine) -> dict:
    with engine.connect() as conn:
        code = conn.scalar(text("SELECT code FROM grids ORDER BY random() LIMIT 1"))
        lon, lat = conn.execute(text("SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
                                     "FROM grids WHERE code = :c"), {"c": code}).one()
    return {"lon": lon, "lat": lat, "label": "测试点", "source": "map", "grid_code": code}


@pytest.fixture
def keys(engine):
    """make(scopes, department=…, crew=…) → the header of a new key; every key is deleted after the test."""
    from geo.api_keys import delete_api_key
    from services.api_keys import create_api_key
    names = []

    def make(*scopes: str, department: str | None = None, crew: str | None = None) -> dict[str, str]:
        names.append(unique("test-rights"))
        return {"X-API-Key": create_api_key(names[-1], crew, scopes=scopes, department_code=department)}

    make.names = names
    yield make
    with engine.begin() as conn:
        for name in names:
            delete_api_key(conn, name)


def new_ticket(spot: dict, category: str = "water_leak", channel: str = "hotline") -> dict:
    request = NewTicket(channel=channel, category=category, description=f"权限测试 {uuid.uuid4().hex[:6]}",
                        lon=spot["lon"], lat=spot["lat"], citizen_name="王测试", citizen_phone=unique_phone())
    return svc.create_ticket(request, DESK).ticket


def state_of(engine, number: str) -> str:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT state FROM tickets WHERE number = :n"), {"n": number})


def events_of(engine, number: str) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT e.action, e.actor FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id "
            "WHERE t.number = :n ORDER BY e.id"), {"n": number})]


def audit_of(engine, action: str, target: str) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT actor, outcome FROM audit_log WHERE action = :a AND target = :t ORDER BY id"),
            {"a": action, "t": target})]


def tidy(*numbers: str) -> None:
    """Leave no open look-alike behind for the next run's duplicate checks."""
    for number in numbers:
        try:
            svc.transition(number, "refuse", DESK, reason="测试数据")
        except Exception:
            pass


# ------------------------------------------------------------------------------------------------ intake

def form(spot: dict, **changes) -> dict:
    return {"phone": unique_phone(), "name": "王建国", "category": "streetlight", "variant": None, "address": "",
            "location": spot, "description": f"路灯不亮 {uuid.uuid4().hex[:6]}", "window": None, **changes}


def test_a_made_up_operator_name_on_a_hotline_ticket_is_ignored_for_the_signed_in_user(engine, spot):
    operator = user("operator")
    summary = intake_forms.submit("hotline", form(spot, operator="区长本人"), uuid.uuid4().hex, operator)
    with engine.connect() as conn:
        registered_by = conn.scalar(text("SELECT registered_by FROM tickets WHERE number = :n"),
                                    {"n": summary["number"]})
    assert registered_by == operator.label
    assert audit_of(engine, "ticket_created", f"ticket:{summary['number']}") == [(operator.name, "success")]
    assert events_of(engine, summary["number"]) == [("register", operator.label)]
    tidy(summary["number"])


def test_registering_at_the_desk_needs_someone_with_the_intake_right(engine, spot):
    with pytest.raises(SignInRequired):
        intake_forms.submit("hotline", form(spot), uuid.uuid4().hex, None)
    with pytest.raises(Forbidden):
        intake_forms.submit("letter", form(spot), uuid.uuid4().hex, user("leader"))
    request = NewTicket(channel="hotline", category="streetlight", description="路灯不亮", lon=spot["lon"],
                        lat=spot["lat"], registered_by="冒名")
    with pytest.raises(SignInRequired):
        svc.create_ticket(request, None)
    citizen = svc.create_ticket(request.model_copy(update={"channel": "web"}), None).ticket
    assert citizen["registered_by"] is None          # a citizen's own report: nobody of ours registered it
    tidy(citizen["number"])


def test_merging_a_duplicate_names_the_operator_and_needs_the_right(engine, spot):
    operator = user("operator")
    first = intake_forms.submit("hotline", form(spot), uuid.uuid4().hex, operator)["number"]
    second = intake_forms.submit("hotline", form(spot), uuid.uuid4().hex, operator)["number"]
    with pytest.raises(Forbidden):
        intake_forms.merge_into(second, first, user("wall"))
    assert intake_forms.merge_into(second, first, operator) == "已合并"
    assert events_of(engine, second)[-1] == ("merge", operator.label)
    tidy(first)


# ------------------------------------------------------------------------------------------------ transitions

def test_a_department_user_moves_only_its_own_departments_tickets(engine, spot):
    water, lights = new_ticket(spot, "water_leak"), new_ticket(spot, "streetlight")
    assert water["lead_department_code"] != lights["lead_department_code"]
    dispatcher = user("dispatcher")
    for ticket in (water, lights):
        svc.transition(ticket["number"], "dispatch", dispatcher)
    staff = user("department", department_code=water["lead_department_code"])
    svc.transition(water["number"], "accept", staff)
    with pytest.raises(Forbidden):
        svc.transition(lights["number"], "accept", staff)
    assert state_of(engine, lights["number"]) == "dispatched"
    assert events_of(engine, water["number"])[1:] == [("dispatch", dispatcher.label), ("accept", staff.label)]
    # the changes of people are in the audit log too (the desk here is a system principal: its history only)
    assert audit_of(engine, "ticket_transition", f"ticket:{water['number']}") == [(dispatcher.name, "success"),
                                                                                  (staff.name, "success")]
    assert audit_of(engine, "ticket_created", f"ticket:{water['number']}") == []
    with pytest.raises(Forbidden):             # handling is not dispatching
        svc.transition(lights["number"], "return", dispatcher, reason="不归我们")
    tidy(water["number"], lights["number"])


def test_only_a_dispatcher_assigns_a_crew_and_only_supervision_writes_a_supervision_note(engine, spot):
    ticket = new_ticket(spot)
    for refused in (user("leader"), user("supervisor"), user("operator"), None):
        with pytest.raises(Forbidden):
            assign(ticket["number"], "WATER-01", refused)
    assert state_of(engine, ticket["number"]) == "registered"
    svc.transition(ticket["number"], "escalate", user("supervisor"), reason="测试督办")
    with engine.connect() as conn:
        supervision = conn.scalar(text("SELECT s.id FROM supervisions s JOIN tickets t ON t.id = s.ticket_id "
                                       "WHERE t.number = :n"), {"n": ticket["number"]})
    with pytest.raises(Forbidden):
        svc.supervise(supervision, user("department", department_code="water"), "我来督办")
    svc.supervise(supervision, user("supervisor"), "电话督促")
    tidy(ticket["number"])


# ------------------------------------------------------------------------------------------------ reads

def test_caller_history_needs_the_right_and_each_read_is_audited(engine, spot):
    operator = user("operator")
    phone = unique_phone()
    number = intake_forms.submit("hotline", form(spot, phone=phone), uuid.uuid4().hex, operator)["number"]
    for refused, error in ((None, SignInRequired), (user("dispatcher"), Forbidden), (user("wall"), Forbidden)):
        with pytest.raises(error):
            intake_forms.caller_history(refused, phone)
    assert audit_of(engine, "caller_history_read", f"phone:{phone}") == []
    assert intake_forms.caller_history(operator, phone)["total"] == 1
    assert audit_of(engine, "caller_history_read", f"phone:{phone}") == [(operator.name, "success")]
    tidy(number)


def test_the_operator_ticket_view_is_scoped_and_audited(engine, spot):
    ticket = new_ticket(spot, "water_leak")
    reader = user("operator")
    detail = ticket_views.operator_detail(reader, ticket["number"])
    assert detail["citizen_phone"] == ticket["citizen_phone"]
    assert audit_of(engine, "ticket_read", f"ticket:{ticket['number']}") == [(reader.name, "success")]
    with pytest.raises(Forbidden):
        ticket_views.operator_detail(user("department", department_code="no-such-unit"), ticket["number"])
    with pytest.raises(Forbidden):
        ticket_views.operator_detail(user("leader"), ticket["number"])
    tidy(ticket["number"])


# ------------------------------------------------------------------------------------------------ API keys

def test_a_grid_workers_key_cannot_list_every_callers_phone(client, keys, engine, spot):
    from geo.api_keys import grid_worker_crew
    with engine.connect() as conn:
        crew = grid_worker_crew(conn)
    phone = keys("intake", "transitions", "positions", crew=crew["code"])      # as migration 0010 gives it
    ticket = new_ticket(spot)
    for url in ("/api/v1/tickets", f"/api/v1/tickets?phone={ticket['citizen_phone']}",
                f"/api/v1/tickets/{ticket['number']}", "/api/v1/supervisions"):
        answer = client.get(url, headers=phone)
        assert answer.status_code == 403 and error_of(answer)["code"] == "forbidden", url
    reading_phone = keys("read", crew=crew["code"])            # even with read: only its own crew's and grid's
    rows = client.get("/api/v1/tickets?limit=200", headers=reading_phone).get_json()["tickets"]
    assert all(t["grid_code"] == crew["grid_code"] or t["crew_code"] == crew["code"] for t in rows)
    assert ticket["number"] not in {t["number"] for t in rows} or ticket["grid_code"] == crew["grid_code"]
    tidy(ticket["number"])


def test_a_key_in_the_url_is_refused_with_a_message_naming_the_header(client, keys):
    key = keys("read")["X-API-Key"]
    for url in (f"/api/v1/tickets?api_key={key}", f"/api/v1/categories?api_key={key}"):
        answer = client.get(url)
        error = error_of(answer)
        assert answer.status_code == 400 and error["code"] == "api_key_in_url" and "X-API-Key" in error["message"]
    answer = client.post(f"/api/v1/tickets?api_key={key}", json={"category": "noise"})
    assert answer.status_code == 400 and error_of(answer)["code"] == "api_key_in_url"


def test_a_position_needs_the_crews_own_key_or_a_positions_key(client, keys, engine):
    url, where = "/api/v1/crews/WATER-01/position", {"lon": 123.0, "lat": 41.05}
    answer = client.post(url, json=where)
    assert answer.status_code == 401 and error_of(answer)["code"] == "missing_api_key"
    for header in (keys("intake", "read", "transitions"), keys("intake", crew="WATER-02"),
                   keys("positions", crew="WATER-02"), keys("transitions", "positions", department="gas")):
        answer = client.post(url, json=where, headers=header)
        assert answer.status_code == 403 and error_of(answer)["code"] == "forbidden"
    for header in (keys("intake", crew="WATER-01"), keys("positions"), keys("positions", department="water")):
        assert client.post(url, json=where, headers=header).status_code == 202
    with engine.connect() as conn:
        denied = conn.scalar(text("SELECT count(*) FROM audit_log WHERE action = 'access_denied' AND actor = :a"),
                             {"a": f"api_key:{keys.names[0]}"})
    assert denied == 1


def test_a_department_key_cannot_move_another_departments_ticket(client, keys, engine, spot):
    water, lights = new_ticket(spot, "water_leak"), new_ticket(spot, "streetlight")
    for ticket in (water, lights):
        svc.transition(ticket["number"], "dispatch", DESK)
    key = keys("transitions", "read", department=water["lead_department_code"])
    move = {"action": "accept"}
    answer = client.post(f"/api/v1/tickets/{lights['number']}/transitions", json=move, headers=key)
    assert answer.status_code == 403 and error_of(answer)["code"] == "forbidden"
    assert state_of(engine, lights["number"]) == "dispatched"
    answer = client.post(f"/api/v1/tickets/{water['number']}/transitions", json=move, headers=key)
    assert answer.status_code == 200 and answer.get_json()["ticket"]["state"] == "accepted"
    assert client.get(f"/api/v1/tickets/{lights['number']}", headers=key).status_code == 403
    listed = client.get("/api/v1/tickets?limit=100", headers=key).get_json()["tickets"]
    assert listed and all(t["lead_department_code"] == water["lead_department_code"]
                          or water["lead_department_code"] in (t["co_department_codes"] or []) for t in listed)
    tidy(water["number"], lights["number"])


def test_a_key_moves_nothing_without_transitions_and_reads_nothing_without_read(client, keys, engine, spot):
    ticket = new_ticket(spot)
    filer = keys()                                   # the defaults: intake and read
    answer = client.post(f"/api/v1/tickets/{ticket['number']}/transitions", json={"action": "dispatch"},
                         headers=filer)
    assert answer.status_code == 403 and state_of(engine, ticket["number"]) == "registered"
    mover = keys("transitions")
    assert client.get("/api/v1/tickets?limit=1", headers=mover).status_code == 403
    answer = client.post("/api/v1/tickets", json=ticket_body({"lat": spot["lat"], "lon": spot["lon"]}),
                         headers=mover)
    assert answer.status_code == 403                  # no intake: it may not file, not even as "api"
    answer = client.post(f"/api/v1/tickets/{ticket['number']}/transitions", json={"action": "dispatch"},
                         headers=mover)
    assert answer.status_code == 200
    assert events_of(engine, ticket["number"])[-1] == ("dispatch", keys.names[-1])
    assert audit_of(engine, "ticket_transition", f"ticket:{ticket['number']}") == [(f"api_key:{keys.names[-1]}",
                                                                                   "success")]
    tidy(ticket["number"])


def test_reads_through_the_api_are_audited_under_the_keys_name(client, keys, engine, spot):
    ticket = new_ticket(spot)
    reader = keys("read")
    assert client.get(f"/api/v1/tickets/{ticket['number']}", headers=reader).status_code == 200
    assert audit_of(engine, "ticket_read", f"ticket:{ticket['number']}") == [(f"api_key:{keys.names[-1]}",
                                                                             "success")]
    assert client.get(f"/api/v1/tickets?phone={ticket['citizen_phone']}", headers=reader).get_json()["tickets"]
    with engine.connect() as conn:
        listed = conn.scalar(text("SELECT count(*) FROM audit_log WHERE action = 'ticket_list_read' AND actor = :a"),
                             {"a": f"api_key:{keys.names[-1]}"})
    assert listed == 1
    tidy(ticket["number"])


def test_open311_files_only_with_a_key_holding_intake(client, keys, spot):
    form = {"service_code": "streetlight", "lat": str(spot["lat"]), "long": str(spot["lon"]),
            "description": "路灯不亮（权限测试）"}
    tracker = keys("positions")["X-API-Key"]
    answer = client.post("/open311/v2/requests.json", data={**form, "api_key": tracker})
    assert answer.status_code == 403 and "intake" in answer.get_data(as_text=True)
    answer = client.post("/open311/v2/requests.json", data={**form, "api_key": keys("intake")["X-API-Key"]})
    assert answer.status_code == 200
    tidy(answer.get_json()[0]["service_request_id"])


# ------------------------------------------------------------------------------------------------ CLI

def flask_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app:server", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def key_row(engine, name: str) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT scopes, department_code, crew_code FROM api_keys WHERE name = :n"),
                                 {"n": name}).mappings().one())


def test_create_api_key_takes_scopes_and_a_department_and_defaults_to_intake_and_read(engine):
    from geo.api_keys import delete_api_key
    plain, bound = unique("cli-key"), unique("cli-key")
    try:
        done = flask_cli("create-api-key", plain)
        assert done.returncode == 0 and done.stdout.strip().splitlines()[-1].startswith("td_")
        assert sorted(key_row(engine, plain)["scopes"]) == ["intake", "read"]
        done = flask_cli("create-api-key", bound, "--scope", "transitions", "--scope", "read",
                         "--department", "water")
        assert done.returncode == 0, done.stderr
        assert key_row(engine, bound) == {"scopes": ["read", "transitions"], "department_code": "water",
                                          "crew_code": None}
        for args, says in ((("--scope", "everything"), "everything"), (("--department", "nowhere"), "nowhere")):
            name = unique("cli-key")
            refused = flask_cli("create-api-key", name, *args)
            assert refused.returncode != 0 and says in refused.stderr
            with engine.connect() as conn:
                assert conn.scalar(text("SELECT count(*) FROM api_keys WHERE name = :n"), {"n": name}) == 0
    finally:
        with engine.begin() as conn:
            for name in (plain, bound):
                delete_api_key(conn, name)


# ------------------------------------------------------------------------------------------------ migration

def test_the_migration_gives_existing_keys_the_scopes_they_need(database_url):
    """Keys issued before 0010: a crew's key keeps filing, moving and reporting positions but reads no callers;
    an integration's key keeps filing, reading and moving tickets."""
    from tests.conftest import _admin, _with_db
    from geo.db import make_engine
    name = f"{database_url.rsplit('/', 1)[1]}_keys_{uuid.uuid4().hex[:8]}"
    admin = _admin(database_url)
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    url = _with_db(database_url, name)
    env = {"DATABASE_URL": url}
    try:
        migrate = [sys.executable, "-m", "alembic", "upgrade"]
        subprocess.run([*migrate, "0008"], cwd=ROOT, check=True, capture_output=True, env={**os.environ, **env})
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("""
                INSERT INTO departments (code, name, kind, resident_in_center) VALUES ('water', '供水', 'utility', false);
                INSERT INTO crews (code, name, department_code, kind, members, status, home_geom, geom)
                VALUES ('W1', '抢修一队', 'water', '网格员', 1, 'available',
                        ST_SetSRID(ST_MakePoint(123, 41), 4326), ST_SetSRID(ST_MakePoint(123, 41), 4326));
                INSERT INTO api_keys (name, key_hash, crew_code, active, created_at) VALUES
                    ('phone', 'h1', 'W1', true, now()), ('integration', 'h2', NULL, true, now())"""))
        subprocess.run([*migrate, "head"], cwd=ROOT, check=True, capture_output=True, env={**os.environ, **env})
        with engine.connect() as conn:
            scopes = {r.name: sorted(r.scopes) for r in conn.execute(text("SELECT name, scopes FROM api_keys"))}
        engine.dispose()
        assert scopes == {"phone": ["intake", "positions", "transitions"],
                          "integration": ["intake", "read", "transitions"]}
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
