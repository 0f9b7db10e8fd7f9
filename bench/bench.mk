# Benchmarks (included by the top-level Makefile). Not tests: nothing here
# asserts a timing. See docs/performance.md for the results and method.
#
#   make bench        the whole suite (about half an hour): every case on the
#                     unix port, CPython's built-in server, uvicorn and
#                     gunicorn; MicroPython memory and flash. Rewrites
#                     docs/performance.md.
#   make bench-quick  hello only, unix port and CPython, memory and flash with
#                     a coarser bisection (under two minutes). Writes
#                     build/bench/quick.md, leaves the docs alone.
#
# Needs wrk (Debian: apt-get install wrk). The reference (Microdot 2.7.0),
# uvicorn and gunicorn go into build/bench/venv, pinned in
# bench/requirements.txt; never into .venv.

.PHONY: bench bench-quick

BENCH_ARGS ?=

bench: $(VENV_STAMP)
	$(VPY) bench/run.py --out build/bench/results.json \
	    --report docs/performance.md $(BENCH_ARGS)

bench-quick: $(VENV_STAMP)
	$(VPY) bench/run.py --quick --out build/bench/quick.json \
	    --report build/bench/quick.md $(BENCH_ARGS)
