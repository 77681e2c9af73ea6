# Two commands: `make lab` starts the lab, `make test` runs the whole suite.
# Each creates .venv when missing and installs the locked versions (requirements.lock) when
# pyproject.toml or the lock changed. `make lock` re-locks and keeps the new lock only if the
# suite passes on it.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
LOCK := requirements.lock
PIP_COMPILE := $(VENV)/bin/pip-compile --extra dev --strip-extras --allow-unsafe --no-header \
	--no-emit-index-url --no-emit-find-links -q -c lock-caps.txt

.PHONY: lab test check lint format bench lock clean

lab: $(STAMP)
	$(VENV)/bin/lab

test: $(STAMP) check

# Two pytest calls: the suite on four processes (pytest-xdist; four on a 2-core machine: much
# of a test's time is waiting for a process or a screen; five was slower), then alone what times
# itself (marker `serial`). Both always run; the first failure's status is the result. Exit 5 is
# pytest's "nothing selected" (e.g. a -k that picks no serial test): no failure.
check: lint
	status=0; \
	$(VENV)/bin/pytest -q -n 4 --dist worksteal -m "not serial" $(PYTEST_ARGS) || status=$$?; \
	$(VENV)/bin/pytest -q -m serial $(PYTEST_ARGS); serial=$$?; \
	if [ $$status -eq 0 ] && [ $$serial -ne 5 ]; then status=$$serial; fi; \
	exit $$status

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	for b in bench/*.py; do $(VENV)/bin/python $$b || exit 1; done

$(STAMP): pyproject.toml $(LOCK)
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q -c $(LOCK) pip
	$(VENV)/bin/python -m pip install -q -c $(LOCK) -e '.[dev]'
	touch $(STAMP)

lock: $(STAMP)
	rm -f $(LOCK).new
	$(PIP_COMPILE) -o $(LOCK).new pyproject.toml
	$(VENV)/bin/python -m pip install -q -c $(LOCK).new -e '.[dev]'
	if $(MAKE) check; then mv $(LOCK).new $(LOCK); touch $(STAMP); \
	else echo "the suite failed on the new lock; $(LOCK) is unchanged" >&2; \
	$(VENV)/bin/python -m pip install -q -c $(LOCK) -e '.[dev]'; rm -f $(LOCK).new; exit 1; fi

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache .mypy_cache
