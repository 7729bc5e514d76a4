# One task runner for people and CI. `make demo` and `make test` are the two
# commands the README opens with.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint format bench install install-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

# The semantic extra brings PyTorch (CPU) for the knowledge base's re-ranking.
install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,semantic]'

demo: install
	$(BIN)/steward demo

test: install-test
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: install-test
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install-test
	$(BIN)/python -m benchmarks.run
