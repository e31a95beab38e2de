# Entry points, each doing its own set-up on a fresh machine (only python3 and make needed):
#   make demo   - the whole main job on the embedded SageMaker + LMI emulator
#   make demo-components - two models on one endpoint (inference components), scale to zero and back
#   make test   - the test suite (plus lint: ruff and mypy)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP_DEV := $(VENV)/.installed-dev
STAMP_LOCAL := $(VENV)/.installed-local

.PHONY: demo demo-components test lint unit check-fresh clean tables

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP_LOCAL): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[local]'
	touch $@

$(STAMP_DEV): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev,local]'
	touch $@ $(STAMP_LOCAL)

demo: $(STAMP_LOCAL)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash scripts/quickstart.sh

demo-components: $(STAMP_LOCAL)
	$(PY) examples/demo_components.py

# After editing deploy/catalog/*.toml or deploy/data/*.toml: regenerate the JSON twins the code reads.
tables: | $(PY)
	$(PY) scripts/generate_tables.py

test: $(STAMP_DEV)
	sh tests/tools/fetch_sdk_wheel.sh
	$(PY) -m pytest

lint: $(STAMP_DEV)
	$(PY) -m ruff check deploy tests benchmarks
	$(PY) -m ruff format --check deploy tests benchmarks
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) .lmi .pytest_cache .mypy_cache .ruff_cache dist build
