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
