# The two commands of the README: `make report` and `make test`. Each target creates .venv
# when it is missing (pinned versions from constraints.txt), so a fresh clone needs nothing else.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   := data/demo/survey.parquet
DEMO_SUPERVISION := data/demo/supervision/truth.json
RUN_ID ?= demo

.PHONY: report test test-slow lint lab bench examples notebooks clean-venv

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

$(DEMO): $(STAMP) shuangjian_eval/inputs/synth.py
	$(BIN)/sje synth --out $(DEMO) --schools 120 --students 40 --counties 8 --seed 0

# the synthetic supervision returns of the same schools, beside the survey (data/demo/supervision)
$(DEMO_SUPERVISION): $(STAMP) shuangjian_eval/inputs/synth.py shuangjian_eval/inputs/supervision/synth.py
	$(BIN)/sje supervision synth --out $(dir $(DEMO_SUPERVISION)) --schools 120 --counties 8 --seed 0

## report: build the demo data (survey and supervision returns), run the report notebooks for all data and each county (replacing
## the last demo run), print the index
report: $(STAMP) $(DEMO) $(DEMO_SUPERVISION)
	$(BIN)/sje report --data $(DEMO) --regions all,each --run-id $(RUN_ID) --out reports --overwrite

## test: lint, then the test suite but the checks marked slow (the notebooks run on the demo
## data, so it is built first), a test file at a time on each of two cores (pytest-xdist; a
## notebook's cells and a file's fixtures stay in one process)
PYTEST_PARALLEL ?= -n 2 --dist loadfile
test: $(STAMP) $(DEMO) $(DEMO_SUPERVISION)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_PARALLEL)

## test-slow: the checks marked slow (simulations of coverage, size and power, fuzzing the
## readers, the benchmarks at a tiny size); CI (.ci/run) runs them after `make test`
test-slow: $(STAMP) $(DEMO) $(DEMO_SUPERVISION)
	$(BIN)/python -m pytest -m slow $(PYTEST_PARALLEL)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## lab: JupyterLab on the notebooks, with the project's kernel
lab: $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,lab]"
	$(BIN)/jupyter lab shuangjian_eval/notebooks/

## examples: regenerate the example input files in data/examples from synthetic data
examples: $(STAMP)
	$(BIN)/sje examples --out data/examples

## notebooks: rewrite every notebook's parameters cell (both files) from the one table
notebooks: $(STAMP)
	$(BIN)/python -c "from shuangjian_eval.publication.notebook_parameters import write_parameters_cells as w; print(*w() or ['up to date'], sep='\n')"

## bench: ratios against peer tools on synthetic national data (not part of make test)
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,bench]"
	$(BIN)/python -m benchmarks.run --size full

clean-venv:
	rm -rf $(VENV)
