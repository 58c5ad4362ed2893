"""docker-compose.yml, the Dockerfile and `make run` agree with the code: every long-running service restarts, the
worker commands exist, and everything serves through the one gunicorn.conf.py."""
from __future__ import annotations

import re
import runpy
import shlex

import pytest
import yaml

from settings import get_settings
from tests.conftest import ROOT
from workers.__main__ import build_parser

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
GUNICORN = ["gunicorn", "-c", "gunicorn.conf.py", "app:server"]
ONE_SHOT = {"migrate"}


@pytest.mark.parametrize("name", sorted(set(COMPOSE) - ONE_SHOT))
def test_every_long_running_service_is_restarted(name):
    assert COMPOSE[name].get("restart") == "unless-stopped"


@pytest.mark.parametrize("name", ["relay", "positions", "escalate"])
def test_worker_services_run_a_command_of_the_workers_package(name):
    command = COMPOSE[name]["command"]
    assert command[:3] == ["python", "-m", "workers"]
    args = build_parser().parse_args(command[3:])               # exits (fails the test) on an unknown command
    assert args.command == command[3] and not getattr(args, "once", False)     # runs until stopped


def test_the_dockerfile_and_compose_serve_through_gunicorn_conf():
    assert COMPOSE["app"]["command"] == GUNICORN
    cmd = re.search(r"^CMD (.*)$", (ROOT / "Dockerfile").read_text(), re.M).group(1)
    assert cmd.endswith('exec gunicorn -c gunicorn.conf.py app:server"]')
    assert all(COMPOSE[w]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
               for w in set(COMPOSE) - ONE_SHOT - {"db", "redis"})


def test_make_run_starts_the_supervisor_that_serves_through_gunicorn_conf():
    from workers.supervisor import children
    recipe = (ROOT / "Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert recipe.rstrip().endswith("exec $(PY) -m workers supervise")
    commands = {child.name: child.argv[1:] for child in children()}
    assert commands["web"] == ["-m", *GUNICORN]
    assert [c for name, c in commands.items() if name in ("relay", "positions", "escalate")] == [
        ["-m", "workers", "relay"], ["-m", "workers", "positions"], ["-m", "workers", "escalate"]]
    assert shlex.join(commands["simulator"][:5]) == "-m simulation --on-run --burst 12"


def test_gunicorn_conf_reads_the_settings():
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    s = get_settings()
    assert conf["bind"] == f"{s.host}:{s.port}"
    assert (conf["workers"], conf["worker_class"], conf["threads"], conf["timeout"]) == (
        s.gunicorn_workers, s.gunicorn_worker_class, s.gunicorn_threads, s.gunicorn_timeout)


# ------------------------------------------------------------------------------------------------ requirements

# pip and setuptools come with every virtualenv of Python 3.11 (dash asks for setuptools without a version).
WITH_EVERY_VENV = {"pip", "setuptools"}


def pinned(path) -> set[str]:
    from packaging.utils import canonicalize_name
    return {canonicalize_name(line.split("==")[0]) for line in path.read_text().splitlines() if "==" in line}


def needed_by(names: set[str]) -> set[str]:
    """``names`` and everything they require when installed as pinned (extras left out), from the installed
    packages' own metadata."""
    from importlib.metadata import requires
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    found, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        for line in requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(requirement.name))
    return found


def test_requirements_txt_is_all_the_product_runs_on_and_holds_no_test_package():
    runtime, test_only = pinned(ROOT / "requirements.txt"), pinned(ROOT / "requirements-test.txt")
    assert {"pytest", "selenium"} <= test_only and not runtime & test_only
    assert needed_by(runtime) - WITH_EVERY_VENV == runtime       # nothing it needs is pinned only for the tests
    assert needed_by(runtime | test_only) - WITH_EVERY_VENV == runtime | test_only


def test_the_image_and_make_run_install_requirements_txt_only():
    assert re.findall(r"-r (\S+)", (ROOT / "Dockerfile").read_text()) == ["requirements.txt"]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^var/run\.env: \$\(VENV\)/\.installed FORCE$", makefile, re.M)
    assert re.search(r"^var/test\.env: \$\(VENV\)/\.installed-test FORCE$", makefile, re.M)
    assert re.search(r"^var/bench\.env: \$\(VENV\)/\.installed-test FORCE$", makefile, re.M)
