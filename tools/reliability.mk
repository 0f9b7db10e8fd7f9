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
#               toolchain: run as root on Debian, make installs
#               gcc-multilib itself; elsewhere install a C compiler's 32-bit
#               support yourself, e.g. Fedora: glibc-devel.i686 and
#               libgcc.i686, Arch: lib32-gcc-libs). That
#               build (tools/unix32.py, shared with the 64 KiB host tests)
#               goes to build/unix32-frozen; a later run rebuilds only what
#               changed.

FUZZ_EXAMPLES ?= 20000
FUZZ_CASES ?= 20000
FUZZ_SECONDS ?= 900
FUZZ_SEED ?= 1
SOAK_REQUESTS ?= 100000
SOAK_HEAPSIZE ?= 160K
SOAK_FROZEN_HEAPSIZE ?= 64K
SOAK_BUILD := build/unix32-frozen

.PHONY: fuzz soak soak-frozen soak-tools

# pytest's per-test timeout (pyproject.toml) is for `make test`: off here.
#help Testing: fuzz  property tests of the parsers, then mutated requests over sockets to the unix port and CPython [FUZZ_EXAMPLES=20000 FUZZ_CASES=20000 FUZZ_SECONDS=900 FUZZ_SEED=1]
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

#help Testing: soak  keep-alive requests to the unix port (.mpy), watching its heap [SOAK_REQUESTS=100000 SOAK_HEAPSIZE=160K MPY_DIR=<micropython source tree>]
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

# The 32-bit build needs cc -m32: gcc-multilib on Debian, installed here
# when make runs as root (as firmware-tools does for socat).
#help Setup: soak-tools  a C compiler that builds 32-bit programs, for soak-frozen (gcc-multilib, installed when root on Debian)
soak-tools:
	@printf 'int main(void) { return 0; }\n' | \
	    $${CC:-cc} -m32 -x c - -o /dev/null 2>/dev/null || { \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc-multilib >/dev/null \
	        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc-multilib; }; \
	    else echo 'soak-tools: $${CC:-cc} cannot build 32-bit programs:' \
	        'install its 32-bit support (Debian: apt-get install gcc-multilib;' \
	        'Fedora: dnf install glibc-devel.i686 libgcc.i686)'; fi; }

#help Testing: soak-frozen  the soak on a 32-bit unix build with the bundle frozen in [MPY_DIR=<micropython source tree> SOAK_REQUESTS=100000 SOAK_FROZEN_HEAPSIZE=64K]
soak-frozen: $(VENV_STAMP) $(DEPS_STAMP)
	@test -n '$(MPY_DIR)' || { echo 'make soak-frozen: set' \
	    'MPY_DIR=/path/to/micropython (a checkout with lib/micropython-lib)'; \
	    exit 2; }
	@$(MAKE) --no-print-directory soak-tools
	$(VPY) tools/unix32.py --mpy-dir '$(MPY_DIR)' --build $(SOAK_BUILD)
	$(VPY) tools/soak.py --executable $(SOAK_BUILD)/micropython \
	    --requests $(SOAK_REQUESTS) --heapsize $(SOAK_FROZEN_HEAPSIZE) \
	    --json build/soak-frozen-32bit.json
