# Benchmarks (included by the top-level Makefile). Not tests: nothing here
# asserts a timing. See docs/performance.md for the results and method.
#
#   make bench        the whole suite (about half an hour): every case on the
#                     unix port, CPython's built-in server, uvicorn and
#                     gunicorn; MicroPython memory and flash. Rewrites
#                     docs/performance.md.
#   make bench-quick  hello on the unix port and CPython, and browser (a
#                     Chrome head, one client) on the unix port; memory and
#                     flash with a coarser bisection (under two minutes).
#                     Writes build/bench/quick.md, leaves the docs alone.
#
# With MPY_DIR=/path/to/micropython (a checkout with lib/micropython-lib),
# both also build two 32-bit unix ports under build/bench/firmware/, one with
# our bundle frozen in and one with the reference frozen in (the same
# manifests, tools/unix32.py's options; MicroPython's make rebuilds only
# what changed; needs gcc-multilib), and measure the heap of both, frozen.
# Without it that table says how to get it. That part alone:
#   make bench-quick MPY_DIR=... BENCH_ARGS=--only=frozen    (quick sizes)
#   .venv/bin/python bench/run.py --only frozen --mpy-dir ... \
#       --report build/bench/frozen.md                       (full sizes)
#
# With MicroPython's sources (MPY_DIR, or the bundle of ../shared/micropython
# that firmware/sources.mk unpacks), the `pico` part also measures the heap
# and the server path's clock cycles on an emulated Pico, both sides frozen
# and from /lib (bench/pico.py; about ten minutes, half of it building the
# reference's image the first time). That part alone:
#   .venv/bin/python bench/run.py --only pico --report build/bench/pico.md
#
# Needs wrk (Debian: apt-get install wrk). The reference (Microdot 2.7.0),
# uvicorn and gunicorn go into build/bench/venv, pinned in
# bench/requirements.txt; never into .venv.

.PHONY: bench bench-quick

BENCH_ARGS ?=
# the frozen build freezes utemplate from deps/ too
BENCH_NEEDS := $(VENV_STAMP) $(if $(MPY_DIR),$(DEPS_STAMP))
# the on-chip part (bench/pico.py) builds Pico images and runs them in the
# emulator (firmware/sources.mk, firmware/pico.mk)
BENCH_NEEDS += $(if $(MPY_DIR),$(MPY_SOURCES) firmware-toolchain \
    $(PICOTOOL_STAMP) $(PICO_NODE_STAMP))
BENCH_MPY_DIR := $(if $(MPY_DIR),--mpy-dir '$(MPY_DIR)')

#help Benchmarks: bench  every case on every server, about half an hour; rewrites docs/performance.md [MPY_DIR=<micropython source tree> BENCH_ARGS=<bench/run.py options>]
bench: $(BENCH_NEEDS)
	$(VPY) bench/run.py --out build/bench/results.json \
	    --report docs/performance.md $(BENCH_MPY_DIR) $(BENCH_ARGS)

#help Benchmarks: bench-quick  hello and a browser case, memory and flash, under two minutes; writes build/bench/quick.md [MPY_DIR=<micropython source tree> BENCH_ARGS=<bench/run.py options>]
bench-quick: $(BENCH_NEEDS)
	$(VPY) bench/run.py --quick --out build/bench/quick.json \
	    --report build/bench/quick.md $(BENCH_MPY_DIR) $(BENCH_ARGS)
