#!/usr/bin/env python3
"""``make compat``: Microdot's own test suite, run against our framework.

1. Downloads the ``microdot`` 2.7.0 source distribution from the package
   index (sha256 checked, as tools/fetch_deps.py does) and unpacks only its
   ``tests/`` into build/compat/ (never committed). Its ``mock_socket.py``
   is replaced by ours (tools/compat_mock_socket.py: the same fakes with
   CRLF line endings; see "bare-lf" in tools/microdot_compat.txt).
2. Runs tools/compat_runner.py on each runtime asked for, with our
   ``modules/`` (or its mpy-cross output) on the module path and Microdot's
   sources nowhere near it:
   - cpython: every test module;
   - micropython-src, micropython-mpy: the modules Microdot runs on
     MicroPython, with micropython-lib's ``unittest`` from
     deps/micropython-lib (tools/micropython_lib.py). Without it that
     runtime is skipped, and the reason is printed and recorded.
3. Writes each runtime's counts to RESULTS_DIR/compat-<runtime> for
   tools/test_summary.py.

    python3 tools/compat.py [--runtime NAME ...] [--results-dir DIR]
                            [TEST_ID_PREFIX ...]
"""

import argparse
import io
import os
import shutil
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from fetch_deps import FetchError, download_release, pip_config  # noqa: E402

VERSION = '2.7.0'
SUITE = os.path.join(TOP, 'build', 'compat', 'microdot-' + VERSION)
DIFFERENCES = os.path.join(HERE, 'microdot_compat.txt')
RUNNER = os.path.join(HERE, 'compat_runner.py')
MOCK_SOCKET = os.path.join(HERE, 'compat_mock_socket.py')
VENV_BIN = os.path.dirname(sys.executable)
MPY_LIB = os.path.join(TOP, 'deps', 'micropython-lib')
RUNTIMES = ('cpython', 'micropython-src', 'micropython-mpy')
TIMEOUT = 900   # seconds for one runtime's whole run


def log(message):
    print('compat: ' + message, flush=True)


def fetch_suite():
    """Unpack Microdot's tests/ into SUITE once; returns SUITE."""
    stamp = os.path.join(SUITE, '.fetched')
    if os.path.exists(stamp):
        return SUITE
    filename, data = download_release('microdot', VERSION, pip_config())
    shutil.rmtree(SUITE, ignore_errors=True)
    top = 'microdot-{}/tests/'.format(VERSION)
    with tarfile.open(fileobj=io.BytesIO(data), mode='r:*') as archive:
        for member in archive:
            if not member.isfile() or not member.name.startswith(top):
                continue
            parts = member.name[len(top):].split('/')
            if any(part in ('', '.', '..') for part in parts):
                raise FetchError('unsafe path in {}: {}'.format(
                    filename, member.name))
            target = os.path.join(SUITE, 'tests', *parts)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, 'wb') as f:
                f.write(archive.extractfile(member).read())
    shutil.copyfile(MOCK_SOCKET, os.path.join(SUITE, 'tests',
                                              'mock_socket.py'))
    open(stamp, 'w').close()
    log('Microdot {} test suite in {}'.format(
        VERSION, os.path.relpath(SUITE, TOP)))
    return SUITE


def command_for(runtime):
    """(argv, environment) that run the runner on ``runtime``, or a str
    saying why that runtime cannot run."""
    env = dict(os.environ)
    if runtime == 'cpython':
        env['PYTHONPATH'] = os.pathsep.join(
            [os.path.join(TOP, 'modules'), os.path.join(TOP, 'deps')])
        return [sys.executable, RUNNER], env
    if not os.path.isdir(os.path.join(MPY_LIB, 'unittest')):
        return ("no unittest module for MicroPython: micropython-lib's "
                'index is not reachable and no MicroPython source tree was '
                'found (give MPY_DIR=..., or run `micropython -m mip install '
                'unittest`); `make deps` installs it when it can')
    if runtime == 'micropython-src':
        path = [os.path.join(TOP, 'modules'), os.path.join(TOP, 'deps')]
    else:
        path = [os.path.join(TOP, 'build', 'mpy'),
                os.path.join(TOP, 'build', 'mpy-deps')]
    home_lib = os.path.expanduser('~/.micropython/lib')
    env['MICROPYPATH'] = ':'.join(path + [home_lib, MPY_LIB, '.frozen'])
    return [os.path.join(VENV_BIN, 'micropython'), RUNNER], env


def run(runtime, prefixes, results_dir):
    results = os.path.join(results_dir, 'compat-' + runtime)
    if os.path.exists(results):
        os.remove(results)
    label = 'compat ' + runtime
    command = command_for(runtime)
    if isinstance(command, str):
        log('{}: skipped: {}'.format(label, command))
        with open(results, 'w') as f:
            f.write('skipped: ' + command + '\n')
        return True
    argv, env = command
    argv += ['--suite', fetch_suite(), '--differences', DIFFERENCES,
             '--label', label, '--results', results] + prefixes
    try:
        done = subprocess.run(argv, env=env, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        log('{}: stopped after {} s'.format(label, TIMEOUT))
        return False
    return done.returncode == 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--runtime', action='append', choices=RUNTIMES)
    parser.add_argument('--results-dir',
                        default=os.path.join(TOP, 'build', 'test-results'))
    parser.add_argument('prefixes', nargs='*',
                        help='run only the tests whose id starts so')
    args = parser.parse_args(argv)
    os.makedirs(args.results_dir, exist_ok=True)
    try:
        fetch_suite()
    except FetchError as exc:
        log('cannot get the suite: {}'.format(exc))
        return 1
    ok = True
    for runtime in args.runtime or RUNTIMES:
        ok = run(runtime, args.prefixes, args.results_dir) and ok
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
