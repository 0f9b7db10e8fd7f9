#!/usr/bin/env python3
"""Run the shared test suite on an emulated Raspberry Pi Pico.

    python tools/pico_suite.py --image FIRMWARE.uf2 [--label TEXT]
                               [--results FILE] [--timeout S] [TESTS ...]

The image is ours, with the framework frozen in. The test files of tests/
go onto the board's filesystem (littlefs, made on this machine by
MicroPython's own driver, firmware/pico/make_fs.py): the test modules as
mpy-cross output, as one would copy them to a board, the data files as
they are. A main.py runs tools/mpy_test_runner.py there on one module per
boot (a soft reset between two), with --require-frozen microdot, so the
framework comes from the firmware and not from a file. The board's output is printed as it comes (FAIL with its
traceback, SKIP with its reason), then the runner's closing line
"<label>: N passed, N failed, N skipped", whose counts go to --results
as `make test` reads them. TESTS (default tests) narrows the run to some
of its files; the whole folder is copied either way, for its helpers.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'firmware'))
import pico_emulator  # noqa: E402

STAGE = os.path.join(ROOT, 'build', 'pico-suite')
END = '@@ pico suite ended'
# main.py runs one test module per boot, each on a fresh heap as an app
# has it, keeping the counts in /suite.json across soft resets (one process
# for the whole suite fragments the Pico's 220 KB heap until tests that
# pass on their own fail for want of a few KB in one piece). On the first
# boot it waits for a line from the host: the USB serial port is up once
# it reads one, so nothing the runner prints is lost.
MAIN = '''import json, os, sys
MODULES = {modules!r}
try:
    with open('/suite.json') as f:
        state = json.load(f)
except OSError:
    sys.stdin.readline()
    state = {{'next': 0, 'counts': [0, 0, 0]}}
at = state['next']
if at < len(MODULES):
    name = MODULES[at]
    sys.argv[:] = ['mpy_test_runner', '--label', name, '--progress',
                   '--results', '/module.txt', '--require-frozen',
                   'microdot', name]
    try:
        os.remove('/module.txt')
    except OSError:
        pass
    try:
        import mpy_test_runner
    except SystemExit:
        pass
    except Exception as exc:
        print('FAIL', name, 'stopped the runner:', repr(exc))
    try:
        with open('/module.txt') as f:
            counts = [int(n) for n in f.read().split()]
    except (OSError, ValueError):
        print('FAIL', name, 'reported no counts')
        counts = [0, 1, 0]
    state = {{'next': at + 1, 'counts': [a + b for a, b in
                                        zip(state['counts'], counts)]}}
    with open('/suite.json', 'w') as f:
        json.dump(state, f)
    import machine
    machine.soft_reset()
passed, failed, skipped = state['counts']
print('{{}}: {{}} passed, {{}} failed, {{}} skipped'.format(
    {label!r}, passed, failed, skipped))
os.remove('/suite.json')
print({end!r}, 0 if passed and not failed else 1)
'''


def board_modules(tests, files):
    """The test modules to run, as paths on the board, in name order."""
    found = []
    for test in tests:
        if test.endswith('.py'):
            found.append(test[:-3] + '.mpy')
            continue
        prefix = test.rstrip('/') + '/'
        found += [rel[:-3] + '.mpy' for rel in files
                  if rel.startswith(prefix) and rel.endswith('.py') and
                  '/' not in rel[len(prefix):] and
                  rel[len(prefix):].startswith('test_')]
    return sorted(set(found), key=lambda p: (p.rsplit('/', 1)[-1], p))


def tool(name):
    local = os.path.join(os.path.dirname(sys.executable), name)
    return local if os.path.exists(local) else shutil.which(name)


def suite_files(folder):
    """Files of `folder` that git tracks or would track (no compiled
    templates or caches left by other runs)."""
    result = subprocess.run(
        ['git', 'ls-files', '-co', '--exclude-standard', '--', folder],
        cwd=ROOT, capture_output=True, text=True)
    if result.returncode == 0 and result.stdout.strip():
        return sorted(set(result.stdout.split()))
    found = []
    for top, dirs, names in os.walk(os.path.join(ROOT, folder)):
        dirs[:] = [d for d in dirs if d != '__pycache__']
        found += [os.path.relpath(os.path.join(top, n), ROOT) for n in names
                  if not n.endswith(('.pyc', '_html.py'))]
    return sorted(found)


def compile_module(source, target):
    os.makedirs(os.path.dirname(target), exist_ok=True)
    result = subprocess.run([tool('mpy-cross'), '-o', target, '-s',
                             os.path.basename(source), source],
                            capture_output=True, text=True)
    if result.returncode:
        raise SystemExit('pico_suite: mpy-cross failed on {}:\n{}'.format(
            source, result.stdout + result.stderr))


def stage(tests, label, board):
    """The filesystem image: tests/ (modules compiled), the runner and a
    main.py that runs it. Returns the image's path."""
    if os.path.exists(STAGE):
        shutil.rmtree(STAGE)
    files = os.path.join(STAGE, 'files')
    listing = []
    folders = sorted({t.split('/')[0] for t in tests})
    every_file = []
    for folder in folders:
        every_file += suite_files(folder)
    for rel in every_file:
        source = os.path.join(ROOT, rel)
        if rel.endswith('.py') and '/templates/' not in rel:
            target = os.path.join(files, rel[:-3] + '.mpy')
            compile_module(source, target)
            listing.append((target, '/' + rel[:-3] + '.mpy'))
        else:
            listing.append((source, '/' + rel))
    runner = os.path.join(files, 'mpy_test_runner.mpy')
    compile_module(os.path.join(ROOT, 'tools', 'mpy_test_runner.py'), runner)
    listing.append((runner, '/mpy_test_runner.mpy'))
    main = os.path.join(files, 'main.py')
    modules = board_modules(tests, every_file)
    if not modules:
        raise SystemExit('pico_suite: no test module in ' + ' '.join(tests))
    with open(main, 'w') as f:
        f.write(MAIN.format(modules=modules, label=label, end=END))
    listing.append((main, '/main.py'))
    list_path = os.path.join(STAGE, 'files.txt')
    with open(list_path, 'w') as f:
        for source, target in listing:
            f.write('{}\t{}\n'.format(source, target))
    image = os.path.join(STAGE, 'fs.img')
    result = subprocess.run(
        [tool('micropython'), '-X', 'heapsize=8M',
         os.path.join(ROOT, 'firmware', 'pico', 'make_fs.py'),
         image, str(pico_emulator.fs_blocks(board)), list_path],
        capture_output=True, text=True, env=dict(os.environ,
                                                 MICROPYPATH='.frozen'))
    if result.returncode:
        raise SystemExit('pico_suite: make_fs failed:\n' + result.stdout +
                         result.stderr)
    print(result.stdout.strip(), flush=True)
    return image


