#!/usr/bin/env python3
"""Install micropython-lib packages (pyjwt, hmac, unittest) for the unix port.

Sessions need micropython-lib's ``jwt`` (package ``pyjwt``, which brings
``hmac``) on MicroPython, and ``make compat`` needs its ``unittest``. This
puts them in one folder that the Makefile adds to MICROPYPATH, after the
user's own ``~/.micropython/lib`` (where ``micropython -m mip install``
puts packages): a user who installed them keeps their copies.

Where the packages come from, first that works:

1. ``mip``, from micropython-lib's index, when it is reachable;
2. a MicroPython source tree: ``--mpy-dir`` (or ``MPY_DIR``), whose
   ``lib/micropython-lib`` holds every package;
3. the MicroPython source bundle beside the checkout
   (``../shared/micropython/micropython-*.tar.xz``): only its
   ``lib/micropython-lib/`` is unpacked, once, under ``build/``.

Each package's ``manifest.py`` says which files it has and what it
requires, as MicroPython's own freezing reads it. When none of the three
works, nothing is installed and the reason is printed: the tests that need
these packages then skip, saying so.

    python3 tools/micropython_lib.py --dest DIR [--mpy-dir DIR] PACKAGE...
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
BUNDLE_GLOB = os.path.join(TOP, '..', 'shared', 'micropython',
                           'micropython-*.tar.xz')
UNPACKED = os.path.join(TOP, 'build', 'micropython-lib')
# the folders of micropython-lib that hold packages for every port
SECTIONS = ('python-stdlib', 'python-ecosys', 'micropython')


def log(message):
    print('micropython_lib: ' + message, flush=True)


class NotFound(Exception):
    pass


# -- where micropython-lib is ----------------------------------------------

def tree_library(mpy_dir):
    """micropython-lib inside a MicroPython checkout, or None."""
    if not mpy_dir:
        return None
    path = os.path.join(mpy_dir, 'lib', 'micropython-lib')
    return path if os.path.isfile(os.path.join(path, 'README.md')) else None


def bundle_library():
    """micropython-lib unpacked from the source bundle, or None."""
    bundles = sorted(glob.glob(BUNDLE_GLOB))
    if not bundles:
        return None
    bundle = bundles[-1]
    stamp = os.path.join(UNPACKED, '.from')
    root = os.path.join(UNPACKED, 'micropython-lib')
    name = os.path.basename(bundle)
    if os.path.exists(stamp) and open(stamp).read() == name:
        return root
    log('unpacking lib/micropython-lib from ' + os.path.relpath(bundle))
    shutil.rmtree(UNPACKED, ignore_errors=True)
    os.makedirs(root)
    with tarfile.open(bundle) as archive:
        for member in archive:
            parts = member.name.split('/')
            # <tree>/lib/micropython-lib/<path>
            if parts[1:3] != ['lib', 'micropython-lib'] or len(parts) < 4 \
                    or not (member.isfile() or member.isdir()):
                continue
            if any(part in ('', '.', '..') for part in parts[3:]):
                continue
            target = os.path.join(root, *parts[3:])
            if member.isdir():
                os.makedirs(target, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with archive.extractfile(member) as src, open(target, 'wb') as dst:
                shutil.copyfileobj(src, dst)
    with open(stamp, 'w') as f:
        f.write(name)
    return root


# -- reading manifests --------------------------------------------------------

def package_folder(library, name):
    for section in SECTIONS:
        folder = os.path.join(library, section, name)
        if os.path.isfile(os.path.join(folder, 'manifest.py')):
            return folder
    raise NotFound('micropython-lib has no package ' + name)


def package_files(library, name, seen=None):
    """[(source path, path under the destination)] of a package and of
    the packages it requires, from their manifest.py files."""
    seen = set() if seen is None else seen
    if name in seen:
        return []
    seen.add(name)
    folder = package_folder(library, name)
    found = []

    def module(path, base_path='.', opt=None):
        found.append((os.path.join(folder, base_path, path), path))

    def package(pkg, files=None, base_path='.', opt=None):
        root = os.path.join(folder, base_path)
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, pkg)):
            dirnames.sort()
            for filename in sorted(filenames):
                source = os.path.join(dirpath, filename)
                target = os.path.relpath(source, root)
                if filename.endswith('.py') and \
                        (files is None or target in files):
                    found.append((source, target))

    def require(other, **_):
        found.extend(package_files(library, other, seen))

    def ignore(*args, **kwargs):
        pass

    scope = {'metadata': ignore, 'module': module, 'package': package,
             'require': require, 'include': ignore, 'options': _Options()}
    manifest = os.path.join(folder, 'manifest.py')
    with open(manifest) as f:
        exec(compile(f.read(), manifest, 'exec'), scope)
    return found


class _Options:
    """manifest.py ``options``: every option unset."""

    def __getattr__(self, name):
        return None


# -- installing ---------------------------------------------------------------

def copy_from(library, packages, dest):
    files = []
    for name in packages:
        files.extend(package_files(library, name))
    for source, target in files:
        target = os.path.join(dest, target)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(source, target)
    return [target for _, target in files]


def mip_install(packages, dest, micropython):
    """True if mip installed every package from the index."""
    if not micropython:
        return False
    try:
        done = subprocess.run(
            [micropython, '-m', 'mip', 'install', '--target', dest] +
            list(packages), capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and 'Error' not in done.stdout


def installed(packages, dest):
    stamp = os.path.join(dest, '.installed')
    return os.path.exists(stamp) and \
        open(stamp).read().split() == sorted(packages)


def install(packages, dest, mpy_dir=None, micropython=None):
    """Install ``packages`` into ``dest``; returns where they came from, or
    raises NotFound saying why they could not be had."""
    if installed(packages, dest):
        return 'already there'
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    if mip_install(packages, dest, micropython):
        source = "mip (micropython-lib's index)"
    else:
        library = tree_library(mpy_dir) or bundle_library()
        if library is None:
            raise NotFound(
                "micropython-lib's index is not reachable, and there is no "
                'MicroPython source tree: give MPY_DIR=/path/to/micropython, '
                'or run `micropython -m mip install {}` (it installs into '
                '~/.micropython/lib, which the unix-port runs use)'.format(
                    ' '.join(packages)))
        copy_from(library, packages, dest)
        source = os.path.relpath(library)
    with open(os.path.join(dest, '.installed'), 'w') as f:
        f.write(' '.join(sorted(packages)))
    return source


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--dest', required=True)
    parser.add_argument('--mpy-dir', default=os.environ.get('MPY_DIR'))
    parser.add_argument('--micropython', help='the unix port, for mip')
    parser.add_argument('packages', nargs='+')
    args = parser.parse_args(argv)
    try:
        source = install(args.packages, args.dest, args.mpy_dir,
                         args.micropython)
    except NotFound as exc:
        log('not installed: {}'.format(exc))
        return 0   # the tests that need them skip and say why
    log('{} in {}/ ({})'.format(', '.join(args.packages), args.dest, source))
    return 0


if __name__ == '__main__':
    sys.exit(main())
