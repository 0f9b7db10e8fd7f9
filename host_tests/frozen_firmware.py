"""The unix port with the bundle frozen in, for tests that need the memory
picture of a real firmware: frozen bytecode stays out of the heap, so an
app runs in a 64 KiB heap as it would on a board.

``make firmware BOARD=unix MPY_DIR=/path/to/micropython`` builds it into
firmware/dist/unix-<version>, with a size report (.size.txt) listing every
frozen .mpy. ``unix_firmware(mpy_paths)`` returns that executable when it
holds the current modules/ (each module's mpy-cross output has the size
the report gives), and skips the test, saying why, otherwise.
"""
import glob
import os
import re

import pytest

from conftest import ROOT

# never frozen (see manifest.py)
CPYTHON_ONLY = ('asgi.mpy', 'wsgi.mpy', 'jinja.mpy', 'cpython.mpy')
_REPORT_LINE = re.compile(r'^\s*(\d+)\s+(microdot/\S+\.mpy)\s*$')
_BUILD = ('build it with `make firmware BOARD=unix '
          'MPY_DIR=/path/to/micropython`')


def frozen_sizes(report_path):
    """{'microdot/app.mpy': size, ...} from a firmware's size report."""
    sizes = {}
    with open(report_path) as f:
        for line in f:
            match = _REPORT_LINE.match(line)
            if match:
                sizes[match.group(2)] = int(match.group(1))
    return sizes


def stale_modules(report_path, mpy_paths):
    """Modules whose fresh mpy-cross output differs in size from the
    frozen one (or is missing from the firmware)."""
    frozen = frozen_sizes(report_path)
    compiled = os.path.join(mpy_paths[0], 'microdot')
    stale = []
    for name in sorted(os.listdir(compiled)):
        if not name.endswith('.mpy') or name in CPYTHON_ONLY:
            continue
        size = os.path.getsize(os.path.join(compiled, name))
        if frozen.get('microdot/' + name) != size:
            stale.append(name[:-4])
    return stale


def unix_firmware(mpy_paths):
    """The frozen unix firmware's path, or a skip saying why there is
    none to use."""
    binaries = [path for path in glob.glob(os.path.join(
        ROOT, 'firmware', 'dist', 'unix-*')) if not path.endswith('.txt')
        and os.access(path, os.X_OK)]
    if not binaries:
        pytest.skip('no unix firmware with the bundle frozen in: ' + _BUILD)
    binary = max(binaries, key=os.path.getmtime)
    report = binary + '.size.txt'
    if not os.path.exists(report):
        pytest.skip('{} has no size report; re{}'.format(
            os.path.basename(binary), _BUILD))
    stale = stale_modules(report, mpy_paths)
    if stale:
        pytest.skip('{} holds older versions of {}: re{}'.format(
            os.path.basename(binary), ', '.join(stale), _BUILD))
    return binary


def start_frozen(start_server, mpy_paths, script, heap='64K', env=None):
    """Serve ``script`` with the frozen firmware and nothing but its frozen
    modules on the path, in a heap of ``heap``."""
    settings = {'MICROPYPATH': '.frozen'}
    settings.update(env or {})
    return start_server(script, 'micropython', env=settings,
                        interpreter_args=('-X', 'heapsize=' + heap),
                        executable=unix_firmware(mpy_paths))
