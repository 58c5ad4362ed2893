"""Headless Chromium as this machine runs it (Debian chromium + chromium-driver), for tests and screenshots."""
from __future__ import annotations

import shutil
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.waiting import wait_until

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


# Chromium's own notes about software WebGL are warnings about this machine, not errors of the page.
IGNORED_CONSOLE = ("GPU stall due to ReadPixels", "software WebGL")


def console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" and not any(s in e["message"] for s in IGNORED_CONSOLE)]


def wait_for_js(driver, script: str, *args, seconds: float = 30, what: str | None = None):
    """Run ``script`` in the page until it returns something truthy, and return that."""
    return wait_until(lambda: driver.execute_script(script, *args), what or script, seconds=seconds, step=0.2)
