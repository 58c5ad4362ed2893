"""A real dashboard process and a real headless Chromium for browser tests."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from harness.browser import sign_in, start_chromium
from harness.servers import free_port, start_app


@pytest.fixture(scope="session")
def app_url(engine, database_url):
    """The dashboard on a free port against the test database (the engine fixture made sure data is there)."""
    port = free_port()
    proc = start_app(database_url, port)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


def pytest_configure(config):
    config.addinivalue_line("markers", "signed_in_as(*roles): the browser fixture signs in a user with these roles")


def roles_for(request) -> tuple[str, ...]:
    """Who the screen under test is for: the test's ``signed_in_as`` mark, else its module's ``SIGNED_IN_AS``."""
    mark = request.node.get_closest_marker("signed_in_as")
    if mark:
        return mark.args
    role = getattr(request.module, "SIGNED_IN_AS", None)
    return (role,) if role else ()


@pytest.fixture
def browser(request):
    """Headless Chromium, signed in through /login as the role the screen is for (nobody for citizens' pages)."""
    driver = start_chromium(1600, 1000)
    roles = roles_for(request)
    if roles:
        sign_in(driver, request.getfixturevalue("app_url"), *roles)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def inner_point(engine):
    with engine.connect() as conn:
        return conn.execute(text("""SELECT code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))
                                    FROM grids ORDER BY ST_Area(geom) DESC LIMIT 1""")).one()
