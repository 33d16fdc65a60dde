# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint demo-reset clean loadtest restore-drill bench audit fuzz lighthouse fhir-proof screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The marker holds the requirements installed: a fresh clone's requirements.txt is newer than
# an existing venv's marker, but pip runs again only when the requirements differ.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	cmp -s requirements.txt $@ || $(BIN)/pip install --quiet -r requirements.txt
	cp requirements.txt $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	cp requirements.txt $(VENV)/.installed
	touch $@

# prepare_run: migrate, load the guideline, clear expired sessions, the demo accounts, in
# one process with the system checks run once; so the server skips them at start.
run: export DEBUG ?= true
run: $(VENV)/.installed
	$(BIN)/python manage.py prepare_run
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl+C stops)"
	$(BIN)/python manage.py runserver --skip-checks $(HOST):$(PORT)

demo-reset: export DEBUG ?= true
demo-reset: $(VENV)/.installed
	$(BIN)/python manage.py ensure_demo_accounts --reset

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Simulated clinicians against two gunicorn servers on one PostgreSQL database (a throwaway
# cluster unless DATABASE_URL names one). LOADTEST_ARGS e.g. "--clinicians 50 --duration 60
# --kill-worker".
loadtest: $(VENV)/.installed-dev
	$(BIN)/python loadtest/run.py $(LOADTEST_ARGS)

# The same load with pg_dump half-way, restored into a fresh database and compared, and the
# restored encounters served. RESTORE_DRILL_ARGS e.g. "--clinicians 10 --duration 20".
restore-drill: $(VENV)/.installed-dev
	$(BIN)/python loadtest/restore_drill.py $(RESTORE_DRILL_ARGS)

# Known vulnerabilities of every installed dependency (pip-audit, PyPI's advisories).
audit: $(VENV)/.installed-dev
	$(BIN)/python -m tools.audit

# The long fuzz run (outside CI): FUZZ_EXAMPLES inputs per fuzz test, every form.
FUZZ_EXAMPLES ?= 420
fuzz: $(VENV)/.installed-dev
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/test_fuzz.py -q -s -p no:cacheprovider

lighthouse: $(VENV)/.installed
	$(BIN)/python lighthouse/run.py

# The three seed cases, every page at 1280 and 390 px, into docs/screenshots/ (docs/SCREENSHOTS.md).
screenshots: $(VENV)/.installed-dev
	SCREENSHOT_WALK=1 $(BIN)/python -m pytest tests/e2e/test_screenshot_walk.py -p no:randomly -q

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.run

# Outside CI (about ten minutes): the exported PlanDefinition's conditions against the engine
# on every answer set, not the seeded sample the test suite checks.
fhir-proof: $(VENV)/.installed-dev
	FHIR_PROOF=1 $(BIN)/python -m pytest tests/test_fhir_proof.py tests/test_fhir_apply.py -k every_answer_set -s -q -p no:cacheprovider

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
