"""Signing in and out in a real browser: each role's home page and shell, sign-out, refused pages and a refused
forged callback."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By

from harness.browser import console_errors, sign_in_as, wait_for_js
from harness.mapclick import wait_for_map
from harness.signing_in import make_user
from harness.waiting import wait_until


def shell_text(driver) -> str:
    return wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, ".shell")
                      and driver.find_element(By.CSS_SELECTOR, ".shell").text, "the shell", seconds=60)


def test_a_dispatcher_signs_in_sees_the_map_with_their_shell_and_signs_out(app_url, browser):
    username, password = make_user("dispatcher")
    browser.get(app_url + "/")
    assert "/login" in browser.current_url                       # nobody is sent to sign in first
    assert browser.find_element(By.TAG_NAME, "h1").text == "铁东区 96715 指挥中心"
    browser.find_element(By.ID, "username").send_keys(username)
    browser.find_element(By.ID, "password").send_keys("not-the-password")
    browser.find_element(By.ID, "login-submit").click()
    assert "用户名或密码不正确" in browser.find_element(By.ID, "login-error").text
    browser.find_element(By.ID, "password").send_keys(password)
    browser.find_element(By.ID, "login-submit").click()
    wait_until(lambda: browser.current_url.rstrip("/") == app_url, "the dispatcher's home page")
    wait_for_map(browser)
    shell = shell_text(browser)
    assert "调度员 演示" in shell and "调度员" in shell
    links = [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".shell-nav a")]
    assert links == ["指挥地图", "大屏", "工单列表"]               # only the dispatcher's pages
    assert "shell-chip" in browser.find_element(By.CSS_SELECTOR, ".shell").get_attribute("class")
    assert console_errors(browser) == []                          # the CSP lets the map and Dash run
    browser.find_element(By.ID, "shell-signout").click()
    wait_until(lambda: "/login" in browser.current_url, "the sign-in page after signing out")
    assert "您已退出登录" in browser.page_source
    browser.get(app_url + "/wall")
    assert "/login?next=/wall" in browser.current_url


def test_an_operator_lands_on_the_hotline_and_is_refused_at_analytics(app_url, browser):
    username, password = make_user("operator")
    sign_in_as(browser, app_url, username, password, next_path="/")      # "/" is not theirs: home instead
    wait_until(lambda: browser.current_url.endswith("/hotline"), "the operator's home page")
    wait_for_js(browser, "return !!document.getElementById('hotline-phone');", what="the hotline form")
    shell = shell_text(browser)
    assert "话务员 演示" in shell and "退出" in shell and "修改密码" in shell
    assert [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".shell-nav a")] == ["受理登记", "工单列表"]
    browser.get(app_url + "/analytics")
    assert "无权访问此页面" in browser.find_element(By.TAG_NAME, "body").text
    assert "an-map" not in browser.page_source
    browser.get(app_url + "/hotline")
    wait_for_js(browser, "return !!document.getElementById('hotline-phone');", what="the hotline again")
    # A page may send the browser to a page of another role (a link): the router refuses it in the page too.
    browser.execute_script("window.history.pushState({}, '', '/analytics');"
                           "window.dispatchEvent(new PopStateEvent('popstate'));")
    wait_for_js(browser, "return document.body.innerText.includes('无权访问此页面');", what="the refusal")
    assert not browser.find_elements(By.ID, "an-map")
    errors = [e for e in console_errors(browser) if "403" not in e]
    assert errors == []


def test_the_wall_keeps_its_full_screen_with_a_faint_mark(app_url, browser):
    username, password = make_user("wall")
    browser.set_window_size(1920, 1080)
    sign_in_as(browser, app_url, username, password, next_path="/wall")
    wait_for_js(browser, "return !!document.getElementById('wall-tiles') && "
                         "document.getElementById('wall-tiles').innerText.length > 0;", what="the wall", seconds=60)
    mark = browser.find_element(By.CSS_SELECTOR, ".shell")
    assert "shell-mark" in mark.get_attribute("class") and not browser.find_elements(By.CSS_SELECTOR, ".shell-nav")
    assert mark.size["height"] < 30
    assert console_errors(browser) == []


# Each role's landing and links as the README's table of users and roles says (written out by hand: this is the
# spec the policy must meet, not a copy of it). None: the wall's faint mark, which has no links at all.
ROLE_SHELLS = [
    ("leader", "/analytics", ["指挥地图", "大屏", "领导驾驶舱", "工单列表", "矛盾调处", "稳评", "民主恳谈", "社会力量",
                              "信访"]),
    ("wall", "/wall", None),
    ("supervisor", "/", ["指挥地图", "领导驾驶舱", "工单列表", "审计日志", "矛盾调处", "稳评", "社会力量", "信访", "督办"]),
    ("admin", "/admin", ["审计日志", "民主恳谈", "系统管理"]),
    ("department", "/work", ["承办工作台"]),
]


def sign_in_at_login(driver, app_url: str, username: str, password: str) -> None:
    """Sign in from a bare /login (no ``next``), as a person who typed the address would."""
    driver.get(app_url + "/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    wait_until(lambda: "/login" not in driver.current_url, "the sign-in", seconds=30)


def path_of(driver) -> str:
    return urlsplit(driver.current_url).path


@pytest.mark.parametrize("role, home, links", ROLE_SHELLS, ids=[r for r, _, _ in ROLE_SHELLS])
def test_each_role_lands_on_its_home_page_with_only_its_links_and_signs_out(app_url, browser, role, home, links):
    username, password = make_user(role)
    sign_in_at_login(browser, app_url, username, password)
    assert path_of(browser) == home
    wait_for_js(browser, "return !!document.getElementById('shell-user');", what=f"the {role}'s shell")
    assert browser.find_element(By.ID, "shell-user").get_attribute("title") == username
    if links is None:
        assert not browser.find_elements(By.CSS_SELECTOR, ".shell-nav")
    else:
        assert [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".shell-nav a")] == links
    assert console_errors(browser) == []
    browser.find_element(By.ID, "shell-signout").click()
    wait_until(lambda: path_of(browser) == "/login", "the sign-in page after signing out")
    assert "您已退出登录" in browser.find_element(By.TAG_NAME, "body").text
    browser.get(app_url + home)
    assert path_of(browser) == "/login"                              # the session is over


@pytest.mark.parametrize("role, page", [("leader", "/hotline"), ("wall", "/analytics")])
def test_a_page_of_another_role_answers_a_refusal_in_chinese_with_the_way_home(app_url, browser, role, page):
    username, password = make_user(role)
    sign_in_at_login(browser, app_url, username, password)
    home = path_of(browser)
    browser.get(app_url + page)
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "无权访问此页面" in body and "不能打开这个页面" in body
    assert browser.execute_script("return document.documentElement.lang") == "zh-CN"
    assert not browser.find_elements(By.ID, "hotline-phone") and not browser.find_elements(By.ID, "an-map")
    browser.find_element(By.LINK_TEXT, "返回我的首页").click()
    wait_until(lambda: path_of(browser) == home, "the way home from the refusal")


# A callback of the hotline page (the caller's history: names and phones), as a page's script would send it,
# with the session's own CSRF token: only the rights can refuse it.
FORGED_HISTORY = """
const done = arguments[arguments.length - 1];
const token = document.cookie.split('; ').find(c => c.startsWith('_csrf_token=')).split('=')[1];
fetch('/_dash-update-component', {method: 'POST', credentials: 'same-origin',
  headers: {'Content-Type': 'application/json', 'X-CSRFToken': token},
  body: JSON.stringify({output: 'hotline-history.children',
                        outputs: {id: 'hotline-history', property: 'children'},
                        inputs: [{id: 'hotline-phone', property: 'value', value: arguments[0]}],
                        changedPropIds: ['hotline-phone.value'], state: []})})
  .then(r => r.text().then(t => done([r.status, t])), e => done([0, String(e)]));
