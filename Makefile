# CrowdPulse: `make run` starts the app with demo data, `make test` runs every test.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
# Two workers fit the 2-core CI machine; `make test XDIST=` runs in one process.
XDIST  ?= -n auto --dist loadfile
BENCH_SCALE ?= demo
# e.g. `make bench BENCH_SCALE=large BENCH_ARGS="--cold 2 --compare bench-demo.json"`
BENCH_ARGS ?=

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
	$(PY) -m core init-db
	$(PY) -m core seed-demo --if-empty
	$(PY) -m streamlit run app.py --server.port $(PORT) --server.headless true

test: test-sqlite test-postgres

test-sqlite: $(VENV)/.stamp-dev
	$(PY) -m pytest $(XDIST) tests

test-postgres: $(VENV)/.stamp-dev
	$(PY) -m pytest $(XDIST) --postgres tests --ignore=tests/browser

test-browser: $(VENV)/.stamp-dev
	$(PY) -m pytest tests/browser

bench: $(VENV)/.stamp-run
	$(PY) -m bench --scale $(BENCH_SCALE) $(BENCH_ARGS)

clean:
	rm -rf .pytest_cache tests/browser/screenshots bench_results bench-*.json bench-*.md
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
