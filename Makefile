# The two commands a newcomer needs:  make demo  and  make test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test test-coqui bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

## Render the sample script to output/sample.mp3 (+ .vtt, .srt, .chapters.json).
demo: $(VENV)/.installed
	$(BIN)/radioplay render scripts/sample.md --cast voices/sample.toml -o output/sample.mp3

## Install the test dependencies and run the whole test suite.
test: $(VENV)/.installed
	$(BIN)/python -m pytest -q

## The Coqui engine's tests, in their own venv (torch; about 4 minutes and 7.6 GB).
test-coqui:
	bash ci/coqui.sh

## The benchmarks (they print ratios from one run).
bench: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/render.py
	$(BIN)/python bench/parse.py
	$(BIN)/python bench/voices.py

clean:
	rm -rf $(VENV) .venv-coqui output/*.mp3 output/*.vtt output/*.srt output/*.json
