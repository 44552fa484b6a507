# riskgraph — the two set-up commands: `make demo` (main job, embedded store) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test venv lint bench-etl bench clean stop

$(BIN)/riskgraph: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

venv: $(BIN)/riskgraph

demo: venv
	$(BIN)/riskgraph demo

test: venv
	$(BIN)/pytest -q

lint: venv
	$(BIN)/ruff check riskgraph tests benchmarks

stop: venv
	$(BIN)/riskgraph db stop

bench-etl: venv
	$(BIN)/python benchmarks/etl.py --subjects 880000

clean:
	rm -rf $(VENV) var build *.egg-info
