"""Headless Chromium as this machine runs it (Debian chromium + chromium-driver), for tests, bench and screenshots."""
from __future__ import annotations

import shutil
import tempfile

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service

from harness.waiting import wait_until

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--lang=zh-CN"]


def start_chromium(width: int = 1600, height: int = 1000, extra_flags: tuple[str, ...] = ()) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    for flag in extra_flags:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    return webdriver.Chrome(options=options, service=service)


def exact_viewport(driver, width: int, height: int) -> None:
    """The page gets exactly ``width`` × ``height`` CSS pixels (a wall screen's), whatever the window's
    decorations would take (a headless 1920×1080 window leaves the page 937 px high)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})


# Chromium's own notes about software WebGL are warnings about this machine, not errors of the page.
IGNORED_CONSOLE = ("GPU stall due to ReadPixels", "software WebGL")


def console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" and not any(s in e["message"] for s in IGNORED_CONSOLE)]


def wait_for_js(driver, script: str, *args, seconds: float = 30, what: str | None = None):
    """Run ``script`` in the page until it returns something truthy, and return that."""
    return wait_until(lambda: driver.execute_script(script, *args), what or script, seconds=seconds, step=0.2)


def wait_in_page(condition, what: str = "the page", seconds: float = 20):
    """``wait_until`` for a condition that reads the page: an element that a re-render replaced between finding it
    and reading it means "not yet", not a failure."""
    return wait_until(condition, what, seconds=seconds, step=0.2, ignoring=WebDriverException)


def sign_in_as(driver, base_url: str, username: str, password: str, next_path: str = "/account") -> None:
    """Sign in through the /login form, as a person would, and land on ``next_path``."""
    from selenium.webdriver.common.by import By
    driver.get(f"{base_url}/login?next={next_path}")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    wait_until(lambda: "/login" not in driver.current_url, "the sign-in", seconds=30)


def sign_in(driver, base_url: str, *roles: str, next_path: str = "/account") -> str:
    """A new user holding ``roles`` (made through the identity service), signed in; returns the username. The
    page landed on must load without a console error (its messages are read, so the test starts afresh)."""
    from harness.signing_in import make_user     # here: screenshots of any site import this module without the services
    username, password = make_user(*roles)
    sign_in_as(driver, base_url, username, password, next_path)
    wait_for_js(driver, "return !!document.getElementById('shell-user');", what="the signed-in shell")
    assert console_errors(driver) == []
    return username


def carry_session(driver, base_url: str, cookie_header: str) -> None:
    """Give a fresh browser an existing session (``harness.signing_in.session_cookie``) without loading any page of
    the app's own (a benchmark's first paint must start with a cold cache)."""
    driver.get(base_url + "/healthz")
    for part in cookie_header.split("; "):
        name, _, value = part.partition("=")
        driver.add_cookie({"name": name, "value": value, "path": "/"})
