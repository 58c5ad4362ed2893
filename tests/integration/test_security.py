"""Sign-in, the gate, CSRF, rate limits, headers and the audit log, against the real app, PostGIS and Redis."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid

import pytest
from sqlalchemy import text

from harness.signing_in import csrf_headers, make_user, sign_in, signed_in_client
from services import identity
from settings import get_settings
from tests.conftest import ROOT
from tests.integration.dash_requests import ROUTER, callback_body, router_body
from harness.signing_in import csrf_headers, make_user, sign_in, signed_in_client
from workorders.policy import system_principal as sp


@pytest.fixture(scope="module")
def app(engine):
    from app import app as dash_app
    dash_app.server.test_client().get("/healthz")     # Dash registers its page router at the first request
    return dash_app


@pytest.fixture(scope="module")
def server(app):
    return app.server


@pytest.fixture
def address():
    """A client address of its own per test: rate limits and address waits count per address."""
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"


def client_at(server, address: str):
    client = server.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


@pytest.fixture
def client(server, address):
    return client_at(server, address)


def audit_rows(engine, target: str) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT action, outcome, actor FROM audit_log WHERE target = :t ORDER BY id"), {"t": target})]


# ------------------------------------------------------------------------------------------------ sign-in

def test_a_form_sign_in_answers_a_redirect_to_the_home_page_and_an_http_only_session_cookie(client):
    username, password = make_user("operator")
    answer = client.post("/login", data={"username": username, "password": password})
    assert answer.status_code == 303 and answer.headers["Location"] == "/hotline"
    cookies = answer.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("td_session="))
    assert "HttpOnly" in session and "SameSite=Lax" in session and "Expires" not in session
    assert client.get("/hotline").status_code == 200


def test_next_is_followed_only_to_a_page_of_this_site_the_user_may_open(server):
    username, password = make_user("operator")
    for next_path, landing in (("/hotline?channel=letter", "/hotline?channel=letter"), ("//evil.example/", "/hotline"),
                               ("https://evil.example/", "/hotline"), ("/analytics", "/hotline")):
        client = server.test_client()
        answer = client.post("/login", data={"username": username, "password": password, "next": next_path})
        assert answer.headers["Location"] == landing, next_path


def test_wrong_password_unknown_user_and_disabled_user_are_refused_alike_and_audited(client, engine):
    username, password = make_user("leader")
    for name, word in ((username, "wrong-password"), (f"nobody-{uuid.uuid4().hex[:6]}", "whatever-it-is")):
        answer = client.post("/login", data={"username": name, "password": word})
        assert answer.status_code == 200 and "用户名或密码不正确" in answer.get_data(as_text=True)
        assert client.get("/analytics").status_code == 302             # still nobody
    identity.disable_user(username, by="test")
    answer = client.post("/login", data={"username": username, "password": password})
    assert answer.status_code == 200 and "已停用" in answer.get_data(as_text=True)
    assert audit_rows(engine, f"user:{username}") == [
        ("user_created", "success", "test"), ("sign_in_failed", "failure", username),
        ("user_disabled", "success", "test"), ("sign_in_failed", "failure", username)]


def test_sign_in_sign_out_and_a_refused_page_are_in_the_audit_log(client, engine):
    username, password = make_user("operator")
    sign_in(client, username, password)
    assert client.get("/analytics").status_code == 403
    assert client.post("/logout", data={"csrf_token": client.get_cookie("_csrf_token").value}).status_code == 303
    assert client.get("/hotline").status_code == 302
    rows = audit_rows(engine, f"user:{username}") + audit_rows(engine, "page:/analytics")[-1:]
    assert [r[:2] for r in rows] == [("user_created", "success"), ("sign_in", "success"), ("sign_out", "success"),
                                     ("access_denied", "denied")]
    with engine.connect() as conn:
        where = conn.execute(text("SELECT address, user_agent FROM audit_log WHERE target = :t AND action = 'sign_in'"),
                             {"t": f"user:{username}"}).one()
    assert where[0].startswith("10.") and where[1]


def test_repeated_failures_lock_the_account_even_for_the_right_password_and_the_lock_outlives_the_app(
        client, monkeypatch):
    monkeypatch.setattr(get_settings(), "login_max_failures", 3)
    username, password = make_user("dispatcher")
    for _ in range(2):
        assert client.post("/login", data={"username": username, "password": "not-it-at-all"}).status_code == 200
    locked = client.post("/login", data={"username": username, "password": "not-it-at-all"})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 60
    assert "锁定" in locked.get_data(as_text=True)
    assert client.post("/login", data={"username": username, "password": password}).status_code == 429
    # Another process (a restarted app) sees the same lock: it lives in Redis.
    probe = subprocess.run([sys.executable, "-c", (
        "from services import identity\n"
        f"try:\n    identity.authenticate({username!r}, {password!r}, '192.0.2.1')\n"
        "except identity.SignInRefused as r:\n    print(r.reason)")], cwd=ROOT, capture_output=True, text=True,
        env=os.environ, timeout=120)
    assert probe.stdout.strip() == "account_locked", probe.stderr
    identity.set_password(username, "a-new-password-1", by="test")       # an administrator's reset lifts it
    sign_in(client, username, "a-new-password-1")


def test_an_address_guessing_many_names_has_to_wait(client, monkeypatch):
    monkeypatch.setattr(get_settings(), "login_address_failures", 3)
    answers = [client.post("/login", data={"username": f"guess-{i}-{uuid.uuid4().hex[:4]}", "password": "x" * 12})
               for i in range(4)]
    assert [a.status_code for a in answers[:3]] == [200, 200, 429]
    assert answers[3].status_code == 429 and "频繁" in answers[3].get_data(as_text=True)
    assert int(answers[3].headers["Retry-After"]) >= 1


def test_changing_ones_password_keeps_this_session_and_ends_the_others(server, engine):
    username, password = make_user("supervisor")
    here, elsewhere = server.test_client(), server.test_client()
    sign_in(here, username, password)
    sign_in(elsewhere, username, password)

    def change(current: str, new: str) -> str:
        body = callback_body("..account-result.children...account-current.value...account-new.value..."
                             "account-repeat.value..", [{"id": "account-submit", "property": "n_clicks", "value": 1}])
        body["state"] = [{"id": "account-current", "property": "value", "value": current},
                         {"id": "account-new", "property": "value", "value": new},
                         {"id": "account-repeat", "property": "value", "value": new}]
        answer = here.post("/_dash-update-component", json=body, headers=csrf_headers(here))
        assert answer.status_code == 200
        return json.dumps(answer.get_json(), ensure_ascii=False)

    assert "当前密码不正确" in change("not-the-current-one", "another-password-3")
    assert "密码已修改" in change(password, "brand-new-password-2")
    assert here.get("/audit").status_code == 200
    assert elsewhere.get("/audit").status_code == 302
    assert [r[:2] for r in audit_rows(engine, f"user:{username}") if r[0] == "password_changed"] == [
        ("password_changed", "failure"), ("password_changed", "success")]
    sign_in(server.test_client(), username, "brand-new-password-2")


def test_an_idle_session_ends_but_the_walls_kiosk_session_does_not(server, engine):
    office, wall = signed_in_client(server, "leader"), server.test_client()
    wall_user, wall_password = make_user("wall")
    wall_answer = wall.post("/login", data={"username": wall_user, "password": wall_password})
    assert "Expires=" in next(c for c in wall_answer.headers.getlist("Set-Cookie") if c.startswith("td_session="))
    idle = time.time() - get_settings().session_idle_minutes * 60 - 5
    for client in (office, wall):
        with client.session_transaction() as session:
            session["seen"] = int(idle)
    expired = office.get("/analytics")
    assert expired.status_code == 302 and expired.headers["Location"].startswith("/login?next=/analytics")
    assert office.get("/login").status_code == 200
    assert wall.get("/wall").status_code == 200
    assert audit_rows(engine, f"user:{wall_user}")[-1][0] == "sign_in"


def test_timer_ticks_do_not_keep_a_session_alive(server):
    from security import sessions
    client = signed_in_client(server, "wall", "leader")
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - 120
    tick = callback_body("..wall-tiles.children...wall-categories.children...wall-streets.children...wall-hours.children...wall-crews.children...wall-overdue.children...wall-at-risk.children...wall-ticker.children..",
                         [{"id": "wall-tick", "property": "n_intervals", "value": 5}])
    assert client.post("/_dash-update-component", json=tick, headers=csrf_headers(client)).status_code == 200
    with client.session_transaction() as session:
        assert session["seen"] <= int(time.time()) - 120 + 1
    assert sessions.SEEN_RESOLUTION_S < 120


# ------------------------------------------------------------------------------------------------ the CLI

def test_create_user_prints_the_password_on_its_last_line_and_it_signs_in(server):
    name = f"cli-{uuid.uuid4().hex[:6]}"
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app:server", "create-user", name,
                           "--role", "operator", "--role", "leader"], cwd=ROOT, capture_output=True, text=True,
                          env=os.environ, timeout=180)
    assert done.returncode == 0, done.stderr
    password = done.stdout.strip().splitlines()[-1]
    client = server.test_client()
    answer = client.post("/login", data={"username": name, "password": password})
    assert answer.status_code == 303 and answer.headers["Location"] == "/hotline"


@pytest.mark.parametrize("args, message", [
    (["--role", "boss"], "未知角色 boss"),
    ([], "至少需要一个角色"),
    (["--role", "department"], "department 需要 --department"),
    (["--role", "department", "--department", "no-such-unit"], "没有承办单位 'no-such-unit'"),
    (["--role", "grid_worker", "--crew", "NO-CREW"], "没有处置力量 'NO-CREW'"),
    (["--role", "street", "--street", "000"], "没有街道 '000'"),
])
def test_create_user_refuses_in_one_line_and_writes_nothing(server, engine, args, message):
    name = f"cli-{uuid.uuid4().hex[:6]}"
    result = server.test_cli_runner().invoke(args=["create-user", name, *args])
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM users WHERE username = :n"), {"n": name}) == 0
        assert conn.scalar(text("SELECT count(*) FROM audit_log WHERE target = :t"), {"t": f"user:{name}"}) == 0


def test_set_password_and_disable_user_from_the_cli(server):
    username, old = make_user("leader")
    runner = server.test_cli_runner()
    result = runner.invoke(args=["set-password", username])
    assert result.exit_code == 0
    new = result.output.strip().splitlines()[-1]
    client = server.test_client()
    assert "用户名或密码不正确" in client.post("/login", data={"username": username, "password": old}).get_data(
        as_text=True)
    assert client.post("/login", data={"username": username, "password": new}).status_code == 303
    assert runner.invoke(args=["disable-user", username]).exit_code == 0
    assert client.get("/analytics").status_code == 302              # its session ended
    missing = runner.invoke(args=["disable-user", "nobody-at-all"])
    assert missing.exit_code != 0 and "没有用户 nobody-at-all" in missing.output


def test_demo_users_are_one_per_role_with_the_same_names_and_passwords_kept_between_runs(server, tmp_path,
                                                                                       monkeypatch):
    run = uuid.uuid4().hex[:6]
    monkeypatch.setattr(identity, "DEMO_USERS", tuple((role, f"{name}-{run}", display)
                                                      for role, name, display in identity.DEMO_USERS))
    monkeypatch.setattr(get_settings(), "var_dir", tmp_path)
    first = server.test_cli_runner().invoke(args=["demo-users"])
    second = server.test_cli_runner().invoke(args=["demo-users"])
    assert first.exit_code == 0 and second.exit_code == 0
    rows = [line.split() for line in first.output.strip().splitlines()[1:]]
    assert sorted(r[0] for r in rows) == sorted(identity.ROLES)
    kept = json.loads((tmp_path / "demo-users.json").read_text())
    for role, _name, username, password in rows:
        assert kept[username] == password
        client = server.test_client()
        assert client.post("/login", data={"username": username, "password": password}).status_code == 303, role
    assert second.output == first.output


# ------------------------------------------------------------------------------------------------ the gate

# Example values for the variables of a route's path, so that every route can be called.
EXAMPLES = {"fmt": "json", "path": "hotline", "number": "20260101-000001", "token": "x", "code": "WATER-01",
            "fontstack": "Open Sans", "start": "0", "end": "255", "filename": "shell.css", "package_name": "dash",
            "fingerprinted_path": "dash.js", "rest": "x", "anything": "x", "service_code": "water",
            "service_request_id": "1", "supervision_id": "1", "extension_id": "1",
            "photo_id": "0123456789abcdef0123456789abcdef", "ext": "jpg"}


def every_route(server):
    for rule in server.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: EXAMPLES[m.group(1)], rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, path


def test_every_route_and_every_page_has_a_rule(app, server):
    from security.gate import endpoint_rule
    from security.limits import HTTP_LIMITS
    from workorders.policy import PAGES
    unruled = sorted({endpoint for endpoint, _, _ in every_route(server) if endpoint_rule(endpoint) is None})
    assert unruled == []
    import dash
    pages = {p.get("path_template") or p["path"] for p in dash.page_registry.values()}
    assert pages - set(PAGES) == set()
    assert {e for e, _ in HTTP_LIMITS} <= {r.endpoint for r in server.url_map.iter_rules()}


def test_every_non_public_route_turns_nobody_away(app, server):
    """Built from the app's url_map: a new route without a rule in security/gate.py or the policy fails here."""
    from security.gate import endpoint_rule
    from security.pages import page_of_path
    from workorders.policy import PUBLIC, page_rule
    checked = 0
    for endpoint, method, path in every_route(server):
        rule = endpoint_rule(endpoint)
        if rule.kind in ("public", "api_key", "callback"):
            continue
        answer = getattr(server.test_client(), method.lower())("/" + path.lstrip("/"))
        if rule.kind == "page":
            page = page_of_path(app, "/" + path.lstrip("/"))
            if page_rule(page) == PUBLIC:
                continue
            assert answer.status_code == 302 and answer.headers["Location"].startswith("/login"), path
        else:
            assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "sign_in_required", path
        checked += 1
    assert checked >= 4


