"""The unix port with the bundle frozen in, for tests that need the memory
picture of a real firmware: frozen bytecode stays out of the heap, so an
app runs in a 64 KiB heap as it would on a board.

``make firmware BOARD=unix MPY_DIR=/path/to/micropython`` builds it into
firmware/dist/unix-<version>, with a size report (.size.txt) listing every
frozen .mpy. ``unix_firmware(mpy_paths)`` returns that executable when it
holds the current modules/ (each module's mpy-cross output has the size
the report gives), and skips the test, saying why, otherwise.

That build is 64-bit: objects are twice the size they are on a board (in
a 64 KiB heap the upload app of test_uploads.py has about 19 KB free at
idle there, and about 40 KB on a 32-bit build).
``board_firmware(mpy_paths)`` is the faithful stand-in: the 32-bit build of
tools/unix32.py (the one `make soak-frozen` runs), brought up to date once
per session in build/unix32-frozen when MPY_DIR names a MicroPython
checkout and the C compiler makes 32-bit programs. Without one it falls
back to ``unix_firmware()``, and skips, saying why, when neither is there.
"""
import filecmp
import glob
import os
import re
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, 'tools'))
sys.path.insert(0, os.path.join(ROOT, 'firmware'))
import bundle  # noqa: E402
import unix32  # noqa: E402

# never frozen: manifest.py's CPYTHON_ONLY, as compiled names
CPYTHON_ONLY = tuple(name[:-3] + '.mpy' for name in bundle.cpython_only())
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


def unix32_stale_modules(frozen_dir, mpy_paths):
    """Our modules whose fresh mpy-cross output (``mpy_paths``: the
    compiled modules/ and deps/) differs from the .mpy a build froze into
    ``frozen_dir`` (or is missing from it). mpy-cross output does not depend
    on the word size, so the files must be the same bytes."""
    stale = []
    for tree in mpy_paths:
        for folder, _, names in os.walk(tree):
            for name in names:
                if not name.endswith('.mpy') or name in CPYTHON_ONLY:
                    continue
                path = os.path.join(folder, name)
                rel = os.path.relpath(path, tree)
                frozen = os.path.join(frozen_dir, rel)
                if not os.path.exists(frozen) or \
                        not filecmp.cmp(path, frozen, shallow=False):
                    stale.append(rel[:-4].replace(os.sep, '.'))
    return sorted(stale)


_unix32 = {}   # this session's answer: (path or None, why not)


def unix32_firmware(mpy_paths):
    """``(path, None)`` of the 32-bit unix build with the bundle frozen in,
    or ``(None, why there is none)``. With MPY_DIR set it is built or
    brought up to date (tools/unix32.py) once per session; without it, a
    build left in build/unix32-frozen is used if it holds the current
    modules."""
    if 'answer' not in _unix32:
        _unix32['answer'] = _find_unix32(mpy_paths)
    return _unix32['answer']


def _find_unix32(mpy_paths):
    build_dir = unix32.DEFAULT_BUILD
    binary = os.path.join(build_dir, 'micropython')
    mpy_dir = os.environ.get('MPY_DIR')
    if mpy_dir:
        log = build_dir + '.log'
        os.makedirs(os.path.dirname(log), exist_ok=True)  # a fresh checkout
        try:
            with open(log, 'w') as output:
                unix32.build(mpy_dir, build_dir, output=output)
        except unix32.BuildError as exc:
            why = 'the 32-bit unix firmware did not build: {}'.format(exc)
            if os.path.getsize(log):
                why += ' (its output: {})'.format(os.path.relpath(log, ROOT))
            return None, why
    if not os.access(binary, os.X_OK):
        return None, 'no 32-bit unix firmware: set MPY_DIR=/path/to/' \
            'micropython to build one (tools/unix32.py; needs gcc-multilib)'
    stale = unix32_stale_modules(os.path.join(build_dir, 'frozen_mpy'),
                                 mpy_paths)
    if stale:
        return None, '{} holds older versions of {}: set MPY_DIR=/path/to/' \
            'micropython to rebuild it'.format(os.path.relpath(binary, ROOT),
                                               ', '.join(stale))
    return binary, None


def board_firmware(mpy_paths):
    """The executable that stands in best for a board: the 32-bit build,
    else the 64-bit one of firmware/dist (printing why); skips, with both
    reasons, when there is neither."""
    binary, why = unix32_firmware(mpy_paths)
    if binary:
        return binary
    try:
        fallback = unix_firmware(mpy_paths)
    except pytest.skip.Exception as exc:
        pytest.skip('{}; and {}'.format(why, exc.msg))
    print('running on the 64-bit {}, not on a 32-bit build: {}'.format(
        os.path.basename(fallback), why))
    return fallback


def start_frozen(start_server, mpy_paths, script, heap='64K', env=None,
                 executable=None):
    """Serve ``script`` with a frozen firmware (``executable``, default
    ``unix_firmware()``) and nothing but its frozen modules on the path, in
    a heap of ``heap``."""
    settings = {'MICROPYPATH': '.frozen'}
    settings.update(env or {})
    return start_server(script, 'micropython', env=settings,
                        interpreter_args=('-X', 'heapsize=' + heap),
                        executable=executable or unix_firmware(mpy_paths))