def run(image, fs_image, board, label, timeout):
    """Boot the board, echo its output, return (counts or None, status)."""
    closing = re.compile(r'^{}: (\d+) passed, (\d+) failed, (\d+) skipped'
                         .format(re.escape(label)))
    counts = None
    started = time.monotonic()
    with pico_emulator.EmulatedPico(image, board, fs_image=fs_image) as pico:
        pico.write(b'go\r\n')
        while True:
            left = timeout - (time.monotonic() - started)
            line = pico.read_until(b'\n', left).decode('utf-8', 'replace')
            line = line.rstrip('\r\n')
            if line.startswith(END):
                status = int(line.split()[-1])
                break
            print(line, flush=True)
            match = closing.match(line)
            if match:
                counts = [int(n) for n in match.groups()]
    print('pico_suite: {:.0f} s on the emulator ({})'.format(
        time.monotonic() - started,
        pico.stderr.decode().strip().rsplit('\n', 1)[-1]),
        flush=True)
    return counts, status


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--image', required=True)
    parser.add_argument('--board', default='RPI_PICO')
    parser.add_argument('--label', default='rp2040 (emulated, frozen)')
    parser.add_argument('--results')
    parser.add_argument('--timeout', type=float, default=2400)
    parser.add_argument('tests', nargs='*')
    args = parser.parse_args(argv)
    tests = [t.rstrip('/') for t in args.tests] or ['tests']
    for test in tests:
        if os.path.isabs(test) or test.startswith('..'):
            parser.error('give tests relative to the repository: ' + test)
    if args.results and os.path.exists(args.results):
        os.remove(args.results)
    try:
        fs_image = stage(tests, args.label, args.board)
        counts, status = run(args.image, fs_image, args.board, args.label,
                             args.timeout)
    except pico_emulator.EmulatorError as exc:
        print('pico_suite: {}'.format(exc), flush=True)
        return 1
    if counts is None:
        print('pico_suite: the runner ended without its closing line',
              flush=True)
        return 1
    if args.results:
        with open(args.results, 'w') as f:
            f.write('{} {} {}\n'.format(*counts))
    return status


if __name__ == '__main__':
    sys.exit(main())