@pytest.mark.parametrize("path", ["/", "/wall", "/hotline", "/analytics", "/tickets/20260101-000001", "/audit",
                                  "/account", "/no-such-page"])
def test_every_private_page_redirects_nobody_to_sign_in_with_next(client, path):
    answer = client.get(path + "?x=1")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    if path != "/":
        assert f"next={path}" in answer.headers["Location"]


def test_every_server_callback_has_a_rule_and_only_public_ones_run_for_nobody(app, server):
    """Built from Dash's callback map: a new callback whose outputs belong to no known page fails here."""
    from security.gate import callback_pages
    from workorders.policy import PUBLIC, page_rule
    server_side = [k for k, v in app.callback_map.items() if v.get("callback") is not None]
    assert len(server_side) > 20 and ROUTER in server_side
    assert [k for k in server_side if callback_pages(k) is None] == []
    nobody = server.test_client()
    for key in server_side:
        pages = callback_pages(key)
        public = pages == "router" or all(page_rule(p) == PUBLIC for p in pages)
        answer = nobody.post("/_dash-update-component", json=callback_body(key))
        if public:
            assert answer.status_code not in (401, 403), key
        else:
            assert answer.status_code == 401, key


def test_the_page_router_gives_nobody_no_private_page_whatever_the_body_says(client):
    for path in ("/hotline", "/", "/tickets/20260101-000001", "/audit"):
        answer = client.post("/_dash-update-component", json=router_body(path))
        content = json.dumps(answer.get_json())
        assert answer.status_code == 200 and "/login" in content and "hotline-phone" not in content
    public = json.dumps(client.post("/_dash-update-component", json=router_body("/report")).get_json())
    assert "report-phone" in public


