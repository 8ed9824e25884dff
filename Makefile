# The two commands a newcomer needs:
#   make demo   set up, then run the Randers baseline against Housing First, with a report
#   make test   set up, then run the test suite (what CI runs)
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint bench clean clean-compiled

$(STAMP): pyproject.toml
	@PYBIN=$$(scripts/find-python.sh) || exit 1; \
	  if [ ! -x $(PY) ]; then echo "creating $(VENV) with $$PYBIN"; $$PYBIN -m venv $(VENV) || exit 1; fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,dask,viz]"
	@touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/homesim compare scenarios/randers_baseline.yaml scenarios/randers_housing_first.yaml \
	  --replications 50 --out results/demo

test: $(STAMP)
	scripts/install-browser.sh
	$(VENV)/bin/ruff check sim homesim tests benchmarks
	$(VENV)/bin/ruff format --check sim homesim tests benchmarks
	$(PY) -m pytest -n 2 -q

bench: $(STAMP)
	for f in benchmarks/bench_*.py; do $(PY) $$f || exit 1; done

clean: clean-compiled
	rm -rf $(VENV) .pytest_cache

# numba caches each compiled loop by its own file: after editing a module whose loops
# others call (sim/kernels.py, say), drop the cache so that the callers compile again
clean-compiled:
	find sim -name '*.nbi' -delete -o -name '*.nbc' -delete
