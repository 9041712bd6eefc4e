# facecli: the two set-up commands are `make demo` (main job on built-in synthetic
# data) and `make test` (the test suite). Each installs what it needs by itself.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FACECLI := $(VENV)/bin/facecli
DEMO_DIR ?= demo_out
DEMO_ARGS ?=
STAMP := $(VENV)/.facecli-installed

.PHONY: demo test test-slow install system-deps clean

install: $(STAMP)

# open3d's Linux wheels link against libusb-1.0 (Debian package libusb-1.0-0).
system-deps:
	@if ! /sbin/ldconfig -p 2>/dev/null | grep -q 'libusb-1.0.so.0'; then \
	  echo "installing Debian package libusb-1.0-0 (open3d needs it to import)" >&2; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq libusb-1.0-0 >/dev/null; \
	fi

$(STAMP): pyproject.toml | system-deps
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first, pinned: on CPU machines this is the CPU build (no CUDA download)
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

test: install
	$(PY) -m pytest -q

test-slow: install
	$(PY) -m pytest -q -m slow

demo: install
	bash examples/demo.sh $(DEMO_ARGS) $(DEMO_DIR)

clean:
	rm -rf $(VENV) $(DEMO_DIR) build *.egg-info