def test_a_signed_in_user_gets_only_the_pages_and_callbacks_of_their_role(server, engine):
    operator = signed_in_client(server, "operator")
    headers = csrf_headers(operator)
    history = callback_body("hotline-history.children", [{"id": "hotline-phone", "property": "value",
                                                          "value": "13800000000"}])
    assert operator.post("/_dash-update-component", json=history, headers=headers).status_code == 200
    wall = callback_body("..wall-tiles.children...wall-categories.children...wall-streets.children...wall-hours.children...wall-crews.children...wall-overdue.children...wall-at-risk.children...wall-ticker.children..")
    assert operator.post("/_dash-update-component", json=wall, headers=headers).status_code == 403
    analytics = json.dumps(operator.post("/_dash-update-component", json=router_body("/analytics"),
                                         headers=headers).get_json(), ensure_ascii=False)
    assert "无权访问" in analytics and "an-map" not in analytics
    leader = signed_in_client(server, "leader")
    assert leader.post("/_dash-update-component", json=history, headers=csrf_headers(leader)).status_code == 403
    assert leader.get("/live/snapshot").status_code == 200 and operator.get("/live/snapshot").status_code == 403


def test_exports_and_the_audit_download_need_their_rights(server):
    supervisor, dispatcher = signed_in_client(server, "supervisor"), signed_in_client(server, "dispatcher")
    csv = supervisor.get("/audit/export.csv?action=sign_in")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    first = csv.data.decode("utf-8-sig").splitlines()[0]
    assert first.startswith("审计日志 · 导出人") and "导出时间" in first
    assert dispatcher.get("/audit/export.csv").status_code == 403
    assert dispatcher.get("/exports/statistics.csv").status_code == 403
    assert supervisor.get("/exports/statistics.csv").status_code == 200


