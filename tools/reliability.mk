# Long reliability runs (included by the top-level Makefile); `make test`
# runs short variants of both (host_tests/test_fuzz_*.py, test_soak.py).
# See docs/security.md.
#
#   make fuzz   property tests of the parsers with FUZZ_EXAMPLES examples
#               each (default 20000), then FUZZ_CASES mutated requests
#               (default 20000, at most FUZZ_SECONDS each run) over sockets
#               to the server on the unix port (.mpy) and on CPython.
#   make soak   SOAK_REQUESTS keep-alive requests (default 100000) over
#               mixed routes to the unix port running from .mpy with
#               -X heapsize=$(SOAK_HEAPSIZE); with MPY_DIR=/path/to/micropython
#               also to a 32-bit unix build with the bundle frozen in (as on
#               a board) with -X heapsize=$(SOAK_FROZEN_HEAPSIZE)
#               (`make soak-frozen` runs that one alone; needs a -m32
#               toolchain, Debian: apt-get install gcc-multilib).

FUZZ_EXAMPLES ?= 20000
FUZZ_CASES ?= 20000
FUZZ_SECONDS ?= 900
FUZZ_SEED ?= 1
SOAK_REQUESTS ?= 100000
SOAK_HEAPSIZE ?= 160K
SOAK_FROZEN_HEAPSIZE ?= 64K
SOAK_BUILD := build/soak-unix32

.PHONY: fuzz soak soak-frozen

# pytest's per-test timeout (pyproject.toml) is for `make test`: off here.
fuzz: $(VENV_STAMP) $(DEPS_STAMP)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(VPY) -m pytest -q -p no:cacheprovider \
	    -o timeout=0 host_tests/test_fuzz_http.py \
	    host_tests/test_websocket_fuzz.py
	$(VPY) tools/fuzz_server.py --runtime micropython-mpy \
	    --cases $(FUZZ_CASES) --seconds $(FUZZ_SECONDS) --seed $(FUZZ_SEED) \
	    --failures build/fuzz-failures-micropython.json
	$(VPY) tools/fuzz_server.py --runtime cpython \
	    --cases $(FUZZ_CASES) --seconds $(FUZZ_SECONDS) --seed $(FUZZ_SEED) \
	    --failures build/fuzz-failures-cpython.json

soak: $(VENV_STAMP)
	$(VPY) tools/soak.py --runtime micropython-mpy \
	    --requests $(SOAK_REQUESTS) --heapsize $(SOAK_HEAPSIZE) \
	    --json build/soak-micropython-mpy.json
	@if [ -n '$(MPY_DIR)' ]; then \
	    $(MAKE) --no-print-directory soak-frozen; \
	else \
	    echo 'make soak: set MPY_DIR=/path/to/micropython to also soak a' \
	        '32-bit unix build with the bundle frozen in, at' \
	        '-X heapsize=$(SOAK_FROZEN_HEAPSIZE)'; \
	fi

# The port's own make must not see our make's variables (MAKEFLAGS).
soak-frozen: $(VENV_STAMP)
	@test -n '$(MPY_DIR)' || { echo 'make soak-frozen: set' \
	    'MPY_DIR=/path/to/micropython (a checkout with lib/micropython-lib)'; \
	    exit 2; }
	@echo 'int main(void) { return 0; }' | $(CC) -m32 -x c - -o /dev/null \
	    2>/dev/null || { echo 'make soak-frozen: $(CC) cannot build' \
	    '32-bit programs (Debian: apt-get install gcc-multilib)'; exit 2; }
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $(MAKE) -C '$(MPY_DIR)/mpy-cross'
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $(MAKE) -C '$(MPY_DIR)/ports/unix' \
	    BUILD='$(CURDIR)/$(SOAK_BUILD)' CFLAGS_EXTRA=-m32 LDFLAGS_EXTRA=-m32 \
	    MICROPY_PY_FFI=0 MICROPY_PY_BTREE=0 MICROPY_PY_SSL=0 \
	    MICROPY_SSL_MBEDTLS=0 \
	    FROZEN_MANIFEST='$(CURDIR)/firmware/unix_manifest.py'
	$(VPY) tools/soak.py --executable $(SOAK_BUILD)/micropython \
	    --requests $(SOAK_REQUESTS) --heapsize $(SOAK_FROZEN_HEAPSIZE) \
	    --json build/soak-frozen-32bit.json
