#!/usr/bin/env python3
"""Build the unix port as a 32-bit program with the bundle frozen in.

    python3 tools/unix32.py [--mpy-dir DIR] [--build DIR]

A board (ESP32, Pico) is a 32-bit machine whose bytecode is frozen into
flash, so its heap holds only what the app allocates. The stock unix port
is 64-bit (every object twice as large) and loads bytecode into the heap.
This build keeps the board's picture on a PC: `-X heapsize=64K` then leaves
about as much free heap as a board with 64 KiB has.

The build goes to build/unix32-frozen/micropython (--build), made by
MicroPython's own Makefile, so a second run rebuilds only what changed
(the frozen modules: a few seconds). Runs for the same folder wait for each
other (a lock file beside it). MicroPython comes from --mpy-dir or MPY_DIR;
a C compiler that makes 32-bit programs is needed (Debian: apt-get install
gcc-multilib). `make soak-frozen` and the 64 KiB host tests
(host_tests/frozen_firmware.py) use it.
"""
import argparse
import fcntl
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'firmware'))
from build_firmware import (BuildError, UNIX_MANIFEST, UNIX_OPTIONS,  # noqa
                            check_checkout, clean_env)

DEFAULT_BUILD = os.path.join(ROOT, 'build', 'unix32-frozen')
# libffi is not installed for 32-bit programs as a rule
OPTIONS = UNIX_OPTIONS + ['MICROPY_PY_FFI=0', 'CFLAGS_EXTRA=-m32',
                          'LDFLAGS_EXTRA=-m32']


def toolchain_problem(cc=None):
    """None when ``cc`` (default: $CC or cc) links a 32-bit program, else
    what is missing."""
    cc = cc or os.environ.get('CC') or 'cc'
    try:
        result = subprocess.run(
            [cc, '-m32', '-x', 'c', '-', '-o', os.devnull],
            input=b'int main(void) { return 0; }\n',
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        return '{} not found: install a C compiler (Debian: apt-get ' \
            'install build-essential gcc-multilib)'.format(cc)
    if result.returncode:
        return '{} cannot build 32-bit programs (Debian: apt-get install ' \
            'gcc-multilib)'.format(cc)
    return None


def build(mpy_dir, build_dir=DEFAULT_BUILD, output=None):
    """Build (or bring up to date) the 32-bit port with the bundle frozen
    in; returns the executable's path. ``output``: a file for make's
    output (default: ours). Raises BuildError saying what is missing or
    which step failed."""
    if not mpy_dir:
        raise BuildError('no MicroPython checkout: set MPY_DIR=/path/to/'
                         'micropython (with lib/micropython-lib)')
    mpy_dir = os.path.abspath(mpy_dir)
    check_checkout(mpy_dir)
    problem = toolchain_problem()
    if problem:
        raise BuildError(problem)
    build_dir = os.path.abspath(build_dir)
    os.makedirs(os.path.dirname(build_dir), exist_ok=True)
    jobs = str(os.cpu_count() or 2)
    steps = (
        ['make', '-C', os.path.join(mpy_dir, 'mpy-cross'), '-j', jobs],
        ['make', '-C', os.path.join(mpy_dir, 'ports', 'unix'), '-j', jobs,
         'BUILD=' + build_dir, 'FROZEN_MANIFEST=' + UNIX_MANIFEST] + OPTIONS,
    )
    with open(build_dir + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)   # released when closed
        for argv in steps:
            result = subprocess.run(argv, env=clean_env(), stdout=output,
                                    stderr=subprocess.STDOUT
                                    if output is not None else None)
            if result.returncode:
                raise BuildError('command failed (exit {}): {}'.format(
                    result.returncode, ' '.join(argv)))
    binary = os.path.join(build_dir, 'micropython')
    if not os.access(binary, os.X_OK):
        raise BuildError('the build wrote no ' + binary)
    return binary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--mpy-dir', default=os.environ.get('MPY_DIR'),
                        help='a MicroPython checkout (default: $MPY_DIR)')
    parser.add_argument('--build', default=DEFAULT_BUILD,
                        help='build folder (default: build/unix32-frozen)')
    args = parser.parse_args(argv)
    try:
        binary = build(args.mpy_dir, args.build)
    except BuildError as exc:
        print('unix32: {}'.format(exc), file=sys.stderr)
        return 2
    print('unix32: ' + os.path.relpath(binary))
    return 0


if __name__ == '__main__':
    sys.exit(main())
