# CrowdPulse: `make run` starts the app (and the delivery worker) with demo data, `make test` runs every test.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
# Without [auth] in .streamlit/secrets.toml every visitor is admin, so `make run` serves this computer
# only. `make run ADDRESS=0.0.0.0` needs sign-in, or CROWDPULSE_TRUSTED_NETWORK=1 (README "Security").
ADDRESS ?= 127.0.0.1
# Two workers fit the 2-core CI machine; `make test XDIST=` runs in one process.
XDIST  ?= -n auto --dist loadfile
# Each pass keeps a JUnit XML and its log (with the 25 slowest tests) here; CI prints where.
TEST_REPORTS ?= test-reports
BENCH_SCALE ?= demo
# e.g. `make bench BENCH_SCALE=large BENCH_ARGS="--cold 2 --compare bench-demo.json"`
BENCH_ARGS ?=

# bash with pipefail: a pass's log is teed to a file and its exit status still fails the target.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

.PHONY: run test test-sqlite test-postgres test-browser bench clean distclean

# pip runs again only when a requirements file is newer than its stamp.
$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.stamp-run: requirements.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.stamp-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

run: $(VENV)/.stamp-run
	$(PY) -m ui.serving $(ADDRESS)
	$(PY) -m core init-db
	$(PY) -m core seed-demo --if-empty
	# The delivery worker runs beside the app and stops with it (issue 17).
	$(PY) -m core worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT; \
		$(PY) -m streamlit run serve.py --server.address $(ADDRESS) --server.port $(PORT) --server.headless true

test: test-sqlite test-postgres

test-sqlite: $(VENV)/.stamp-dev
	mkdir -p $(TEST_REPORTS)
	$(PY) -m pytest $(XDIST) --junitxml=$(TEST_REPORTS)/junit-sqlite.xml --durations=25 tests \
		| tee $(TEST_REPORTS)/pytest-sqlite.log

test-postgres: $(VENV)/.stamp-dev
	mkdir -p $(TEST_REPORTS)
	$(PY) -m pytest $(XDIST) --postgres --junitxml=$(TEST_REPORTS)/junit-postgres.xml --durations=25 tests \
		--ignore=tests/browser | tee $(TEST_REPORTS)/pytest-postgres.log

test-browser: $(VENV)/.stamp-dev
	$(PY) -m pytest tests/browser

bench: $(VENV)/.stamp-dev
	$(PY) -m bench --scale $(BENCH_SCALE) $(BENCH_ARGS)

clean:
	rm -rf .pytest_cache tests/browser/screenshots bench_results bench-*.json bench-*.md $(TEST_REPORTS)
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