# ------------------------------------------------------------------------------------------------ CSRF

def test_a_forged_cross_site_request_is_refused(server, engine):
    client = signed_in_client(server, "operator")
    history = callback_body("hotline-history.children", [{"id": "hotline-phone", "property": "value",
                                                          "value": "13800000000"}])
    good = dict(csrf_headers(client), Origin="http://localhost")
    assert client.post("/_dash-update-component", json=history, headers=good).status_code == 200
    forged = [dict(good, Origin="http://evil.example"), dict(good, Origin="null"),
              {"Origin": "http://localhost"},                                         # the token missing
              dict(good, **{"X-CSRFToken": "guessed"}),
              dict(csrf_headers(client), Referer="http://evil.example/page"),
              dict(csrf_headers(client), **{"Sec-Fetch-Site": "cross-site"})]
    for headers in forged:
        answer = client.post("/_dash-update-component", json=history, headers=headers)
        assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "cross_site_request", headers
    assert client.post("/logout").status_code == 403                                  # a form without the token
    assert client.post("/api/v1/tickets", json={}, headers={"Origin": "http://evil.example"}).status_code == 403
    nobody = server.test_client()
    username, password = make_user("leader")
    login = nobody.post("/login", data={"username": username, "password": password},
                        headers={"Origin": "http://evil.example"})
    assert login.status_code == 403                                                    # login CSRF
    with engine.connect() as conn:
        assert conn.scalar(text("""SELECT count(*) FROM audit_log WHERE action = 'access_denied'
                                   AND detail->>'reason' LIKE 'Origin: http://evil.example%'""")) >= 2


