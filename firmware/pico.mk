# The shared suite on firmware images, and the emulated Pico (included by
# firmware/firmware.mk after sources.mk; the top-level Makefile defines
# VPY, RESULTS, TESTS and MPY_TEST_TIMEOUT).
#
#   make test-frozen-unix  tests/ on the unix port with the bundle frozen
#                          in (`make firmware BOARD=unix`), nothing else on
#                          its module path
#   make test-pico         tests/ on our RPI_PICO image (`make firmware
#                          BOARD=RPI_PICO`) in the rp2040js emulator, the
#                          framework from the frozen modules, the test
#                          files on the board's filesystem
#   make pico-emulator     that image on a pty for mpremote
#                          (PICO_TTY=build/pico.tty; Ctrl-C stops it)
#   make pico-emulator-deps  rp2040js into firmware/pico/node_modules
#
# Both test targets write their counts to $(RESULTS) for `make test`, and
# skip (saying why, writing nothing) when there are no MicroPython sources.
# The firmware is built in firmware/build/<BOARD>, where MicroPython's make
# rebuilds only what changed; its output goes to build/firmware-<BOARD>.log.

PICO_TTY ?= build/pico.tty
PICO_NODE_STAMP := firmware/pico/node_modules/.package-lock.json
# the closing lines of `make test`
FIRMWARE_RESULTS := $(if $(strip $(MPY_DIR)),\
    'unix-frozen=unix firmware (frozen)' 'pico=rp2040 emulated (frozen)')

.PHONY: test-frozen-unix test-pico pico-emulator pico-emulator-deps


#help Setup: pico-emulator-deps  rp2040js (pinned in firmware/pico/package.json) into firmware/pico/node_modules
pico-emulator-deps: $(PICO_NODE_STAMP)

$(PICO_NODE_STAMP): firmware/pico/package.json firmware/pico/package-lock.json
	@command -v npm >/dev/null || { \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	        export DEBIAN_FRONTEND=noninteractive; \
	        apt-get install -y -qq nodejs npm >/dev/null 2>&1 \
	        || { apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; }; \
	    else echo 'pico-emulator-deps: install Node.js 18+ and npm (Debian: apt-get install nodejs npm)'; exit 1; fi; }
	cd firmware/pico && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# What the host tests of the emulated Pico need (host_tests/test_pico.py):
# installed when this machine allows, else they skip and say what is
# missing, so `make test-cpython` never stops here.
.PHONY: pico-test-tools
#help Setup: pico-test-tools  what the Pico host tests need: the Arm toolchain, picotool, rp2040js (installed where the machine allows)
pico-test-tools: $(MPY_SOURCES)
	@if [ -n '$(MPY_SOURCES)' ]; then \
	    $(MAKE) --no-print-directory firmware-toolchain && \
	    $(MAKE) --no-print-directory $(PICOTOOL_STAMP) || \
	        echo 'pico-test-tools: no picotool: the Pico tests will skip'; fi
	@$(MAKE) --no-print-directory $(PICO_NODE_STAMP) || \
	    echo 'pico-test-tools: no rp2040js: the Pico tests will skip'

# the host tests of `make test` read MPY_DIR: the bundle must be unpacked
test test-cpython test-host: pico-test-tools

# `make firmware BOARD=$(1)` with its output in a log; prints the image's
# path (firmware/dist/...) as the last line.
define build_quietly
	@mkdir -p build; started=$$(date +%s); \
	if ! $(MAKE) --no-print-directory firmware BOARD=$(1) > build/firmware-$(1).log 2>&1; then \
	    tail -40 build/firmware-$(1).log; echo 'make firmware BOARD=$(1) failed (build/firmware-$(1).log)'; exit 1; fi; \
	echo "firmware $(1): $$(sed -n 's/^==> firmware: //p' build/firmware-$(1).log)," \
	     "built or brought up to date in $$(( $$(date +%s) - started )) s"
endef

image_of = $$(sed -n 's/^==> firmware: //p' build/firmware-$(1).log)

#help Testing: test-frozen-unix  tests/ on the unix port with the bundle frozen in, nothing else on its path [MPY_DIR=<micropython source tree> TESTS=tests MPY_TEST_TIMEOUT=900]
test-frozen-unix: $(VENV_STAMP) $(DEPS_STAMP) $(MPY_SOURCES)
	@mkdir -p $(RESULTS); rm -f $(RESULTS)/unix-frozen
	@if [ -n '$(NO_MPY_SOURCES)' ]; then echo 'test-frozen-unix: skipped: $(NO_MPY_SOURCES)'; exit 0; fi
	$(call build_quietly,unix)
	@status=0; MICROPYPATH=.frozen timeout -k 10 $(MPY_TEST_TIMEOUT) \
	    $(call image_of,unix) tools/mpy_test_runner.py \
	    --label 'unix firmware (frozen)' --require-frozen microdot \
	    --results $(RESULTS)/unix-frozen $(TESTS) || status=$$?; \
	if [ $$status = 124 ]; then echo 'unix firmware: stopped after MPY_TEST_TIMEOUT=$(MPY_TEST_TIMEOUT) s'; fi; \
	exit $$status

# The emulated chip runs about five times slower than a Pico; the suite
# takes minutes there, hence a limit of its own.
PICO_TEST_TIMEOUT ?= 2400

#help Testing: test-pico  tests/ on our RPI_PICO image in the rp2040js emulator, from the frozen modules [MPY_DIR=<micropython source tree> TESTS=tests]
test-pico: $(VENV_STAMP) $(DEPS_STAMP) $(MPY_SOURCES) $(PICO_NODE_STAMP)
	@mkdir -p $(RESULTS); rm -f $(RESULTS)/pico
	@if [ -n '$(NO_MPY_SOURCES)' ]; then echo 'test-pico: skipped: $(NO_MPY_SOURCES)'; exit 0; fi
	$(call build_quietly,RPI_PICO)
	$(VPY) tools/pico_suite.py --image $(call image_of,RPI_PICO) \
	    --label 'rp2040 emulated (frozen)' --results $(RESULTS)/pico \
	    --timeout $(PICO_TEST_TIMEOUT) $(TESTS)

#help Boards: pico-emulator  our RPI_PICO image in the emulator, on a pty for mpremote; Ctrl-C stops it [PICO_TTY=build/pico.tty MPY_DIR=<micropython source tree>]
pico-emulator: $(VENV_STAMP) $(DEPS_STAMP) $(MPY_SOURCES) $(PICO_NODE_STAMP)
	@if [ -n '$(NO_MPY_SOURCES)' ]; then echo 'pico-emulator: $(NO_MPY_SOURCES)'; exit 2; fi
	$(call build_quietly,RPI_PICO)
	$(VPY) firmware/pico_emulator.py --image $(call image_of,RPI_PICO) --tty $(PICO_TTY)
