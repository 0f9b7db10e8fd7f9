"""pytest set-up for the whole repository (CPython side).

- Puts modules/ (the framework sources) and deps/ (third-party MicroPython
  packages fetched by `make deps`) first on sys.path, so pytest always tests
  the working tree.
- Runs `async def` tests with asyncio.run(), the same way
  tools/mpy_test_runner.py does on MicroPython (no pytest-asyncio needed).
- When MDFW_RESULTS names a file, writes "passed failed skipped" to it at the
  end, for the overall summary printed by `make test`.
"""

import asyncio
import inspect
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.abspath(__file__))
for path in (os.path.join(ROOT, 'deps'), os.path.join(ROOT, 'modules')):
    if path not in sys.path:
        sys.path.insert(0, path)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}
    asyncio.run(pyfuncitem.obj(**kwargs))
    return True


def pytest_terminal_summary(terminalreporter):
    path = os.environ.get('MDFW_RESULTS')
    if not path:
        return
    stats = terminalreporter.stats

    def count(*keys):
        return sum(len(stats.get(key, ())) for key in keys)

    passed = count('passed', 'xpassed')
    failed = count('failed', 'error')
    skipped = count('skipped', 'xfailed')
    with open(path, 'w') as f:
        f.write('{} {} {}\n'.format(passed, failed, skipped))