def test_an_api_client_without_a_browser_keeps_working_and_a_public_callback_needs_no_token(client):
    assert client.get("/api/v1/categories").status_code == 200
    track = callback_body("track-result.children", [
        {"id": "track-submit", "property": "n_clicks", "value": 1},
        {"id": "track-number", "property": "n_submit", "value": 0}])
    track["state"] = [{"id": "track-number", "property": "value", "value": "20260101-000001"}]
    assert client.post("/_dash-update-component", json=track, headers={"Origin": "http://localhost"}).status_code == 200


# ------------------------------------------------------------------------------------------------ rate limits

def _limited(answers) -> None:
    *first, last = answers
    assert all(a.status_code != 429 for a in first), [a.status_code for a in first]
    assert last.status_code == 429 and int(last.headers["Retry-After"]) >= 1


def test_rate_limits_answer_429_with_retry_after(server, monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(settings, "rate_limit_login", "3/minute")
    monkeypatch.setattr(settings, "rate_limit_anonymous_intake", "2/minute")
    monkeypatch.setattr(settings, "rate_limit_lookup", "2/minute")

    def fresh():
        return client_at(server, f"10.200.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}")

    login = fresh()
    _limited([login.post("/login", data={"username": f"rl-{i}", "password": "x" * 12}) for i in range(4)])
    anonymous = fresh()
    ticket = {"category": "sanitation", "description": "限流测试", "address": "胜利路"}
    _limited([anonymous.post("/api/v1/tickets", json=ticket) for _ in range(3)])
    assert anonymous.post("/api/v1/tickets", json=ticket, headers={"X-API-Key": "td_unknown"}).status_code == 401
    open311 = fresh()
    _limited([open311.post("/open311/v2/requests.json", data={"service_code": "x"}) for _ in range(3)])
    lookups = fresh()
    _limited([lookups.get("/open311/v2/requests/1.json"), lookups.post("/api/v1/evaluations/abc", json={}),
              lookups.get("/open311/v2/tokens/1.json")])


def test_the_public_callbacks_and_pages_that_look_things_up_are_limited(server, monkeypatch, address):
    monkeypatch.setattr(get_settings(), "rate_limit_lookup", "3/minute")
    monkeypatch.setattr(get_settings(), "rate_limit_anonymous_intake", "1/minute")
    client = client_at(server, address)
    track = callback_body("track-result.children", [{"id": "track-submit", "property": "n_clicks", "value": 1},
                                                    {"id": "track-number", "property": "n_submit", "value": 0}])
    track["state"] = [{"id": "track-number", "property": "value", "value": "20260101-000001"}]
    answers = [client.post("/_dash-update-component", json=track),
               client.post("/_dash-update-component", json=router_body("/track/20260101-000001"))]
    third = client.post("/_dash-update-component", json=router_body("/evaluate/abc"))
    assert "频繁" not in json.dumps(third.get_json(), ensure_ascii=False)
    page = client.post("/_dash-update-component", json=router_body("/track/20260101-000002"))
    assert page.status_code == 200 and "查询过于频繁" in json.dumps(page.get_json(), ensure_ascii=False)
    _limited(answers + [client.post("/_dash-update-component", json=track)])
    report = next(k for k in server.extensions["dash_app"].callback_map if k.startswith("..report-result-data.data"))
    first = client.post("/_dash-update-component", json=callback_body(report))
    second = client.post("/_dash-update-component", json=callback_body(report))
    assert first.status_code != 429 and second.status_code == 429 and second.headers["Retry-After"]


# ------------------------------------------------------------------------------------------------ headers

def test_only_allowed_host_names_are_answered(server):
    client = server.test_client()
    for host in ("127.0.0.1:8050", "localhost", "localhost:8050"):
        assert client.get("/login", headers={"Host": host}).status_code == 200, host
    for host in ("evil.example", "evil.example:8050", "127.0.0.1.evil.example", "localhost.evil.example"):
        assert client.get("/login", headers={"Host": host}).status_code == 400, host


def test_pages_carry_a_content_security_policy_with_dashs_inline_script_hashes_and_no_framing(app, client):
    answer = client.get("/report")
    policy = answer.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and answer.headers["X-Frame-Options"] == "DENY"
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert all(h in policy for h in app.csp_hashes()) and "worker-src 'self' blob:" in policy
    page = re.sub(r"<!--.*?-->", "", answer.get_data(as_text=True), flags=re.S)    # IE's conditional comment
    inline = re.findall(r"<script(?: id=\"_dash-renderer\" type=\"application/javascript\")?>(.*?)</script>",
                        page, re.S)
    assert inline
    import base64
    import hashlib
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy


def test_a_request_body_over_the_limit_is_refused_whatever_the_route(client, server, monkeypatch):
    monkeypatch.setattr(get_settings(), "max_request_bytes", 1000)
    big = json.dumps({"output": "track-result.children", "pad": "x" * 2000})
    assert client.post("/_dash-update-component", data=big, content_type="application/json").status_code == 413
    assert client.post("/login", data={"username": "x", "password": "y" * 2000}).status_code == 413
    assert client.post("/open311/v2/requests.json", data={"description": "y" * 2000}).status_code == 413


def test_a_chunked_body_over_the_limit_is_cut_off_too(database_url):
    """Through a real server: a body without Content-Length is counted as it arrives."""
    import http.client
    from harness.servers import free_port, start_app
    port = free_port()
    proc = start_app(database_url, port, {"MAX_REQUEST_BYTES": "2000", "RUN_RELAY_IN_APP": "false"})
    try:
        for path in ("/_dash-update-component", "/api/v1/tickets", "/login"):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.putrequest("POST", path)
            conn.putheader("Content-Type", "application/json" if "login" not in path
                           else "application/x-www-form-urlencoded")
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            for _ in range(10):
                chunk = b"x" * 1000
                conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            conn.send(b"0\r\n\r\n")
            assert conn.getresponse().status == 413, path
            conn.close()
    finally:
        proc.terminate()
        proc.wait(15)


def test_production_without_a_secret_key_does_not_start(tmp_path):
    env = {**os.environ, "APP_ENV": "production", "SECRET_KEY": "", "VAR_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", "import app"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode != 0 and "SECRET_KEY is not set" in done.stderr
    assert not (tmp_path / "secret_key").exists()


def test_development_keeps_its_generated_key_between_starts(tmp_path):
    env = {**os.environ, "APP_ENV": "development", "SECRET_KEY": "", "VAR_DIR": str(tmp_path)}
    show = "from security.sessions import secret_key; print(secret_key())"
    keys = [subprocess.run([sys.executable, "-c", show], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=60).stdout.strip() for _ in range(2)]
    assert keys[0] == keys[1] and len(keys[0]) >= 48
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"


# ------------------------------------------------------------------------------------------------ audit log

def test_the_audit_log_refuses_update_delete_and_truncate(engine):
    from services import audit
    entry = audit.record("test_entry", actor="tester", target="audit:append-only")
    for statement in ("UPDATE audit_log SET outcome = 'failure' WHERE id = :id", "DELETE FROM audit_log WHERE id = :id",
                      "TRUNCATE audit_log"):
        with pytest.raises(Exception) as refused:
            with engine.begin() as conn:
                conn.execute(text(statement), {"id": entry})
        assert "append-only" in str(refused.value)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT outcome FROM audit_log WHERE id = :id"), {"id": entry}) == "success"


def test_the_audit_page_and_its_filters_work_for_an_administrator(server):
    admin = signed_in_client(server, "admin")
    page = admin.post("/_dash-update-component", json=router_body("/audit"), headers=csrf_headers(admin))
    assert page.status_code == 200 and "审计日志" in json.dumps(page.get_json(), ensure_ascii=False)
    search = callback_body("..audit-results.children...audit-export.href...audit-error.children..",
                           [{"id": "audit-search", "property": "n_clicks", "value": 1},
                            {"id": "audit-actor", "property": "n_submit", "value": 0},
                            {"id": "audit-target", "property": "n_submit", "value": 0}])
    search["state"] = [{"id": f"audit-{k}", "property": "value", "value": v} for k, v in
                       (("since", "2020-01-01"), ("until", ""), ("actor", ""), ("action", "sign_in"),
                        ("outcome", "success"), ("target", ""))]
    answer = admin.post("/_dash-update-component", json=search, headers=csrf_headers(admin)).get_json()
    assert "/audit/export.csv?since=2020-01-01&action=sign_in&outcome=success" in json.dumps(answer)
    assert "登录" in json.dumps(answer, ensure_ascii=False)
    search["state"][1]["value"] = "2019-01-01"
    bad = admin.post("/_dash-update-component", json=search, headers=csrf_headers(admin)).get_json()
    assert "结束日期早于开始日期" in json.dumps(bad, ensure_ascii=False)


def test_the_map_is_read_only_for_a_leader_the_panel_refuses_to_dispatch(server, engine):
    from services.tickets import NewTicket, create_ticket
    with engine.connect() as conn:
        grid = conn.scalar(text("SELECT code FROM grids ORDER BY code LIMIT 1"))
    ticket = create_ticket(NewTicket(channel="hotline", category="sanitation", description="只读地图测试",
                                     grid_code=grid), sp("测试")).ticket
    button = {"crew": "WATER-01", "ticket": ticket["number"], "type": "assign-crew"}
    body = callback_body("..grid-panel-body.children...grid-panel.className...grid-panel-state.data..")
    body["inputs"] = [{"id": "command-map", "property": "clickData", "value": None},
                      {"id": "live-selected-ticket", "property": "data", "value": None}, [],
                      [{"id": button, "property": "n_clicks", "value": 1}],
                      {"id": "grid-panel-close", "property": "n_clicks", "value": None}]
    body["state"] = [{"id": "grid-panel-state", "property": "data", "value": {"grid": grid, "selected": None}}]
    body["changedPropIds"] = [json.dumps(button, separators=(",", ":"), sort_keys=True) + ".n_clicks"]
    leader = signed_in_client(server, "leader")
    answer = leader.post("/_dash-update-component", json=body, headers=csrf_headers(leader))
    assert answer.status_code == 200 and "没有权限：派单" in json.dumps(answer.get_json(), ensure_ascii=False)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT state FROM tickets WHERE number = :n"), {"n": ticket["number"]}) == "registered"


def test_limits_and_sign_in_fail_open_while_redis_is_unreachable(server, monkeypatch, address):
    """Intake goes on through a Redis outage: the counters being away must not turn a report into a 500, nor
    keep staff from signing in (the e2e outage test found both after sign-in landed)."""
    from harness.servers import free_port
    monkeypatch.setattr(get_settings(), "redis_url", f"redis://127.0.0.1:{free_port()}/0")   # nobody listens
    client = client_at(server, address)
    ticket = {"category": "sanitation", "description": "Redis 中断时的匿名上报", "address": "胜利路"}
    assert client.post("/api/v1/tickets", json=ticket).status_code == 201
    username, password = make_user("dispatcher")
    assert client.post("/login", data={"username": username, "password": password}).status_code == 303
