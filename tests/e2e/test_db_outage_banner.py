"""The dashboard in headless Chromium while PostgreSQL is cut (its DATABASE_URL through tests/tcp_proxy.py): a
callback that cannot reach the database shows the 数据连接中断 banner, never a stack trace or a page that silently
stops changing; when the database is back the banner goes by itself and the page works again.

Before the banner, a callback raising answered 500 and Dash (debug off) showed nothing: the search box simply
did nothing."""
from __future__ import annotations

import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sqlalchemy.engine import make_url

from harness.browser import console_errors, sign_in, start_chromium, wait_in_page
from harness.servers import free_port, start_app, stop
from services.outages import BANNER
from tests.tcp_proxy import TcpProxy

BANNER_ID, SEARCH, TOTAL = "shell-outage", "tickets-text", "tickets-total"


@pytest.fixture(scope="module")
def proxy(engine, database_url):
    with TcpProxy(make_url(database_url).port or 5432) as tcp:
        yield tcp


@pytest.fixture(scope="module")
def outage_app(proxy, database_url):
    port = free_port()
    proc = start_app(proxy.url(database_url), port, {"RUN_RELAY_IN_APP": "false"})
    yield f"http://127.0.0.1:{port}"
    stop(proc)


@pytest.fixture
def operator(outage_app, proxy):
    driver = start_chromium(1400, 900)
    sign_in(driver, outage_app, "operator", next_path="/tickets")
    yield driver
    driver.quit()
    proxy.restore()


def search(driver, words: str) -> None:
    box = driver.find_element(By.ID, SEARCH)
    box.clear()
    box.send_keys(words, Keys.ENTER)


def banner_shown(driver) -> bool:
    return driver.find_element(By.ID, BANNER_ID).is_displayed()


def test_a_cut_shows_the_banner_and_restoring_takes_it_away(outage_app, proxy, operator):
    wait_in_page(lambda: operator.find_element(By.ID, TOTAL).text, "the ticket list")
    assert not banner_shown(operator)

    proxy.cut("reset")
    search(operator, f"断库{uuid.uuid4().hex[:4]}")            # a person acts: the callback cannot read the database
    wait_in_page(lambda: banner_shown(operator), "the 数据连接中断 banner")
    assert operator.find_element(By.ID, BANNER_ID).text.strip().endswith(BANNER)
    page = operator.find_element(By.TAG_NAME, "body").text
    assert "Traceback" not in page and "Internal Server Error" not in page
    # The browser logs the refused callback (its 503, and Dash's renderer logging the failed request) and nothing
    # else: no script of ours broke.
    errors = console_errors(operator)
    assert errors and all("status of 503" in m or "dash_renderer" in m for m in errors), errors

    proxy.restore()                                       # nothing restarted: the probe sees the database back
    wait_in_page(lambda: not banner_shown(operator), "the banner to go", seconds=20)
    marker = f"无此内容{uuid.uuid4().hex[:6]}"
    search(operator, marker)
    wait_in_page(lambda: operator.find_elements(By.ID, "tickets-empty"), "the search to work again")
    assert not banner_shown(operator)
