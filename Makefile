# Two commands on a fresh machine: `make run` and `make test`. Everything they need is installed from here.
SHELL := /bin/bash
VENV   := .venv
PY     := $(VENV)/bin/python
PYTHON ?= python3
# Test processes side by side (pytest-xdist; each with its own copy of the test database and Redis index): the
# browser tests mostly wait, but three Chromiums drawing the full map at once starved each other on 2 cores (60-s
# map waits ran out), so two. TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2

.PHONY: run test bench reference lint clean-var plotly-bundle

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -m venv $(VENV) || { echo "cannot create a virtualenv: install python3-venv (Debian) and retry"; exit 1; }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	@touch $@

# What only the tests, the benchmarks and the screenshots need (pytest, selenium): `make test` and `make bench`
# install it, `make run` and the Dockerfile never do.
$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(PY) -m pip install -q -r requirements-test.txt
	@touch $@

var/run.env: $(VENV)/.installed FORCE
	$(PY) scripts/prepare.py --env-file $@

var/test.env: $(VENV)/.installed-test FORCE
	$(PY) scripts/prepare.py --test --fresh --browser --env-file $@

FORCE:

# Served as in production: gunicorn (gunicorn.conf.py) with the relay, the position ingester, the escalation sweep
# and the simulator as processes of their own (workers/supervisor.py); one Ctrl+C stops them all.
run: var/run.env
	source var/run.env && $(PY) -m alembic upgrade head && $(PY) -m etl reference && \
		$(PY) -m flask --app app:server demo-users && exec $(PY) -m workers supervise

test: var/test.env
	source var/test.env && $(PY) -m alembic upgrade head && $(PY) -m etl reference --quiet && \
		OMP_NUM_THREADS=1 $(PY) -m pytest tests -n $(TEST_WORKERS) --dist loadfile --durations=40

var/bench.env: $(VENV)/.installed-test FORCE
	$(PY) scripts/prepare.py --bench --browser --env-file $@

bench: var/bench.env
	source var/bench.env && $(PY) -m alembic upgrade head && $(PY) -m etl reference --quiet && \
		$(PY) -m bench

# Rebuild assets/vendor/plotly-command-<version>.min.js (only the trace types layers/ draws). Needs Node.js and npm;
# the built file is committed, so `make run` and `make test` never need them.
plotly-bundle:
	cd frontend/plotly && npm ci --no-audit --no-fund && npm run build

clean-var:
	rm -rf var
