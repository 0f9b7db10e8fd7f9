# The browser of host_tests/test_browser.py (included by the top-level
# Makefile, which defines VENV_STAMP). Playwright for Python comes with the
# `dev` extra of pyproject.toml; it drives Debian's chromium, never a
# browser build of its own (`playwright install` is not used).
#
#   make browser    install /usr/bin/chromium with apt-get when it is
#                   missing (as root, on Debian); elsewhere say how, and the
#                   browser tests skip with that message (they fail under CI)
#
# `make test` runs it first, so a fresh machine needs nothing else.

.PHONY: browser

CHROMIUM := /usr/bin/chromium

#help Testing: browser  install Debian's chromium for the browser tests (apt-get, as root)
browser: $(VENV_STAMP)
	@test -x $(CHROMIUM) || { \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	        echo 'make browser: installing Debian chromium for the browser tests'; \
	        export DEBIAN_FRONTEND=noninteractive; \
	        apt-get install -y -qq chromium >/dev/null 2>&1 \
	        || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
	        || { echo 'make browser: apt-get could not install chromium'; exit 1; }; \
	    else \
	        echo 'make browser: no $(CHROMIUM): install it (Debian: apt-get install chromium) or the browser tests are skipped'; \
	    fi; }

test test-cpython test-host: browser
