# The two quick-start commands: `make up` (run Kesu embedded) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: up test install

$(BIN)/kesu: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/kesu

install: $(BIN)/kesu

up: $(BIN)/kesu
	$(BIN)/kesu up $(ARGS)

test: $(BIN)/kesu
	$(BIN)/python -m pytest -q -p no:cacheprovider $(ARGS)
