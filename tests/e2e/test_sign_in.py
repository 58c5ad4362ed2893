"""Signing in and out in a real browser: the role's home page and shell, a refused page, the idle timeout."""
from __future__ import annotations

from selenium.webdriver.common.by import By

from tests.e2e.browser import console_errors, sign_in_as, wait_for_js
from tests.e2e.mapclick import wait_for_map
from tests.signing_in import make_user
from tests.waiting import wait_until


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
    assert links == ["指挥地图", "大屏"]                           # only the dispatcher's pages
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
    assert [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".shell-nav a")] == ["受理登记"]
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