"""


def test_a_dispatchers_forged_callback_of_the_hotline_is_refused(app_url, browser):
    username, password = make_user("dispatcher")
    sign_in_at_login(browser, app_url, username, password)
    wait_for_map(browser)
    status, body = browser.execute_async_script(FORGED_HISTORY, "13800000000")
    assert status == 403, body[:300]
    assert json.loads(body)["error"]["code"] == "forbidden"
    # The same request from the operator's own page runs: the refusal is the dispatcher's, not the request's.
    browser.find_element(By.ID, "shell-signout").click()
    wait_until(lambda: path_of(browser) == "/login", "signing out")
    sign_in_at_login(browser, app_url, *make_user("operator"))
    wait_for_js(browser, "return !!document.getElementById('hotline-phone');", what="the hotline form")
    status, body = browser.execute_async_script(FORGED_HISTORY, "13800000000")
    assert status == 200, body[:300]


def test_the_leaders_view_sits_under_the_shell_and_links_only_the_supervisors_pages(app_url, browser):
    """/analytics is its own fixed scroll container: it used to cover the bar (no sign-out) and carry links of
    its own to the map and the wall, which a supervisor may not open."""
    username, password = make_user("supervisor")
    sign_in_at_login(browser, app_url, username, password)
    browser.get(app_url + "/analytics")
    wait_for_js(browser, "return !!document.getElementById('an-kpis');", what="the leader's view")
    assert [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".shell-nav a")] == [
        "指挥地图", "领导驾驶舱", "工单列表", "审计日志", "矛盾调处", "稳评", "社会力量", "信访", "督办"]
    assert not browser.find_elements(By.CSS_SELECTOR, "a[href='/wall']")
    bar = browser.find_element(By.CSS_SELECTOR, ".shell-bar").rect
    page = browser.find_element(By.CSS_SELECTOR, ".analytics-page").rect
    assert page["y"] >= bar["y"] + bar["height"] - 1
    assert browser.find_element(By.ID, "shell-signout").is_displayed()
