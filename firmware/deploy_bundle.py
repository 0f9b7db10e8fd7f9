#!/usr/bin/env python3
"""Copy the compiled bundle to a board that runs stock MicroPython.

    python3 firmware/deploy_bundle.py --port PORT [--resume] [--no-deps]
                                      [--index URL] [--mpy build/mpy]
                                      [--mpy-deps DIR]

Takes the mpy-cross output of `make mpy` (build/mpy/ and build/mpy-deps/),
leaves out the CPython-only modules (CPYTHON_ONLY of manifest.py), and
copies microdot/ and utemplate/ into the board's lib/ with mpremote,
replacing what an earlier deploy left there. Then, unless --no-deps, it
installs pyjwt (with hmac) from the MicroPython package index with
`mpremote mip install` (the host needs internet for that, or a package
index of your own: --index URL, as mip's --index takes it). --resume
connects without a soft reset (needed for the unix port behind a pty).
`make deploy SERIAL=...` runs this script.
"""

import argparse
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bundle  # noqa: E402

STAGE = os.path.join(bundle.ROOT, 'build', 'deploy')
MIP_DEPS = ('pyjwt',)

# Run on the board: remove an earlier copy of the packages (a stale .py
# would shadow the new .mpy) and make sure lib/ exists.
CLEAN_ON_BOARD = '''import os
def _rm(p):
    try:
        if os.stat(p)[0] & 0x4000:
            for n in os.listdir(p):
                _rm(p + "/" + n)
            os.rmdir(p)
        else:
            os.remove(p)
    except OSError:
        pass
for _p in {packages!r}:
    _rm("{target}/" + _p)
try:
    os.mkdir("{target}")
except OSError:
    pass
'''


class DeployError(Exception):
    pass


def mpremote_path():
    local = os.path.join(os.path.dirname(sys.executable), 'mpremote')
    if os.path.exists(local):
        return local
    found = shutil.which('mpremote')
    if not found:
        raise DeployError('mpremote not found: pip install mpremote')
    return found


def stage(mpy, mpy_deps, dest=STAGE):
    """Copy the .mpy files of the bundle into dest/<package>/; returns
    [(package, folder)] and prints each file with its size."""
    skip = {name[:-3] + '.mpy' for name in bundle.cpython_only()}
    if os.path.exists(dest):
        shutil.rmtree(dest)
    staged = []
    total = 0
    for top, package, leave_out in ((mpy, 'microdot', skip),
                                    (mpy_deps, 'utemplate', set())):
        source = os.path.join(top, package)
        if not os.path.isdir(source):
            raise DeployError('{} missing: run `make mpy` first'.format(source))
        count = 0
        for folder, _, names in os.walk(source):
            for name in sorted(names):
                rel = os.path.relpath(os.path.join(folder, name), source)
                if not name.endswith('.mpy') or rel in leave_out:
                    continue
                target = os.path.join(dest, package, rel)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copyfile(os.path.join(folder, name), target)
                size = os.path.getsize(target)
                total += size
                count += 1
                print('{:7d}  {}/{}'.format(size, package, rel))
        if not count:
            raise DeployError('no .mpy file in ' + source)
        staged.append((package, os.path.join(dest, package)))
    print('{:7d}  total'.format(total), flush=True)
    return staged


def deploy(port, staged, target='lib', resume=False, deps=True, index=None):
    mpremote = mpremote_path()
    connect = [mpremote, 'connect', port] + (['resume'] if resume else [])
    code = CLEAN_ON_BOARD.format(packages=[p for p, _ in staged],
                                 target=target)
    argv = connect + ['exec', code]
    for _, folder in staged:
        argv += ['+', 'fs', 'cp', '-r', folder, ':{}/'.format(target)]
    print('copying the bundle to {}:{}/'.format(port, target), flush=True)
    if subprocess.run(argv).returncode:
        raise DeployError('mpremote could not copy the bundle to ' + port)
    if deps:
        argv = connect + ['mip', 'install', '--target', target]
        if index:
            argv += ['--index', index]
        argv += list(MIP_DEPS)
        print('$ ' + ' '.join(argv), flush=True)
        if subprocess.run(argv).returncode:
            raise DeployError('mip could not install {} (the host needs '
                              'internet; --no-deps skips this)'.format(
                                  ' '.join(MIP_DEPS)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--port', default=os.environ.get('SERIAL') or None)
    parser.add_argument('--mpy', default=os.path.join(bundle.ROOT, 'build',
                                                      'mpy'))
    parser.add_argument('--mpy-deps', default=os.path.join(
        bundle.ROOT, 'build', 'mpy-deps'))
    parser.add_argument('--target', default='lib',
                        help="folder on the board (default: lib)")
    parser.add_argument('--resume', action='store_true',
                        help='connect without a soft reset')
    parser.add_argument('--no-deps', dest='deps', action='store_false',
                        help="don't mip install pyjwt")
    parser.add_argument('--index', default=None,
                        help='the package index mip installs pyjwt from')
    args = parser.parse_args(argv)
    try:
        if not args.port:
            raise DeployError('give the board: SERIAL=/dev/ttyACM0 (or '
                              '--port)')
        staged = stage(args.mpy, args.mpy_deps)
        deploy(args.port, staged, args.target, args.resume, args.deps,
               args.index)
    except DeployError as exc:
        print('deploy_bundle: error: {}'.format(exc), file=sys.stderr)
        return 2
    # a soft reset (which mpremote does without `resume`) ends the
    # virtual board's unix port
    print('done: run an app with `mpremote connect {} {}run app.py`'.format(
        args.port, 'resume ' if args.resume else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())
